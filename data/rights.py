"""Rights queries over the monthly household snapshots, aggregated in SQL (a city of 80 000 households is never
expanded to 1.2 million (household, item) pairs in Python).

* ``coverage_totals(engine, month, county=None)`` — pooled coverage (%) overall and per side (迁入地 / 迁出地):
  已落实 / (pairs not 不适用), blanks counted in the denominator (domain.md §11). Each item's responsible side
  and the stored status codes come from the rights catalogue (``domain.rights``); an item whose side follows the
  household's 户籍 (R01) belongs to 迁入地 when the 户籍 has moved and to 迁出地 otherwise (blank → 迁出地).
  Same figures as ``scoring.rights.coverage``.
* ``households_with_gaps(engine, month, county=None)`` — the month's households having at least one item 未落实
  or blank, as a ``HOUSEHOLD_COLUMNS`` frame.
* ``gap_rows(engine, month, f, limit=None, offset=0)`` — the 权益缺口 list, one row per (household, item) with a gap,
  filtered by a ``GapFilter`` (county, sites, items, status, side, platform, household) in SQL and ordered by
  (household code, item); ``limit``/``offset`` page it in the database (a province's 200k rows are never read
  to show one page).
* ``gap_counts(engine, month, f)`` — households, gaps, 未落实 / 漏项 and per-side totals of the same filter, one SQL
  aggregate over the households (no (household, item) expansion).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine, Integer, String, and_, case, false, func, literal, or_, select, true, union_all

from data import models as m
from data.repository import holding
from domain.rights import (BLANK, DEST, DONE, NOT_APPLICABLE, OPEN, ORIGIN, RIGHTS, RIGHTS_CODES, SIDE_PLATFORM,
                           STATUS_BY_STORED)
from scoring.frames import HOUSEHOLD_COLUMNS


@dataclass(frozen=True)
class CoverageTotals:
    """Pooled coverage in percent (NaN when nothing is applicable)."""
    coverage: float
    coverage_in: float      # items 迁入地 is responsible for
    coverage_out: float     # items 迁出地 is responsible for


def _in_county(stmt, county: str | None):
    if county is not None:          # "" (a county account without a county) matches nothing
        h = m.Household
        stmt = stmt.where(h.site_code.in_(select(m.Site.code).where(m.Site.county_code == county).distinct()))
    return stmt


def coverage_totals(engine: Engine, month: str, county: str | None = None) -> CoverageTotals:
    h = m.Household
    moved = h.hukou_moved.is_(True)
    side_of = {DEST: moved, ORIGIN: ~moved.self_group()}     # who answers for an item whose side follows 户籍
    exprs: dict[str, list] = {"done": [], "appl": [], f"done_{DEST}": [], f"appl_{DEST}": [],
                              f"done_{ORIGIN}": [], f"appl_{ORIGIN}": []}
    for item in RIGHTS:
        col = getattr(h, item.code.lower())
        done = col == DONE.stored
        applicable = col.is_(None) | (col != NOT_APPLICABLE.stored)
        exprs["done"].append(func.sum(case((done, 1), else_=0)))
        exprs["appl"].append(func.sum(case((col.is_(None), 1), (col != NOT_APPLICABLE.stored, 1), else_=0)))
        for side in (DEST, ORIGIN):
            if not item.side_by_hukou:
                if item.side == side:
                    exprs[f"done_{side}"].append(exprs["done"][-1])
                    exprs[f"appl_{side}"].append(exprs["appl"][-1])
            else:
                exprs[f"done_{side}"].append(func.sum(case((done & side_of[side], 1), else_=0)))
                exprs[f"appl_{side}"].append(func.sum(case((side_of[side] & applicable, 1), else_=0)))
    keys = list(exprs)
    flat = [e for k in keys for e in exprs[k]]
    stmt = _in_county(select(*flat).where(holding(h, month)), county)
    with engine.connect() as conn:
        row = [int(x or 0) for x in conn.execute(stmt).one()]
    sums, i = {}, 0
    for k in keys:
        n = len(exprs[k])
        sums[k] = sum(row[i:i + n])
        i += n

    def pct(done: int, appl: int) -> float:
        return 100.0 * done / appl if appl else np.nan

    return CoverageTotals(coverage=pct(sums["done"], sums["appl"]),
                          coverage_in=pct(sums[f"done_{DEST}"], sums[f"appl_{DEST}"]),
                          coverage_out=pct(sums[f"done_{ORIGIN}"], sums[f"appl_{ORIGIN}"]))


def households_with_gaps(engine: Engine, month: str, county: str | None = None) -> pd.DataFrame:
    h = m.Household
    cols = [getattr(h, c) for c in HOUSEHOLD_COLUMNS if c not in RIGHTS_CODES]
    rights = [getattr(h, c.lower()).label(c) for c in RIGHTS_CODES]
    any_gap = or_(*[getattr(h, c.lower()).is_(None) for c in RIGHTS_CODES],
                  *[getattr(h, c.lower()) == OPEN.stored for c in RIGHTS_CODES])
    stmt = _in_county(select(*cols, *rights).where(holding(h, month), any_gap).order_by(h.household_code), county)
    with engine.connect() as conn:
        res = conn.execute(stmt)
        df = pd.DataFrame(res.fetchall(), columns=list(res.keys()))
    for c in HOUSEHOLD_COLUMNS:
        if c not in df:
            df[c] = pd.Series(dtype=object)
    labels = {s.stored: s.label for s in STATUS_BY_STORED.values() if s.stored is not None}
    for c in RIGHTS_CODES:
        df[c] = df[c].map(labels).astype("object").where(df[c].notna(), None)
    return df[HOUSEHOLD_COLUMNS]


# ------------------------------------------------------------------------------------------------ gap list in SQL
GAP_ROW_COLUMNS = ["household_code", "site_code", "head_name", "head_id", "item", "status", "side", "platform"]


@dataclass(frozen=True)
class GapFilter:
    """What the 权益缺口 list shows; every field narrows it (empty = no restriction). Hashable (a cache key).
    ``county`` is the scope-narrowed county; ``status`` OPEN.label (未落实) or BLANK.label (未核实, 漏项)."""
    county: str | None = None
    sites: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    status: str | None = None
    side: str | None = None
    platform: str | None = None
    household: str | None = None


@dataclass(frozen=True)
class GapCounts:
    households: int
    gaps: int
    open: int           # 未落实
    blank: int          # 未核实 (漏项)
    by_side: dict       # side -> gaps


def _gap_households(f: GapFilter, month: str) -> list:
    """WHERE conditions on the households: the month's versions, county, sites, one household."""
    h = m.Household
    cond = [holding(h, month)]
    if f.county is not None:
        s = m.Site
        cond.append(h.site_code.in_(select(s.code).where(s.county_code == f.county, holding(s, month))))
    if f.sites:
        cond.append(h.site_code.in_(list(f.sites)))
    if f.household:
        cond.append(h.household_code == f.household)
    return cond


