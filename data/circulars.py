"""Issued circulars kept in the ``circulars`` table (written by ``data.exports.save_circular``): list them and
read a stored file back."""
from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, select

from data import models as m

BLOB_COLUMNS = {"xlsx": "xlsx_blob", "docx": "docx_blob"}
ISSUED_FIELDS = ["id", "month", "issue_no", "title", "catalogue_version", "created_at", "username"]


def issued(engine: Engine, month: str | None = None) -> pd.DataFrame:
    """Issued circulars (ISSUED_FIELDS, no file contents) in the order they were issued."""
    c = m.Circular
    stmt = select(*[getattr(c, f) for f in ISSUED_FIELDS])
    if month:
        stmt = stmt.where(c.month == month)
    with engine.connect() as conn:
        rows = conn.execute(stmt.order_by(c.id)).all()
    return pd.DataFrame(rows, columns=ISSUED_FIELDS)


def stored_file(engine: Engine, circular_id: int, kind: str) -> tuple[bool, bytes | None]:
    """(the circular exists, its stored 'xlsx' or 'docx' file or None)."""
    column = getattr(m.Circular, BLOB_COLUMNS[kind])
    with engine.connect() as conn:
        row = conn.execute(select(column).where(m.Circular.id == int(circular_id))).first()
    if row is None:
        return False, None
    return True, (bytes(row[0]) if row[0] is not None else None)
