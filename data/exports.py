"""Print-ready exports: site ranking (Excel / CSV) and the monthly circular (月度通报, Excel + Word draft).

Exporters are pure functions from plain DataFrames with Chinese headers (scoring.tables) to file bytes.
They never recompute anything; they only lay out and format what they are given:

- percentages (0-100) show as ``93.2%``, scores with 2 decimals, signed changes ``+1.20``, rank changes ``↑2``;
  the cell keeps the number (so the sheet still sorts and sums) and a number format does the display;
- ID-number columns (身份证号 etc.) are masked (first 6 + last 4) unless ``allow_full_ids=True``;
- every sheet: A4 landscape, fit to one page wide, merged title + subtitle, header repeated on every printed
  page, panes frozen below the header, thin borders, rows needing attention filled light red,
  footer ``第 &P 页，共 &N 页``.

The Word draft lives in data/exports_docx.py and is re-exported here (``circular_docx``).
Audit: callers record each export with ``log_export`` (domain.md §10) and keep issued circulars with
``save_circular``.
"""
from __future__ import annotations

import io
import math
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from data import audit
from data.formatting import (DASH, date_cn, fmt_bool, fmt_delta, fmt_num, fmt_pct, fmt_range, fmt_rank_delta,
                             is_missing, mask_id, month_cn)
from data.models import Circular

# --------------------------------------------------------------------------------------------------------------
# Shared vocabulary

DIMENSIONS = ["产业带动好", "就业帮扶好", "公共服务好", "精神状态好", "融入环境好"]
RANKING_COLUMNS = ["排名", "同类排名", "安置点编码", "安置点", "县", "规模", "总分", *DIMENSIONS, "等次", "达标",
                   "较上月", "短板", "排名区间"]
COUNTY_COLUMNS = ["序号", "县(市、区)", "安置点数", "搬迁人口", "劳动力", "就业率", "参训率", "持证率", "零就业家庭",
                  "达标/序时", "权益落实率", "整改逾期", "县均得分", "排名", "较上月"]
# §8 site table of the circular (no site code: the official reads names)
CIRCULAR_SITE_COLUMNS = ["排名", "同类排名", "安置点", "县", "规模", "总分", *DIMENSIONS, "等次", "达标", "较上月",
                         "短板", "排名区间"]

RANK_INTERVAL_NOTE = "排名区间为稳健性分析的5%–95%区间，相差两三位的名次差异不具有实际意义。"
DEMO_MARK = "演示数据"
ISSUER = "市易地搬迁后续扶持工作领导小组办公室"

# Formatting kinds
PCT, SCORE, DELTA, RANK_DELTA, INT, PEOPLE, BOOL, RANGE, TEXT, NUM = (
    "pct", "score", "delta", "rank_delta", "int", "people", "bool", "range", "text", "num")
_NUMBER_FORMATS = {
    PCT: '0.0"%"',                       # the value stays 0-100, as everywhere in the project
    SCORE: "0.00",
    DELTA: '+0.00;-0.00;0.00',
    RANK_DELTA: '"↑"0;"↓"0;"—"',
    INT: "0",
    PEOPLE: "#,##0",
    NUM: "0.00",
}
_ID_COLUMN = re.compile(r"身份证|证件号|head_id|person_id|id_no|id_number", re.I)

FONT_NAME = "宋体"          # present on every Chinese Windows/WPS install; LibreOffice substitutes a CJK serif
TITLE_FONT_NAME = "黑体"
FILL_HEADER = PatternFill("solid", fgColor="D9E1F2")
FILL_FLAG = PatternFill("solid", fgColor="FDE2E1")     # light red: rows needing attention
FILL_LABEL = PatternFill("solid", fgColor="F2F2F2")
_THIN = Side(style="thin", color="808080")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
FOOTER_TEXT = "第 &P 页，共 &N 页"