def _gap_status(col, status: str | None):
    if status == OPEN.label:
        return col == OPEN.stored
    if status == BLANK.label:
        return col.is_(None)
    return or_(col.is_(None), col == OPEN.stored)


def _item_parts(f: GapFilter):
    """(item, side condition or None for 'always') for each item the filter can show: an item of a fixed side or
    platform is kept or dropped here; R01's side follows 户籍 and becomes a condition on the household."""
    moved = m.Household.hukou_moved.is_(True)
    parts = []
    for it in RIGHTS:
        if f.items and it.code not in f.items:
            continue
        if not it.side_by_hukou:
            if (f.side and it.side != f.side) or (f.platform and it.platform.label != f.platform):
                continue
            parts.append((it, None, {it.side: None}))
            continue
        sides = [sd for sd in (DEST, ORIGIN) if (not f.side or f.side == sd)
                 and (not f.platform or SIDE_PLATFORM[sd].label == f.platform)]
        if not sides:
            continue
        when = {DEST: moved, ORIGIN: ~moved.self_group()}
        cond = None if len(sides) == 2 else when[sides[0]]
        parts.append((it, cond, {sd: when[sd] for sd in sides}))
    return parts


def _gap_statement(f: GapFilter, month: str):
    """SELECT of the gap rows (GAP_ROW_COLUMNS, status as its stored code) ordered by (household code, item):
    the month's households crossed with the catalogue items the filter keeps, keeping the pairs with a gap."""
    h = m.Household
    parts = _item_parts(f)
    if not parts:
        return None
    items = union_all(*[select(literal(RIGHTS_CODES.index(it.code), Integer).label("idx"),
                               literal(it.code, String).label("code"), literal(it.side, String).label("side"),
                               literal(it.platform.label if it.platform else None, String).label("platform"))
                        for it, _, _ in parts]).cte("gap_items")
    status = case({RIGHTS_CODES.index(it.code): getattr(h, it.code.lower()) for it, _, _ in parts},
                  value=items.c.idx)
    moved = h.hukou_moved.is_(True)
    side = func.coalesce(items.c.side, case((moved, literal(DEST)), else_=literal(ORIGIN)))
    platform = func.coalesce(items.c.platform, case((moved, literal(SIDE_PLATFORM[DEST].label)),
                                                    else_=literal(SIDE_PLATFORM[ORIGIN].label)))
    item_cond = [and_(items.c.idx == RIGHTS_CODES.index(it.code), cond) for it, cond, _ in parts if cond is not None]
    where = [*_gap_households(f, month), _gap_status(status, f.status)]
    if item_cond:
        free = [RIGHTS_CODES.index(it.code) for it, cond, _ in parts if cond is None]
        where.append(or_(items.c.idx.in_(free) if free else false(), *item_cond))
    return (select(h.household_code, h.site_code, h.head_name, h.head_id, items.c.code.label("item"),
                   status.label("status"), side.label("side"), platform.label("platform"))
            .select_from(h).outerjoin(items, true()).where(*where)
            .order_by(h.household_code, h.valid_from, items.c.idx))


