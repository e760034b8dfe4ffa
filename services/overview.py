"""总览 (overview) and 数据大屏 (wall screen) view models: city figures, the five KPI tiles, the 12-month trend,
best and worst sites, county flags."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from data import repository as repo
from data import rights as rights_sql
from data.formatting import fmt_pct
from data.rights import CoverageTotals
from domain.calendar import period_end, previous_month
from services import maps, settings
from services.flags import CountyFlag, flag_list
from domain.scope import Scope
from scoring.progress import whole_sites
from services.results import MonthView, Provider, grade_names, history, months_of, provider, scoped_provider

CoverageProvider = Callable[[str, "str | None"], CoverageTotals]
TREND_COLUMNS = ["month", "qualified", "expected", "sites", "mean_score", "flagged", "reasons"]


@dataclass(frozen=True)
class CityFigures:
    """The figures of the city (or one county) in a month: the KPI tiles and the circular read these."""
    sites: int
    qualified: int
    expected: float                 # 序时进度 (§5)
    expected_floor: int | None
    plan_year: int | None
    population: float
    labour: int
    employment_rate: float
    zero_emp: int
    overdue: int
    open_items: int | None
    mean_score: float
    coverage: float
    coverage_in: float
    coverage_out: float

    @property
    def expected_sites(self) -> int:
        """The 序时进度 in whole sites (§5: 达标 is compared with ⌊expected⌋)."""
        return whole_sites(self.expected)


@dataclass(frozen=True)
class Kpi:
    """One KPI tile: its value and its change on last month (`good`: which direction is better)."""
    key: str
    label: str
    value: str
    unit: str
    delta: float | None
    delta_text: str
    good: str                       # "up" | "down"
    sub: str = ""
    behind: bool = False


@dataclass
class Overview:
    month: str
    as_of: dt.date
    catalogue_version: str
    computed_at: dt.datetime | None
    kpis: list[Kpi]
    counties: pd.DataFrame
    trend: pd.DataFrame             # TREND_COLUMNS
    best: pd.DataFrame              # site briefs: 排名 安置点 县 总分 等次 较上月 site_code
    worst: pd.DataFrame
    flags: list[CountyFlag]
    grade_counts: dict[str, int]
    praise: list[str] = field(default_factory=list)
    warnings: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass
class WallData(Overview):
    map: maps.MapData | None = None
    top: pd.DataFrame = field(default_factory=pd.DataFrame)
    bottom: pd.DataFrame = field(default_factory=pd.DataFrame)
    city_name: str = ""
    data_updated: dt.datetime | None = None


def rights_totals(engine: Engine, month: str, county: str | None = None) -> CoverageTotals:
    """Pooled rights coverage (%) of the city or one county, overall and per side (data.rights, in SQL)."""
    return rights_sql.coverage_totals(engine, month, county)


def city_trend(engine: Engine, month: str, county: str | None = None, n: int = 12,
               res: Provider | None = None) -> pd.DataFrame:
    """month, qualified, expected (序时进度), sites, mean_score, flagged, reasons — city-wide or one county."""
    rows = []
    for m, r in history(engine, month, n, res).items():
        c = r.counties if county is None else r.counties[r.counties["county_code"] == county]
        s = r.sites if county is None else r.sites[r.sites["county_code"] == county]
        rows.append(dict(month=m, qualified=int(c["qualified"].sum()), expected=round(float(c["expected"].sum()), 2),
                         sites=len(s), mean_score=float(s["total"].mean()) if len(s) else np.nan,
                         flagged=bool(c["flagged"].any()) if len(c) else False,
                         reasons="；".join(x for rs in c["reasons"] for x in rs) if len(c) else ""))
    return pd.DataFrame(rows, columns=TREND_COLUMNS)


def city_figures(engine: Engine, r: MonthView, county: str | None = None,
                 cov: CoverageProvider | None = None) -> CityFigures:
    c = r.counties if county is None else r.counties[r.counties["county_code"] == county]
    s = r.sites if county is None else r.sites[r.sites["county_code"] == county]
    lab = int(c["labour"].sum())
    emp = int(c["employed"].sum()) if "employed" in c else None
    t = (cov or (lambda m, k: rights_totals(engine, m, k)))(r.month, county)
    return CityFigures(
        sites=len(s), qualified=int(s["qualified"].sum()), expected=float(c["expected"].sum()),
        expected_floor=int(c["expected_floor"].sum()) if "expected_floor" in c else None,
        plan_year=int(c["plan_year"].sum()) if "plan_year" in c else None,
        population=float(s["population"].sum()), labour=lab,
        employment_rate=100.0 * emp / lab if lab and emp is not None else np.nan,
        zero_emp=int(c["zero_emp"].sum()), overdue=int(c["overdue"].sum()),
        open_items=int(c["open_items"].sum()) if "open_items" in c else None,
        mean_score=float(s["total"].mean()) if len(s) else np.nan,
        coverage=t.coverage, coverage_in=t.coverage_in, coverage_out=t.coverage_out)


def _delta(a, b) -> float | None:
    if a is None or b is None or pd.isna(a) or pd.isna(b):
        return None
    return float(a) - float(b)


def _pp(d: float | None) -> str:
    """A change in percentage points."""
    return "—" if d is None else ("持平" if round(d, 1) == 0 else f"{d:+.1f}个百分点")


def _count(d: float | None, unit: str) -> str:
    return "—" if d is None else ("持平" if round(d) == 0 else f"{int(round(d)):+d}{unit}")


def kpis(engine: Engine, month: str, county: str | None = None, res: Provider | None = None,
         cov: CoverageProvider | None = None) -> list[Kpi]:
    """The five KPI tiles with their change on last month."""
    res = provider(engine, res)
    now = city_figures(engine, res(month), county, cov)
    pm = previous_month(month)
    before = city_figures(engine, res(pm), county, cov) if pm in months_of(engine, res) else None

    def was(name: str):
        return getattr(before, name) if before is not None else None

    def d(name: str) -> float | None:
        return _delta(getattr(now, name), was(name))

    plan_txt = f"序时进度{now.expected_sites}个"
    if now.plan_year is not None:
        plan_txt = f"年度计划{now.plan_year}个 · " + plan_txt
    return [
        Kpi("qualified", "五好达标安置点", f"{now.qualified}/{now.sites}", "个", d("qualified"),
            _count(d("qualified"), "个"), "up", plan_txt, behind=now.qualified < now.expected_sites),
        Kpi("employment", "劳动力就业率", fmt_pct(now.employment_rate), "", d("employment_rate"),
            _pp(d("employment_rate")), "up", f"劳动力 {now.labour:,} 人"),
        Kpi("zero_emp", "零就业家庭", f"{now.zero_emp}", "户", d("zero_emp"), _count(d("zero_emp"), "户"), "down",
            "应动态清零"),
        Kpi("coverage", "权益落实率", fmt_pct(now.coverage), "", d("coverage"), _pp(d("coverage")), "up",
            f"迁入地 {fmt_pct(now.coverage_in)} · 迁出地 {fmt_pct(now.coverage_out)}"),
        Kpi("overdue", "整改逾期事项", f"{now.overdue}", "项", d("overdue"), _count(d("overdue"), "项"), "down",
            f"未销号 {now.open_items} 项" if now.open_items is not None else ""),
    ]


def site_brief(s: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"排名": s["rank"].astype("Int64"), "安置点": s["site_name"], "县": s["county_name"],
                         "总分": s["total"].round(2), "等次": s["grade"], "较上月": s["delta_total"],
                         "site_code": s["site_code"]}).reset_index(drop=True)


def overview(engine: Engine, month: str, county: str | None = None, res: Provider | None = None,
             cov: CoverageProvider | None = None, scope: Scope | None = None) -> Overview:
    """The overview of the city, or of one county (`county`); a county scope always narrows to its county."""
    county = scope.narrow(county) if scope is not None else county
    res = scoped_provider(engine, res, scope)
    r = res(month)
    sites = r.sites if county is None else r.sites[r.sites["county_code"] == county]
    ranked = sites.sort_values(["rank", "site_code"])
    counties = r.counties.copy()
    return Overview(
        month=month, as_of=period_end(month), catalogue_version=r.catalogue_version,
        computed_at=r.computed_at, kpis=kpis(engine, month, county, res, cov), counties=counties,
        trend=city_trend(engine, month, county, res=res),
        best=site_brief(ranked.head(5)), worst=site_brief(ranked.tail(5).iloc[::-1]),
        flags=flag_list(counties if county is None else counties[counties["county_code"] == county]),
        grade_counts={g: int((sites["grade"] == g).sum()) for g in grade_names(r)},
        praise=r.praise, warnings=r.warnings)


def wall_data(engine: Engine, month: str, res: Provider | None = None, cov: CoverageProvider | None = None,
              scope: Scope | None = None) -> WallData:
    ov = overview(engine, month, res=res, cov=cov, scope=scope)
    res = scoped_provider(engine, res, scope)
    ranked = res(month).sites.sort_values(["rank", "site_code"])
    return WallData(**vars(ov), map=maps.map_data(engine, month, res, scope=scope), top=site_brief(ranked.head(10)),
                    bottom=site_brief(ranked.tail(10).iloc[::-1]), city_name=_wall_title(engine, ov.counties, scope),
                    data_updated=repo.data_updated_at(engine, month))


def _wall_title(engine: Engine, counties: pd.DataFrame, scope: Scope | None) -> str:
    """The wall's heading names what it shows: the city, or a county user's own county."""
    if scope is None or scope.is_city:
        return settings.city_name(engine)
    names = dict(zip(counties["county_code"], counties["county_name"])) if len(counties) else {}
    return names.get(scope.county_code, "")
