"""Editable Word draft of the monthly circular (domain.md §8), built with python-docx.

Layout follows common 公文 practice: A4 portrait body (仿宋 三号, 28 pt fixed line spacing, 2-character first-line
indent, 黑体 level-1 and 楷体 level-2 headings), a red rule under the issuer line, page numbers ``— 1 —``, and the
wide county/site tables in an A4 landscape section (header row repeated on each page, header shading, flagged
rows shaded light red). Chinese fonts are set through ``w:eastAsia`` and declared in the font table with
Windows alternate names and the GB2312 charset, so Word/WPS fall back to a Chinese font of the same family.
"""
from __future__ import annotations

import io
from typing import Sequence

import pandas as pd
from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from data.exports.circular import CircularData, interview_groups, reason_text
from data.exports.layout import (CIRCULAR_SITE_COLUMNS, GRADES, RANK_INTERVAL_NOTE, column_kind, completeness_note,
                                 display_text, mask_id_columns, text_width)
from data.formatting import DASH, fmt_score

BODY_FONT = "仿宋"
TITLE_FONT = "宋体"
H1_FONT = "黑体"
H2_FONT = "楷体"
TABLE_FONT = "宋体"
LATIN_FONT = "Times New Roman"
# Chinese font -> (Windows alternate/English name, family, pitch) for the font table
_FONT_TABLE = {
    "仿宋": ("FangSong", "modern", "fixed"),
    "宋体": ("SimSun", "auto", "variable"),
    "黑体": ("SimHei", "modern", "fixed"),
    "楷体": ("KaiTi", "modern", "fixed"),
}
BODY_PT = 16          # 三号
LINE_PT = 28
HEADER_FILL = "D9E1F2"
FLAG_FILL = "FDE2E1"
RED = RGBColor(0xC0, 0x00, 0x00)
CN_NUM = "一二三四五六七八九十"
# where a narrow column's header may break (Word draft only; the Excel headers stay exactly the column names)
HEADER_BREAKS = {
    "产业带动好": "产业\n带动好", "就业帮扶好": "就业\n帮扶好", "公共服务好": "公共\n服务好",
    "精神状态好": "精神\n状态好", "融入环境好": "融入\n环境好", "同类排名": "同类\n排名", "排名区间": "排名\n区间",
    "零就业家庭": "零就业\n家庭", "权益落实率": "权益\n落实率", "县均得分": "县均\n得分", "安置点数": "安置\n点数",
    "整改逾期": "整改\n逾期", "达标/序时": "达标/\n序时", "搬迁人口": "搬迁\n人口", "县(市、区)": "县\n(市、区)",
    "指标完整度": "指标\n完整度",
}
# text columns that may wrap onto more lines when a table is too wide; every other column (numbers, ranks, county
# names, grades) keeps its full width, so no figure is ever broken over two lines
WRAP_COLUMNS = ("安置点", "缺报", "短板", "问题描述", "滞后原因", "约谈对象", "落实情况")
TITLE_BREAK = "工作进展情况通报"
TITLE_LINE_UNITS = 40       # a 二号 (22 pt) title line holds about 20 CJK characters on A4 portrait
KEEP_WHOLE_ROWS = 12        # tables of at most this many rows are never split over two pages
CELL_MARGIN_MM = 1.0       # each side of a table cell (Word's default is 1.9 mm)
CELL_PAD_MM = 2 * CELL_MARGIN_MM + 0.6


