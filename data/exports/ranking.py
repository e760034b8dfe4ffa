"""The site ranking export (domain.md §8): a print-ready Excel workbook and a CSV with the same columns."""
from __future__ import annotations

from typing import Sequence

import pandas as pd
from openpyxl import Workbook

from data.exports.layout import (BOOL, DELTA, DEMO_MARK, NUM, PCT, RANGE, RANK_INTERVAL_NOTE, SCORE, column_kind,
                                 completeness_note, display_text, highlight_mask, is_numeric_series, legend,
                                 mask_id_columns, range_text, subtitle_line, table_csv)
from data.exports.sheet import ensure_month, save, write_table_sheet
from data.formatting import date_cn, fmt_num, is_missing
from domain.calendar import period_end


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
    table = mask_id_columns(table.reset_index(drop=True), allow_full_ids)
    flags = highlight_mask(table, highlight, flagged_col)
    sub = subtitle_line(subtitle or f"数据截至{date_cn(period_end(month))}", f"指标体系版本 {catalogue_version}",
                    f"【{DEMO_MARK}】" if demo else None)
    footnotes = []
    if "排名区间" in table.columns:
        footnotes.append("注：" + RANK_INTERVAL_NOTE)
    if completeness_note(table):
        footnotes.append(completeness_note(table))
    if any(flags):
        footnotes.append(legend(highlight is None, flagged_col))
    if note:
        footnotes.append(note)
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_name
    write_table_sheet(ws, table, title=ensure_month(title, month), subtitle=sub, footnotes=footnotes,
                      highlight=flags, formats=formats)
    wb.properties.title = ensure_month(title, month)
    return save(wb)


def ranking_csv(table: pd.DataFrame, *, allow_full_ids: bool = False) -> bytes:
    """CSV (UTF-8 with BOM, opens in Excel) with the same columns; bools as 是/否, intervals as '3–7',
    percentages rounded to 1 decimal and scores to 2 (numbers stay numbers)."""
    out = mask_id_columns(table.reset_index(drop=True), allow_full_ids).copy()
    for c in out.columns:
        kind = column_kind(c, out[c])
        if kind == BOOL:
            out[c] = out[c].map(lambda v: display_text(v, BOOL))
        elif kind == RANGE:
            out[c] = out[c].map(range_text)
        elif kind in (PCT, SCORE, DELTA, NUM) and is_numeric_series(out[c]):
            digits = 1 if kind == PCT else 2
            out[c] = pd.to_numeric(out[c], errors="coerce").map(
                lambda v: None if is_missing(v) else float(fmt_num(v, digits)))
    return table_csv(out)
