"""权益保障 view models: the sites × items matrix (coverage and gap counts, by side and platform) and the paged
list of households behind one cell (ID numbers masked). Every function takes the user's ``Scope`` and filters by
it in the query; a site or county outside it is refused (OutOfScope)."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from data import households as hh_sql
from data import repository as repo
from domain.idnumber import mask_many
from domain.rights import RIGHTS, RIGHTS_CODES
from domain.scope import Scope
from scoring.rights_matrix import matrix, wide
from services.profiles import check_site

KINDS = {"gap": "缺口（未落实＋漏项）", "open": "未落实", "blank": "漏项（未填报）"}


@dataclass(frozen=True)
class MatrixView:
    long: pd.DataFrame          # group, group_name, item, counts, coverage
    coverage: pd.DataFrame      # 安置点/县 × R01..R15 (percent)
    gaps: pd.DataFrame
    open: pd.DataFrame
    blank: pd.DataFrame
    names: dict[str, str]       # group code -> name
    groups: list[str]           # group codes in the row order of the wide tables


def rights_counts(engine: Engine, month: str, scope: Scope, *, county: str | None = None) -> pd.DataFrame:
    """(group=site_code, moved, item, status, n) aggregated in SQL within the scope (the one expensive read of the
    matrix: a page caches it and switches side, platform and value on it)."""
    return hh_sql.rights_counts(engine, month, scope.narrow(county))


def rights_matrix(engine: Engine, month: str, scope: Scope, *, county: str | None = None, by: str = "site",
                  side: str | None = None, platform: str | None = None,
                  counts: pd.DataFrame | None = None) -> MatrixView:
    """Counts read in SQL for the scope's county (or ``county`` for a city user; another county → OutOfScope);
    ``counts`` from rights_counts with the same scope and county saves reading them again."""
    county = scope.narrow(county)
    counts = hh_sql.rights_counts(engine, month, county) if counts is None else counts.copy()
    sites = repo.sites(engine)
    sites = sites[sites["county_code"] == county] if county is not None else sites
    if by == "county":
        to_county = dict(zip(sites["site_code"], sites["county_code"]))
        counts["group"] = counts["group"].map(to_county)
        names = dict(zip(sites["county_code"], sites["county_name"]))
    else:
        names = dict(zip(sites["site_code"], sites["site_name"]))
    mx = matrix(counts, side=side, platform=platform)
    mx.insert(1, "group_name", mx["group"].map(names))

    def w(v: str) -> pd.DataFrame:
        t = wide(mx, v)
        t.index = [f"{names.get(g, g)}（{g}）" for g in t.index]
        return t
    return MatrixView(long=mx, coverage=w("coverage"), gaps=w("gaps"), open=w("open"), blank=w("blank"),
                      names=names, groups=[str(g) for g in wide(mx, "coverage").index])


@dataclass(frozen=True)
class HouseholdPage:
    total: int
    rows: pd.DataFrame          # Chinese headers, IDs masked
    codes: list[str]


def household_list(engine: Engine, month: str, scope: Scope, *, county: str | None = None,
                   site: str | None = None, item: str | None = None, kind: str = "gap", side: str | None = None,
                   platform: str | None = None, page: int = 0, size: int = 50) -> HouseholdPage:
    """One page (LIMIT/OFFSET in SQL) of the households behind a matrix cell, in the scope's county only."""
    county = scope.narrow(county)
    if site:
        check_site(engine, site, scope)
    total, df = hh_sql.household_page(engine, month, county=county, site=site, item=item, kind=kind,
                                      side=side, platform=platform, limit=size, offset=page * size)
    sites = repo.sites(engine)
    site_names = dict(zip(sites["site_code"], sites["site_name"]))
    names = {r.code: r.name for r in RIGHTS}
    shown = item and [item] or RIGHTS_CODES

    def missing(row) -> str:
        out = []
        for c in shown:
            v = row[c]
            if v is None:
                out.append(f"{names[c]}（漏项）")
            elif v == "未落实":
                out.append(names[c])
        return "、".join(out)
    rows = pd.DataFrame({
        "户编码": df["household_code"], "安置点": df["site_code"].map(site_names), "户主": df["head_name"],
        "身份证号": mask_many(df["head_id"]) if len(df) else [], "家庭人口": df["family_size"],
        "迁出村": df["origin_village"], "缺口事项": [missing(r) for _, r in df.iterrows()] if len(df) else [],
    })
    return HouseholdPage(total=total, rows=rows, codes=list(df["household_code"]))
