"""``build_demo``: plan, people, story and records generated from one seed, written in one transaction through
the shared bulk writer (data.bulk)."""
from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from data import models as m
from data.bulk import BulkWriter
from data.demo.calibration import DEFAULT_CITY, DEFAULT_SEED, DemoError
from data.demo.ledger import (HH_COLS, LAB_COLS, ORG_COLS, REP_COLS, household_rows, labour_rows, org_rows,
                              reported_rows)
from data.demo.people import make_people
from data.demo.plan import make_plan, required_posts
from data.demo.records import demo_users, followups, rectifications
from data.demo.story import make_story
from data.repository import STATIC, bump_data_version
from data.versions import HOUSEHOLDS, LABOUR, ORGANISATION, MonthlyVersions
from domain.calendar import previous_month


@dataclass
class DemoResult:
    city_code: str
    city_name: str
    scale: str
    counties: int
    sites: int
    months: list[str]
    households: int            # listed households per month (latest month)
    labourers: int             # listed labourers per month (latest month)
    population: int            # 搬迁人数 on the site sheet
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> str:
        first, last = self.months[0], self.months[-1]
        return (f"已生成演示数据：{self.city_name}，{self.counties}个县（市、区），{self.sites}个安置点，"
                f"{len(self.months)}个月（{first}至{last}），搬迁人口{self.population:,}人，"
                f"每月台账{self.households:,}户、劳动力{self.labourers:,}人，用时{self.seconds:.1f}秒")


def default_end_month(today: dt.date | None = None) -> str:
    """The last full month before `today`."""
    today = today or dt.date.today()
    return previous_month(f"{today.year}-{today.month:02d}")


def month_list(end_month: str, n: int) -> list[str]:
    out = [end_month]
    for _ in range(n - 1):
        out.append(previous_month(out[-1]))
    return out[::-1]


def _has_data(conn) -> bool:
    for model in (m.Site, m.Household, m.ReportedIndicator, m.SiteOrganisation, m.Rectification):
        if conn.execute(select(func.count()).select_from(model)).scalar_one():
            return True
    return False


