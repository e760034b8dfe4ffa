"""Queries and the one writer of the rectification ledger (问题整改台账) for the browser (domain.md §9, §11).

An item is kept as recorded versions (``rectifications``, unique code + valid_from): its state at month m is its
latest version with ``valid_from`` ≤ m. Reading here applies the filters (county, site, source, status at the
reference date, overdue) in SQL; writing records one version for the month the change belongs to, bumps that
month's data version (and the later ones: a version holds into them) and writes the audit entry, all in one
transaction.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, and_, func, not_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data import audit
from data import models as m
from data.bulk import BulkWriter
from data.repository import bump_data_version, holding
from data.versions import RECT_PAYLOAD, ConcurrentWrite, write_rectification_version
from domain.followup import RECT_CLOSED, RECT_IN_PROGRESS, RECT_OPEN

ITEM_COLUMNS = ["item_code", "county_code", "county_name", "site_code", "site_name", "source", "description", "unit",
                "found_date", "deadline", "status", "closed_date", "valid_from", "note", "recorded_by", "recorded_at"]
HISTORY_COLUMNS = ["item_code", "valid_from", *RECT_PAYLOAD, "note", "recorded_by", "recorded_at", "import_id"]


@dataclass(frozen=True)
class ItemQuery:
    """What to list: the items' state at `month` (latest version at or before it, found by `end`), judged at
    `as_of` (closed and overdue); every filter None = any. `county_code` is already narrowed to the caller's scope."""
    month: str
    end: dt.date                      # the month's last day: items found after it are not yet known
    as_of: dt.date                    # the date closed / overdue are judged at (the month's end, or today)
    county_code: str | None = None
    site_code: str | None = None
    source: str | None = None
    status: str | None = None         # status at as_of: 未整改 / 整改中 / 已销号
    overdue: bool = False             # only items open at as_of whose deadline has passed


def _latest(month: str):
    r = m.Rectification
    return (select(r.code, func.max(r.valid_from).label("vf")).where(r.valid_from <= month)
            .group_by(r.code).subquery())


def _closed_by(as_of: dt.date):
    r = m.Rectification
    return and_(r.status == RECT_CLOSED, r.closed_date.is_not(None), r.closed_date <= as_of)


def _status_is(status: str, as_of: dt.date):
    """SQL condition: the item's status at `as_of` is `status` (已销号 only once its 销号日期 has come)."""
    r = m.Rectification
    if status == RECT_CLOSED:
        return _closed_by(as_of)
    if status == RECT_IN_PROGRESS:
        return or_(r.status == RECT_IN_PROGRESS, and_(r.status == RECT_CLOSED, not_(_closed_by(as_of))))
    return r.status == status


def items(engine: Engine, q: ItemQuery) -> pd.DataFrame:
    """The items as of ``q.month`` matching the query (ITEM_COLUMNS), ordered by county, found date and code."""
    r, c, s = m.Rectification, m.County, m.Site
    latest = _latest(q.month)
    stmt = (select(r.code.label("item_code"), r.county_code, c.name.label("county_name"), r.site_code,
                   s.name.label("site_name"), r.source, r.description, r.unit, r.found_date, r.deadline, r.status,
                   r.closed_date, r.valid_from, r.note, r.recorded_by, r.recorded_at)
            .join(latest, and_(latest.c.code == r.code, latest.c.vf == r.valid_from))
            .join(c, c.code == r.county_code, isouter=True)
            .join(s, and_(s.code == r.site_code, holding(s, q.month)), isouter=True)
            .where(r.found_date <= q.end)
            .order_by(c.sort_order, r.found_date, r.code))
    if q.county_code is not None:
        stmt = stmt.where(r.county_code == q.county_code)
    if q.site_code:
        stmt = stmt.where(r.site_code == q.site_code)
    if q.source:
        stmt = stmt.where(r.source == q.source)
    if q.status:
        stmt = stmt.where(_status_is(q.status, q.as_of))
    if q.overdue:
        stmt = stmt.where(not_(_closed_by(q.as_of)), r.deadline < q.as_of)
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return pd.DataFrame([tuple(x) for x in rows], columns=ITEM_COLUMNS, dtype=object)


