"""The ``result_cache`` table: computed results kept per (kind, month, catalogue version) with the fingerprint of
the inputs they were computed from (services.store decides what is stored and when it is still valid)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from data import models as m


@dataclass(frozen=True)
class StoredResult:
    fingerprint: str
    payload: bytes
    created_at: dt.datetime


def _key(kind: str, month: str, version: str):
    rc = m.ResultCache
    return rc.kind == kind, rc.month == month, rc.catalogue_version == version


def load(engine: Engine, kind: str, month: str, version: str) -> StoredResult | None:
    rc = m.ResultCache
    with engine.connect() as conn:
        row = conn.execute(select(rc.fingerprint, rc.payload, rc.created_at).where(*_key(kind, month, version))).first()
    return None if row is None else StoredResult(row[0], bytes(row[1]), row[2])


def save(engine: Engine, kind: str, month: str, version: str, fingerprint: str, payload: bytes) -> dt.datetime:
    """Replace the stored result of (kind, month, version); returns its time stamp (whole seconds)."""
    now = dt.datetime.now().replace(microsecond=0)
    with Session(engine) as s, s.begin():
        s.execute(delete(m.ResultCache).where(*_key(kind, month, version)))
        s.add(m.ResultCache(kind=kind, month=month, catalogue_version=version, fingerprint=fingerprint,
                            payload=payload, created_at=now))
    return now


def fingerprints(engine: Engine) -> dict[tuple[str, str, str], str]:
    """(kind, month, version) -> fingerprint of every stored result."""
    rc = m.ResultCache
    with engine.connect() as conn:
        rows = conn.execute(select(rc.kind, rc.month, rc.catalogue_version, rc.fingerprint)).all()
    return {(k, mo, v): fp for k, mo, v, fp in rows}
