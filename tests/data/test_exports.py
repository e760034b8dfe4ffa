"""Exports (ranking workbook/CSV, monthly circular Excel + Word) and the shared number formatting."""
from __future__ import annotations

import datetime as dt
import io
import math

import numpy as np
import pandas as pd
import pytest
from docx import Document
from openpyxl import load_workbook

from data import formatting as f
from data.exports import (CIRCULAR_SITE_COLUMNS, COMPLETENESS_NOTE, COUNTY_COLUMNS, RANK_INTERVAL_NOTE, RANKING_COLUMNS,
                          CircularData, circular_docx, circular_workbook, ranking_csv, ranking_workbook, standard_title)
from data.exports.circular_docx import TITLE_BREAK, WRAP_COLUMNS, _widths_mm

COUNTIES = ["兴义市", "兴仁市", "普安县", "晴隆县", "贞丰县", "望谟县", "册亨县", "安龙县", "义龙新区"]
DIMS = ["产业带动好", "就业帮扶好", "公共服务好", "精神状态好", "融入环境好"]


def site_table(n: int = 68, seed: int = 7) -> pd.DataFrame:
    """A ranking table shaped like scoring.tables.site_ranking_table output."""
    rng = np.random.default_rng(seed)
    dims = rng.uniform(11, 20, size=(n, 5)).round(2)
    total = dims.sum(axis=1).round(2)
    order = np.argsort(-total, kind="stable")
    rank = np.empty(n, dtype=int)
    rank[order] = np.arange(1, n + 1)
    size = rng.choice(["小型", "中型", "大型", "特大型"], n, p=[.3, .4, .25, .05])
    dabiao = (total >= 85) & (dims.min(axis=1) >= 14)
    grade = np.where(total >= 90, "优秀", np.where(total >= 80, "良好", np.where(total >= 60, "合格", "不合格")))
    df = pd.DataFrame({
        "排名": rank,
        "同类排名": pd.Series(rank).groupby(size).rank(method="min").astype(int).to_numpy(),
        "安置点编码": [f"5223{i:04d}" for i in range(n)],
        "安置点": [f"{COUNTIES[i % 9][:2]}{'栗坪洒金阳光幸福新城和谐'[i % 6:i % 6 + 2]}社区{i + 1}号安置点"
                   for i in range(n)],
        "县": [COUNTIES[i % 9] for i in range(n)],
        "规模": size,
        "总分": total,
        # 指标完整度 and its 缺报 mark (domain.md §11): every tenth site misses two indicators
        "指标完整度": ["20/22" if i % 10 == 5 else "22/22" for i in range(n)],
        "缺报": ["I2、E1" if i % 10 == 5 else "" for i in range(n)],
        **{d: dims[:, j] for j, d in enumerate(DIMS)},
        "等次": grade,
        "达标": dabiao,
        "较上月": rng.integers(-5, 6, n),
        "短板": [DIMS[j] for j in dims.argmin(axis=1)],
        "排名区间": [f"{max(1, r - 3)}–{min(n, r + 4)}" for r in rank],
    })
    df.loc[3, "较上月"] = 0
    return df.sort_values("排名", kind="stable").reset_index(drop=True)


def county_table() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = len(COUNTIES)
    score = rng.uniform(70, 92, n).round(2)
    order = np.argsort(-score)
    rank = np.empty(n, dtype=int)
    rank[order] = np.arange(1, n + 1)
    return pd.DataFrame({
        "序号": range(1, n + 1),
        "县(市、区)": COUNTIES,
        "安置点数": rng.integers(3, 14, n),
        "搬迁人口": rng.integers(8000, 90000, n),
        "劳动力": rng.integers(4000, 40000, n),
        "就业率": rng.uniform(85, 99, n).round(3),
        "参训率": rng.uniform(50, 95, n),
        "持证率": rng.uniform(20, 60, n),
        "零就业家庭": [0, 2, 0, 0, 1, 0, 0, 0, 0],
        "达标/序时": [f"{a}/{b}" for a, b in zip(rng.integers(0, 5, n), rng.integers(2, 6, n))],
        "权益落实率": rng.uniform(85, 99, n),
        "整改逾期": [0, 0, 3, 0, 0, 1, 0, 0, 0],
        "县均得分": score,
        "排名": rank,
        "较上月": rng.uniform(-3, 3, n).round(2),
    })