def _widths_mm(cols: list[str], units: list[float], usable_mm: float, font_pt: float) -> list[float]:
    """Column widths (mm) for display widths `units` (text_width, a CJK character = 2): at their natural width
    when the table fits (spread over the usable width); when it does not, the wrapping text columns give up the
    room and the others keep their natural width (a number never wraps); proportional only as a last resort."""
    per_unit = font_pt * 0.3528 / 2 * 1.06             # mm of a half-width character (a CJK one is two)
    natural = [u * per_unit + CELL_PAD_MM for u in units]
    total = sum(natural)
    if total <= usable_mm:
        return [usable_mm * w / total for w in natural]
    wrap = [j for j, c in enumerate(cols) if c in WRAP_COLUMNS]
    room = usable_mm - sum(w for j, w in enumerate(natural) if j not in wrap)
    floor = sum(min(natural[j], 4 * 2 * per_unit + CELL_PAD_MM) for j in wrap)     # four CJK characters each
    if wrap and room >= floor:
        out = list(natural)
        # fair shares: the narrowest text column first gets its whole width if its share allows, the widest
        # ones split what is left (a short 短板 stays on one line, a long 缺报 list wraps)
        left = room
        order = sorted(wrap, key=lambda j: natural[j])
        for k, j in enumerate(order):
            out[j] = min(natural[j], left / (len(order) - k))
            left -= out[j]
        return out
    return [usable_mm * w / total for w in natural]


# ---------------------------------------------------------------------------------------------------------------
# low-level helpers

def _set_fonts(rpr_owner, east: str, size: float | None = None, bold: bool | None = None,
               latin: str = LATIN_FONT) -> None:
    """Set Latin + East Asian font on a run or a style (removing theme fonts that would override it)."""
    font = rpr_owner.font
    font.name = latin
    if size is not None:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    rpr = rpr_owner.element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        if rfonts.get(qn(attr)) is not None:
            del rfonts.attrib[qn(attr)]
    rfonts.set(qn("w:ascii"), latin)
    rfonts.set(qn("w:hAnsi"), latin)
    rfonts.set(qn("w:eastAsia"), east)
    rfonts.set(qn("w:hint"), "eastAsia")


def _run(paragraph, text: str, *, east: str = BODY_FONT, size: float = BODY_PT, bold: bool = False,
         color: RGBColor | None = None):
    r = paragraph.add_run(text)
    _set_fonts(r, east, size, bold)
    if color is not None:
        r.font.color.rgb = color
    return r


def _fmt(paragraph, *, align=None, indent_chars: float = 0, size: float = BODY_PT, line: float | None = LINE_PT,
         before: float = 0, after: float = 0, keep_next: bool = False):
    pf = paragraph.paragraph_format
    if align is not None:
        paragraph.alignment = align
    pf.first_line_indent = Pt(size * indent_chars) if indent_chars else None
    if line is not None:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = Pt(line)
    pf.space_before = Pt(before)
    pf.space_after = Pt(after)
    if keep_next:
        pf.keep_with_next = True
    return paragraph


def _add_field(paragraph, instr: str, *, east: str = TABLE_FONT, size: float = 14):
    """A Word field (PAGE, NUMPAGES) with a cached '1' so viewers that do not update fields still show a number."""
    def el(tag, **attrs):
        e = OxmlElement(tag)
        for k, v in attrs.items():
            e.set(qn(k), v)
        return e
    r = _run(paragraph, "", east=east, size=size)
    r._r.append(el("w:fldChar", **{"w:fldCharType": "begin"}))
    r = _run(paragraph, "", east=east, size=size)
    it = el("w:instrText", **{"xml:space": "preserve"})
    it.text = f" {instr} "
    r._r.append(it)
    r = _run(paragraph, "", east=east, size=size)
    r._r.append(el("w:fldChar", **{"w:fldCharType": "separate"}))
    _run(paragraph, "1", east=east, size=size)
    r = _run(paragraph, "", east=east, size=size)
    r._r.append(el("w:fldChar", **{"w:fldCharType": "end"}))


def _shade(cell, fill: str) -> None:
    tcpr = cell._tc.get_or_add_tcPr()
    for old in tcpr.findall(qn("w:shd")):
        tcpr.remove(old)
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tcpr.append(shd)


def _row_props(row, *, header: bool = False, min_height_twips: int = 300) -> None:
    trpr = row._tr.get_or_add_trPr()
    cs = OxmlElement("w:cantSplit")
    trpr.append(cs)
    h = OxmlElement("w:trHeight")
    h.set(qn("w:val"), str(min_height_twips))
    h.set(qn("w:hRule"), "atLeast")
    trpr.append(h)
    if header:
        th = OxmlElement("w:tblHeader")
        trpr.append(th)


