"""Reading the audit log: search by user, action, date range and text, paged in the database; the export of what
a search found (Excel or CSV, a value that a spreadsheet would run as a formula written as plain text)."""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

import pandas as pd
from openpyxl import Workbook
from sqlalchemy import Engine, func, or_, select
from sqlalchemy.orm import Session

from data.models import AuditLog

COLUMNS = ["时间", "用户", "操作", "内容"]
EXPORT_LIMIT = 100_000                # rows in one export
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class AuditQuery:
    user: str = ""                    # exact user name ('' = anyone)
    action: str = ""                  # exact action ('' = any)
    start: dt.date | None = None      # inclusive, by the entry's date
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
        conds.append(AuditLog.at >= dt.datetime.combine(q.start, dt.time.min))
    if q.end:
        conds.append(AuditLog.at < dt.datetime.combine(q.end + dt.timedelta(days=1), dt.time.min))
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


def as_text(value) -> str:
    """A cell's text with a leading formula character neutralised (=, +, -, @, tab, CR → prefixed by ')."""
    s = "" if value is None else (f"{value:%Y-%m-%d %H:%M:%S}" if isinstance(value, dt.datetime) else str(value))
    return "'" + s if s.startswith(FORMULA_START) else s


def export(engine: Engine, q: AuditQuery, fmt: str) -> bytes:
    """All matches (up to EXPORT_LIMIT) as .xlsx (every cell a text cell) or UTF-8 CSV (with BOM for Excel)."""
    frame, _ = search(engine, q, limit=EXPORT_LIMIT)
    rows = [[as_text(v) for v in r] for r in frame.itertuples(index=False)]
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(COLUMNS)
        w.writerows(rows)
        return ("\ufeff" + buf.getvalue()).encode("utf-8")
    wb = Workbook()
    ws = wb.active
    ws.title = "审计日志"
    ws.append(COLUMNS)
    for r in rows:
        ws.append(r)
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.data_type = "s"          # text, never a formula
    for col, width in zip("ABCD", (20, 16, 12, 80)):
        ws.column_dimensions[col].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
