"""Column contracts of the per-month input frames (see docs/ARCHITECTURE.md).

`data.repository.load_month` builds a `MonthData` from the database; tests build one in code.
This module is pure: it only names columns and offers an empty-frame constructor.
"""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

RIGHTS_CODES = [f"R{i:02d}" for i in range(1, 16)]
RIGHT_DONE, RIGHT_OPEN, RIGHT_NA = "已落实", "未落实", "不适用"

# (code, Chinese post name) in the order of domain.md §2: party line then administrative line.
POSTS = [
    ("town_party", "乡镇党委"),
    ("community_party", "社区党委"),
    ("general_branch", "党总支"),
    ("branch", "党支部"),
    ("party_group", "党小组"),
    ("town_gov", "乡镇政府"),
    ("residents_committee", "社区居委会"),
    ("residents_group", "居民小组"),
    ("chief_building", "总楼长"),
    ("building", "分楼长"),
]
PLATFORMS = [
    ("platform_party", "党群服务中心"),
    ("platform_resident", "居民事务服务中心"),
    ("platform_convenience", "便民跟进服务中心"),
]

SITE_COLUMNS = ["site_code", "site_name", "county_code", "county_name", "town", "site_type", "lon", "lat",
                "households", "population", "batch_year", "built_year"]
COUNTY_COLUMNS = ["county_code", "county_name", "sort_order"]
HOUSEHOLD_COLUMNS = ["household_code", "site_code", "head_name", "head_id", "family_size", "labour_count",
                     "origin_county", "origin_town", "origin_village", "hukou_moved", "monitored",
                     "income_prev", "income_curr", *RIGHTS_CODES]
LABOUR_COLUMNS = ["person_id", "name", "household_code", "site_code", "gender", "trained", "certified",
                  "employed", "employment_form", "monthly_income"]
ORGANISATION_COLUMNS = ["site_code", *[c for c, _ in PLATFORMS],
                        *[f"{c}_{k}" for c, _ in POSTS for k in ("required", "actual")]]
REPORTED_COLUMNS = ["site_code", "carriers", "collective_income", "linkage_pct", "satisfaction_pct",
                    "civic_pct", "night_school", "dispute_pct", "mass_incidents", "inspection_problems"]
RECTIFICATION_COLUMNS = ["item_code", "county_code", "site_code", "source", "description", "unit",
                         "found_date", "deadline", "status", "closed_date"]
FOLLOWUP_COLUMNS = ["kind", "date", "county_code", "site_code", "title", "content"]


def empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})


def period_end(month: str) -> dt.date:
    y, m = int(month[:4]), int(month[5:7])
    return dt.date(y, m, calendar.monthrange(y, m)[1])


def previous_month(month: str) -> str:
    y, m = int(month[:4]), int(month[5:7])
    return f"{y - 1}-12" if m == 1 else f"{y}-{m - 1:02d}"


@dataclass
class MonthData:
    month: str
    sites: pd.DataFrame = field(default_factory=lambda: empty(SITE_COLUMNS))
    counties: pd.DataFrame = field(default_factory=lambda: empty(COUNTY_COLUMNS))
    households: pd.DataFrame = field(default_factory=lambda: empty(HOUSEHOLD_COLUMNS))
    labour: pd.DataFrame = field(default_factory=lambda: empty(LABOUR_COLUMNS))
    organisation: pd.DataFrame = field(default_factory=lambda: empty(ORGANISATION_COLUMNS))
    reported: pd.DataFrame = field(default_factory=lambda: empty(REPORTED_COLUMNS))
    rectifications: pd.DataFrame = field(default_factory=lambda: empty(RECTIFICATION_COLUMNS))
    followups: pd.DataFrame = field(default_factory=lambda: empty(FOLLOWUP_COLUMNS))

    @property
    def period_end(self) -> dt.date:
        return period_end(self.month)
