"""A hand-worked city over four months (2026-07 … 2026-10) for the 四个跟进 loop, written through the real ledger
import (tests/ui/small_city.py's workbook builder: every month one workbook of all seven sheets).

Three real counties of 黔西南州 with two sites each, every site of the best tier (no lag of its own: all 达标, no
零就业家庭, no rights gap, equal scores and no score change, so F1/F2/F3/F5 never fire). Only overdue rectification
items (F4) flag a county, so the story is written in the 问题整改 sheet:

* A (first county): item ZG-A1 found 07-01, deadline 07-10, 整改中 → overdue at the end of July and August →
  flagged two months running → 建议约谈 in August. September's ledger extends the deadline to 10-31 (still
  整改中, not overdue: A is not flagged in September); October's ledger closes it (已销号 10-12).
* B (second county): item ZG-B1 overdue in July (flagged once), closed 08-05 in August's ledger → recovers.
* C (third county): holds no 定期调度 in August (every county holds one every other month).

What the tests do on top (issuing circulars, recording the interview) is in test_followup_cases.py.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from data import geo
from data import models as m
from data.db import set_setting
from data.workbook import import_workbook
from services import store
from tests.ui import small_city as sc

MONTHS = ["2026-07", "2026-08", "2026-09", "2026-10"]
D = dt.date


def _items(names: list[str], sites: dict[str, str], month: str) -> list[dict]:
    a, b, _ = names

    def item(code, county, deadline, status="整改中", closed=None):
        return dict(item_code=code, county=county, site_code=sites[county], source="督导督查",
                    description="安置点消防通道堵塞", unit="街道办事处", found_date=D(2026, 7, 1), deadline=deadline,
                    status=status, closed_date=closed)
    out = {"2026-07": [item("ZG-A1", a, D(2026, 7, 10)), item("ZG-B1", b, D(2026, 7, 10))],
           "2026-08": [item("ZG-B1", b, D(2026, 7, 10), "已销号", D(2026, 8, 5))],
           "2026-09": [item("ZG-A1", a, D(2026, 10, 31))],
           "2026-10": [item("ZG-A1", a, D(2026, 10, 31), "已销号", D(2026, 10, 12))]}
    return out[month]


def _meetings(names: list[str], month: str) -> list[dict]:
    y, mo = int(month[:4]), int(month[5:])
    return [dict(kind="定期调度", date=D(y, mo, 20), county=n, site_code=None, title=f"{mo}月领导小组调度会",
                 content="研究整改推进") for i, n in enumerate(names) if not (i == 2 and month == "2026-08")]


def build_followup_city(engine) -> sc.SmallCity:
    """Write the city into an empty, migrated database; returns what was written (counties in order A, B, C)."""
    info = geo.find_city(sc.CITY)
    counties = sorted(geo.city_counties(sc.CITY), key=lambda c: c.code)[:3]
    city = sc.SmallCity(city_name=info.name, months=list(MONTHS), counties=[(c.code, c.name) for c in counties])
    with Session(engine) as s, s.begin():
        for i, c in enumerate(counties, start=1):
            s.add(m.County(code=c.code, name=c.name, city_code=info.code, sort_order=i, boundary_geojson=c.geojson))
        s.add(m.User(username="supervisor", display_name="演示市级督导", role="市级督导", active=True))
        s.add(m.User(username="leader", display_name="演示市领导", role="市领导", active=True))
        for c in counties:
            s.add(m.User(username=f"operator_{c.name}", display_name=f"{c.name}填报员", role="县级填报员",
                         county_code=c.code, active=True))
    for key, value in (("city_code", info.code), ("city_name", info.name), ("province", info.province)):
        set_setting(engine, key, value)
    points = {}
    for c in counties:
        for k, (lon, lat) in enumerate(sc._site_points(c, 2)):
            code = f"S{c.code[-2:]}{k + 1:02d}"
            city.sites.append(dict(code=code, name=f"{c.name[:2]}{sc.SITE_NAMES[k]}", county_code=c.code,
                                   county_name=c.name, tier="A", population=sc.POPULATIONS[k + 1]))
            points[code] = (lon, lat)
    names = [n for _, n in city.counties]
    first_site = {s["county_name"]: s["code"] for s in reversed(city.sites)}
    rights, posts = sc._rights_keys(), sc._post_keys()
    for month in MONTHS:
        tables = sc._month_tables(city, month, 99, points, rights, posts)
        tables["问题整改"] = _items(names, first_site, month)
        tables["跟进记录"] = _meetings(names, month)
        result = import_workbook(engine, sc._workbook(tables), f"台账_{month}.xlsx", month, sc.ADMIN)
        if not result.ok:
            problems = "; ".join(f"{x.sheet}!{x.row} {x.column} {x.value!r}: {x.reason}" for x in result.errors[:10])
            raise RuntimeError(f"follow-up city: import of {month} failed: {problems}")
        city.imports.append(result.result)
    store.precompute(engine)
    return city
