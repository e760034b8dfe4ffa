"""Work lists per county and service platform (走访工作清单): the households with gaps, routed to the platform that
answers for each item (scoring.rights.gap_list), one row per (platform, household); IDs masked. A county user
only ever gets their county (Scope.narrow)."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from data import repository as repo
from data import rights as rights_sql
from data.exports.worklist import WORKLIST_COLUMNS, worklist_workbook
from domain.designation import whole
from domain.organisation import PLATFORMS
from domain.scope import Scope
from scoring.frames import MonthData
from scoring.rights import gap_list
from services import settings


@dataclass(frozen=True)
class Worklist:
    county_name: str
    sheets: dict[str, pd.DataFrame]     # platform label -> WORKLIST_COLUMNS
    households: int


def worklist(engine: Engine, month: str, county: str | None, scope: Scope) -> Worklist:
    county = scope.narrow(county)
    hh = rights_sql.households_with_gaps(engine, month, county)
    md = MonthData(month=month, sites=repo.sites(engine), counties=repo.counties(engine), households=hh)
    g = gap_list(md, mask=True)
    villages = dict(zip(hh["household_code"], hh["origin_village"]))
    sheets: dict[str, pd.DataFrame] = {}
    for _, label in PLATFORMS:
        p = g[g["platform"] == label]
        rows = []
        for code, grp in p.groupby("household_code", sort=True):
            first = grp.iloc[0]
            opn = grp[~grp["missing"]]
            miss = grp[grp["missing"]]
            rows.append({"安置点": first["site_name"], "户编码": code, "户主": first["head_name"],
                         "身份证号": first["head_id"], "迁出村": villages.get(code),
                         "未落实事项（责任方）": _items(opn), "漏项事项（责任方）": _items(miss),
                         "走访结果": ""})
        sheets[label] = pd.DataFrame(rows, columns=WORKLIST_COLUMNS)
    names = dict(zip(md.counties["county_code"], md.counties["county_name"])) if len(md.counties) else {}
    cname = names.get(county, county) if county else whole(settings.city_name(engine))
    return Worklist(county_name=cname, sheets=sheets, households=int(g["household_code"].nunique()))


def _items(g: pd.DataFrame) -> str:
    return "、".join(f"{n}（{s}）" for n, s in zip(g["item_name"], g["side"]))


def worklist_xlsx(wl: Worklist, month: str) -> bytes:
    return worklist_workbook(wl.sheets, title="搬迁群众权益事项走访工作清单", month=month, county=wl.county_name)
