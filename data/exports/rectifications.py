"""The rectification ledger (问题整改台账) as a print-ready Excel sheet or a CSV: the table as filtered on the page,
overdue rows filled light red, ID-like columns masked, formula-like text made inert (data.exports.layout)."""
from __future__ import annotations

from typing import Sequence

import pandas as pd
from openpyxl import Workbook

from data.exports.layout import TEXT, mask_id_columns, table_csv
from data.exports.sheet import save, write_table_sheet

OVERDUE_NOTE = "逾期：截至统计日期未销号且已超过整改时限；红色底纹行为逾期问题。"


def rectification_workbook(table: pd.DataFrame, *, title: str, subtitle: str, overdue: Sequence[bool]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "问题整改台账"
    t = mask_id_columns(table.reset_index(drop=True))
    write_table_sheet(ws, t, title=title, subtitle=subtitle, footnotes=[OVERDUE_NOTE], highlight=list(overdue),
                      formats={c: TEXT for c in t.columns if c != "超期天数"})
    return save(wb)


def rectification_csv(table: pd.DataFrame) -> bytes:
    return table_csv(mask_id_columns(table.reset_index(drop=True)))