def circular(**over) -> CircularData:
    ct = county_table()
    flagged = pd.Series([False, True, True, False, True, True, False, False, False])
    kw = dict(
        city_name="黔西南州", month="2026-10", issue_no=10,
        title=standard_title("黔西南州", "2026-10", 10),
        cutoff_date=dt.date(2026, 10, 31), catalogue_version="v1", demo=True,
        city_totals={"安置点": "68个", "五好达标安置点": "23个（序时进度25个）", "搬迁人口": f.fmt_people(341234),
                     "劳动力": f.fmt_people(152310), "就业率": f.fmt_pct(93.24), "参训率": f.fmt_pct(71.05),
                     "持证率": f.fmt_pct(38.6), "零就业家庭": "3户", "权益落实率（迁入地）": f.fmt_pct(94.1),
                     "权益落实率（迁出地）": f.fmt_pct(96.37), "整改问题": "发现41个，销号33个，逾期4个"},
        county_table=ct, county_flagged=flagged, site_table=site_table(),
        lagging=[("兴仁市", ["五好达标安置点1个，低于序时进度3个", "零就业家庭2户"]),
                 ("普安县", ["整改问题逾期3个。"]),
                 ("贞丰县", ["零就业家庭1户"]),
                 ("望谟县", ["县均得分居全市后两位且较上月下降2.10分", "整改问题逾期1个"])],
        interview_suggestions=[("兴仁市", "建议约谈"), ("普安县", "建议约谈主要负责人"), ("望谟县", "建议约谈")],
        praise=["兴义市", "安龙县", "册亨县"],
    )
    kw.update(over)
    return CircularData(**kw)


def _wb(data: bytes):
    return load_workbook(io.BytesIO(data))


def _fill(cell) -> str | None:
    fl = cell.fill
    if fl is None or fl.fill_type != "solid":
        return None
    return fl.fgColor.rgb


def _header_row(ws, first_col_name: str) -> int:
    for r in range(1, 8):
        if ws.cell(r, 1).value == first_col_name:
            return r
    raise AssertionError("header row not found")


# ---------------------------------------------------------------------------------------------------------- ranking

@pytest.fixture(scope="module")
def ranking():
    t = site_table()
    data = ranking_workbook(t, title="黔西南州易地搬迁安置点五好社区创建排名", subtitle="数据截至2026年10月31日",
                            month="2026-10", catalogue_version="v1", note="演示数据，仅供演示。", demo=True)
    return t, _wb(data)


def test_ranking_rows_and_header(ranking):
    t, wb = ranking
    ws = wb.active
    h = _header_row(ws, "排名")
    assert [ws.cell(h, j + 1).value for j in range(len(t.columns))] == list(t.columns) == RANKING_COLUMNS
    assert ws.cell(h, len(t.columns) + 1).value is None
    data_rows = []
    r = h + 1
    while isinstance(ws.cell(r, 1).value, (int, float)):
        data_rows.append(r)
        r += 1
    assert len(data_rows) == 68
    # the row right after the data is the rank-interval footnote, not data
    assert RANK_INTERVAL_NOTE in str(ws.cell(r, 1).value)
    # values: site names in order, scores kept as numbers with 2-decimal format, percent not involved here
    assert [ws.cell(rr, 4).value for rr in data_rows] == t["安置点"].tolist()
    tot = ws.cell(h + 1, 7)
    assert tot.value == pytest.approx(t["总分"].iloc[0]) and tot.number_format == "0.00"
    assert ws.cell(h + 1, 16).value in ("是", "否")
    rd = ws.cell(h + 1, 17)  # 较上月 as rank change
    assert rd.number_format == '"↑"0;"↓"0;"—"'


