"""安置点画像 and 县区画像 view models: a site's scores, points lost, history, rights, employment, organisation and
rectifications; a county's sites, creation progress, flag history and rectifications."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from data import repository as repo
from data.formatting import fmt_num
from domain.organisation import PARTY_LINE, PLATFORMS_REGISTRY, POSTS_REGISTRY
from domain.rights import RIGHTS, RIGHTS_CODES
from scoring.frames import MonthData
from scoring.progress import rectification_state
from scoring.rights import coverage, employment_metrics
from services.overview import city_trend
from services.ranking import ranking_of, ranking_table
from domain.scope import OutOfScope, Scope
from services.results import MonthView, Provider, catalogue, dimension_labels, history, provider

HISTORY_COLUMNS = ["month", "total", "rank", "rank_p05", "rank_p95", "grade", "qualified"]
RECTIFICATION_COLUMNS = ["编号", "来源", "问题描述", "责任单位", "发现日期", "整改时限", "状态", "是否逾期"]
LINE_LABELS = {PARTY_LINE: "党组织"}     # any other line: 行政
SIDE_BY_HUKOU = "按户籍"                 # 责任方 of an item whose side follows the household's 户籍 (R01)


@dataclass
class Employment:
    """Employment of one site: the counts and rates scoring computes (E1–E4), E5 income growth, the forms."""
    households: int
    people: int
    labour: int
    employed: int
    employment_rate: float
    training_rate: float
    certified_rate: float
    zero_emp: int
    forms: pd.DataFrame             # 就业形式, 人数
    income_growth: float
    avg_income: float


@dataclass
class Organisation:
    """The three service platforms and the ten 双五级 posts of one site (reported=False: nothing reported)."""
    reported: bool
    platforms: pd.DataFrame         # 服务平台, 状态
    posts: pd.DataFrame             # 线条, 岗位, 应设, 已设, 缺口
    complete_rate: float


@dataclass
class SiteProfile:
    site: dict[str, Any]            # the site's row of the month's ranking frame (MonthScores.sites + facts)
    dims: list[str]                 # dimension names (catalogue)
    site_dims: list[float]
    city_dims: list[float]
    target_dims: list[float]        # the 达标 minimum of each dimension
    indicators: pd.DataFrame
    lost: pd.DataFrame              # indicators with points lost, most first
    history: pd.DataFrame           # HISTORY_COLUMNS
    rights: pd.DataFrame
    employment: Employment
    organisation: Organisation
    rectifications: pd.DataFrame    # RECTIFICATION_COLUMNS
    n_sites: int
    catalogue_version: str
    why_not: list[str]


@dataclass
class CountyProfile:
    county: dict[str, Any]          # the county's row of the month's county frame
    sites: pd.DataFrame             # the §8 site table of its sites
    trend: pd.DataFrame
    flag_history: pd.DataFrame
    n_counties: int
    rectifications: pd.DataFrame
    batches: pd.DataFrame           # 创建批次, 安置点数, 已达标


def value_text(v, unit: str, status: str) -> str:
    if status in ("缺报", "不涉及"):
        return status
    if v is None or pd.isna(v):
        return "—"
    if unit == "%":
        return f"{fmt_num(v, 1)}%"
    return f"{fmt_num(v, 2).rstrip('0').rstrip('.')}{unit}"


def month_data_for(engine: Engine, month: str, site_codes: list[str] | None) -> MonthData:
    return MonthData(month=month, sites=repo.sites(engine), counties=repo.counties(engine),
                     households=repo.households(engine, month, site_codes),
                     labour=repo.labour(engine, month, site_codes))


def site_profile(engine: Engine, month: str, site_code: str, res: Provider | None = None,
                 scope: Scope | None = None) -> SiteProfile | None:
    """The site's profile; None without scores this month; OutOfScope for a site of a county outside `scope`."""
    check_site(engine, site_code, scope)
    res = provider(engine, res)
    r = res(month)
    row = r.sites[r.sites["site_code"] == site_code]
    if row.empty:
        return None
    s = row.iloc[0]
    labels = dimension_labels(r)
    dims = [c for c in r.sites.columns if c.startswith("dim_")]
    ind = r.indicators[r.indicators["site_code"] == site_code].copy()
    ind_table = pd.DataFrame({
        "编码": ind["code"], "维度": ind["dimension"], "指标": ind["name"],
        "本月值": [value_text(v, u, st_) for v, u, st_ in zip(ind["value"], ind["unit"], ind["status"])],
        "状态": ind["status"].replace({"ok": "正常"}),
        "得分": ind["points"].round(2), "满分": ind["max_points"], "失分": ind["lost_points"].round(2),
        "满分所需值": [value_text(v, u, "ok") for v, u in zip(ind["full_value"], ind["unit"])],
        "计分规则": ind["rule"],
    }).reset_index(drop=True)

    hist = []
    for m, hr in history(engine, month, res=res).items():
        x = hr.sites[hr.sites["site_code"] == site_code]
        if len(x):
            x = x.iloc[0]
            hist.append(dict(month=m, total=x["total"], rank=x["rank"], rank_p05=x.get("rank_p05"),
                             rank_p95=x.get("rank_p95"), grade=x["grade"], qualified=bool(x["qualified"])))

    md = month_data_for(engine, month, [site_code])
    org = repo.organisation(engine, month)
    rect = repo.rectifications(engine, month)
    return SiteProfile(
        site=s.to_dict(), dims=[labels.get(c, c) for c in dims], site_dims=[float(s[c]) for c in dims],
        city_dims=[float(r.sites[c].mean()) for c in dims],
        target_dims=[float(catalogue(r).min_dimension)] * len(dims),
        indicators=ind_table, lost=ind_table[ind_table["失分"] > 0.005].sort_values("失分", ascending=False),
        history=pd.DataFrame(hist, columns=HISTORY_COLUMNS), rights=rights_summary(md),
        employment=employment_summary(md, site_code, _indicator_value(r, site_code, "E5")),
        organisation=organisation_summary(org[org["site_code"] == site_code]),
        rectifications=rectification_table(rect[rect["site_code"] == site_code], month),
        n_sites=len(r.sites), catalogue_version=r.catalogue_version, why_not=why_not_qualified(s, r))


