"""Reading the audit log: search by user, action, date range and text, paged in the database; the export of what
a search found through the exports' formula-safe writers (data.exports: ``table_csv`` for CSV, ``sheet.save`` for
Excel), so a value a spreadsheet would run as a formula comes out as text."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from openpyxl import Workbook
from sqlalchemy import Engine, func, or_, select
from sqlalchemy.orm import Session

from data.exports.layout import table_csv
from data.exports.sheet import save
from data.formatting import BEIJING, beijing_time
from data.models import AuditLog

COLUMNS = ["时间", "用户", "操作", "内容"]
TIME_HEADER = "时间（北京时间）"         # the export's time column (stored UTC, written in Beijing time)
EXPORT_LIMIT = 100_000                # rows in one export


@dataclass(frozen=True)
class AuditQuery:
    user: str = ""                    # exact user name ('' = anyone)
    action: str = ""                  # exact action ('' = any)
    start: dt.date | None = None      # inclusive, by the entry's date in Beijing time (entries are stored in UTC)
    end: dt.date | None = None        # inclusive
    text: str = ""                    # substring of the detail or user name

    def describe(self) -> str:
        parts = [f"用户 {self.user}" if self.user else "", f"操作 {self.action}" if self.action else "",
                 f"自 {self.start}" if self.start else "", f"至 {self.end}" if self.end else "",
                 f"含“{self.text}”" if self.text else ""]
        return "，".join(p for p in parts if p) or "全部"


def _where(q: AuditQuery):
    conds = []
    if q.user:
        conds.append(AuditLog.username == q.user)
    if q.action:
        conds.append(AuditLog.action == q.action)
    if q.start:
        conds.append(AuditLog.at >= dt.datetime.combine(q.start, dt.time.min) - BEIJING)
    if q.end:
        conds.append(AuditLog.at < dt.datetime.combine(q.end + dt.timedelta(days=1), dt.time.min) - BEIJING)
    if q.text:
        pat = "%" + q.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conds.append(or_(AuditLog.detail.like(pat, escape="\\"), AuditLog.username.like(pat, escape="\\")))
    return conds


def search(engine: Engine, q: AuditQuery, *, offset: int = 0, limit: int = 50) -> tuple[pd.DataFrame, int]:
    """One page of matching entries, newest first, and the number of all matches."""
    conds = _where(q)
    with Session(engine) as s:
        total = s.execute(select(func.count(AuditLog.id)).where(*conds)).scalar_one()
        rows = s.execute(select(AuditLog.at, AuditLog.username, AuditLog.action, AuditLog.detail).where(*conds)
                         .order_by(AuditLog.id.desc()).offset(max(0, offset)).limit(limit)).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=COLUMNS), int(total)


def users_and_actions(engine: Engine) -> tuple[list[str], list[str]]:
    """Distinct user names and actions in the log (for the page's choosers)."""
    with Session(engine) as s:
        us = [r[0] for r in s.execute(select(AuditLog.username).distinct().order_by(AuditLog.username))]
        acts = [r[0] for r in s.execute(select(AuditLog.action).distinct().order_by(AuditLog.action))]
    return us, acts


def _text(value) -> str:
    return "" if value is None else (beijing_time(value) if isinstance(value, dt.datetime) else str(value))


def export(engine: Engine, q: AuditQuery, fmt: str) -> bytes:
    """All matches (up to EXPORT_LIMIT) as .xlsx (every cell text) or UTF-8 CSV with BOM, written by the exports'
    formula-safe writers: a value starting with = + - @ tab CR is a quote-prefixed text cell / gets a leading '."""
    frame, _ = search(engine, q, limit=EXPORT_LIMIT)
    frame = frame.map(_text) if len(frame) else frame.astype(str)
    frame = frame.rename(columns={"时间": TIME_HEADER})
    if fmt == "csv":
        return table_csv(frame)
    wb = Workbook()
    ws = wb.active
    ws.title = "审计日志"
    ws.append(list(frame.columns))
    for r in frame.itertuples(index=False):
        ws.append(list(r))
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.data_type = "s"          # text, never a formula (save() adds the quote prefix where needed)
    for col, width in zip("ABCD", (20, 16, 12, 80)):
        ws.column_dimensions[col].width = width
    return save(wb)
