"""Household queries for the rights matrix, paged household lists and the 一户一档 page. Everything is filtered
and aggregated in SQL: the matrix reads (site, 户籍, item, status) counts, lists read one page (LIMIT/OFFSET)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Engine, and_, case, func, or_, select, true

from data import models as m
from data.repository import holding, months as data_months
from domain.rights import DEST, OPEN, ORIGIN, RIGHTS, RIGHTS_CODES, SIDE_PLATFORM, STATUS_BY_STORED

LIST_COLUMNS = ["household_code", "site_code", "head_name", "head_id", "family_size", "labour_count",
                "origin_county", "origin_town", "origin_village", "hukou_moved"]


def _scope(stmt, county: str | None, site: str | None = None):
    h = m.Household
    if county is not None:          # "" (a county account without a county) matches nothing
        stmt = stmt.where(h.site_code.in_(select(m.Site.code).where(m.Site.county_code == county).distinct()))
    if site:
        stmt = stmt.where(h.site_code == site)
    return stmt


def rights_counts(engine: Engine, month: str, county: str | None = None) -> pd.DataFrame:
    """(group=site_code, moved, item, status, n) counted in SQL in one scan: one row per (site, 户籍 moved) with a
    conditional sum per (item, status); blank status → -1. Zero counts are left out."""
    h = m.Household
    moved = func.coalesce(h.hukou_moved, False)
    stored = [s.stored for s in STATUS_BY_STORED.values() if s.stored is not None]
    keys, sums = [], []
    for code in RIGHTS_CODES:
        col = getattr(h, code.lower())
        for st in stored:
            keys.append((code, int(st)))
            sums.append(func.sum(case((col == st, 1), else_=0)))
        keys.append((code, -1))
        sums.append(func.sum(case((col.is_(None), 1), else_=0)))
    q = _scope(select(h.site_code, moved, *sums).where(holding(h, month)), county).group_by(h.site_code, moved)
    with engine.connect() as conn:
        rows = conn.execute(q).all()
    if not rows:
        return pd.DataFrame(columns=["group", "moved", "item", "status", "n"])
    groups = np.array([r[0] for r in rows], dtype=object)
    mv = np.array([bool(r[1]) for r in rows], dtype=bool)
    n = np.array([r[2:] for r in rows], dtype=np.int64)            # (rows, items × statuses)
    gi, ki = np.nonzero(n)
    items = np.array([k[0] for k in keys], dtype=object)
    statuses = np.array([k[1] for k in keys], dtype=np.int64)
    return pd.DataFrame({"group": groups[gi], "moved": mv[gi], "item": items[ki], "status": statuses[ki],
                         "n": n[gi, ki]})


def _item_condition(code: str, kind: str, side: str | None, platform: str | None):
    """SQL condition: item ``code`` is a gap of ``kind`` (gap / open / blank / done) on the side/platform."""
    h = m.Household
    col = getattr(h, code.lower())
    cond = {"gap": or_(col.is_(None), col == OPEN.stored), "open": col == OPEN.stored, "blank": col.is_(None),
            "done": col == 1}[kind]
    it = next(r for r in RIGHTS if r.code == code)
    moved = h.hukou_moved.is_(True)
    parts = [cond]
    for want, sides_of in ((side, lambda s: s), (platform, lambda s: SIDE_PLATFORM[s].label)):
        if not want:
            continue
        if it.side is not None:
            fixed = it.side if want == side else it.platform.label
            if fixed != want:
                return None
        else:
            ok = [s for s in (DEST, ORIGIN) if sides_of(s) == want]
            if not ok:
                return None
            if len(ok) == 1:
                parts.append(moved if ok[0] == DEST else ~moved.self_group())
    return and_(*parts)


def household_page(engine: Engine, month: str, *, county: str | None = None, site: str | None = None,
                   item: str | None = None, kind: str = "gap", side: str | None = None,
                   platform: str | None = None, limit: int = 50, offset: int = 0) -> tuple[int, pd.DataFrame]:
    """(total, one page) of the month's households with ``item`` (or any item) in ``kind``, ordered by code."""
    h = m.Household
    codes = [item] if item else RIGHTS_CODES
    conds = [c for c in (_item_condition(x, kind, side, platform) for x in codes) if c is not None]
    where = or_(*conds) if conds else ~true()
    base = _scope(select(h.id).where(holding(h, month), where), county, site)
    cols = [getattr(h, c) for c in LIST_COLUMNS] + [getattr(h, c.lower()).label(c) for c in RIGHTS_CODES]
    page = _scope(select(*cols).where(holding(h, month), where), county, site) \
        .order_by(h.household_code).limit(limit).offset(offset)
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(base.subquery())).scalar_one()
        res = conn.execute(page)
        df = pd.DataFrame(res.fetchall(), columns=list(res.keys()))
    return int(total), _labels(df)