def test_ranking_print_setup(ranking):
    _, wb = ranking
    ws = wb.active
    h = _header_row(ws, "排名")
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9
    assert int(ws.page_setup.fitToWidth) == 1
    assert int(ws.page_setup.fitToHeight) == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert ws.print_title_rows.replace("$", "") == f"{h}:{h}"
    assert ws.freeze_panes == f"A{h + 1}"
    assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text
    assert ws.oddFooter.center.text == "第 &P 页，共 &N 页"
    # title merged across all columns, month in Chinese; subtitle with version and demo marker
    assert "2026年10月" in ws["A1"].value and ws["A1"].value.startswith("黔西南州")
    merged = {str(m) for m in ws.merged_cells.ranges}
    assert "A1:S1" in merged   # 19 columns (指标完整度 and 缺报 beside 总分)
    assert "v1" in ws["A2"].value and "演示数据" in ws["A2"].value and "2026年10月31日" in ws["A2"].value
    # thin borders on data cells, widths set for every column
    assert ws.cell(h + 1, 1).border.left.style == "thin"
    assert all(ws.column_dimensions[chr(65 + j)].width >= 5 for j in range(17))


def test_ranking_highlight_default_rule(ranking):
    t, wb = ranking
    ws = wb.active
    h = _header_row(ws, "排名")
    expected = (~t["达标"].astype(bool)) | (t["等次"] == "不合格")
    assert 0 < expected.sum() < len(t)
    for i, bad in enumerate(expected):
        row_fills = {_fill(ws.cell(h + 1 + i, j)) for j in range(1, 18)}
        if bad:
            assert row_fills == {"00FDE2E1"}, i
        else:
            assert row_fills == {None}, i


def test_ranking_highlight_series_and_title_month_appended():
    t = site_table(12)
    hl = pd.Series([i in (2, 5) for i in range(12)])
    ws = _wb(ranking_workbook(t, title="安置点排名", subtitle=None, month="2026-03", catalogue_version="v2",
                              highlight=hl, note=None)).active
    assert ws["A1"].value == "安置点排名（2026年3月）"
    assert "2026年3月31日" in ws["A2"].value and "v2" in ws["A2"].value and "演示数据" not in ws["A2"].value
    h = _header_row(ws, "排名")
    filled = [i for i in range(12) if _fill(ws.cell(h + 1 + i, 3)) is not None]
    assert filled == [2, 5]
    with pytest.raises(ValueError):
        ranking_workbook(t, title="x", month="2026-03", catalogue_version="v1", highlight=[True], note=None)


def test_ranking_workbook_formats_percent_missing_and_masks_ids():
    t = pd.DataFrame({"序号": [1, 2], "户主": ["张三", "李四"], "身份证号": ["522301199001011234", None],
                      "就业率": [93.24, float("nan")], "达标": [True, False]})
    ws = _wb(ranking_workbook(t, title="测试", month="2026-10", catalogue_version="v1", note=None)).active
    h = _header_row(ws, "序号")
    assert ws.cell(h + 1, 3).value == "522301********1234"
    assert "199001" not in str([c.value for row in ws.iter_rows() for c in row])
    assert ws.cell(h + 1, 4).value == pytest.approx(93.24) and ws.cell(h + 1, 4).number_format == '0.0"%"'
    assert ws.cell(h + 2, 4).value == "—"
    assert ws.cell(h + 2, 5).value == "否"
    assert RANK_INTERVAL_NOTE not in str([ws.cell(r, 1).value for r in range(1, ws.max_row + 1)])