def _indicator_value(r: MonthView, site_code: str, code: str) -> float:
    ind = r.indicators
    hit = ind[(ind["site_code"] == site_code) & (ind["code"] == code)]
    return float(hit["value"].iloc[0]) if len(hit) else float("nan")


def why_not_qualified(s: pd.Series, r: MonthView) -> list[str]:
    """Plain reasons a site is not 五好达标 this month, against the catalogue's standard (v1: total ≥ 85, every
    dimension ≥ 14, no veto)."""
    if bool(s["qualified"]):
        return []
    cat = catalogue(r)
    min_total, min_dim = cat.min_total, cat.min_dimension
    out = []
    if float(s["total"]) < min_total:
        out.append(f"总分{float(s['total']):.2f}分，低于{min_total:g}分")
    for c, name in dimension_labels(r).items():
        if c in s and float(s[c]) < min_dim:
            out.append(f"{name}{float(s[c]):.2f}分，低于{min_dim:g}分")
    if bool(s.get("veto")) and s.get("veto_reason"):
        out.append(str(s["veto_reason"]))
    return out


def rights_summary(md: MonthData) -> pd.DataFrame:
    """Per rights item of one site: counts and pooled coverage (scoring.rights.coverage by item)."""
    cov = coverage(md, by="item").set_index("item").reindex(RIGHTS_CODES)
    return pd.DataFrame({
        "编码": RIGHTS_CODES, "类别": [r.category for r in RIGHTS], "事项": [r.name for r in RIGHTS],
        "责任方": [r.side or SIDE_BY_HUKOU for r in RIGHTS],
        "已落实": cov["done"].fillna(0).astype(int).to_numpy(), "未落实": cov["open"].fillna(0).astype(int).to_numpy(),
        "漏项（未核实）": cov["blank"].fillna(0).astype(int).to_numpy(),
        "不适用": cov["not_applicable"].fillna(0).astype(int).to_numpy(),
        "落实率": cov["coverage"].round(1).to_numpy(),
    })


def employment_summary(md: MonthData, site_code: str, income_growth: float) -> Employment:
    """Employment of one site: the counts and rates scoring computes (scoring.rights.employment_metrics, the same
    figures as E1/E2/E3/E4), E5 income growth from the indicator table, plus the mix of employment forms."""
    hh, lab = md.households, md.labour
    em = employment_metrics(md, by="site").set_index("site_code")
    e = em.loc[site_code] if site_code in em.index else None
    n = len(lab)
    forms = (lab[lab["employed"]]["employment_form"].fillna("其他").value_counts()
             .rename_axis("就业形式").reset_index(name="人数")) if n else pd.DataFrame(columns=["就业形式", "人数"])

    def rate(col: str) -> float:
        return float(e[col]) if e is not None else np.nan

    def count(col: str) -> int:
        return int(e[col]) if e is not None else 0

    return Employment(households=len(hh), people=int(hh["family_size"].fillna(0).sum()), labour=count("labour"),
                      employed=count("employed"), employment_rate=rate("employment_rate"),
                      training_rate=rate("training_rate"), certified_rate=rate("certified_rate"),
                      zero_emp=count("zero_emp"), forms=forms, income_growth=income_growth,
                      avg_income=float(lab["monthly_income"].mean())
                      if n and lab["monthly_income"].notna().any() else np.nan)


