"""A small purpose-built city for the page tests, written through the real write path.

Three real counties of 黔西南州 (boundaries from the bundled geodata) with four sites each, six households per
site and two labourers per household, over 13 months (2025-10 … 2026-10). Every month's ledgers are built in code
as one workbook (all seven sheets) and go in through `data.workbook.import_workbook`, the only door for ledger
data, as an administrator would upload them; the results of every month are then computed into the result store.

Each site has a tier that sets how well it does; tiers were chosen so that the pages have something to show:
优秀 and weaker sites side by side, sites of every size class, a county lagging behind its creation plan with a
零就业家庭 and an unenrolled child (vetoes), rights gaps on both sides, overdue and closed rectification items.
In the first six months every site does one tier worse, so the trends rise.

`build_small_city(engine)` returns a `SmallCity` describing what was written; tests derive what they expect from
it (and from the database), never from remembered figures.
"""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field

import openpyxl
from sqlalchemy.orm import Session

from data import geo
from data import models as m
from data.db import set_setting
from data.workbook import ImportUser, import_workbook
from data.workbook import spec as S
from services import store

CITY = "522300"
N_COUNTIES = 3
MONTHS = [f"{y}-{mo:02d}" for y, mo in [(2025, 10), (2025, 11), (2025, 12)] + [(2026, k) for k in range(1, 11)]]
END_MONTH = MONTHS[-1]
HOUSEHOLDS_PER_SITE = 6
LABOUR_PER_HOUSEHOLD = 2
ADMIN = ImportUser("admin", "管理员", None)

# tier per site, county by county: A best … D weakest (a D site has a 零就业家庭 and an unenrolled child)
TIERS = (("A", "A", "B", "C"), ("A", "B", "C", "D"), ("B", "C", "D", "D"))
POPULATIONS = (650, 1800, 4200, 12500)           # one site of each size class per county
BATCH = {"A": 2025, "B": 2026, "C": 2026, "D": 2027}
SITE_NAMES = ("阳光社区", "幸福家园", "和谐新村", "安居小区")
SURNAMES = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何高林罗"
GIVEN = ("建国", "秀英", "国强", "玉兰", "志明", "春梅", "海军", "桂芳", "德福", "小燕", "文华", "丽娟")

# per tier: shares of the two-person labour force (of 12 per site) and the reported figures
LEVEL = {
    #      employed trained certified workshop income  platforms posts  carriers coll  link satis civic night disp insp
    "A": dict(emp=12, trained=12, cert=7, shop=5, growth=0.10, platforms=3, posts=1.00, carriers=3, coll=60.0,
              link=72.0, satis=95.0, civic=85.0, night=6, dispute=98.0, insp=0),
    "B": dict(emp=12, trained=10, cert=4, shop=3, growth=0.06, platforms=3, posts=0.95, carriers=2, coll=25.0,
              link=50.0, satis=85.0, civic=62.0, night=4, dispute=93.0, insp=2),
    "C": dict(emp=11, trained=8, cert=4, shop=1, growth=0.03, platforms=2, posts=0.85, carriers=1, coll=6.0,
              link=40.0, satis=80.0, civic=55.0, night=2, dispute=86.0, insp=2),
    "D": dict(emp=8, trained=6, cert=2, shop=0, growth=0.00, platforms=1, posts=0.70, carriers=0, coll=1.0,
              link=20.0, satis=70.0, civic=40.0, night=1, dispute=80.0, insp=4),
}
WORSE = {"A": "B", "B": "C", "C": "D", "D": "D"}
FORMS = ("帮扶车间", "园区企业", "公益性岗位", "县内务工", "省内县外务工", "省外务工", "自主创业", "灵活就业")