def test_ranking_accepts_scoring_tables_text_columns():
    """scoring.tables gives 较上月 as text ('↑2', '新', '—') and county 排名 as nullable Int64: shown as given."""
    t = site_table(4)
    t["较上月"] = ["↑2", "新", "—", "↓1"]
    ws = _wb(ranking_workbook(t, title="排名", month="2026-10", catalogue_version="v1", note=None)).active
    h = _header_row(ws, "排名")
    assert [ws.cell(h + 1 + i, 17).value for i in range(4)] == ["↑2", "新", "—", "↓1"]
    ct = county_table()
    ct["排名"] = pd.array([1, None, 3, 4, 5, 6, 7, 8, 9], dtype="Int64")
    ct["搬迁人口"] = ct["搬迁人口"].astype(float)
    ws = _wb(ranking_workbook(ct, title="县区", month="2026-10", catalogue_version="v1", flagged_col=None,
                              note=None)).active
    h = _header_row(ws, "序号")
    assert ws.cell(h + 2, 14).value == "—" and ws.cell(h + 3, 14).value == 3
    assert isinstance(ws.cell(h + 1, 4).value, int) and ws.cell(h + 1, 4).number_format == "#,##0"
    assert all(_fill(ws.cell(h + 1 + i, 1)) is None for i in range(9))   # flagged_col=None: nothing filled


def test_ranking_csv():
    t = site_table(5)
    t.loc[0, "总分"] = 87.345
    raw = ranking_csv(t)
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig")
    assert list(back.columns) == RANKING_COLUMNS and len(back) == 5
    assert back.loc[0, "总分"] == pytest.approx(87.35)
    assert set(back["达标"]) <= {"是", "否"}



def _sheet_texts(ws) -> list[str]:
    return [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]


def test_ranking_export_shows_completeness_beside_the_score():
    """§11: 指标完整度 right after 总分 and the 缺报 mark (the missing codes) on incomplete sites, with a note."""
    t = site_table(12)
    ws = _wb(ranking_workbook(t, title="排名", month="2026-10", catalogue_version="v1", note=None)).active
    h = _header_row(ws, "排名")
    header = [ws.cell(h, j + 1).value for j in range(len(t.columns))]
    assert header[header.index("总分") + 1:header.index("总分") + 3] == ["指标完整度", "缺报"]
    col, mark = header.index("指标完整度") + 1, header.index("缺报") + 1
    rows = {ws.cell(h + 1 + i, 4).value: (ws.cell(h + 1 + i, col).value, ws.cell(h + 1 + i, mark).value)
            for i in range(12)}
    expected = dict(zip(t["安置点"], zip(t["指标完整度"], t["缺报"])))
    assert {k: (a, b or None) for k, (a, b) in rows.items()} == {k: (a, b or None) for k, (a, b) in expected.items()}
    assert sum(1 for a, _ in rows.values() if a == "20/22") == 1          # site 6 of 12 (i % 10 == 5)
    assert COMPLETENESS_NOTE in _sheet_texts(ws)
    # a complete table has no note; the CSV keeps both columns
    full = t.assign(**{"指标完整度": "22/22", "缺报": ""})
    ws = _wb(ranking_workbook(full, title="排名", month="2026-10", catalogue_version="v1", note=None)).active
    assert COMPLETENESS_NOTE not in _sheet_texts(ws)
    back = pd.read_csv(io.BytesIO(ranking_csv(t)), encoding="utf-8-sig", keep_default_na=False)
    assert back.loc[back["缺报"] != "", "指标完整度"].tolist() == ["20/22"]


def test_circular_site_tables_show_completeness():
    c = circular()
    ws = _wb(circular_workbook(c))["安置点排名"]
    h = _header_row(ws, "排名")
    header = [ws.cell(h, j + 1).value for j in range(ws.max_column)]
    assert "指标完整度" in header and "缺报" in header
    marked = [ws.cell(r, header.index("缺报") + 1).value for r in range(h + 1, h + 69)]
    assert marked.count("I2、E1") == 7 and COMPLETENESS_NOTE in _sheet_texts(ws)
    doc = Document(io.BytesIO(circular_docx(c)))
    sites = [t for t in doc.tables if t.rows[0].cells[0].text == "排名"]
    head = [cell.text.replace("\n", "") for cell in sites[0].rows[0].cells]
    assert head[head.index("总分") + 1:head.index("总分") + 3] == ["指标完整度", "缺报"]
    texts = [cell.text.replace("\u200b", "") for t in sites for row in t.rows[1:] for cell in row.cells]
    st = c.site_table.sort_values("排名", kind="stable")
    shown = pd.concat([st.head(10), st.tail(10)])          # 68 sites: the Word draft shows top and bottom ten
    assert texts.count("I2、E1") == int((shown["缺报"] != "").sum())
    assert texts.count("22/22") == int((shown["指标完整度"] == "22/22").sum())
    assert COMPLETENESS_NOTE in _docx_text(doc)

