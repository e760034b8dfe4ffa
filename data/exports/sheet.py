"""The Excel sheet writer shared by the ranking workbook and the Excel circular: A4 landscape, fit to one page
wide, merged title + subtitle, header repeated on every printed page, frozen panes, thin borders, flagged rows
filled light red, footer ``第 &P 页，共 &N 页``; numbers stay numbers and a number format does the display."""
from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import Any, Sequence

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from data.exports.layout import (DELTA, INT, NUM, PCT, PEOPLE, RANK_DELTA, SCORE, TEXT, column_kind, display_text,
                                 neutralise_workbook, text_width)
from data.formatting import DASH, is_missing, month_cn

_NUMBER_FORMATS = {
    PCT: '0.0"%"',                       # the value stays 0-100, as everywhere in the project
    SCORE: "0.00",
    DELTA: '+0.00;-0.00;0.00',
    RANK_DELTA: '"↑"0;"↓"0;"—"',
    INT: "0",
    PEOPLE: "#,##0",
    NUM: "0.00",
}

FONT_NAME = "宋体"          # present on every Chinese Windows/WPS install; LibreOffice substitutes a CJK serif
TITLE_FONT_NAME = "黑体"
FILL_HEADER = PatternFill("solid", fgColor="D9E1F2")
FILL_FLAG = PatternFill("solid", fgColor="FDE2E1")     # light red: rows needing attention
FILL_LABEL = PatternFill("solid", fgColor="F2F2F2")
_THIN = Side(style="thin", color="808080")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
FOOTER_TEXT = "第 &P 页，共 &N 页"


@dataclass
class SheetLayout:
    header_row: int
    first_data_row: int
    last_data_row: int
    n_cols: int


def cell_font(size: float = 10.5, bold: bool = False, name: str = FONT_NAME, color: str | None = None) -> Font:
    return Font(name=name, size=size, bold=bold, color=color)


def page_setup(ws: Worksheet, *, title_rows: str | None, last_row: int, last_col: int,
                landscape: bool = True, one_page: bool = False) -> None:
    """A4, one page wide; `one_page`: also one page tall (a short text sheet is never left with a page holding
    its last few lines)."""
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1 if one_page else 0          # else as many pages tall as needed
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


def merged_line(ws: Worksheet, row: int, n_cols: int, text: str, *, font: Font, height: float | None = None,
                 align: str = "center", wrap: bool = True, first_col: int = 1) -> None:
    last = max(first_col, n_cols)
    if last > first_col:
        ws.merge_cells(start_row=row, start_column=first_col, end_row=row, end_column=last)
    c = ws.cell(row=row, column=first_col, value=text)
    c.font = font
    c.alignment = Alignment(horizontal=align, vertical="center", wrap_text=wrap)
    if height is not None:
        ws.row_dimensions[row].height = height


def lines_needed(text: str, width_units: float) -> int:
    if width_units <= 0:
        return 1
    return sum(max(1, math.ceil(text_width(part) / width_units)) for part in str(text).split("\n"))


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
    merged_line(ws, r, n_cols, title, font=cell_font(16, True, TITLE_FONT_NAME),
                 height=max(30, 24 * lines_needed(title, total_w / 1.6)))
    r += 1
    if subtitle:
        merged_line(ws, r, n_cols, subtitle, font=cell_font(10), height=18)
        r += 1
    header_row = r
    head_lines = 1
    for j, name in enumerate(cols, start=1):
        c = ws.cell(row=r, column=j, value=name)
        c.font = cell_font(font_size, True)
        c.fill = FILL_HEADER
        c.border = BORDER
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        head_lines = max(head_lines, lines_needed(name, widths[j - 1] - 1.5))
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
                lines = max(lines, lines_needed(text, widths[j] - 1.5))
            cell.font = cell_font(font_size)
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
        merged_line(ws, r, n_cols, note, font=cell_font(10), align="left",
                     height=15 * lines_needed(note, total_w - 2) + 4)

    page_setup(ws, title_rows=f"{header_row}:{header_row}", last_row=r, last_col=n_cols)
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    return SheetLayout(header_row, header_row + 1, last_data, n_cols)


def ensure_month(title: str, month: str) -> str:
    mc = month_cn(month)
    return title if mc in title else f"{title}（{mc}）"


def save(wb: Workbook) -> bytes:
    """The workbook's bytes, every formula-like text cell made an explicit text cell (layout.neutralise_workbook)."""
    neutralise_workbook(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
