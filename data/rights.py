"""Rights queries over the monthly household snapshots, aggregated in SQL (a city of 80 000 households is never
expanded to 1.2 million (household, item) pairs in Python).

* ``coverage_totals(engine, month, county=None)`` — pooled coverage (%) overall and per side (迁入地 / 迁出地):
  已落实 / (pairs not 不适用), blanks counted in the denominator (domain.md §11). Each item's responsible side
  and the stored status codes come from the rights catalogue (``domain.rights``); an item whose side follows the
  household's 户籍 (R01) belongs to 迁入地 when the 户籍 has moved and to 迁出地 otherwise (blank → 迁出地).
  Same figures as ``scoring.rights.coverage``.
* ``households_with_gaps(engine, month, county=None)`` — the month's households having at least one item 未落实
  or blank, as a ``HOUSEHOLD_COLUMNS`` frame.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine, case, func, or_, select

from data import models as m
from data.repository import holding
from domain.rights import DEST, DONE, NOT_APPLICABLE, OPEN, ORIGIN, RIGHTS, RIGHTS_CODES, STATUS_BY_STORED
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