# --------------------------------------------------------------------------------------------------------- circular

def test_circular_workbook_sheets_and_flags():
    c = circular()
    wb = _wb(circular_workbook(c))
    assert wb.sheetnames == ["通报正文", "县区进展", "安置点排名"]
    body = wb["通报正文"]
    texts = [str(cell.value) for row in body.iter_rows() for cell in row if cell.value is not None]
    assert body["A1"].value == "黔西南州易地搬迁后续扶持工作进展情况通报（2026年第10期）"
    assert any("市易地搬迁后续扶持工作领导小组办公室" in t for t in texts)
    assert any("2026年10月31日" in t for t in texts)
    assert "93.2%" in texts and "34.1万人" in texts
    assert any("兴仁市" in t and "零就业家庭2户" in t for t in texts)
    assert any("建议约谈主要负责人" in t and "普安县" in t for t in texts)
    assert any("兴义市、安龙县、册亨县" in t for t in texts)
    # the text sheet prints on one page (no second page holding its last lines); the long tables flow on
    assert body.page_setup.fitToHeight == 1 and wb["安置点排名"].page_setup.fitToHeight == 0

    ws = wb["县区进展"]
    h = _header_row(ws, "序号")
    assert [ws.cell(h, j + 1).value for j in range(15)] == COUNTY_COLUMNS
    assert ws.print_title_rows.replace("$", "") == f"{h}:{h}" and ws.freeze_panes == f"A{h + 1}"
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
    flagged = list(c.county_flagged)
    for i, fl in enumerate(flagged):
        assert (_fill(ws.cell(h + 1 + i, 2)) is not None) == fl, i
    assert ws.cell(h + 1 + len(flagged), 1).value != 10  # nothing after the 9 counties but notes
    # 就业率 keeps its value, shows one decimal percent; 县均得分 two decimals; 较上月 signed
    assert ws.cell(h + 1, 6).number_format == '0.0"%"'
    assert ws.cell(h + 1, 13).number_format == "0.00"
    assert ws.cell(h + 1, 15).number_format == "+0.00;-0.00;0.00"

    ws = wb["安置点排名"]
    h = _header_row(ws, "排名")
    n = sum(1 for r in range(h + 1, ws.max_row + 1) if isinstance(ws.cell(r, 1).value, int))
    assert n == 68
    assert ws.print_title_rows.replace("$", "") == f"{h}:{h}"
    for sheet in wb.worksheets:
        assert sheet.oddFooter.center.text == "第 &P 页，共 &N 页"
        assert sheet.page_setup.fitToWidth == 1


def test_circular_county_flags_default_from_lagging():
    c = circular(county_flagged=None)
    ws = _wb(circular_workbook(c))["县区进展"]
    h = _header_row(ws, "序号")
    names = {n for n, _ in c.lagging}
    for i in range(len(COUNTIES)):
        assert (_fill(ws.cell(h + 1 + i, 1)) is not None) == (ws.cell(h + 1 + i, 2).value in names)


def _docx_text(doc) -> str:
    # a title's line break and a 缺报 list's break opportunities (zero-width spaces) are layout, not text
    parts = [p.text.replace("\n", "") for p in doc.paragraphs]
    for t in doc.tables:
        for row in t.rows:
            parts.extend(cell.text.replace("\u200b", "") for cell in row.cells)
    return "\n".join(parts)


