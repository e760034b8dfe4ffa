"""Audit and storage of exports (domain.md §9 通报约谈, §10 audit log): callers record each export with
``log_export`` and keep issued circulars with ``save_circular`` (the caller commits both)."""
from __future__ import annotations

from data import audit
from data.exports.circular import CircularData
from data.models import Circular


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
