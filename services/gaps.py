"""权益缺口 view model: one row per (household, item) gap — 未落实 or blank (未核实) — routed to the responsible side
and service platform, ID numbers masked.

The list is a query in the database (data.rights.gap_rows): filtered there (county, sites, items, status, side,
platform, one household), limited to the user's scope there, and paged there (a province holds 200k gap rows; a
view reads one page). The totals are one SQL aggregate (data.rights.gap_counts); the CSV export runs the same query
unpaged, only when someone downloads. Same rows as scoring.rights.gap_list (tested)."""
from __future__ import annotations

import dataclasses

import pandas as pd
from sqlalchemy import Engine

from data import repository as repo
from data import rights as rights_sql
from data.exports import table_csv
from data.rights import GapCounts, GapFilter
from domain.idnumber import mask_many
from domain.rights import BLANK, RIGHTS_BY_CODE
from domain.scope import Scope

GAP_COLUMNS = ["县", "安置点", "户编码", "户主", "身份证号", "事项编码", "事项", "类别", "状态", "责任方", "服务平台"]
SCOPE_COLUMNS = ["site_code", "county_code"]      # kept for links and scope checks, not shown
PAGE_SIZE = 200
BLANK_TEXT = f"{BLANK.label}（漏项）"
STATUS_CHOICES = {"未落实": "未落实", BLANK.label: BLANK_TEXT}   # filter value -> shown text


def scoped(f: GapFilter, scope: Scope) -> GapFilter:
    """The filter narrowed to the scope (a county user: their county; OutOfScope when another county is asked)."""
    return dataclasses.replace(f, county=scope.narrow(f.county))


def _frame(engine: Engine, month: str, rows: pd.DataFrame) -> pd.DataFrame:
    sites = repo.sites(engine, month).set_index("site_code")
    sc = rows["site_code"]
    items = [RIGHTS_BY_CODE[c] for c in rows["item"]]
    return pd.DataFrame({
        "县": sc.map(sites["county_name"]), "安置点": sc.map(sites["site_name"]),
        "户编码": rows["household_code"], "户主": rows["head_name"], "身份证号": mask_many(rows["head_id"]),
        "事项编码": rows["item"], "事项": [i.name for i in items], "类别": [i.category for i in items],
        "状态": rows["status"].map(STATUS_CHOICES), "责任方": rows["side"], "服务平台": rows["platform"],
        "site_code": sc, "county_code": sc.map(sites["county_code"]),
    }, columns=GAP_COLUMNS + SCOPE_COLUMNS).reset_index(drop=True)


def gap_page(engine: Engine, month: str, f: GapFilter, page: int, scope: Scope,
             page_size: int = PAGE_SIZE) -> pd.DataFrame:
    """Page `page` (0-based) of the filtered gap list inside the scope: GAP_COLUMNS plus SCOPE_COLUMNS."""
    rows = rights_sql.gap_rows(engine, month, scoped(f, scope), limit=page_size, offset=max(page, 0) * page_size)
    return _frame(engine, month, rows)


def gap_summary(engine: Engine, month: str, f: GapFilter, scope: Scope) -> GapCounts:
    """Households, gaps, 未落实 / 漏项 and per-side totals of the filtered list inside the scope."""
    return rights_sql.gap_counts(engine, month, scoped(f, scope))


def rights_gaps(engine: Engine, month: str, county: str | None = None, scope: Scope | None = None,
                f: GapFilter = GapFilter()) -> pd.DataFrame:
    """The whole filtered gap list inside the scope (exports, tests): GAP_COLUMNS plus SCOPE_COLUMNS."""
    f = dataclasses.replace(f, county=county if county is not None else f.county)
    f = scoped(f, scope) if scope is not None else f
    return _frame(engine, month, rights_sql.gap_rows(engine, month, f))


def site_choices(engine: Engine, month: str, county: str | None, scope: Scope) -> list[tuple[str, str]]:
    """(site_code, name) of the month's sites in the county (narrowed to the scope), in official order."""
    county = scope.narrow(county)
    s = repo.sites(engine, month)
    s = scope.filter(s[s["county_code"] == county] if county else s)
    return list(zip(s["site_code"], s["site_name"]))


def gaps_export(engine: Engine, month: str, f: GapFilter, scope: Scope) -> bytes:
    """The filtered gap list inside the scope as CSV (built when the user clicks download)."""
    return gaps_csv(rights_gaps(engine, month, scope=scope, f=f))


def gaps_csv(df: pd.DataFrame) -> bytes:
    """The gap list as CSV (UTF-8 with BOM), formula-like text neutralised (data.exports.table_csv)."""
    return table_csv(df.drop(columns=SCOPE_COLUMNS, errors="ignore"))
