"""Column contracts of the per-month input frames (see docs/ARCHITECTURE.md).

`data.repository.load_month` builds a `MonthData` from the database; tests build one in code.
This module is pure: it only names columns and offers an empty-frame constructor.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from domain.calendar import period_end, previous_month
from domain.organisation import PLATFORMS, POSTS
from domain.rights import RIGHT_DONE, RIGHT_NA, RIGHT_OPEN, RIGHTS_CODES

# Re-exported vocabulary (declared in domain/): callers should import it from domain directly.
__all__ = ["PLATFORMS", "POSTS", "RIGHT_DONE", "RIGHT_NA", "RIGHT_OPEN", "RIGHTS_CODES", "period_end", "previous_month",
           "MonthData", "empty", "SITE_COLUMNS", "COUNTY_COLUMNS", "HOUSEHOLD_COLUMNS", "LABOUR_COLUMNS",
           "ORGANISATION_COLUMNS", "REPORTED_COLUMNS", "RECTIFICATION_COLUMNS", "FOLLOWUP_COLUMNS"]

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
