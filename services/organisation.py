"""组织建设 view model: per site the three service platforms and the ten 双五级 posts (应设/已设), gaps marked;
P1 and N1 as scoring computed them (stored indicator values). Read within the user's Scope."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from data import repository as repo
from domain.organisation import PLATFORMS_REGISTRY, POSTS_REGISTRY
from domain.scope import Scope
from services.results import Provider, provider

BUILT, NOT_BUILT, NOT_REPORTED = "已建成", "未建成", "未填报"
GAP_COLUMNS = ["县（市、区）", "安置点", "类别", "项目", "应设", "已设", "缺口"]


@dataclass(frozen=True)
class OrganisationView:
    month: str
    sites: pd.DataFrame         # 县, 安置点, platforms, posts "已设/应设", 配备率, 缺口; site_code kept
    gaps: pd.DataFrame          # one row per (site, post or platform) short of what it should have
    post_labels: list[str]
    platform_labels: list[str]


def organisation_view(engine: Engine, month: str, scope: Scope, *, county: str | None = None,
                      res: Provider | None = None) -> OrganisationView:
    county = scope.narrow(county)
    sites = repo.sites(engine, month)
    if county is not None:
        sites = sites[sites["county_code"] == county]
    org = repo.organisation(engine, month)
    org = org[org["site_code"].isin(set(sites["site_code"]))].drop_duplicates("site_code").set_index("site_code")
    ind = provider(engine, res)(month).indicators
    n1 = ind[ind["code"] == "N1"].set_index("site_code")["value"] if len(ind) else pd.Series(dtype=float)
    rows, gaps = [], []
    for s in sites.itertuples(index=False):
        row = {"县（市、区）": s.county_name, "安置点": s.site_name}
        o = org.loc[s.site_code] if s.site_code in org.index else None
        for p in PLATFORMS_REGISTRY:
            v = None if o is None else o[p.key]
            row[p.label] = NOT_REPORTED if v is None or pd.isna(v) else (BUILT if bool(v) else NOT_BUILT)
            if row[p.label] != BUILT:
                gaps.append({"县（市、区）": s.county_name, "安置点": s.site_name, "类别": "服务平台",
                             "项目": p.label, "应设": 1, "已设": 0 if row[p.label] == NOT_BUILT else None,
                             "缺口": row[p.label]})
        short = 0
        for p in POSTS_REGISTRY:
            req = None if o is None else o[f"{p.key}_required"]
            act = None if o is None else o[f"{p.key}_actual"]
            req = None if req is None or pd.isna(req) else int(req)
            act = None if act is None or pd.isna(act) else int(act)
            row[p.label] = NOT_REPORTED if req is None else f"{act if act is not None else '—'}/{req}"
            gap = max(req - (act or 0), 0) if req is not None else 0
            short += gap
            if gap:
                gaps.append({"县（市、区）": s.county_name, "安置点": s.site_name, "类别": p.line, "项目": p.label,
                             "应设": req, "已设": act, "缺口": f"缺 {gap} 个"})
        row["双五级配备率（%）"] = round(float(n1.get(s.site_code)), 1) if s.site_code in n1.index \
            and pd.notna(n1.get(s.site_code)) else None
        row["岗位缺口"] = short
        row["site_code"] = s.site_code
        rows.append(row)
    cols = ["县（市、区）", "安置点", *[p.label for p in PLATFORMS_REGISTRY], *[p.label for p in POSTS_REGISTRY],
            "双五级配备率（%）", "岗位缺口", "site_code"]
    return OrganisationView(month=month, sites=pd.DataFrame(rows, columns=cols),
                            gaps=pd.DataFrame(gaps, columns=GAP_COLUMNS),
                            post_labels=[p.label for p in POSTS_REGISTRY],
                            platform_labels=[p.label for p in PLATFORMS_REGISTRY])