def column_kind(name: str, series: pd.Series | None = None) -> str:
    """Formatting kind of a column, from its Chinese header (and dtype when the header says nothing)."""
    n = str(name)
    if _ID_COLUMN.search(n):
        return TEXT
    if n in ("排名区间", "名次区间"):
        return RANGE
    if n in ("较上月排名", "名次变化", "排名变化", "排名较上月"):
        return RANK_DELTA
    if n.startswith("较上月") or n.endswith("变化") or n.startswith("Δ"):
        if series is not None and _is_integer_series(series):
            return RANK_DELTA
        return DELTA if series is None or _is_numeric_series(series) else TEXT
    if n.endswith("率") or "占比" in n or n.endswith("%") or n.endswith("（%）") or n.endswith("(%)"):
        return PCT
    if n in ("总分", "县均得分", "得分") or n.endswith("得分") or n in DIMENSIONS:
        return SCORE
    if "人口" in n or n.endswith("人数") or n == "劳动力":
        return PEOPLE
    if n in ("排名", "同类排名", "序号", "安置点数", "劳动力", "零就业家庭", "整改逾期", "户数", "个数") \
            or n.endswith("数") or n.endswith("户"):
        if series is None or _is_numeric_series(series):
            return INT
    if series is not None:
        if pd.api.types.is_bool_dtype(series.dtype) or _is_bool_object(series):
            return BOOL
        if _is_integer_series(series):
            return INT
        if _is_numeric_series(series):
            return NUM
    return TEXT


def _is_numeric_series(s: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(s.dtype):
        return False
    if pd.api.types.is_numeric_dtype(s.dtype):
        return True
    vals = [v for v in s.tolist() if not is_missing(v)]
    return bool(vals) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals)


