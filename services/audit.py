"""Audit entries the pages ask for (domain.md §10): downloads. Sign-ins, imports and issued circulars are
audited where they happen (services.accounts, data.workbook, services.circular); every entry is written by
data.audit."""
from __future__ import annotations

from sqlalchemy import Engine

from data import audit


def log_export(engine: Engine, username: str, what: str, month: str | None = None, detail: str = "") -> None:
    """Audit one download ('安置点排名Excel；月份 2026-10；<filters>'), in its own transaction."""
    audit.record(engine, user=username, action=audit.EXPORT, detail=audit.export_detail(what, month, detail))