def _bottom_rule(paragraph, color: str = "C00000", size_eighths: int = 12) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    bdr = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    bottom.set(qn("w:val"), "single")
    bottom.set(qn("w:sz"), str(size_eighths))
    bottom.set(qn("w:space"), "4")
    bottom.set(qn("w:color"), color)
    bdr.append(bottom)
    ppr.append(bdr)


def _page(section, *, landscape: bool) -> None:
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Mm(297), Mm(210)
        section.top_margin = section.bottom_margin = Mm(18)
        section.left_margin = section.right_margin = Mm(18)
    else:
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(37), Mm(30)
        section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance = Mm(15)
    section.footer_distance = Mm(15)


def _register_fonts(doc) -> None:
    """Declare the Chinese fonts in word/fontTable.xml (alternate Windows names, GB2312 charset)."""
    for rel in doc.part.rels.values():
        if rel.reltype != RT.FONT_TABLE:
            continue
        part = rel.target_part
        blob = part.blob.decode("utf-8")
        entries = []
        for name, (alt, family, pitch) in _FONT_TABLE.items():
            if f'w:name="{name}"' in blob:
                continue
            entries.append(f'<w:font w:name="{name}"><w:altName w:val="{alt}"/><w:charset w:val="86"/>'
                           f'<w:family w:val="{family}"/><w:pitch w:val="{pitch}"/></w:font>')
        if entries and "</w:fonts>" in blob:
            blob = blob.replace("</w:fonts>", "".join(entries) + "</w:fonts>")
            part._blob = blob.encode("utf-8")


def _setup_styles(doc) -> None:
    st = doc.styles
    normal = st["Normal"]
    _set_fonts(normal, BODY_FONT, BODY_PT)
    for name, east in (("Heading 1", H1_FONT), ("Heading 2", H2_FONT)):
        s = st[name]
        _set_fonts(s, east, BODY_PT, False)
        s.font.color.rgb = RGBColor(0, 0, 0)
        s.font.italic = False
        pf = s.paragraph_format
        pf.space_before = Pt(0)
        pf.space_after = Pt(0)
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = Pt(LINE_PT)
        pf.first_line_indent = Pt(BODY_PT * 2)
        pf.keep_with_next = True


# ---------------------------------------------------------------------------------------------------------------
# content helpers

def _para(doc, text: str = "", **kw):
    p = doc.add_paragraph()
    _fmt(p, indent_chars=kw.pop("indent_chars", 2), align=kw.pop("align", WD_ALIGN_PARAGRAPH.JUSTIFY),
         size=kw.get("size", BODY_PT), line=kw.pop("line", LINE_PT), before=kw.pop("before", 0),
         after=kw.pop("after", 0), keep_next=kw.pop("keep_next", False))
    if text:
        _run(p, text, **kw)
    return p


def _heading(doc, text: str, level: int = 1):
    h = doc.add_paragraph(style="Heading 1" if level == 1 else "Heading 2")
    _run(h, text, east=H1_FONT if level == 1 else H2_FONT)
    return h


def _lead_para(doc, lead: str, rest: str):
    """'（一）对标补短。' in 楷体 followed by the body text."""
    p = _para(doc)
    _run(p, lead, east=H2_FONT)
    if rest:
        _run(p, rest)
    return p


def _caption(doc, text: str):
    p = _para(doc, text, indent_chars=0, align=WD_ALIGN_PARAGRAPH.CENTER, east=H1_FONT, size=14, line=24,
              before=6, after=4, keep_next=True)
    return p


def _note(doc, text: str):
    return _para(doc, text, indent_chars=0, align=WD_ALIGN_PARAGRAPH.LEFT, size=10.5, line=16, before=3,
                 east=TABLE_FONT)