def item(engine: Engine, code: str, month: str) -> dict | None:
    """The item's version holding at `month` (its latest at or before it), as a dict; None when it has none."""
    r = m.Rectification
    stmt = (select(r.code, r.valid_from, *[getattr(r, x) for x in RECT_PAYLOAD], r.note, r.recorded_by,
                   r.recorded_at)
            .where(r.code == code, r.valid_from <= month).order_by(r.valid_from.desc()).limit(1))
    with engine.connect() as conn:
        row = conn.execute(stmt).first()
    return None if row is None else dict(row._mapping)


def item_counties(engine: Engine, code: str) -> set[str]:
    """Every county any version of the item was recorded for (empty: no such item)."""
    r = m.Rectification
    with engine.connect() as conn:
        return set(conn.execute(select(r.county_code).where(r.code == code).distinct()).scalars())


def history(engine: Engine, code: str) -> pd.DataFrame:
    """Every recorded version of the item, oldest first (HISTORY_COLUMNS)."""
    r = m.Rectification
    stmt = select(*[getattr(r, "code" if x == "item_code" else x) for x in HISTORY_COLUMNS]).where(
        r.code == code).order_by(r.valid_from)
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return pd.DataFrame([tuple(x) for x in rows], columns=HISTORY_COLUMNS, dtype=object)


def codes_like(engine: Engine, prefix: str) -> list[str]:
    """Item codes starting with `prefix` (for the next free sequence number)."""
    r = m.Rectification
    with engine.connect() as conn:
        return list(conn.execute(select(r.code).where(r.code.like(prefix + "%")).distinct()).scalars())


def county_names(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return {code: name for code, name in conn.execute(select(m.County.code, m.County.name))}


def site_county(engine: Engine, site_code: str, month: str) -> str | None:
    """County of the site as of `month` (its latest version starting at or before it, else its first); None when
    no ledger ever reported the site."""
    s = m.Site
    with engine.connect() as conn:
        got = conn.execute(select(s.county_code).where(s.code == site_code, s.valid_from <= month)
                           .order_by(s.valid_from.desc()).limit(1)).scalar()
        if got is None:
            got = conn.execute(select(s.county_code).where(s.code == site_code).order_by(s.valid_from)
                               .limit(1)).scalar()
    return got


def sites_of(engine: Engine, month: str, county_code: str | None) -> list[tuple[str, str]]:
    """(site_code, site_name) of the sites existing at `month`, of one county or all (None)."""
    s, c = m.Site, m.County
    stmt = (select(s.code, s.name).join(c, c.code == s.county_code).where(holding(s, month))
            .order_by(c.sort_order, s.code))
    if county_code is not None:
        stmt = stmt.where(s.county_code == county_code)
    with engine.connect() as conn:
        return [(a, b) for a, b in conn.execute(stmt)]


def write(engine: Engine, month: str, values: dict, *, user: str, note: str | None, detail: str) -> bool:
    """Record `values` (code + RECT_PAYLOAD) as the item's version from `month`, bump the data versions from
    `month` on and audit it, in one transaction. False (and nothing written) when nothing changed;
    ConcurrentWrite (data.versions) when another session wrote the item's version of `month` meanwhile (here
    also when the unique code + valid_from refuses the second of two writes)."""
    refused = (IntegrityError, engine.dialect.loaded_dbapi.IntegrityError)   # bulk writes run on the driver
    try:
        with Session(engine) as s, s.begin():
            changed = write_rectification_version(BulkWriter(s.connection()), month, values, user=user, note=note)
            if not changed:
                return False
            bump_data_version(s, {month}, from_month=month)
            audit.record(s, user=user, action=audit.RECTIFICATION, detail=detail)
    except refused:
        r = m.Rectification
        with engine.connect() as conn:
            taken = conn.execute(select(r.id).where(r.code == values["code"], r.valid_from == month)).first()
        if taken is None:
            raise
        raise ConcurrentWrite(values["code"]) from None
    return True


__all__ = ["ConcurrentWrite", "HISTORY_COLUMNS", "ITEM_COLUMNS", "ItemQuery", "RECT_OPEN", "codes_like",
           "county_names", "history", "item", "item_counties", "items", "site_county", "sites_of", "write"]
