"""What validation needs from the database (counties, sites, the month's households and labour, reported
indicators), loaded lazily. Reads only."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select

from data import models as m
from data.repository import holding
from data.workbook import spec as S


class DbContext:
    """What validation needs from the database, loaded lazily."""

    def __init__(self, engine: Engine):
        self.engine = engine
        with engine.connect() as c:
            self.counties = {r.code: r for r in c.execute(
                select(m.County.code, m.County.name, m.County.boundary_geojson, m.County.sort_order)
                .order_by(m.County.sort_order, m.County.code))}
            self.sites = {r.code: r.county_code for r in c.execute(
                select(m.Site.code, m.Site.county_code).order_by(m.Site.valid_from))}  # latest version wins
        self.county_lookup: dict[str, str] = {}
        for code, r in self.counties.items():
            self.county_lookup[re.sub(r"\s+", "", S.nfkc(r.name))] = code
            self.county_lookup.setdefault(code, code)

    def county_name(self, code: str | None) -> str:
        r = self.counties.get(code) if code else None
        return r.name if r else (code or "")

    def _rows(self, stmt, columns: list[str]) -> pd.DataFrame:
        with self.engine.connect() as c:
            rows = c.execute(stmt).all()
        return pd.DataFrame([tuple(r) for r in rows], columns=columns) if rows else \
            pd.DataFrame({k: pd.Series(dtype=object) for k in columns})

    def _in_chunks(self, base, column, values, columns: list[str]) -> pd.DataFrame:
        values = sorted(values)
        parts = [self._rows(base.where(column.in_(values[i:i + 1000])), columns)
                 for i in range(0, len(values), 1000)]
        return pd.concat(parts, ignore_index=True) if parts else self._rows(base.where(False), columns)

    def households_outside(self, month: str, sites: set[str]) -> pd.DataFrame:
        """household_code, site_code of the month's households on sites other than `sites`."""
        h = m.Household
        stmt = select(h.household_code, h.site_code).where(holding(h, month))
        if sites:
            stmt = stmt.where(h.site_code.not_in(sorted(sites)))
        return self._rows(stmt, ["household_code", "site_code"])

    def households_by_code(self, month: str, codes: set[str]) -> pd.DataFrame:
        """household_code, site_code, labour_count of the month's households with these codes."""
        h = m.Household
        cols = ["household_code", "site_code", "labour_count"]
        base = select(h.household_code, h.site_code, h.labour_count).where(holding(h, month))
        if len(codes) > 5000:  # many codes: one scan of the month is cheaper than IN lists
            df = self._rows(base, cols)
            return df[df["household_code"].isin(codes)]
        return self._in_chunks(base, h.household_code, codes, cols)

    def labour_outside(self, month: str, sites: set[str]) -> pd.DataFrame:
        """person_id, site_code of the month's labourers on sites other than `sites`."""
        lab = m.Labourer
        stmt = select(lab.person_id, lab.site_code).where(holding(lab, month))
        if sites:
            stmt = stmt.where(lab.site_code.not_in(sorted(sites)))
        return self._rows(stmt, ["person_id", "site_code"])

    def reported(self, month: str) -> pd.DataFrame:
        r = m.ReportedIndicator
        cols = [c.key for c in S.REPORTED.columns if c.key not in ("site_code", "month")]
        with self.engine.connect() as c:
            res = c.execute(select(r.site_code, *[getattr(r, k) for k in cols]).where(r.month == month))
            return pd.DataFrame(res.fetchall(), columns=["site_code", *cols])

    def existing_county(self, model, key_col, codes) -> np.ndarray:
        """County of each code already stored in `model` (None for a new code)."""
        wanted = sorted({c for c in codes if c is not None})
        found: dict[str, str] = {}
        with self.engine.connect() as c:
            for i in range(0, len(wanted), 500):
                for code, cc in c.execute(select(key_col, model.county_code).where(key_col.in_(wanted[i:i + 500]))):
                    found[code] = cc
        return np.array([found.get(c) if c is not None else None for c in codes], dtype=object)