def build_demo(engine: Engine, city: str = DEFAULT_CITY, scale: str = "city", months: int = 24,
               end_month: str | None = None, seed: int = DEFAULT_SEED, household_factor: float = 1.0,
               progress=None, on_month=None) -> DemoResult:
    """Write the deterministic demo into an empty database (one transaction) and return a summary.

    city: code or name (see data.geo.find_city); scale "city" (68 sites) or "province" (about 1,000 sites over
    every county of the city's province; household/labour snapshots only for the latest two months);
    household_factor < 1 lists fewer households per site (the site sheet keeps full populations) for fast tests.
    `progress(message)` is called with short Chinese progress notes, `on_month(done, total)` after each month
    is written (for a progress bar)."""
    t0 = time.perf_counter()
    say = progress or (lambda _msg: None)
    if months < 1:
        raise DemoError("演示月份数至少为1")
    if not 0 < household_factor <= 1:
        raise DemoError("household_factor 应在 (0, 1] 之间")
    end_month = end_month or default_end_month()
    month_names = month_list(end_month, months)
    years = sorted({int(x[:4]) for x in month_names})
    years = list(range(years[0] - 1, years[-1] + 1))
    rng = np.random.default_rng(seed)
    seeds = rng.integers(0, 2**31 - 1, 8)
    plan = make_plan(np.random.default_rng(seeds[0]), city, scale)
    say(f"规划完成：{len(plan.counties)}个县（市、区），{len(plan.site_code)}个安置点")
    pp = make_people(np.random.default_rng(seeds[1]), plan, household_factor, years)
    st = make_story(np.random.default_rng(seeds[2]), plan, month_names)
    required = required_posts(plan)
    rng_org, rng_rep = np.random.default_rng(seeds[4]), np.random.default_rng(seeds[5])
    rect = rectifications(np.random.default_rng(seeds[6]), plan, month_names)
    fups = followups(np.random.default_rng(seeds[7]), plan, month_names)
    say(f"人口生成完成：每月{len(pp.hh_site):,}户、劳动力{len(pp.lab_hh):,}人")

    static = dict(hh_code=pp.hh_code, hh_site_code=[plan.site_code[s] for s in pp.hh_site.tolist()],
                  family=pp.family.tolist(), labour=pp.labour.tolist(),
                  lab_hh_code=[pp.hh_code[h] for h in pp.lab_hh.tolist()],
                  month_index={x: i for i, x in enumerate(month_names)})
    static["lab_site_code"] = [static["hh_site_code"][h] for h in pp.lab_hh.tolist()]
    ledger_months = set(month_names if scale == "city" else month_names[-2:])

    with engine.begin() as conn:
        if _has_data(conn):
            raise DemoError("数据库中已有安置点或台账数据，不能生成演示数据（请使用空数据库）")
        existing_city = conn.execute(select(m.Setting.value).where(m.Setting.key == "city_code")).scalar()
        if existing_city and existing_city != plan.city_code:
            raise DemoError(f"数据库已初始化为其他城市（{existing_city}），不能生成{plan.city_name}的演示数据")
        conn.execute(delete(m.County))
        w = BulkWriter(conn)
        with w.large_cache():
            w.insert_dicts("counties", [dict(code=c["code"], name=c["name"], city_code=c["city_code"],
                                             sort_order=c["sort_order"], boundary_geojson=c["geojson"])
                                        for c in plan.counties])
            S = len(plan.site_code)
            w.insert("sites", ["code", "name", "county_code", "town", "site_type", "lon", "lat", "households",
                               "population", "batch_year", "built_year", "valid_from"],
                     [(plan.site_code[s], plan.site_name[s], plan.counties[plan.site_county[s]]["code"],
                       plan.site_town[s], plan.site_type[s], float(plan.lon[s]), float(plan.lat[s]),
                       int(plan.households[s]), int(plan.population[s]), int(plan.batch[s]), int(plan.built[s]),
                       month_names[0])
                      for s in range(S)])
            # households, labourers and organisation are kept as versions (data.versions): a month writes only
            # what changed since the month before
            hh_v, lab_v, org_v = MonthlyVersions(0), MonthlyVersions(0), MonthlyVersions(0)
            stated: list[tuple] = []
            for t, month in enumerate(month_names):
                if month in ledger_months:
                    hh_v.add(month, list(zip(*household_rows(t, month, plan, pp, st, years, static)[1:])))
                    lab_v.add(month, list(zip(*labour_rows(t, month, plan, pp, st, static)[1:])))
                    stated += [(kind, code, month) for kind in (HOUSEHOLDS, LABOUR) for code in plan.site_code]
                org_v.add(month, [r[1:] for r in org_rows(t, month, plan, st, rng_org, required)])
                stated += [(ORGANISATION, code, month) for code in plan.site_code]
                w.insert("reported_indicators", REP_COLS, reported_rows(t, month, plan, st, rng_rep))
                say(f"{month} 已生成")
                if on_month is not None:
                    on_month(t + 1, len(month_names))
            versioned = ["valid_from", "valid_to"]
            w.insert("households", HH_COLS[1:] + versioned, hh_v.rows())
            w.insert("labourers", LAB_COLS[1:] + versioned, lab_v.rows())
            w.insert("site_organisation", ORG_COLS[1:] + versioned, org_v.rows())
            w.insert("ledger_snapshots", ["kind", "scope", "month"], stated)
            w.insert_dicts("rectifications", [dict(r, valid_from=max(r["found_date"].strftime("%Y-%m"),
                                                                     month_names[0])) for r in rect])
            w.insert_dicts("followups", [dict(f, valid_from=max(f["date"].strftime("%Y-%m"), month_names[0]))
                                         for f in fups])
            existing_users = set(conn.execute(select(m.User.username)).scalars())
            w.insert_dicts("users", [u for u in demo_users(plan) if u["username"] not in existing_users])
            settings = {"city_code": plan.city_code, "city_name": plan.city_name, "province": plan.province,
                        "demo": "1", "demo_scale": scale, "demo_seed": str(seed), "demo_end_month": end_month,
                        "demo_household_factor": repr(household_factor),
                        "demo_story": json.dumps(st.named, ensure_ascii=False)}
            conn.execute(delete(m.Setting).where(m.Setting.key.in_(list(settings))))
            w.insert_dicts("settings", [dict(key=k, value=v) for k, v in settings.items()])
            with Session(bind=conn) as session:
                bump_data_version(session, [*month_names, STATIC])
                session.flush()
    result = DemoResult(city_code=plan.city_code, city_name=plan.city_name, scale=scale, counties=len(plan.counties),
                        sites=len(plan.site_code), months=month_names, households=len(pp.hh_site),
                        labourers=len(pp.lab_hh), population=int(plan.population.sum()), rows=dict(w.rows),
                        seconds=time.perf_counter() - t0)
    say(result.summary())
    return result