def test_circular_docx_content():
    c = circular()
    doc = Document(io.BytesIO(circular_docx(c)))
    text = _docx_text(doc)
    assert c.title in [p.text.replace("\n", "") for p in doc.paragraphs]
    assert f"\n{TITLE_BREAK}" in next(p.text for p in doc.paragraphs if TITLE_BREAK in p.text)   # breaks there
    assert "2026年第10期" in text and "市易地搬迁后续扶持工作领导小组办公室" in text
    for head in ("一、总体情况", "二、各县（市、区）进展", "三、安置点排名", "四、进度滞后县（市、区）及原因",
                 "五、下步要求"):
        assert head in text, head
    # the county table: header + one row per county, columns in §8 order
    county = [t for t in doc.tables if t.rows[0].cells[1].text.replace("\n", "") == "县(市、区)"]
    assert len(county) == 1
    assert len(county[0].rows) == 1 + len(COUNTIES)
    assert [cell.text.replace("\n", "") for cell in county[0].rows[0].cells] == COUNTY_COLUMNS
    assert county[0].rows[3].cells[1].text == "普安县"
    assert county[0].rows[1].cells[5].text == f.fmt_pct(c.county_table["就业率"].iloc[0])
    # flagged county rows shaded, others not
    for i, fl in enumerate(c.county_flagged):
        xml = county[0].rows[1 + i].cells[0]._tc.xml
        assert ("FDE2E1" in xml) == fl, i
    # header row repeats on each page and is shaded
    assert "w:tblHeader" in county[0].rows[0]._tr.xml and "D9E1F2" in county[0].rows[0].cells[0]._tc.xml
    # lagging reasons, interview suggestions, praise
    assert "（一）兴仁市。五好达标安置点1个，低于序时进度3个；零就业家庭2户。" in text
    assert "整改问题逾期3个。" in text and "整改问题逾期3个。。" not in text
    assert "建议约谈主要负责人：普安县" in text and "建议约谈：兴仁市、望谟县" in text
    assert "兴义市、安龙县、册亨县" in text
    assert "演示数据" in text
    # 68 sites -> top ten and bottom ten tables (with header) in the 安置点 columns of §8
    sites = [t for t in doc.tables if t.rows[0].cells[0].text == "排名"]
    assert [len(t.rows) for t in sites] == [11, 11]
    assert [cell.text.replace("\n", "") for cell in sites[0].rows[0].cells] == CIRCULAR_SITE_COLUMNS
    assert sites[0].rows[1].cells[0].text == "1" and sites[1].rows[-1].cells[0].text == "68"


def test_circular_docx_layout():
    c = circular(site_scope="all", demo=False)
    raw = circular_docx(c)
    doc = Document(io.BytesIO(raw))
    sites = [t for t in doc.tables if t.rows[0].cells[0].text == "排名"]
    assert len(sites) == 1 and len(sites[0].rows) == 69
    orient = [(s.page_width > s.page_height) for s in doc.sections]
    assert orient == [False, True, False]
    # both tables live in the landscape section: A4 sizes
    assert abs(doc.sections[1].page_width.mm - 297) < 1 and abs(doc.sections[0].page_width.mm - 210) < 1
    # East Asian fonts set explicitly, page number field in the footer
    assert 'w:eastAsia="仿宋"' in doc.styles["Normal"].element.xml
    assert 'w:eastAsia="黑体"' in doc.styles["Heading 1"].element.xml
    assert "PAGE" in doc.sections[0].footer._element.xml
    assert "演示数据" not in _docx_text(doc)
    import zipfile
    fonts = zipfile.ZipFile(io.BytesIO(raw)).read("word/fontTable.xml").decode()
    assert 'w:name="仿宋"' in fonts and "FangSong" in fonts


def test_circular_docx_no_lagging():
    c = circular(lagging=[], interview_suggestions=[], praise=[], county_flagged=None)
    text = _docx_text(Document(io.BytesIO(circular_docx(c))))
    assert "本月无进度滞后的县（市、区）" in text
    wb = _wb(circular_workbook(c))
    ws = wb["县区进展"]
    h = _header_row(ws, "序号")
    assert all(_fill(ws.cell(h + 1 + i, 1)) is None for i in range(len(COUNTIES)))


# ------------------------------------------------------------------------------------------------------ formatting