def gap_rows(engine: Engine, month: str, f: GapFilter, limit: int | None = None, offset: int = 0) -> pd.DataFrame:
    """The gap rows of `f` (GAP_ROW_COLUMNS; status as its label 未落实 / 未核实), a page of them with `limit`."""
    stmt = _gap_statement(f, month)
    if stmt is None:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in GAP_ROW_COLUMNS})
    if limit is not None:
        stmt = stmt.limit(limit).offset(offset)
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    cols = list(zip(*rows)) if rows else [()] * len(GAP_ROW_COLUMNS)
    df = pd.DataFrame({k: pd.Series(list(v), dtype=object) for k, v in zip(GAP_ROW_COLUMNS, cols)})
    df["status"] = np.where(df["status"].isna(), BLANK.label, OPEN.label) if len(df) else df["status"]
    return df


def gap_counts(engine: Engine, month: str, f: GapFilter) -> GapCounts:
    """Totals of the gap rows of `f` by one pass over the month's households: per household the number of gaps,
    of blanks and of 迁入地 gaps (sums of 0/1 flags, one per item kept), then summed."""
    h = m.Household
    parts = _item_parts(f)
    if not parts:
        return GapCounts(0, 0, 0, 0, {DEST: 0, ORIGIN: 0})

    def flag(cond):
        return case((cond, 1), else_=0)

    gaps, blanks, dest = [], [], []
    for it, cond, by_side in parts:
        col = getattr(h, it.code.lower())
        gap = _gap_status(col, f.status)
        gap = and_(gap, cond) if cond is not None else gap
        gaps.append(flag(gap))
        if f.status != OPEN.label:
            blanks.append(flag(and_(col.is_(None), cond) if cond is not None else col.is_(None)))
        if DEST in by_side:
            when = by_side[DEST]
            dest.append(flag(and_(gap, when) if when is not None else gap))
    total = lambda xs: sum(xs[1:], xs[0]) if xs else literal(0)  # noqa: E731
    per = (select(total(gaps).label("g"), total(blanks).label("b"), total(dest).label("d"))
           .where(*_gap_households(f, month)).subquery())
    stmt = select(func.count(), func.sum(per.c.g), func.sum(per.c.b), func.sum(per.c.d)).where(per.c.g > 0)
    with engine.connect() as conn:
        hh, n, blank, d = (int(x or 0) for x in conn.execute(stmt).one())
    return GapCounts(households=hh, gaps=n, open=n - blank, blank=blank, by_side={DEST: d, ORIGIN: n - d})