def _table(doc, table: pd.DataFrame, flags: Sequence[bool], *, usable_mm: float, font_pt: float = 10):
    """A bordered table: shaded header repeated on every page, flagged rows shaded, widths from the text."""
    usable_mm = float(getattr(usable_mm, "mm", usable_mm))      # a docx Length (EMU) or plain millimetres
    cols = [str(c) for c in table.columns]
    kinds = [column_kind(c, table[c]) for c in table.columns]
    texts = [[display_text(v, kinds[j]) for j, v in enumerate(row)] for row in table.itertuples(index=False)]
    need, heads = [], []
    for j, c in enumerate(cols):
        data_w = max([text_width(r[j]) for r in texts], default=2)
        lines = [c]
        if text_width(c) > data_w + 2 and c in HEADER_BREAKS:   # break at a word boundary, not mid-word
            lines = HEADER_BREAKS[c].split("\n")
        heads.append(lines)
        need.append(max(data_w, max(text_width(x) for x in lines), 2))
    widths = [Mm(w) for w in _widths_mm(cols, need, usable_mm, font_pt)]

    t = doc.add_table(rows=1 + len(texts), cols=len(cols))
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.autofit = False
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        m = OxmlElement(f"w:{side}")
        m.set(qn("w:w"), str(int(Mm(CELL_MARGIN_MM).twips)))
        m.set(qn("w:type"), "dxa")
        margins.append(m)
    t._tbl.tblPr.append(margins)
    grid = t._tbl.tblGrid
    for j, gc in enumerate(grid.findall(qn("w:gridCol"))):
        gc.set(qn("w:w"), str(int(widths[j].twips)))

    def fill(cell, text: str | list[str], *, bold: bool = False, align=WD_ALIGN_PARAGRAPH.CENTER):
        cell.width = widths[cell_index[0]]
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        p = cell.paragraphs[0]
        _fmt(p, align=align, size=font_pt, line=None)
        p.paragraph_format.line_spacing = 1.0
        for k, line in enumerate([text] if isinstance(text, str) else text):
            r = _run(p, line, east=TABLE_FONT, size=font_pt, bold=bold)
            if k:
                r._r.insert(r._r.index(r._r.find(qn("w:t"))), OxmlElement("w:br"))

    cell_index = [0]
    hdr = t.rows[0]
    _row_props(hdr, header=True)
    for j, c in enumerate(cols):
        cell_index[0] = j
        fill(hdr.cells[j], heads[j], bold=True)
        _shade(hdr.cells[j], HEADER_FILL)
    for i, row in enumerate(texts):
        tr = t.rows[i + 1]
        _row_props(tr)
        for j, text in enumerate(row):
            cell_index[0] = j
            left = cols[j] in ("安置点", "短板") and text != DASH
            if cols[j] == "缺报":          # a list of codes breaks after a 、, never inside a code (I1, S3)
                text = text.replace("、", "、\u200b")
            fill(tr.cells[j], text, align=WD_ALIGN_PARAGRAPH.LEFT if left else WD_ALIGN_PARAGRAPH.CENTER)
            if flags[i]:
                _shade(tr.cells[j], FLAG_FILL)
    # keep the table's last row with the note under it (no orphan notes); a short table (a page or less) is kept
    # whole: it moves to the next page rather than leaving two rows behind
    for row in (t.rows if len(texts) <= KEEP_WHOLE_ROWS else t.rows[-1:]):
        for cell in row.cells:
            for p in cell.paragraphs:
                p.paragraph_format.keep_with_next = True
    return t


def _names_with(table: pd.DataFrame, name_col: str, value_col: str, rows: pd.DataFrame, unit: str = "分") -> str:
    out = []
    for _, r in rows.iterrows():
        out.append(f"{r[name_col]}（{fmt_score(r[value_col])}{unit}）" if value_col in rows.columns
                   else str(r[name_col]))
    return "、".join(out)


