"""权益缺口 view model: one row per (household, item) gap — 未落实 or blank (未核实) — routed to the responsible side
and service platform (scoring.rights.gap_list), ID numbers masked."""
from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from data import repository as repo
from data import rights as rights_sql
from data.exports import table_csv
from domain.scope import Scope
from scoring.frames import MonthData
from scoring.rights import gap_list

GAP_COLUMNS = ["县", "安置点", "户编码", "户主", "身份证号", "事项编码", "事项", "类别", "状态", "责任方", "服务平台"]
SCOPE_COLUMNS = ["site_code", "county_code"]      # kept for filtering, not shown


def rights_gaps(engine: Engine, month: str, county: str | None = None, scope: Scope | None = None) -> pd.DataFrame:
    """Columns GAP_COLUMNS plus SCOPE_COLUMNS; only households with a gap are read (filtered in SQL, by the
    scope's county for a county user: OutOfScope when another county is asked for)."""
    county = scope.narrow(county) if scope is not None else county
    md = MonthData(month=month, sites=repo.sites(engine), counties=repo.counties(engine),
                   households=rights_sql.households_with_gaps(engine, month, county))
    g = gap_list(md, mask=True)
    out = pd.DataFrame({
        "县": g["county_name"], "安置点": g["site_name"], "户编码": g["household_code"], "户主": g["head_name"],
        "身份证号": g["head_id"], "事项编码": g["item"], "事项": g["item_name"], "类别": g["category"],
        "状态": g["status"].replace({"未核实": "未核实（漏项）"}), "责任方": g["side"], "服务平台": g["platform"],
        "site_code": g["site_code"], "county_code": g["county_code"],
    })
    return (scope.filter(out) if scope is not None else out).reset_index(drop=True)


def gaps_csv(df: pd.DataFrame) -> bytes:
    """The gap list as CSV (UTF-8 with BOM), formula-like text neutralised (data.exports.table_csv)."""
    return table_csv(df.drop(columns=SCOPE_COLUMNS, errors="ignore"))