def _is_integer_series(s: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(s.dtype):
        return False
    if pd.api.types.is_integer_dtype(s.dtype):
        return True
    if not _is_numeric_series(s):
        return False
    vals = [v for v in s.tolist() if not is_missing(v)]
    return pd.api.types.is_integer_dtype(s.dtype) or (
        pd.api.types.is_object_dtype(s.dtype) and all(isinstance(v, int) for v in vals))


def _is_bool_object(s: pd.Series) -> bool:
    vals = [v for v in s.tolist() if not is_missing(v)]
    return bool(vals) and all(isinstance(v, bool) or type(v).__name__ == "bool_" for v in vals)


def display_text(value: Any, kind: str) -> str:
    """How a cell reads on paper (used for CSV/Word and for width estimates)."""
    if kind == RANGE:
        return _range_text(value)
    if kind == BOOL:
        return fmt_bool(value) if not isinstance(value, str) else value
    if isinstance(value, str):
        return value
    if is_missing(value):
        return DASH
    if kind == PCT:
        return fmt_pct(value)
    if kind in (SCORE, NUM):
        return fmt_num(value, 2)
    if kind == DELTA:
        return fmt_delta(value)
    if kind == RANK_DELTA:
        return fmt_rank_delta(value)
    if kind == PEOPLE:
        return f"{int(round(float(value))):,}"
    if kind == INT:
        return str(int(round(float(value))))
    if isinstance(value, bool):
        return fmt_bool(value)
    return str(value)


def _range_text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip() or DASH
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return fmt_range(value[0], value[1])
    if is_missing(value):
        return DASH
    return str(value)


def text_width(s: str) -> int:
    """Display width: CJK/full-width characters count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(s))


def mask_id_columns(table: pd.DataFrame, allow_full_ids: bool = False) -> pd.DataFrame:
    """Copy of `table` with ID-number columns masked (domain.md §10)."""
    if allow_full_ids:
        return table
    cols = [c for c in table.columns if _ID_COLUMN.search(str(c))]
    if not cols:
        return table
    out = table.copy()
    for c in cols:
        out[c] = out[c].map(lambda v: mask_id(v) if not is_missing(v) else "")
    return out


# --------------------------------------------------------------------------------------------------------------
# Sheet writer

@dataclass
class SheetLayout:
    header_row: int
    first_data_row: int
    last_data_row: int
    n_cols: int


def _font(size: float = 10.5, bold: bool = False, name: str = FONT_NAME, color: str | None = None) -> Font:
    return Font(name=name, size=size, bold=bold, color=color)


def _page_setup(ws: Worksheet, *, title_rows: str | None, last_row: int, last_col: int,
                landscape: bool = True) -> None:
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0          # as many pages tall as needed
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = 0.55
    ws.page_margins.bottom = 0.65
    ws.page_margins.header = 0.3
    ws.page_margins.footer = 0.3
    if title_rows:
        ws.print_title_rows = title_rows
    ws.print_area = f"A1:{get_column_letter(last_col)}{last_row}"
    ws.oddFooter.center.text = FOOTER_TEXT
    ws.oddFooter.center.size = 9
    ws.oddFooter.center.font = f"{FONT_NAME},常规"
    ws.evenFooter.center.text = FOOTER_TEXT
    ws.sheet_view.zoomScale = 100


def _merged_line(ws: Worksheet, row: int, n_cols: int, text: str, *, font: Font, height: float | None = None,
                 align: str = "center", wrap: bool = True, first_col: int = 1) -> None:
    last = max(first_col, n_cols)
    if last > first_col:
        ws.merge_cells(start_row=row, start_column=first_col, end_row=row, end_column=last)
    c = ws.cell(row=row, column=first_col, value=text)
    c.font = font
    c.alignment = Alignment(horizontal=align, vertical="center", wrap_text=wrap)
    if height is not None:
        ws.row_dimensions[row].height = height


def _lines_needed(text: str, width_units: float) -> int:
    if width_units <= 0:
        return 1
    return sum(max(1, math.ceil(text_width(part) / width_units)) for part in str(text).split("\n"))


def _highlight_mask(table: pd.DataFrame, highlight: Any, flagged_col: str | None) -> list[bool]:
    """Rows to fill. `highlight` (bool Series / sequence, aligned by position) wins; else rows whose
    `flagged_col` is falsy (默认 达标 = 否) or whose 等次 is 不合格."""
    n = len(table)
    if highlight is not None:
        vals = list(highlight.tolist() if isinstance(highlight, pd.Series) else highlight)
        if len(vals) != n:
            raise ValueError(f"highlight has {len(vals)} values for {n} rows")
        return [bool(v) and not is_missing(v) for v in vals]
    if flagged_col is None or flagged_col not in table.columns:
        return [False] * n
    out = []
    for i in range(n):
        v = table[flagged_col].iloc[i]
        bad = (v in ("否", "", DASH) or v is False) if isinstance(v, (str, bool)) else (is_missing(v) or not bool(v))
        if "等次" in table.columns and table["等次"].iloc[i] == "不合格":
            bad = True
        out.append(bool(bad))
    return out


def write_table_sheet(ws: Worksheet, table: pd.DataFrame, *, title: str, subtitle: str | None = None,
                      footnotes: Sequence[str] = (), highlight: Sequence[bool] | None = None,
                      formats: dict[str, str] | None = None, font_size: float = 10.5,
                      max_width: int = 34) -> SheetLayout:
    """Title (row 1), subtitle (row 2), header (row 3), one row per table row, then footnotes."""
    cols = [str(c) for c in table.columns]
    n_cols = max(1, len(cols))
    kinds = [(formats or {}).get(c) or column_kind(c, table[c]) for c in table.columns]
    flags = list(highlight) if highlight is not None else [False] * len(table)

    # widths from the printed text
    widths = []
    for j, c in enumerate(table.columns):
        texts = [display_text(v, kinds[j]) for v in table[c].tolist()]
        data_w = max([text_width(t) for t in texts], default=2)
        head_w = text_width(cols[j])
        # headers up to 6 CJK characters stay on one line (产业带动好 split as 产业带动/好 reads badly);
        # longer ones wrap onto two lines
        head_need = head_w if head_w <= 12 or head_w <= data_w else math.ceil(head_w / 2) + 1
        w = min(max(data_w, head_need, 4) + 2 + (1.5 if kinds[j] == PEOPLE else 0), max_width)  # room for indent
        widths.append(w)
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = w
    total_w = sum(widths)

    r = 1
    _merged_line(ws, r, n_cols, title, font=_font(16, True, TITLE_FONT_NAME),
                 height=max(30, 24 * _lines_needed(title, total_w / 1.6)))
    r += 1
    if subtitle:
        _merged_line(ws, r, n_cols, subtitle, font=_font(10), height=18)
        r += 1
    header_row = r
    head_lines = 1
    for j, name in enumerate(cols, start=1):
        c = ws.cell(row=r, column=j, value=name)
        c.font = _font(font_size, True)
        c.fill = FILL_HEADER
        c.border = BORDER
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        head_lines = max(head_lines, _lines_needed(name, widths[j - 1] - 1.5))
    ws.row_dimensions[r].height = 15 * head_lines + 6

    left_align = {j for j, c in enumerate(cols) if kinds[j] == TEXT and
                  (c in ("安置点", "短板", "原因", "问题描述", "名称") or widths[j] >= 20)}
    for i in range(len(table)):
        r += 1
        lines = 1
        for j, col in enumerate(table.columns):
            kind = kinds[j]
            v = table[col].iloc[i]
            if kind in _NUMBER_FORMATS and not isinstance(v, str) and not is_missing(v) and not isinstance(v, bool):
                value: Any = float(v) if kind in (PCT, SCORE, DELTA, NUM) else int(round(float(v)))
                cell = ws.cell(row=r, column=j + 1, value=value)
                cell.number_format = _NUMBER_FORMATS[kind]
                # same-format numbers read best centred under their header (decimals line up anyway);
                # people counts vary in length, so they are right-aligned
                halign = "right" if kind == PEOPLE else "center"
            else:
                text = display_text(v, kind)
                cell = ws.cell(row=r, column=j + 1, value=text)
                cell.number_format = "@"
                halign = "left" if j in left_align and text != DASH else "center"
                lines = max(lines, _lines_needed(text, widths[j] - 1.5))
            cell.font = _font(font_size)
            cell.border = BORDER
            cell.alignment = Alignment(horizontal=halign, vertical="center", wrap_text=True,
                                       indent=1 if halign != "center" else 0)
            if flags[i]:
                cell.fill = FILL_FLAG
        ws.row_dimensions[r].height = 16 * lines + 3
    last_data = r

    for note in footnotes:
        if not note:
            continue
        r += 1
        _merged_line(ws, r, n_cols, note, font=_font(10), align="left",
                     height=15 * _lines_needed(note, total_w - 2) + 4)

    _page_setup(ws, title_rows=f"{header_row}:{header_row}", last_row=r, last_col=n_cols)
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    return SheetLayout(header_row, header_row + 1, last_data, n_cols)


def _subtitle(*parts: str | None) -> str:
    return "　　".join(p for p in parts if p)


def _ensure_month(title: str, month: str) -> str:
    mc = month_cn(month)
    return title if mc in title else f"{title}（{mc}）"


def _save(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------------------------------------------------------
# Site ranking

def ranking_workbook(table: pd.DataFrame, *, title: str, subtitle: str | None = None, month: str,
                     catalogue_version: str, flagged_col: str | None = "达标", note: str | None = None,
                     highlight: pd.Series | Sequence[bool] | None = None, demo: bool = False,
                     sheet_name: str = "安置点排名", formats: dict[str, str] | None = None,
                     allow_full_ids: bool = False) -> bytes:
    """Print-ready Excel of a ranking table (one data row per table row, columns as given, in order).

    title: e.g. '黔西南州易地搬迁安置点五好社区创建排名'; '（2026年10月）' is appended unless the month is in it.
    subtitle: e.g. '数据截至2026年10月31日' (default: the month's last day); the catalogue version and, when
    `demo`, the 演示数据 marker are appended. Rows are filled light red where `highlight` is true, or (without
    `highlight`) where `flagged_col` is not true (default: not 达标) or 等次 is 不合格.
    note: an extra footnote line. The rank-interval note is added when the table has 排名区间.
    """
    from scoring.frames import period_end  # local: keep data.exports importable on its own

    table = mask_id_columns(table.reset_index(drop=True), allow_full_ids)
    flags = _highlight_mask(table, highlight, flagged_col)
    sub = _subtitle(subtitle or f"数据截至{date_cn(period_end(month))}", f"指标体系版本 {catalogue_version}",
                    f"【{DEMO_MARK}】" if demo else None)
    footnotes = []
    if "排名区间" in table.columns:
        footnotes.append("注：" + RANK_INTERVAL_NOTE)
    if any(flags):
        footnotes.append(_legend(highlight is None, flagged_col))
    if note:
        footnotes.append(note)
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_name
    write_table_sheet(ws, table, title=_ensure_month(title, month), subtitle=sub, footnotes=footnotes,
                      highlight=flags, formats=formats)
    wb.properties.title = _ensure_month(title, month)
    return _save(wb)


def _legend(default_rule: bool, flagged_col: str | None) -> str:
    if default_rule and flagged_col == "达标":
        return "浅红底色：本月未达到五好社区标准（未达标或等次为不合格）的安置点。"
    if default_rule and flagged_col:
        return f"浅红底色：{flagged_col}为“否”的行。"
    return "浅红底色：需重点关注的行。"


def ranking_csv(table: pd.DataFrame, *, allow_full_ids: bool = False) -> bytes:
    """CSV (UTF-8 with BOM, opens in Excel) with the same columns; bools as 是/否, intervals as '3–7',
    percentages rounded to 1 decimal and scores to 2 (numbers stay numbers)."""
    out = mask_id_columns(table.reset_index(drop=True), allow_full_ids).copy()
    for c in out.columns:
        kind = column_kind(c, out[c])
        if kind == BOOL:
            out[c] = out[c].map(lambda v: display_text(v, BOOL))
        elif kind == RANGE:
            out[c] = out[c].map(_range_text)
        elif kind in (PCT, SCORE, DELTA, NUM) and _is_numeric_series(out[c]):
            digits = 1 if kind == PCT else 2
            out[c] = pd.to_numeric(out[c], errors="coerce").map(
                lambda v: None if is_missing(v) else float(fmt_num(v, digits)))
    return out.to_csv(index=False).encode("utf-8-sig")


# --------------------------------------------------------------------------------------------------------------
# Monthly circular

@dataclass
class CircularData:
    """Everything the monthly circular (domain.md §8) shows, already computed and formatted where textual.

    city_totals: label -> formatted value, in display order, e.g. {'安置点': '68个', '五好达标': '23个（序时 25个）',
      '劳动力': '12.3万人', '就业率': '93.2%', ...} (use data.formatting).
    county_table: §8 county columns (COUNTY_COLUMNS); county_flagged: bool per county row (进度滞后).
    site_table: §8 site columns (CIRCULAR_SITE_COLUMNS; extra columns such as 安置点编码 are kept in Excel only).
    lagging: [(county, [reason sentence, ...])]; interview_suggestions: [(county, '建议约谈' |
      '建议约谈主要负责人')]; praise: counties named for 争先进位.
    """
    city_name: str
    month: str
    issue_no: int
    title: str
    cutoff_date: Any                       # date or 'YYYY-MM-DD'
    catalogue_version: str
    county_table: pd.DataFrame
    site_table: pd.DataFrame
    city_totals: dict[str, str] = field(default_factory=dict)
    county_flagged: pd.Series | Sequence[bool] | None = None
    site_flagged: pd.Series | Sequence[bool] | None = None   # default: not 达标 / 不合格
    lagging: list[tuple[str, list[str]]] = field(default_factory=list)
    interview_suggestions: list[tuple[str, str]] = field(default_factory=list)
    praise: list[str] = field(default_factory=list)
    issuer: str = ISSUER
    demo: bool = False
    issue_date: Any = None                 # date printed under the title (default: cutoff_date)
    requirements: list[str] | None = None  # 五、下步要求 paragraphs (default: DEFAULT_REQUIREMENTS)
    site_scope: str = "auto"               # Word: 'all' | 'top_bottom' | 'auto' (all when ≤ 20 sites)

    @property
    def month_cn(self) -> str:
        return month_cn(self.month)

    @property
    def cutoff_cn(self) -> str:
        return date_cn(self.cutoff_date)

    @property
    def issue_date_cn(self) -> str:
        return date_cn(self.issue_date if self.issue_date is not None else self.cutoff_date)

    @property
    def issue_line(self) -> str:
        return f"{int(self.month[:4])}年第{self.issue_no}期"

    @property
    def meta_line(self) -> str:
        return _subtitle(f"数据截至{self.cutoff_cn}", f"指标体系版本 {self.catalogue_version}",
                         f"【{DEMO_MARK}】" if self.demo else None)

    def county_flags(self) -> list[bool]:
        t = self.county_table.reset_index(drop=True)
        if self.county_flagged is None:
            names = {c for c, _ in self.lagging}
            col = "县(市、区)" if "县(市、区)" in t.columns else None
            return [bool(col and t[col].iloc[i] in names) for i in range(len(t))]
        return _highlight_mask(t, self.county_flagged, None)

    def site_flags(self) -> list[bool]:
        return _highlight_mask(self.site_table.reset_index(drop=True), self.site_flagged, "达标")


def standard_title(city_name: str, month: str, issue_no: int) -> str:
    return f"{city_name}易地搬迁后续扶持工作进展情况通报（{int(month[:4])}年第{issue_no}期）"


DEFAULT_REQUIREMENTS = [
    "对标补短，确保序时进度。各县（市、区）要对照五好社区创建指标体系，逐个安置点梳理本月失分指标和短板维度，"
    "制定补短措施，明确责任单位和完成时限，确保创建任务按序时进度完成。",
    "聚焦就业，动态清零零就业家庭。要加强劳动力就业帮扶和技能培训，对有劳动力但无人就业的家庭逐户落实帮扶措施，"
    "确保零就业家庭动态清零，持续提升就业率、参训率和持证率。",
    "压实责任，协同保障群众权益。迁入地、迁出地要按照职责分工，对权益事项未落实和未核实的搬迁户逐户核查、逐项落实，"
    "依托三个服务平台做好政策兑现。",
    "限时整改，按期销号。对督导督查发现的问题要建立台账、限时整改，逾期未整改的问题要说明原因并提出整改措施，"
    "防止问题反弹。",
    "加强调度，按时报送。进度滞后的县（市、区）要认真分析原因，于下月10日前将整改措施报市易地搬迁后续扶持工作"
    "领导小组办公室。各县（市、区）要按时、准确报送月度台账数据，确保数据真实完整。",
]


def _reason_text(reasons: Iterable[str]) -> str:
    parts = [str(r).strip().rstrip("。；;.，, ") for r in reasons if str(r).strip()]
    return "；".join(parts) + ("。" if parts else "")


def _interview_groups(c: CircularData) -> list[tuple[str, list[str]]]:
    groups: dict[str, list[str]] = {}
    for county, level in c.interview_suggestions:
        groups.setdefault(level or "建议约谈", []).append(county)
    order = sorted(groups, key=lambda lv: (0 if "主要负责人" in lv else 1, lv))
    return [(lv, groups[lv]) for lv in order]


def _write_body_sheet(ws: Worksheet, c: CircularData) -> None:
    n = 8
    for j in range(1, n + 1):
        ws.column_dimensions[get_column_letter(j)].width = 17
    total_w = 17 * n
    r = 1
    _merged_line(ws, r, n, c.title, font=_font(18, True, TITLE_FONT_NAME),
                 height=max(36, 28 * _lines_needed(c.title, total_w / 1.8)))
    r += 1
    if c.issue_line not in c.title:
        _merged_line(ws, r, n, c.issue_line, font=_font(12), height=22)
        r += 1
    ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=n // 2)
    ws.merge_cells(start_row=r, start_column=n // 2 + 1, end_row=r, end_column=n)
    a = ws.cell(row=r, column=1, value=c.issuer)
    b = ws.cell(row=r, column=n // 2 + 1, value=c.issue_date_cn)
    for cell, h in ((a, "left"), (b, "right")):
        cell.font = _font(12)
        cell.alignment = Alignment(horizontal=h, vertical="center")
        cell.border = Border(bottom=Side(style="medium", color="C00000"))
    for j in range(1, n + 1):
        ws.cell(row=r, column=j).border = Border(bottom=Side(style="medium", color="C00000"))
    ws.row_dimensions[r].height = 22
    r += 1
    _merged_line(ws, r, n, c.meta_line, font=_font(10, color="C00000" if c.demo else None), height=18)

    def heading(text: str) -> None:
        nonlocal r
        r += 2
        _merged_line(ws, r, n, text, font=_font(13, True, TITLE_FONT_NAME), align="left", height=24)

    def para(text: str, *, indent: bool = True) -> None:
        nonlocal r
        r += 1
        _merged_line(ws, r, n, ("　　" if indent else "") + text, font=_font(11), align="left",
                     height=18 * _lines_needed(text, total_w - 4) + 4)

    heading("一、总体情况")
    para(f"截至{c.cutoff_cn}，全市易地搬迁后续扶持主要指标如下：")
    items = list(c.city_totals.items())
    for k in range(0, len(items), n // 2):
        r += 1
        for p, (label, value) in enumerate(items[k:k + n // 2]):
            lc = ws.cell(row=r, column=2 * p + 1, value=str(label))
            vc = ws.cell(row=r, column=2 * p + 2, value=str(value))
            lc.fill = FILL_LABEL
            lc.font = _font(10.5, True)
            vc.font = _font(10.5)
            for cell in (lc, vc):
                cell.border = BORDER
                cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        lines = max(_lines_needed(str(x), 15) for pair in items[k:k + n // 2] for x in pair)
        ws.row_dimensions[r].height = 16 * lines + 6

    heading("二、进度滞后县（市、区）及原因")
    if c.lagging:
        for i, (county, reasons) in enumerate(c.lagging, start=1):
            para(f"{i}. {county}：{_reason_text(reasons)}")
    else:
        para("本月无进度滞后的县（市、区）。")

    heading("三、约谈建议")
    groups = _interview_groups(c)
    if groups:
        for level, counties in groups:
            para(f"{level}：{'、'.join(counties)}。")
    else:
        para("本月无建议约谈的县（市、区）。")

    heading("四、争先进位")
    if c.praise:
        para(f"本月县均得分较上月提升较大的县（市、区）：{'、'.join(c.praise)}，予以通报表扬。")
    else:
        para("本月无。")

    heading("附表")
    para("附表1：各县（市、区）进展情况（见“县区进展”工作表）；附表2：安置点五好社区创建排名（见“安置点排名”工作表）。")
    _page_setup(ws, title_rows=None, last_row=r, last_col=n)
    ws.sheet_view.showGridLines = False


def circular_workbook(c: CircularData) -> bytes:
    """Excel circular: sheets 通报正文, 县区进展 (flagged counties filled), 安置点排名 (not 达标 filled)."""
    wb = Workbook()
    body = wb.active
    body.title = "通报正文"
    _write_body_sheet(body, c)

    ct = c.county_table.reset_index(drop=True)
    cflags = c.county_flags()
    ws = wb.create_sheet("县区进展")
    notes = []
    if any(cflags):
        notes.append("浅红底色：本月进度滞后的县（市、区）。")
    notes.append("达标/序时：五好达标安置点数 / 按创建计划应达到的序时进度；较上月：县均得分较上月变化。")
    write_table_sheet(ws, ct, title=f"{c.city_name}各县（市、区）易地搬迁后续扶持工作进展情况（{c.month_cn}）",
                      subtitle=c.meta_line, footnotes=notes, highlight=cflags)

    st = mask_id_columns(c.site_table.reset_index(drop=True))
    sflags = c.site_flags()
    ws = wb.create_sheet("安置点排名")
    notes = []
    if "排名区间" in st.columns:
        notes.append("注：" + RANK_INTERVAL_NOTE)
    if any(sflags):
        notes.append(_legend(c.site_flagged is None, "达标"))
    write_table_sheet(ws, st, title=f"{c.city_name}易地搬迁安置点五好社区创建排名（{c.month_cn}）",
                      subtitle=c.meta_line, footnotes=notes, highlight=sflags)
    wb.properties.title = c.title
    return _save(wb)


# --------------------------------------------------------------------------------------------------------------
# Audit and storage (domain.md §9 通报约谈, §10 audit log)

def log_export(session, *, username: str, what: str, month: str | None = None, detail: str = "") -> None:
    """Record an export in the audit log (caller commits)."""
    audit.record(session, user=username, action=audit.EXPORT, detail=audit.export_detail(what, month, detail))


def save_circular(session, c: CircularData, *, username: str, xlsx: bytes | None = None,
                  docx: bytes | None = None):
    """Keep an issued circular (re-downloadable) and audit it; returns the Circular row (caller commits)."""
    row = Circular(month=c.month, issue_no=c.issue_no, title=c.title, catalogue_version=c.catalogue_version,
                   username=username, xlsx_blob=xlsx, docx_blob=docx)
    session.add(row)
    audit.record(session, user=username, action=audit.CIRCULAR,
                 detail=f"印发：{c.title}；指标体系版本 {c.catalogue_version}")
    return row


from data.exports_docx import circular_docx  # noqa: E402  (re-export; needs the names above)

__all__ = ["CircularData", "circular_workbook", "circular_docx", "ranking_workbook", "ranking_csv",
           "standard_title", "write_table_sheet", "mask_id_columns", "log_export", "save_circular",
           "RANKING_COLUMNS", "COUNTY_COLUMNS", "CIRCULAR_SITE_COLUMNS", "RANK_INTERVAL_NOTE",
           "DEFAULT_REQUIREMENTS"]