def _labels(df: pd.DataFrame) -> pd.DataFrame:
    for c in RIGHTS_CODES:
        if c in df:
            df[c] = [None if v is None or pd.isna(v) else STATUS_BY_STORED[int(v)].label for v in df[c]]
    return df


def household_history(engine: Engine, code: str, county: str | None = None) -> pd.DataFrame:
    """One row per month with data in which a version of the household held (in scope), oldest first: the
    household's versions (data.versions) spread over the months they hold."""
    h = m.Household
    cols = [h.valid_from, h.valid_to] + [getattr(h, c) for c in LIST_COLUMNS] \
        + [h.income_prev, h.income_curr, h.monitored] + [getattr(h, c.lower()).label(c) for c in RIGHTS_CODES]
    stmt = _scope(select(*cols).where(h.household_code == code), county).order_by(h.valid_from)
    with engine.connect() as conn:
        res = conn.execute(stmt)
        versions = pd.DataFrame(res.fetchall(), columns=list(res.keys()))
    rows = []
    known = data_months(engine)
    for v in versions.to_dict(orient="records"):
        start, end = v.pop("valid_from"), v.pop("valid_to")
        end = None if end is None or pd.isna(end) else end
        rows += [dict(month=mo, **v) for mo in known if mo >= start and (end is None or mo < end)]
    out = pd.DataFrame(rows, columns=["month", *[c for c in versions.columns if c not in ("valid_from", "valid_to")]])
    return _labels(out)


def household_labour(engine: Engine, code: str, month: str) -> pd.DataFrame:
    lb = m.Labourer
    cols = [lb.person_id, lb.name, lb.gender, lb.trained, lb.certified, lb.employed, lb.employment_form,
            lb.monthly_income]
    stmt = select(*cols).where(lb.household_code == code, holding(lb, month)).order_by(lb.person_id)
    with engine.connect() as conn:
        res = conn.execute(stmt)
        return pd.DataFrame(res.fetchall(), columns=list(res.keys()))


def labour_mismatch(engine: Engine, month: str, county: str | None = None, *, limit: int = 50,
                    offset: int = 0) -> tuple[int, pd.DataFrame]:
    """(total, one page) of the month's households whose 劳动力人数 differs from the labour rows listed for them
    (a blank 劳动力人数 counts as 0), ordered by code; paged in SQL."""
    h, lb = m.Household, m.Labourer
    listed = (select(lb.household_code.label("code"), func.count().label("n")).where(holding(lb, month))
              .group_by(lb.household_code).subquery())
    n = func.coalesce(listed.c.n, 0)
    stated = func.coalesce(h.labour_count, 0)
    q = _scope(select(h.household_code, h.site_code, h.head_name, h.head_id, h.family_size, h.labour_count,
                      n.label("labourers_listed"))
               .outerjoin(listed, listed.c.code == h.household_code)
               .where(holding(h, month), stated != n), county)
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(q.subquery())).scalar_one()
        res = conn.execute(q.order_by(h.household_code).limit(limit).offset(offset))
        return int(total), pd.DataFrame(res.fetchall(), columns=list(res.keys()))
