"""Monthly circular (domain.md §8) assembled from stored results on real demo data: content matches the store,
the Excel and Word files open with the expected content, issuing keeps both files and an audit entry."""
from __future__ import annotations

import datetime as dt
import math
import io

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from data import models as m
from data.db import create
from data.demo import build_demo
from data.exports import COUNTY_COLUMNS, circular_docx, circular_workbook
from services import circular as circ
from services import overview, results, settings, store
from services.audit import log_export

MONTH = "2026-10"


@pytest.fixture(scope="module")
def eng(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('circ') / 'demo.db'}"
    e = create(url)
    build_demo(e, months=3, end_month=MONTH, household_factor=0.02)
    store.precompute(e)
    yield e
    e.dispose()


@pytest.fixture(scope="module")
def c(eng):
    return circ.circular_data(eng, MONTH, issue_date=dt.date(2026, 11, 5))


def doc_text(raw: bytes) -> str:
    d = Document(io.BytesIO(raw))
    # a title's line break and the break opportunities in a 缺报 list (zero-width spaces) are layout, not text
    parts = [p.text.replace("\n", "") for p in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            parts.extend(cell.text.replace("\u200b", "") for cell in row.cells)
    return "\n".join(parts)


def test_header_title_issuer_cutoff(eng, c):
    city = settings.city_name(eng)
    assert c.issue_no == 10 and c.month == MONTH
    assert c.title == f"{city}易地搬迁后续扶持工作进展情况通报（2026年第10期）"
    assert "2026年第10期" in c.title
    assert c.issuer == f"{city}易地搬迁后续扶持工作领导小组办公室"   # full city name kept
    assert c.cutoff_date == dt.date(2026, 10, 31)
    assert c.catalogue_version == store.month_results(eng, MONTH).catalogue_version
    assert c.demo is True and "演示数据" in c.meta_line
    assert circ.circular_data(eng, MONTH, issue_no=3).title.endswith("（2026年第3期）")
    assert circ.circular_data(eng, "2026-09").issue_no == 9


def test_county_table_and_flags_match_the_store(eng, c):
    mr = store.month_results(eng, MONTH)
    cm = mr.county
    t = c.county_table
    assert list(t.columns) == COUNTY_COLUMNS
    assert len(t) == 8 and t["县(市、区)"].nunique() == 8
    flagged_names = {n for n, f in zip(t["县(市、区)"], c.county_flags()) if f}
    assert flagged_names == set(cm.counties.loc[cm.counties["flagged"], "county_name"])
    assert c.lagging and {n for n, _ in c.lagging} == flagged_names
    # reasons are exactly the store's flag sentences, in flag order
    for name, reasons in c.lagging:
        assert reasons == cm.flags.loc[cm.flags["county_name"] == name, "sentence"].tolist()
        assert reasons and all(not r.startswith("F") for r in reasons)
    esc = cm.counties[cm.counties["escalation"].fillna("") != ""]
    assert dict(c.interview_suggestions) == dict(zip(esc["county_name"], esc["escalation"]))
    assert c.praise and c.praise == list(cm.praise)
    assert len(c.site_table) == len(mr.scores.sites)
    assert c.site_table["排名"].is_monotonic_increasing


def test_city_totals_match_the_overview(eng, c):
    r = results.results(eng, MONTH)
    f = overview.city_figures(eng, r)
    tot = c.city_totals
    for label in ("安置点", "五好达标安置点", "搬迁人口", "劳动力", "就业率", "参训率", "持证率", "零就业家庭",
                  "权益落实率", "整改问题"):
        assert label in tot, label
    assert tot["安置点"] == f"{f.sites}个"
    assert tot["五好达标安置点"].startswith(f"{f.qualified}个")
    tile = next(k for k in overview.overview(eng, MONTH, None).kpis if k.key == "qualified")
    pace = tile.sub.split("序时进度")[1]                 # e.g. '19个': the tile and the circular agree
    assert pace == f"{math.floor(f.expected + 1e-9)}个"           # in whole sites (§5 compares ⌊expected⌋)
    assert f"序时进度{pace}" in tot["五好达标安置点"]
    assert tot["零就业家庭"] == f"{f.zero_emp}户"
    assert f"逾期{f.overdue}项" in tot["整改问题"]
    rect = circ.rectification_totals(eng, MONTH)
    assert rect.overdue == f.overdue and rect.found == rect.closed + rect.open
    # the city's training rate pools all labourers (= labour-weighted county rates)
    cn = r.counties
    lab = cn["labour"].sum()
    assert tot["参训率"] == f"{(cn['training_rate'] * cn['labour']).sum() / lab:.1f}%"


def test_workbook_has_three_sheets(c):
    wb = load_workbook(io.BytesIO(circular_workbook(c)))
    assert wb.sheetnames == ["通报正文", "县区进展", "安置点排名"]
    body = "\n".join(str(v) for row in wb["通报正文"].iter_rows(values_only=True) for v in row if v)
    assert c.title in body
    for name, _ in c.lagging:
        assert name in body
    counties = [r[1] for r in wb["县区进展"].iter_rows(min_row=4, max_row=11, values_only=True)]
    assert set(counties) == set(c.county_table["县(市、区)"])


def test_docx_has_title_and_every_lagging_county(c):
    text = doc_text(circular_docx(c))
    assert c.title in text and c.issuer in text
    for name, reasons in c.lagging:
        assert name in text
        assert c.say(reasons[0]) in text      # in the city's own wording (全州, 上升/下降)
    for name in c.praise:
        assert name in text


def test_issue_stores_files_and_audit_and_redownloads(eng):
    before = len(circ.issued(eng))
    cid = circ.issue(eng, MONTH, "supervisor")
    lst = circ.issued(eng)
    assert len(lst) == before + 1
    row = lst[lst["id"] == cid].iloc[0]
    assert row["月份"] == MONTH and row["期号"] == 10 and row["印发人"] == "supervisor"
    assert "2026年第10期" in row["标题"]
    with Session(eng) as s:
        stored = s.get(m.Circular, cid)
        xlsx, docx = bytes(stored.xlsx_blob), bytes(stored.docx_blob)
        audits = s.execute(select(m.AuditLog).where(m.AuditLog.action == "通报")).scalars().all()
    assert any(stored.title in a.detail and a.username == "supervisor" for a in audits)
    assert circ.download(eng, cid, "xlsx") == xlsx
    assert circ.download(eng, cid, "docx") == docx
    assert load_workbook(io.BytesIO(xlsx)).sheetnames == ["通报正文", "县区进展", "安置点排名"]
    assert row["标题"] in doc_text(docx)
    # issuing the month again keeps its number and adds an edition
    cid2 = circ.issue(eng, MONTH, "admin")
    lst = circ.issued(eng)
    assert lst.iloc[0]["id"] == cid2 and lst.iloc[0]["期号"] == 10 and lst.iloc[0]["版次"] == row["版次"] + 1
    with pytest.raises(LookupError):
        circ.download(eng, 999_999, "xlsx")
    with pytest.raises(ValueError):
        circ.download(eng, cid, "pdf")


def test_download_is_audited(eng):
    log_export(eng, "supervisor", "月度通报Excel（草稿）", MONTH, "测试")
    with Session(eng) as s:
        a = s.execute(select(m.AuditLog).where(m.AuditLog.action == "导出")
                      .order_by(m.AuditLog.id.desc())).scalars().first()
    assert a.username == "supervisor" and "月度通报Excel" in a.detail and MONTH in a.detail


def test_issue_and_redownload_on_both_databases(engine):
    """The multi-user path: issuing keeps both files byte for byte on SQLite and on PostgreSQL."""
    build_demo(engine, months=2, end_month=MONTH, household_factor=0.02)
    cid = circ.issue(engine, MONTH, "supervisor")
    with Session(engine) as s:
        stored = s.get(m.Circular, cid)
        xlsx, docx = bytes(stored.xlsx_blob), bytes(stored.docx_blob)
    assert circ.download(engine, cid, "xlsx") == xlsx and circ.download(engine, cid, "docx") == docx
    assert load_workbook(io.BytesIO(xlsx)).sheetnames == ["通报正文", "县区进展", "安置点排名"]
    lst = circ.issued(engine)
    assert len(lst) == 1 and lst.iloc[0]["期号"] == 10 and lst.iloc[0]["标题"] in doc_text(docx)
