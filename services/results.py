"""A month's stored results, joined for display: the one input every view model reads.

``results(engine, month)`` takes ``services.store.month_results`` (scores, robustness and county figures,
computed once per month and catalogue version and kept in the database), joins the site facts and gives each
county one display level. ``provider(engine, res)`` is how view models read months: `res` when given
(components/cache.py passes a cached one), else a per-call memo.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from data import repository as repo
from domain.scope import CITY_SCOPE, Scope
from scoring.catalogue import Catalogue, load_catalogue
from services import store
from services.store import MonthResults

ROBUSTNESS_COLUMNS = ["median_rank", "rank_p05", "rank_p95", "qualified_prob"]
FACT_COLUMNS = ["site_code", "lon", "lat", "town", "households", "built_year"]


@dataclass
class MonthView:
    """What the view models need from a month: site scores (with robustness and facts), indicator points,
    county figures (``level``: one display level; ``reasons``: the flag sentences), praise and 摘牌预警."""
    month: str
    sites: pd.DataFrame
    indicators: pd.DataFrame
    counties: pd.DataFrame
    catalogue_version: str
    computed_at: dt.datetime | None = None
    raw: MonthResults | None = None
    praise: list[str] = field(default_factory=list)
    warnings: pd.DataFrame = field(default_factory=pd.DataFrame)


class Provider(Protocol):
    """month -> MonthView; ``months()`` lists the months with data."""

    def __call__(self, month: str) -> MonthView: ...

    def months(self) -> list[str]: ...


class _Memo:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.memo: dict[str, MonthView] = {}

    def __call__(self, month: str) -> MonthView:
        if month not in self.memo:
            self.memo[month] = results(self.engine, month)
        return self.memo[month]

    def months(self) -> list[str]:
        return repo.months(self.engine)


def provider(engine: Engine, res: Provider | None = None) -> Provider:
    """`res` when given, else a per-call memo over results()."""
    return res if res is not None else _Memo(engine)


def scoped(r: MonthView, scope: Scope | None) -> MonthView:
    """The month's view limited to a scope: that county's sites, indicators, county row, praise and 摘牌预警.
    Ranks stay the city's ranks; other counties' names, scores and reasons are gone."""
    scope = scope or CITY_SCOPE
    if scope.is_city:
        return r
    sites = scope.filter(r.sites)
    counties = scope.filter(r.counties)
    names = set(counties["county_name"]) if "county_name" in counties else set()
    warnings = r.warnings
    if isinstance(warnings, pd.DataFrame) and len(warnings.columns):
        warnings = (scope.filter(warnings) if "county_code" in warnings
                    else warnings[warnings["site_code"].isin(sites["site_code"])] if "site_code" in warnings
                    else warnings.iloc[0:0])
    return MonthView(r.month, sites, r.indicators[r.indicators["site_code"].isin(sites["site_code"])], counties,
                     r.catalogue_version, computed_at=r.computed_at, raw=None,
                     praise=[p for p in r.praise if p in names], warnings=warnings)


class _Scoped:
    """A Provider whose months are limited to a scope."""

    def __init__(self, inner: Provider, scope: Scope):
        self.inner, self.scope = inner, scope

    def __call__(self, month: str) -> MonthView:
        return scoped(self.inner(month), self.scope)

    def months(self) -> list[str]:
        return self.inner.months()


def scoped_provider(engine: Engine, res: Provider | None, scope: Scope | None) -> Provider:
    """provider(engine, res) limited to `scope` (the same provider for the city)."""
    p = provider(engine, res)
    return p if scope is None or scope.is_city else _Scoped(p, scope)


def months_of(engine: Engine, res: Provider | None) -> list[str]:
    f = getattr(res, "months", None)
    return f() if f is not None else repo.months(engine)


def results(engine: Engine, month: str) -> MonthView:
    """Scores of the month joined with robustness and site facts, plus the county frame."""
    return from_store(engine, month, store.month_results(engine, month))


def from_store(engine: Engine, month: str, mr: MonthResults) -> MonthView:
    sites = _join_sites(mr.scores.sites, mr.mc, repo.sites(engine))
    c = mr.county.counties.copy()
    # one display level per county: escalation (建议约谈 / 建议约谈主要负责人) wins over 进度滞后
    esc = c["escalation"].fillna("") if "escalation" in c else pd.Series("", index=c.index)
    c["level"] = np.where(esc != "", esc, c["level"])
    # the flag sentences (scoring.progress keeps each flag's code apart: flag_codes / flag_list)
    c["reasons"] = c["reasons"].map(lambda r: [str(x) for x in r] if isinstance(r, (list, tuple, np.ndarray)) else [])
    return MonthView(month, sites, mr.scores.indicators, c, mr.catalogue_version, computed_at=mr.computed_at,
                     raw=mr, praise=list(getattr(mr.county, "praise", []) or []),
                     warnings=mr.county.warnings if hasattr(mr.county, "warnings") else pd.DataFrame())


def _join_sites(scores: pd.DataFrame, mc: pd.DataFrame | None, facts: pd.DataFrame) -> pd.DataFrame:
    out = scores.copy()
    if mc is not None and len(mc):
        out = out.merge(mc[["site_code", *ROBUSTNESS_COLUMNS]], on="site_code", how="left")
    else:
        for c in ROBUSTNESS_COLUMNS:
            out[c] = np.nan
    return out.merge(facts[FACT_COLUMNS], on="site_code", how="left")


def history_months(engine: Engine, month: str, n: int = 12, res: Provider | None = None) -> list[str]:
    ms = [m for m in months_of(engine, res) if m <= month]
    return ms[-n:]


def history(engine: Engine, month: str, n: int = 12, res: Provider | None = None) -> dict[str, MonthView]:
    """Results of the last n months up to `month` (one pass over services.store, or via `res`)."""
    months = history_months(engine, month, n, res)
    if res is not None:
        return {m: res(m) for m in months}
    return {m: from_store(engine, m, r) for m, r in store.history(engine, months).items()}


def catalogue(r: MonthView) -> Catalogue:
    return load_catalogue(r.catalogue_version)


def dimension_labels(r: MonthView) -> dict[str, str]:
    """dim_<key> column -> Chinese dimension name, from the month's indicator catalogue."""
    return {f"dim_{d.key}": d.name for d in catalogue(r).dimensions}



def grade_names(r: MonthView) -> list[str]:
    """The catalogue's grades, best first (优秀 良好 合格 不合格 in v1)."""
    cat = catalogue(r)
    return [g for g, _ in cat.grades] + [cat.grade_default]
