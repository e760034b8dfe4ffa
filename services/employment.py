"""就业帮扶 view models: per county and site 就业率, 参训率, 持证率, the share absorbed by 帮扶车间 and 园区企业, the
employment forms and income growth; 12-month trends; the 零就业家庭 (the E2 veto's cause) with their labourers; and
households whose labour rows disagree with their 劳动力人数.

The rates and the 零就业家庭 are scoring's own (scoring.rights.employment_metrics and zero_employment_households:
the E1/E2/E3/E4/I2 definitions), income growth is the stored E5 indicator value; nothing is defined twice.
Every function takes the user's ``Scope``; the month's ledgers are read for the scope's sites only (in the query).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from data import households as hh_sql
from data import repository as repo
from data.exports import table_csv
from domain.idnumber import mask_many
from domain.scope import Scope
from scoring.frames import MonthData
from scoring.rights import employment_metrics, zero_employment_households
from services.results import Provider, catalogue, history, provider

RATES = {"employment_rate": "就业率", "training_rate": "参训率", "certified_rate": "持证率",
         "workshop_rate": "车间园区就业占比"}
# the scoring indicator each rate is (same definition): its floor (0 points) and full-points target colour the rate
RATE_INDICATORS = {"employment_rate": "E1", "training_rate": "E3", "certified_rate": "E4", "workshop_rate": "I2"}
TREND_RATES = {"employment_rate": "就业率", "training_rate": "参训率", "certified_rate": "持证率"}
YES_NO = {True: "是", False: "否"}


@dataclass(frozen=True)
class EmploymentView:
    month: str
    counties: pd.DataFrame      # one row per county in scope (Chinese headers; county_code kept)
    sites: pd.DataFrame         # one row per site (Chinese headers; site_code, county_code kept)
    forms: pd.DataFrame         # 县（市、区）, 就业形式, 人数 (employed labourers)
    trend: pd.DataFrame         # 月份, 指标, 数值 (pooled over the scope, last 12 months)
    zero: pd.DataFrame          # 零就业家庭 (IDs masked; household_code, site_code kept)
    zero_labour: pd.DataFrame   # their labourers (IDs masked), household_code kept
    bands: dict = field(default_factory=dict)   # rate label -> (floor, target) of its indicator (size-independent)


@dataclass(frozen=True)
class MismatchPage:
    total: int
    rows: pd.DataFrame
    codes: list[str]


def _month_data(engine: Engine, month: str, county: str | None) -> MonthData:
    sites = repo.sites(engine, month)
    counties = repo.counties(engine)
    if county is not None:
        sites = sites[sites["county_code"] == county].reset_index(drop=True)
        counties = counties[counties["county_code"] == county].reset_index(drop=True)
    codes = list(sites["site_code"])
    return MonthData(month=month, sites=sites, counties=counties,
                     households=repo.households(engine, month, site_codes=codes),
                     labour=repo.labour(engine, month, site_codes=codes))


def _rates(df: pd.DataFrame) -> dict[str, object]:
    return {label: df[key].round(1) for key, label in RATES.items()}


def employment_view(engine: Engine, month: str, scope: Scope, *, county: str | None = None,
                    res: Provider | None = None) -> EmploymentView:
    """The 就业帮扶 figures of the scope (a city user may narrow to one county; a county user asking for another
    county gets OutOfScope)."""
    county = scope.narrow(county)
    md = _month_data(engine, month, county)
    res = provider(engine, res)
    by_county = employment_metrics(md, by="county")
    by_site = employment_metrics(md, by="site")
    ind = res(month).indicators
    e5 = ind[ind["code"] == "E5"].set_index("site_code")["value"] if len(ind) else pd.Series(dtype=float)
    counties = pd.DataFrame({"县（市、区）": by_county["county_name"], "搬迁户": by_county["households"],
                             "劳动力": by_county["labour"], "已就业": by_county["employed"], **_rates(by_county),
                             "零就业家庭": by_county["zero_emp"], "county_code": by_county["county_code"]})
    sites = pd.DataFrame({"县（市、区）": by_site["county_name"], "安置点": by_site["site_name"],
                          "搬迁户": by_site["households"], "劳动力": by_site["labour"], "已就业": by_site["employed"],
                          **_rates(by_site), "收入增长（%）": by_site["site_code"].map(e5).astype(float).round(1),
                          "零就业家庭": by_site["zero_emp"], "site_code": by_site["site_code"],
                          "county_code": by_site["county_code"]})
    return EmploymentView(month=month, counties=counties, sites=sites, forms=_forms(md), zero=_zero(md),
                          trend=_trend(engine, month, county, res), zero_labour=_zero_labour(md),
                          bands=_bands(res(month)))


def _bands(r) -> dict[str, tuple[float | None, float]]:
    """Rate label -> (floor, target) of its scoring indicator in the month's catalogue, when the target does not
    depend on the site's size class."""
    cat, out = catalogue(r), {}
    for key, code in RATE_INDICATORS.items():
        try:
            ind = cat.indicator(code)
        except KeyError:
            continue
        if ind.targets and len(set(ind.targets)) == 1:
            out[RATES[key]] = (ind.floor, float(ind.targets[0]))
    return out