@pytest.mark.parametrize("x,out", [(93.24, "93.2%"), (93.25, "93.3%"), (0, "0.0%"), (100, "100.0%"),
                                   (99.96, "100.0%"), (float("nan"), "—"), (None, "—"), (pd.NA, "—"),
                                   (np.float64(12.345), "12.3%"), (-0.04, "0.0%")])
def test_fmt_pct(x, out):
    assert f.fmt_pct(x) == out


@pytest.mark.parametrize("n,out", [(0, "0人"), (812, "812人"), (9999, "9999人"), (10000, "1.0万人"),
                                   (341234, "34.1万人"), (np.int64(15000), "1.5万人"), (None, "—"),
                                   (float("nan"), "—")])
def test_fmt_people(n, out):
    assert f.fmt_people(n) == out


def test_fmt_score_and_deltas():
    assert f.fmt_score(87.345) == "87.35"
    assert f.fmt_score(0) == "0.00" and f.fmt_score(100) == "100.00" and f.fmt_score(math.nan) == "—"
    assert f.fmt_delta(1.2) == "+1.20" and f.fmt_delta(-0.8) == "-0.80"
    assert f.fmt_delta(0) == "0.00" and f.fmt_delta(-0.001) == "0.00" and f.fmt_delta(None) == "—"
    assert f.fmt_rank_delta(2) == "↑2" and f.fmt_rank_delta(-1) == "↓1"
    assert f.fmt_rank_delta(0) == "—" and f.fmt_rank_delta(np.nan) == "—"
    assert f.fmt_rank_delta(np.int64(3)) == "↑3"
    assert f.month_cn("2026-03") == "2026年3月" and f.date_cn(dt.date(2026, 10, 31)) == "2026年10月31日"
    assert f.fmt_pct("已是文本") == "已是文本"


def test_mask_id():
    s = "522301199001011234"
    m = f.mask_id(s)
    assert m.startswith("522301") and m.endswith("1234") and len(m) == 18
    assert "19900101" not in m
    assert f.mask_id(None) == "" and f.mask_id(float("nan")) == ""
    assert m == "522301********1234"
    assert f.mask_id("52230119") == "********"   # too short to keep 6 + 4: fully masked


# ------------------------------------------------------------------------------------------------------ audit/store

def test_save_circular_and_log_export(sqlite_engine):
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from data.exports import log_export, save_circular
    from data.models import AuditLog, Circular

    c = circular()
    with Session(sqlite_engine) as s:
        save_circular(s, c, username="督导甲", xlsx=b"x", docx=b"d")
        log_export(s, username="督导甲", what="安置点排名", month="2026-10")
        s.commit()
    with Session(sqlite_engine) as s:
        row = s.scalars(select(Circular)).one()
        assert (row.month, row.issue_no, row.title, row.xlsx_blob) == ("2026-10", 10, c.title, b"x")
        acts = [a.action for a in s.scalars(select(AuditLog).order_by(AuditLog.id))]
        assert acts == ["通报", "导出"]


def test_docx_column_widths_never_break_a_figure():
    """A table too wide for the page takes the room from its text columns (安置点, 缺报, 短板), which wrap; every
    other column keeps its natural width (a score or a rank never breaks over two lines), all within the page."""
    cols = ["排名", "安置点", "县", "总分", "缺报", "产业带动好", "短板", "排名区间"]
    units = [4, 26, 6, 5, 40, 6, 10, 5]
    usable = 120.0
    out = _widths_mm(cols, units, usable, font_pt=9)
    per_unit = 9 * 0.3528 / 2 * 1.06
    assert sum(out) <= usable + 1e-6
    for c, u, w in zip(cols, units, out):
        if c not in WRAP_COLUMNS:
            assert w >= u * per_unit, c
    assert out[cols.index("短板")] > out[cols.index("缺报")] * 0.5     # the short text column is not starved
    wide = _widths_mm(cols, units, 400.0, font_pt=9)                   # room enough: spread over the width
    assert abs(sum(wide) - 400.0) < 1e-6 and wide[cols.index("缺报")] > wide[cols.index("排名")]