def organisation_summary(org: pd.DataFrame) -> Organisation:
    if org.empty:
        return Organisation(reported=False, platforms=pd.DataFrame(columns=["服务平台", "状态"]),
                            posts=pd.DataFrame(columns=["线条", "岗位", "应设", "已设", "缺口"]), complete_rate=np.nan)
    o = org.iloc[0]
    platforms = pd.DataFrame({"服务平台": [p.label for p in PLATFORMS_REGISTRY],
                              "状态": ["已建成运行" if bool(o[p.key]) else "未建成" for p in PLATFORMS_REGISTRY]})
    posts = []
    for p in POSTS_REGISTRY:
        req, act = int(o[f"{p.key}_required"] or 0), int(o[f"{p.key}_actual"] or 0)
        posts.append({"线条": LINE_LABELS.get(p.line, "行政"), "岗位": p.label, "应设": req, "已设": act,
                      "缺口": max(req - act, 0)})
    posts = pd.DataFrame(posts)
    req = posts["应设"].sum()
    rate = 100 * np.minimum(posts["应设"], posts["已设"]).sum() / req if req else np.nan
    return Organisation(reported=True, platforms=platforms, posts=posts, complete_rate=rate)


def rectification_table(rect: pd.DataFrame, month: str) -> pd.DataFrame:
    """Rectification items as of the month's end (state from scoring.progress, the rule the county flags use)."""
    if rect.empty:
        return pd.DataFrame(columns=RECTIFICATION_COLUMNS)
    state = rectification_state(rect, month)
    return pd.DataFrame({"编号": rect["item_code"], "来源": rect["source"], "问题描述": rect["description"],
                         "责任单位": rect["unit"], "发现日期": rect["found_date"], "整改时限": rect["deadline"],
                         "状态": state["status_at_end"],
                         "是否逾期": np.where(state["overdue"], "逾期", "")}).reset_index(drop=True)


def check_site(engine: Engine, site_code: str, scope: Scope | None) -> None:
    """OutOfScope when the site belongs to a county outside `scope` (an unknown site passes: it shows nothing)."""
    if scope is None or scope.is_city:
        return
    s = repo.sites(engine)
    hit = s[s["site_code"] == site_code]
    if len(hit) and not scope.allows(hit["county_code"].iloc[0]):
        raise OutOfScope("该安置点的数据")


def check_county(county_code: str, scope: Scope | None) -> None:
    if scope is not None and not scope.allows(county_code):
        raise OutOfScope("该县（市、区）的数据")


def check_household(engine: Engine, month: str, household_code: str, scope: Scope | None) -> None:
    """OutOfScope when the household lives in a site of a county outside `scope`."""
    if scope is None or scope.is_city:
        return
    county = repo.household_county(engine, household_code, month) or repo.household_county(engine, household_code)
    if county is not None and not scope.allows(county):
        raise OutOfScope("该搬迁户的数据")


def county_profile(engine: Engine, month: str, county_code: str, res: Provider | None = None,
                   scope: Scope | None = None) -> CountyProfile | None:
    """The county's profile; OutOfScope for a county outside `scope`."""
    check_county(county_code, scope)
    res = provider(engine, res)
    r = res(month)
    c = r.counties[r.counties["county_code"] == county_code]
    if c.empty:
        return None
    sites = r.sites[r.sites["county_code"] == county_code]
    trend = city_trend(engine, month, county=county_code, res=res)
    rect = repo.rectifications(engine, month)
    return CountyProfile(
        county=c.iloc[0].to_dict(), sites=ranking_table(ranking_of(r, sites)), trend=trend,
        flag_history=trend[["month", "qualified", "expected", "flagged", "reasons"]].copy(),
        n_counties=len(r.counties), rectifications=rectification_table(rect[rect["county_code"] == county_code], month),
        batches=sites.groupby("batch_year").agg(安置点数=("site_code", "count"), 已达标=("qualified", "sum"))
        .reset_index().rename(columns={"batch_year": "创建批次"}))
