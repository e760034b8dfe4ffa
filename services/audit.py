"""Audit entries the pages ask for (domain.md §10): downloads. Sign-ins, imports and issued circulars are
audited where they happen (services.accounts, data.workbook, services.circular); every entry is written by
data.audit."""
from __future__ import annotations

from pandas import DataFrame
from sqlalchemy import Engine

from data import audit, audit_log
from data.audit_log import AuditQuery
from domain import roles
from services import accounts

__all__ = ["AuditQuery", "export_log", "log_export", "log_filters", "search_log"]


def log_export(engine: Engine, username: str, what: str, month: str | None = None, detail: str = "") -> None:
    """Audit one download ('安置点排名Excel；月份 2026-10；<filters>'), in its own transaction."""
    audit.record(engine, user=username, action=audit.EXPORT, detail=audit.export_detail(what, month, detail))


def search_log(engine: Engine, by: str, query: AuditQuery, *, page: int = 1,
               per_page: int = 50) -> tuple[DataFrame, int]:
    """One page (1-based) of audit entries matching `query`, newest first, and the number of all matches. An
    account without the 查阅审计日志 action is refused (services.accounts.authorise)."""
    accounts.authorise(engine, by, roles.AUDIT)
    return audit_log.search(engine, query, offset=(max(1, page) - 1) * per_page, limit=per_page)


def log_filters(engine: Engine, by: str) -> tuple[list[str], list[str]]:
    """The user names and actions the log holds (the search's choices); 查阅审计日志 only."""
    accounts.authorise(engine, by, roles.AUDIT)
    return audit_log.users_and_actions(engine)


def export_log(engine: Engine, username: str, query: AuditQuery, fmt: str) -> bytes:
    """The matching entries as .xlsx or .csv; the export itself is audited (before the file is handed over).
    An account without the 查阅审计日志 action is refused (services.accounts.authorise)."""
    accounts.authorise(engine, username, roles.AUDIT)
    data = audit_log.export(engine, query, fmt)
    log_export(engine, username, "审计日志" + ("CSV" if fmt == "csv" else "Excel"), None, query.describe())
    return data
