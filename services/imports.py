"""数据导入: the months a ledger may be imported for, the blank template, and the import itself (data.workbook:
validated, all or nothing, audited) reported as a table of Chinese messages."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from data.workbook import UNCHANGED, ImportUser, import_workbook, template_bytes
from data.workbook.messages import listed
from domain.calendar import month_of, next_month

MESSAGE_COLUMNS = ["级别", "工作表", "行号", "列", "单元格内容", "问题说明"]
RECENT_MONTHS = 12


@dataclass
class ImportOutcome:
    ok: bool
    result: str                     # 成功 / 失败 / 无变化
    rows: dict[str, int]            # rows written per sheet
    month: str
    messages: pd.DataFrame          # MESSAGE_COLUMNS
    n_errors: int
    marked: bytes | None            # the workbook with its problem cells marked (when there are messages)
    file_name: str

    @property
    def unchanged(self) -> bool:
        """The file held exactly the data already imported (nothing was written)."""
        return self.result == UNCHANGED


def import_month_options(months: list[str], today: dt.date | None = None) -> list[str]:
    """Months a ledger may be imported for: the recent months with data and the month after the latest."""
    if not months:
        return [month_of(today or dt.date.today())]
    return list(months[-RECENT_MONTHS:]) + [next_month(months[-1])]


def ledger_template(county_names: list[str] | None = None) -> bytes:
    return template_bytes(county_names or None)


def import_ledger(engine: Engine, data: bytes, file_name: str, month: str, username: str, role: str,
                  county_code: str | None) -> ImportOutcome:
    res = import_workbook(engine, data, file_name, month, ImportUser(username, role, county_code))
    # the first messages in detail and a line counting the rest (all are in the marked copy's 错误清单)
    msgs = pd.DataFrame([{"级别": "错误" if m.is_error else "提示", "工作表": m.sheet or "（整个文件）",
                          "行号": m.row, "列": m.column or "", "单元格内容": m.value or "", "问题说明": m.reason}
                         for m in listed(res.messages)], columns=MESSAGE_COLUMNS)
    msgs["行号"] = msgs["行号"].astype("Int64")
    return ImportOutcome(ok=res.ok, result=res.result, rows=dict(res.rows), month=res.month or month, messages=msgs,
                         n_errors=len(res.errors), marked=_marked_copy(res) if res.messages else None,
                         file_name=file_name)


def _marked_copy(res) -> bytes | None:
    try:
        return res.marked_copy
    except Exception:  # noqa: BLE001 - the marked copy is a convenience; the messages table says it all
        return None