def _forms(md: MonthData) -> pd.DataFrame:
    lab = md.labour
    emp = lab[lab["employed"].fillna(False).astype(bool)]
    county_of = dict(zip(md.sites["site_code"], md.sites["county_name"]))
    t = pd.DataFrame({"县（市、区）": emp["site_code"].map(county_of),
                      "就业形式": emp["employment_form"].fillna("未填")})
    return t.value_counts().rename("人数").reset_index() if len(t) else pd.DataFrame(
        columns=["县（市、区）", "就业形式", "人数"])


def _trend(engine: Engine, month: str, county: str | None, res: Provider) -> pd.DataFrame:
    rows = []
    for mo, r in history(engine, month, 12, res).items():
        c = r.counties if county is None else r.counties[r.counties["county_code"] == county]
        lab = float(c["labour"].sum()) if len(c) else 0.0
        for key, label in TREND_RATES.items():
            num = {"employment_rate": "employed", "training_rate": "trained", "certified_rate": "certified"}[key]
            rows.append({"月份": mo, "指标": label,
                         "数值": round(100.0 * float(c[num].sum()) / lab, 1) if lab else np.nan})
    return pd.DataFrame(rows, columns=["月份", "指标", "数值"])


def _zero(md: MonthData) -> pd.DataFrame:
    z = zero_employment_households(md, mask=True)
    return pd.DataFrame({"户编码": z["household_code"], "县（市、区）": z["county_name"], "安置点": z["site_name"],
                         "户主": z["head_name"], "身份证号": z["head_id"], "家庭人口": z["family_size"],
                         "劳动力人数": z["labour_count"], "台账劳动力": z["labourers_listed"],
                         "household_code": z["household_code"], "site_code": z["site_code"]})


def _zero_labour(md: MonthData) -> pd.DataFrame:
    z = zero_employment_households(md, mask=True)
    lab = md.labour[md.labour["household_code"].isin(set(z["household_code"]))]
    return pd.DataFrame({"户编码": lab["household_code"], "姓名": lab["name"],
                         "身份证号": mask_many(lab["person_id"]) if len(lab) else [],
                         "参加培训": lab["trained"].map(YES_NO), "取得证书": lab["certified"].map(YES_NO),
                         "就业": lab["employed"].map(YES_NO), "household_code": lab["household_code"]}
                        ).reset_index(drop=True)


def labour_mismatch(engine: Engine, month: str, scope: Scope, *, county: str | None = None, page: int = 0,
                    size: int = 50) -> MismatchPage:
    """Households whose labour rows disagree with their 劳动力人数, one page read from the database."""
    county = scope.narrow(county)
    total, df = hh_sql.labour_mismatch(engine, month, county, limit=size, offset=page * size)
    sites = repo.sites(engine)
    names = dict(zip(sites["site_code"], sites["site_name"]))
    rows = pd.DataFrame({"户编码": df["household_code"], "安置点": df["site_code"].map(names),
                         "户主": df["head_name"], "身份证号": mask_many(df["head_id"]) if len(df) else [],
                         "劳动力人数": df["labour_count"], "台账劳动力": df["labourers_listed"]})
    return MismatchPage(total=total, rows=rows, codes=list(df["household_code"]))


def zero_households_csv(view: EmploymentView) -> bytes:
    """The 零就业家庭 of a view (built within the user's scope) with their labourers, one row per labourer, IDs
    masked, formula-like text neutralised: the list a service centre visits."""
    hh = view.zero.drop(columns=["household_code", "site_code"]).rename(columns={"身份证号": "户主身份证号"})
    lab = view.zero_labour.drop(columns=["household_code"]).rename(columns={"姓名": "劳动力姓名",
                                                                            "身份证号": "劳动力身份证号"})
    out = hh.merge(lab, on="户编码", how="left").sort_values(["县（市、区）", "安置点", "户编码"], kind="stable")
    out["家庭人口"] = out["家庭人口"].astype("Int64")
    out["帮扶措施"] = ""
    return table_csv(out.reset_index(drop=True))
