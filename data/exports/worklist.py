"""Work lists (走访工作清单) for the service platforms: one sheet per platform, one row per household with the items
it lacks (未落实 and 漏项 apart, each with its responsible side), a blank column for the visit result. A4
landscape, title rows, repeated header, frozen panes (data.exports.sheet). ID numbers arrive masked and are
masked again here (mask_id_columns) so no full number can reach the file."""
from __future__ import annotations

import pandas as pd
from openpyxl import Workbook

from data.exports.layout import TEXT, mask_id_columns
from data.exports.sheet import save, write_table_sheet

WORKLIST_COLUMNS = ["安置点", "户编码", "户主", "身份证号", "迁出村", "未落实事项（责任方）", "漏项事项（责任方）",
                    "走访结果"]
PHONE_NOTE = "说明：月度台账未采集联系电话，本清单不设电话一栏；请按户编码联系安置点网格员。"


def worklist_workbook(sheets: dict[str, pd.DataFrame], *, title: str, month: str, county: str) -> bytes:
    """``sheets``: platform label -> WORKLIST_COLUMNS frame. A platform with nothing to do gets a one-line sheet."""
    wb = Workbook()
    wb.remove(wb.active)
    for platform, table in sheets.items():
        ws = wb.create_sheet(platform[:31])
        t = mask_id_columns(table[WORKLIST_COLUMNS].reset_index(drop=True))
        write_table_sheet(ws, t, title=f"{title}（{platform}）",
                          subtitle=f"{county} · {month} · 共{len(t)}户",
                          footnotes=[PHONE_NOTE, "未落实：已登记未办结；漏项：台账该项未填报（未核实）。"],
                          formats={c: TEXT for c in WORKLIST_COLUMNS})
    if not wb.sheetnames:
        wb.create_sheet("无缺口")
    return save(wb)