def _sorted_by_rank(t: pd.DataFrame) -> pd.DataFrame:
    if "排名" in t.columns and pd.api.types.is_numeric_dtype(pd.to_numeric(t["排名"], errors="coerce")):
        return t.assign(_r=pd.to_numeric(t["排名"], errors="coerce")).sort_values("_r", kind="stable").drop(
            columns="_r")
    return t


# ---------------------------------------------------------------------------------------------------------------

def _signature_pt(issuer: str, usable) -> float:
    """Largest size up to BODY_PT (half-point steps) at which the issuer plus a 2-character indent fits one line."""
    chars = text_width(issuer) / 2 + 2 + 0.5            # CJK characters incl. the indent and a safety margin
    fit = usable.pt / chars
    return float(min(BODY_PT, max(12.0, int(fit * 2) / 2)))


def circular_docx(c: CircularData) -> bytes:
    """Editable Word draft of the circular: 一、总体情况 二、各县（市、区）进展 三、安置点排名 四、进度滞后县（市、区）
    及原因 五、下步要求, with the county and site tables in a landscape section."""
    doc = Document()
    _register_fonts(doc)
    _setup_styles(doc)
    sec = doc.sections[0]
    _page(sec, landscape=False)
    fp = sec.footer.paragraphs[0]
    _fmt(fp, align=WD_ALIGN_PARAGRAPH.CENTER, size=14, line=None)
    _run(fp, "— ", east=TABLE_FONT, size=14)
    _add_field(fp, "PAGE")
    _run(fp, " —", east=TABLE_FONT, size=14)
    doc.core_properties.title = c.title
    doc.core_properties.author = c.issuer
    doc.core_properties.subject = f"{c.month_cn}易地搬迁后续扶持工作进展情况"

    # --- header block
    if c.demo:
        _para(doc, "【演示数据】本通报由演示数据生成，仅用于功能演示，不得作为工作依据。", indent_chars=0,
              align=WD_ALIGN_PARAGRAPH.CENTER, size=12, line=20, color=RED, east=H1_FONT, after=6)
    # a title longer than a line breaks before 工作进展情况通报, not wherever the line happens to end (…工/作…)
    head, sep, tail = c.title.partition(TITLE_BREAK)
    two = bool(sep) and bool(head) and text_width(c.title) > TITLE_LINE_UNITS
    p = _para(doc, head if two else c.title, indent_chars=0, align=WD_ALIGN_PARAGRAPH.CENTER, east=TITLE_FONT,
              size=22, bold=True, line=36, before=6, after=12)
    if two:
        r = _run(p, sep + tail, east=TITLE_FONT, size=22, bold=True)
        r._r.insert(r._r.index(r._r.find(qn("w:t"))), OxmlElement("w:br"))
    if c.issue_line not in c.title:
        _para(doc, c.issue_line, indent_chars=0, align=WD_ALIGN_PARAGRAPH.CENTER, east=BODY_FONT, size=BODY_PT)
    usable_portrait = Mm(210 - 28 - 26)
    # issuer and date share one line when they fit (about 30 CJK characters at 14 pt on A4 portrait);
    # a long issuer (a full autonomous-prefecture name) gets the date on its own right-aligned line
    if (text_width(c.issuer) + text_width(c.issue_date_cn)) / 2 + 2 <= 30:
        p = _para(doc, indent_chars=0, align=WD_ALIGN_PARAGRAPH.LEFT, after=6)
        p.paragraph_format.tab_stops.add_tab_stop(usable_portrait, WD_TAB_ALIGNMENT.RIGHT)
        _run(p, c.issuer, size=14)
        _run(p, "\t" + c.issue_date_cn, size=14)
    else:
        _run(_para(doc, indent_chars=0, align=WD_ALIGN_PARAGRAPH.LEFT, after=0), c.issuer, size=14)
        p = _para(doc, indent_chars=0, align=WD_ALIGN_PARAGRAPH.RIGHT, after=6)
        _run(p, c.issue_date_cn, size=14)
    _bottom_rule(p)
    _para(doc, c.meta_line, indent_chars=0, align=WD_ALIGN_PARAGRAPH.CENTER, size=12, line=20, after=6,
          color=RED if c.demo else None)

    _para(doc, f"为全面掌握{c.whole}易地搬迁后续扶持工作进展，推动安置点五好社区创建任务落实，现将{c.month_cn}"
               f"各县（市、区）工作进展情况通报如下。")

    # --- 一、总体情况
    _heading(doc, "一、总体情况")
    totals = "，".join(f"{k}{v}" for k, v in c.city_totals.items())
    _para(doc, f"截至{c.cutoff_cn}，{c.whole}{totals}。" if totals else f"截至{c.cutoff_cn}，本月数据见附表。")
    st = mask_id_columns(c.site_table.reset_index(drop=True))
    if "等次" in st.columns and len(st):
        counts = st["等次"].value_counts()
        parts = [f"{g}{int(counts.get(g, 0))}个" for g in GRADES]
        txt = f"从安置点五好社区创建评价看，{c.whole}{len(st)}个安置点中，等次为" + "、".join(parts)
        if "达标" in st.columns:
            ok = int(sum(1 for v in st["达标"] if v is True or v == "是" or (not isinstance(v, str) and v == 1)))
            txt += f"；达到五好社区标准的{ok}个"
        _para(doc, txt + "。")

    # --- landscape section: 二、三
    sec2 = doc.add_section(WD_SECTION.NEW_PAGE)
    _page(sec2, landscape=True)
    usable_land = 297 - 36
    _heading(doc, "二、各县（市、区）进展")
    ct = c.county_table.reset_index(drop=True)
    cflags = c.county_flags()
    sentences = []
    if "县均得分" in ct.columns and "县(市、区)" in ct.columns and len(ct):
        top = _sorted_by_rank(ct).head(3)
        sentences.append(f"县均得分排名前三的是{_names_with(ct, '县(市、区)', '县均得分', top)}")
    n_flag = sum(cflags)
    sentences.append(f"本月有{n_flag}个县（市、区）进度滞后（表中浅红底色标注），具体原因见第四部分"
                     if n_flag else "本月无进度滞后的县（市、区）")
    if c.praise:
        sentences.append(f"{'、'.join(c.praise)}县均得分较上月上升较多，争先进位成效明显，予以通报表扬")
    _para(doc, "；".join(sentences) + "。")
    _caption(doc, f"表1　{c.city_name}各县（市、区）易地搬迁后续扶持工作进展情况（{c.month_cn}）")
    _table(doc, ct, cflags, usable_mm=usable_land, font_pt=10)
    _note(doc, "注：达标/序时为五好达标安置点数/按创建计划应达到的序时进度；较上月为县均得分较上月变化；"
               "浅红底色为进度滞后县（市、区）。")

    _heading(doc, "三、安置点排名")
    sflags = c.site_flags()
    cols = [col for col in CIRCULAR_SITE_COLUMNS if col in st.columns] or list(st.columns)
    sv = st[cols]
    scope = c.site_scope
    if scope == "auto":
        scope = "all" if len(sv) <= 20 else "top_bottom"
    if "安置点" in sv.columns and "总分" in sv.columns and len(sv):
        ordered = _sorted_by_rank(sv)
        top3 = _names_with(sv, "安置点", "总分", ordered.head(3))
        bottom3 = _names_with(sv, "安置点", "总分", ordered.tail(3).iloc[::-1])
        _para(doc, f"本月{c.whole}{len(sv)}个安置点参与排名，总分前三的是{top3}；排名靠后的是{bottom3}。")
    if scope == "all" or len(sv) <= 20:
        _caption(doc, f"表2　{c.city_name}易地搬迁安置点五好社区创建排名（{c.month_cn}）")
        _table(doc, sv, sflags, usable_mm=usable_land, font_pt=9)
    else:
        order = list(_sorted_by_rank(sv).index)
        top, bottom = order[:10], order[-10:]
        _caption(doc, f"表2　排名前十的安置点（{c.month_cn}）")
        _table(doc, sv.loc[top], [sflags[i] for i in top], usable_mm=usable_land, font_pt=9)
        _caption(doc, f"表3　排名后十的安置点（{c.month_cn}）")
        _table(doc, sv.loc[bottom], [sflags[i] for i in bottom], usable_mm=usable_land, font_pt=9)
    notes = []
    if scope != "all" and len(sv) > 20:
        notes.append(f"全部{len(sv)}个安置点的排名见同期Excel通报“安置点排名”工作表。")
    if "排名区间" in sv.columns:
        notes.append(RANK_INTERVAL_NOTE)
    if completeness_note(sv):
        notes.append(completeness_note(sv))
    if any(sflags):
        notes.append("浅红底色为本月未达到五好社区标准的安置点。")
    if notes:
        _note(doc, "注：" + "".join(notes))

    # --- portrait again: 四、五
    sec3 = doc.add_section(WD_SECTION.NEW_PAGE)
    _page(sec3, landscape=False)
    _heading(doc, "四、进度滞后县（市、区）及原因")
    if c.lagging:
        for i, (county, reasons) in enumerate(c.lagging):
            _lead_para(doc, f"（{CN_NUM[i] if i < len(CN_NUM) else i + 1}）{county}。", c.say(reason_text(reasons)))
    else:
        _para(doc, "本月无进度滞后的县（市、区）。")
    groups = interview_groups(c)
    if groups:
        _para(doc, "根据连续滞后情况，提出约谈建议如下：" +
              "；".join(f"{level}：{'、'.join(counties)}" for level, counties in groups) + "。")

    next_no = "五"
    if c.followup:
        _heading(doc, "五、四个跟进落实情况")
        for i, text in enumerate(c.followup):
            head, sep, rest = c.say(text).partition("：")
            num = f"（{CN_NUM[i] if i < len(CN_NUM) else i + 1}）"
            if sep:
                _lead_para(doc, f"{num}{head}。", rest)
            else:
                _para(doc, num + text)
        if c.interview_cases is not None and len(c.interview_cases):
            n_table = 3 if scope == "all" or len(sv) <= 20 else 4
            _caption(doc, f"表{n_table}　约谈案件落实情况（截至{c.cutoff_cn}）")
            ct = c.interview_cases.drop(columns=["滞后原因"], errors="ignore").reset_index(drop=True)
            ct = ct[[col for col in ct.columns if ct[col].astype(str).str.strip().ne("").any()]]   # no empty column
            _table(doc, ct, list(c.interview_late), usable_mm=usable_portrait, font_pt=9)
            if any(c.interview_late):
                _note(doc, "注：浅红底色为上期建议约谈、至今仍待约谈的县（市、区）。")
        next_no = "六"
    _heading(doc, f"{next_no}、下步要求")
    for i, text in enumerate(c.requirement_paragraphs()):
        head, sep, rest = text.partition("。")
        num = f"（{CN_NUM[i] if i < len(CN_NUM) else i + 1}）"
        if sep and rest and len(head) <= 20:
            _lead_para(doc, f"{num}{head}。", rest)
        else:
            _para(doc, num + text)

    _para(doc)
    _para(doc)
    # signature: issuer right-aligned with a 2-character right indent on ONE line (a long issuer such as a full
    # autonomous-prefecture name is set a little smaller instead of wrapping 办公室 onto its own line), the date
    # centred under it in the same size
    sig_pt = _signature_pt(c.issuer, usable_portrait)
    sig = _para(doc, c.issuer, indent_chars=0, align=WD_ALIGN_PARAGRAPH.RIGHT, size=sig_pt)
    sig.paragraph_format.right_indent = Pt(sig_pt * 2)
    date_p = _para(doc, c.issue_date_cn, indent_chars=0, align=WD_ALIGN_PARAGRAPH.RIGHT, size=sig_pt)
    pad = max(0, text_width(c.issuer) - text_width(c.issue_date_cn)) / 4 + 2   # in 2-unit CJK characters
    date_p.paragraph_format.right_indent = Pt(sig_pt * pad)

    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