@dataclass
class SmallCity:
    city_name: str
    months: list[str]
    counties: list[tuple[str, str]]                       # (code, name) in sort order
    sites: list[dict] = field(default_factory=list)       # code, name, county_code, county_name, tier, population
    households: int = 0
    rights_codes: list[str] = field(default_factory=list)  # R01..R15, as the 搬迁户 sheet declares them
    gaps: set[tuple[str, str]] = field(default_factory=set)  # (household, item) 未落实 or blank, latest month
    imports: list[str] = field(default_factory=list)      # result of every import (成功 …)

    @property
    def end_month(self) -> str:
        return self.months[-1]

    def county_sites(self, county_code: str) -> list[dict]:
        return [s for s in self.sites if s["county_code"] == county_code]


def resident_id(n: int) -> str:
    """A valid 18-digit resident ID (GB 11643 check digit), unique for n < 1000."""
    body = f"522301{1960 + n % 40}{1 + n % 12:02d}{1 + n % 28:02d}{n:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(a) * w for a, w in zip(body, weights)) % 11]


def _columns(sheet: str) -> list[S.Column]:
    return list(S.BY_NAME[sheet].columns)


def _workbook(tables: dict[str, list[dict]]) -> bytes:
    """One sheet per table, headed by the template's titles, ID and code columns formatted as text."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, records in tables.items():
        cols = _columns(name)
        ws = wb.create_sheet(name)
        ws.append([c.title for c in cols])
        for r in records:
            ws.append([r.get(c.key) for c in cols])
        for j, c in enumerate(cols, start=1):
            if c.is_text_format:
                for row in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                    for cell in row:
                        cell.number_format = "@"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _site_points(county: geo.CountyInfo, n: int) -> list[tuple[float, float]]:
    """n points well inside the county (on a line through its representative point, kept if inside)."""
    shape = geo.geometry(county.geojson)
    inner = shape.buffer(-0.02) if not shape.buffer(-0.02).is_empty else shape
    p = inner.representative_point()
    pts: list[tuple[float, float]] = []
    step = 0.0
    while len(pts) < n:
        for dx, dy in ((step, 0.0), (-step, 0.0), (0.0, step), (0.0, -step)):
            lon, lat = round(p.x + dx, 4), round(p.y + dy, 4)
            if (lon, lat) not in pts and geo.point_in_county(lon, lat, county.geojson) and len(pts) < n:
                pts.append((lon, lat))
        step += 0.01
    return pts


def _rights_keys() -> list[str]:
    return [c.key for c in _columns("搬迁户") if c.kind == S.RIGHT]


def _post_keys() -> list[str]:
    return [c.key[: -len("_required")] for c in _columns("组织建设") if c.key.endswith("_required")]


def _rights(tier: str, h: int, rights: list[str]) -> dict[str, str | None]:
    """Statuses R01..R15 of household h (0..5) of a site of `tier`."""
    out: dict[str, str | None] = {k: "已落实" for k in rights}
    idx = {k: i for i, k in enumerate(rights)}
    na = {"R02": h % 3 != 0, "R07": h % 2 == 0, "R08": h % 2 == 1, "R10": h >= 3, "R14": h != 1, "R15": True}
    for k, is_na in na.items():
        if k in idx and is_na:
            out[k] = "不适用"
    gaps = {"A": [], "B": [(5, "R09", "未落实")],
            "C": [(0, "R09", "未落实"), (1, "R12", None), (2, "R05", "未落实")],
            "D": [(0, "R10", "未落实"), (1, "R09", "未落实"), (1, "R13", "未落实"), (2, "R03", "未落实"),
                  (3, "R11", None), (4, "R01", "未落实"), (1, "R14", "未落实")]}[tier]
    for hh, key, status in gaps:
        if hh == h and key in idx:
            out[key] = status
    return out


def _month_tables(city: SmallCity, month: str, t: int, points: dict, rights: list[str], posts: list[str]):
    tables: dict[str, list[dict]] = {k: [] for k in ("安置点", "搬迁户", "劳动力", "组织建设", "月度指标", "问题整改",
                                                     "跟进记录")}
    person = 0
    for si, site in enumerate(city.sites):
        tier = site["tier"] if t >= 6 else WORSE[site["tier"]]
        lv = LEVEL[tier]
        lon, lat = points[site["code"]]
        tables["安置点"].append(dict(
            code=site["code"], name=site["name"], county=site["county_name"], town=f"{site['name'][:2]}街道",
            site_type="城镇集中安置区" if site["population"] >= 3000 else "农村集中安置点", lon=lon, lat=lat,
            households=site["population"] // 4, population=site["population"], batch_year=BATCH[site["tier"]],
            built_year=2019))
        employed_left, trained_left, cert_left, shop_left = lv["emp"], lv["trained"], lv["cert"], lv["shop"]
        for h in range(HOUSEHOLDS_PER_SITE):
            n = si * HOUSEHOLDS_PER_SITE + h
            hh_code = f"{site['code']}H{h + 1:02d}"
            head = SURNAMES[n % len(SURNAMES)] + GIVEN[n % len(GIVEN)]
            prev = 6000.0 + 300 * (n % 7)
            rec = dict(household_code=hh_code, site_code=site["code"], head_name=head, head_id=resident_id(n * 3),
                       family_size=4, labour_count=LABOUR_PER_HOUSEHOLD, origin_county=city.counties[-1 - si % 3][1],
                       origin_town="原籍乡", origin_village=f"{head[0]}家寨", hukou_moved="是" if h % 4 else "否",
                       monitored="是" if h == 5 else "否", income_prev=prev,
                       income_curr=round(prev * (1 + lv["growth"]), 1))
            rec.update(_rights(tier, h, rights))
            tables["搬迁户"].append(rec)
            for k in range(LABOUR_PER_HOUSEHOLD):
                person += 1
                pid = rec["head_id"] if k == 0 else resident_id(n * 3 + k)
                # a D site's household 0 is a 零就业家庭; elsewhere the unemployed are the last labourers
                employed = employed_left > 0 and not (tier == "D" and h == 0)
                employed_left -= employed
                form = None
                if employed:
                    form = FORMS[0 if shop_left > 0 else 2 + (n + k) % 6]
                    shop_left -= form == FORMS[0]
                tables["劳动力"].append(dict(
                    person_id=pid, name=head if k == 0 else head[0] + GIVEN[(n + 5) % len(GIVEN)],
                    household_code=hh_code, gender="男" if k == 0 else "女",
                    trained="是" if trained_left > 0 else "否", certified="是" if cert_left > 0 else "否",
                    employed="已就业" if employed else "未就业", employment_form=form,
                    monthly_income=(2400 + 100 * ((n + k) % 9)) if employed else None))
                trained_left -= 1
                cert_left -= 1
        org = dict(site_code=site["code"], platform_party="是",
                   platform_resident="是" if lv["platforms"] >= 2 else "否",
                   platform_convenience="是" if lv["platforms"] >= 3 else "否")
        required = [1, 1, 2, 4, 8, 1, 1, 4, 6, 12][: len(posts)]
        for post, req in zip(posts, required):
            org[f"{post}_required"] = req
            org[f"{post}_actual"] = max(0, round(req * lv["posts"]))
        tables["组织建设"].append(org)
        tables["月度指标"].append(dict(
            site_code=site["code"], month=month, carriers=lv["carriers"], collective_income=lv["coll"],
            linkage_pct=lv["link"], satisfaction_pct=lv["satis"], civic_pct=lv["civic"], night_school=lv["night"],
            dispute_pct=lv["dispute"], mass_incidents=0, inspection_problems=lv["insp"]))
    tables["问题整改"] = _rectifications(city, month)
    tables["跟进记录"] = _followups(city, month)
    return {k: v for k, v in tables.items() if v}


def _rectifications(city: SmallCity, month: str) -> list[dict]:
    """Items found in the last two months: some overdue, one closed in the month after it was found."""
    y, mo = int(month[:4]), int(month[5:])
    if month not in city.months[-2:]:
        return []
    out = []
    for ci, (_, cname) in enumerate(city.counties):
        sites = [s for s in city.sites if s["county_name"] == cname]
        found = dt.date(y, mo, 3 + ci)
        item = dict(item_code=f"ZG-{month.replace('-', '')}-{ci + 1}", county=cname, site_code=sites[-1]["code"],
                    source="督导督查", description="楼道消防通道堵塞", unit="街道办事处", found_date=found,
                    deadline=found + dt.timedelta(days=10), status="整改中", closed_date=None)
        out.append(item)
    if month == city.months[-1]:
        # the previous month's first item was closed this month
        py, pm = int(city.months[-2][:4]), int(city.months[-2][5:])
        cname = city.counties[0][1]
        found = dt.date(py, pm, 3)
        out.append(dict(item_code=f"ZG-{city.months[-2].replace('-', '')}-1", county=cname,
                        site_code=[s for s in city.sites if s["county_name"] == cname][-1]["code"],
                        source="督导督查", description="楼道消防通道堵塞", unit="街道办事处", found_date=found,
                        deadline=found + dt.timedelta(days=10), status="已销号", closed_date=dt.date(y, mo, 2)))
    return out


def _followups(city: SmallCity, month: str) -> list[dict]:
    if month != city.months[-1]:
        return []
    y, mo = int(month[:4]), int(month[5:])
    return [dict(kind="定期调度", date=dt.date(y, mo, 8), county=name, site_code=None,
                 title=f"{int(month[5:])}月后续扶持调度会", content="研究就业帮扶") for _, name in city.counties]


def build_small_city(engine, *, precompute: bool = True) -> SmallCity:
    """Write the small city into an empty, migrated database (see the module docstring)."""
    info = geo.find_city(CITY)
    counties = sorted(geo.city_counties(CITY), key=lambda c: c.code)[:N_COUNTIES]
    city = SmallCity(city_name=info.name, months=list(MONTHS), counties=[(c.code, c.name) for c in counties])
    with Session(engine) as s, s.begin():
        for i, c in enumerate(counties, start=1):
            s.add(m.County(code=c.code, name=c.name, city_code=info.code, sort_order=i, boundary_geojson=c.geojson))
        s.add(m.User(username="leader", display_name="演示市领导", role="市领导", active=True))
        s.add(m.User(username="supervisor", display_name="演示市级督导", role="市级督导", active=True))
        s.add(m.User(username="admin", display_name="演示管理员", role="管理员", active=True))
        for c in counties:
            s.add(m.User(username=f"operator_{c.name}", display_name=f"{c.name}填报员", role="县级填报员",
                         county_code=c.code, active=True))
    for key, value in (("city_code", info.code), ("city_name", info.name), ("province", info.province),
                       ("demo", "1"), ("demo_end_month", END_MONTH)):
        set_setting(engine, key, value)
    points = {}
    for ci, c in enumerate(counties):
        for k, (lon, lat) in enumerate(_site_points(c, len(TIERS[ci]))):
            code = f"{c.code[-2:]}{k + 1:02d}"
            city.sites.append(dict(code=f"S{code}", name=f"{c.name[:2]}{SITE_NAMES[k]}", county_code=c.code,
                                   county_name=c.name, tier=TIERS[ci][k], population=POPULATIONS[k]))
            points[f"S{code}"] = (lon, lat)
    rights, posts = _rights_keys(), _post_keys()
    city.rights_codes = rights
    for t, month in enumerate(city.months):
        tables = _month_tables(city, month, t, points, rights, posts)
        if month == city.end_month:
            city.gaps = {(h["household_code"], k) for h in tables["搬迁户"] for k in rights
                         if h[k] is None or h[k] == "未落实"}
        data = _workbook(tables)
        result = import_workbook(engine, data, f"台账_{month}.xlsx", month, ADMIN)
        if not result.ok:
            problems = "; ".join(f"{x.sheet}!{x.row} {x.column} {x.value!r}: {x.reason}" for x in result.errors[:10])
            raise RuntimeError(f"small city: import of {month} failed: {problems}")
        city.imports.append(result.result)
    city.households = len(city.sites) * HOUSEHOLDS_PER_SITE
    if precompute:
        store.precompute(engine)
    return city
