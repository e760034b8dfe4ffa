"""The demo's case records: rectification items, follow-up records (调度, 督导, 约谈, 宣传) and demo users."""
from __future__ import annotations

import datetime as dt

import numpy as np

from data.demo.names import CASES, RECT_PROBLEMS
from data.demo.plan import Plan
from domain.calendar import period_end
from domain.followup import (CIRCULAR_INTERVIEW, MEETING, PUBLICITY, RECT_CLOSED, RECT_IN_PROGRESS, RECT_OPEN,
                             SUPERVISION)
from domain.roles import ADMIN, COUNTY_OPERATOR, LEADER, SUPERVISOR


def rectifications(rng, plan: Plan, months: list[str]) -> list[dict]:
    T = len(months)
    L = T - 1
    pe = [period_end(x) for x in months]
    roles = plan.roles
    rows = []
    for ci, c in enumerate(plan.counties):
        sites = np.where(plan.site_county == ci)[0]
        seq = 0
        for t in range(T):
            n = rng.poisson(0.45 if ci not in (roles["A"],) else 0.7)
            if plan.scale == "province":
                n = rng.poisson(0.15)
            for _ in range(n):
                seq += 1
                month_start = pe[t].replace(day=1)
                found = month_start + dt.timedelta(days=int(rng.integers(0, pe[t].day)))
                deadline = found + dt.timedelta(days=int(rng.choice([30, 45, 60, 90])))
                src, desc, unit = RECT_PROBLEMS[int(rng.integers(len(RECT_PROBLEMS)))]
                site = sites[int(rng.integers(len(sites)))] if len(sites) and rng.random() < 0.8 else None
                # closure: most on time, some late; never after the end of the data
                late = rng.random() < 0.18
                closed = deadline + dt.timedelta(days=int(rng.integers(5, 75))) if late else \
                    deadline - dt.timedelta(days=int(rng.integers(1, max(2, (deadline - found).days - 3))))
                if closed > pe[L]:
                    closed = None
                place = plan.site_name[site] if site is not None else c["name"]
                rows.append(dict(code=f"ZG{c['code']}-{found:%Y%m}-{seq:03d}", county_code=c["code"],
                                 site_code=plan.site_code[site] if site is not None else None, source=src,
                                 description=desc if site is None else f"{plan.site_name[site]}{desc}",
                                 unit=f"{c['name']}{unit}" if unit != "社区党委" else f"{place}社区党委",
                                 found_date=found, deadline=deadline,
                                 status=RECT_CLOSED if closed else RECT_IN_PROGRESS, closed_date=closed))
    # recent months: only counties A (long overdue) and C (overdue this month) have overdue items
    recent = [pe[t] for t in range(max(0, L - 2), L + 1)]
    a_code, c_code = plan.counties[roles["A"]]["code"], plan.counties[roles["C"]]["code"]
    for r in rows:
        for p_end in recent:
            open_then = r["closed_date"] is None or r["closed_date"] > p_end
            if r["found_date"] <= p_end and open_then and r["deadline"] < p_end and r["county_code"] != a_code:
                r["closed_date"] = max(r["found_date"] + dt.timedelta(days=3), r["deadline"] - dt.timedelta(days=2))
                r["status"] = RECT_CLOSED
    # county A: items found about half a year ago, still open and overdue for months
    for j in range(3 if T >= 6 else 1):
        t = max(0, L - 6 + j)
        found = pe[t].replace(day=1) + dt.timedelta(days=10 + 3 * j)
        src, desc, unit = RECT_PROBLEMS[(j * 5) % len(RECT_PROBLEMS)]
        rows.append(dict(code=f"ZG{a_code}-{found:%Y%m}-{90 + j:03d}", county_code=a_code, site_code=None,
                         source=src, description=desc, unit=f"{plan.counties[roles['A']]['name']}{unit}",
                         found_date=found, deadline=found + dt.timedelta(days=45),
                         status=RECT_OPEN if j == 0 else RECT_IN_PROGRESS, closed_date=None))
    # county C: one item whose deadline passed in the latest month
    if roles["C"] != roles["A"]:
        dl = pe[L] - dt.timedelta(days=12)
        found = dl - dt.timedelta(days=45)
        rows.append(dict(code=f"ZG{c_code}-{found:%Y%m}-099", county_code=c_code, site_code=None, source="明察暗访",
                         description="安置点消防通道堵塞，部分楼栋灭火器过期",
                         unit=f"{plan.counties[roles['C']]['name']}应急管理局", found_date=found, deadline=dl,
                         status=RECT_IN_PROGRESS, closed_date=None))
    for r in rows:
        if r["closed_date"] is None and r["status"] == RECT_CLOSED:
            r["status"] = RECT_IN_PROGRESS
        if r["closed_date"] is None and r["status"] == RECT_IN_PROGRESS and rng.random() < 0.25:
            r["status"] = RECT_OPEN
    rows.sort(key=lambda r: r["code"])
    return rows


def followups(rng, plan: Plan, months: list[str]) -> list[dict]:
    rows = []
    roles = plan.roles
    T = len(months)
    for t, month in enumerate(months):
        y, mo = int(month[:4]), int(month[5:7])
        for ci, c in enumerate(plan.counties):
            if plan.scale == "province" and t < T - 3:
                continue
            day = dt.date(y, mo, int(rng.integers(3, 11)))
            rows.append(dict(kind=MEETING, date=day, county_code=c["code"], site_code=None,
                             title=f"{c['name']}易地搬迁后续扶持工作领导小组{mo}月调度会",
                             content="听取各安置点就业帮扶、权益保障、问题整改进展，研究部署下阶段重点工作。"))
            if mo % 3 == 0 or (ci == roles["A"] and t >= T - 4):
                sites = np.where(plan.site_county == ci)[0]
                s = sites[int(rng.integers(len(sites)))] if len(sites) else None
                rows.append(dict(kind=SUPERVISION, date=dt.date(y, mo, int(rng.integers(12, 25))),
                                 county_code=c["code"],
                                 site_code=plan.site_code[s] if s is not None else None,
                                 title=f"市级督导组赴{c['name']}开展{mo}月督导",
                                 content="实地查看安置点，入户走访搬迁群众，查阅就业和权益台账，发现问题已纳入整改台账。"))
        # interviews of county A in the latest months, praise cases
        if t >= T - 2 and "A" in roles:
            c = plan.counties[roles["A"]]
            rows.append(dict(kind=CIRCULAR_INTERVIEW, date=dt.date(y, mo, 26), county_code=c["code"], site_code=None,
                             title=f"约谈{c['name']}生态移民局主要负责人（{mo}月）",
                             content="创建进度滞后于序时进度、迁出地权益落实率偏低、整改逾期未销号。"))
        if t % 4 == 1:
            ci = int(rng.integers(len(plan.counties)))
            c = plan.counties[ci]
            sites = np.where(plan.site_county == ci)[0]
            s = sites[int(rng.integers(len(sites)))] if len(sites) else None
            case = CASES[int(rng.integers(len(CASES)))]
            rows.append(dict(kind=PUBLICITY, date=dt.date(y, mo, 20), county_code=c["code"],
                             site_code=plan.site_code[s] if s is not None else None,
                             title=f"{plan.site_name[s] if s is not None else c['name']}：{case}",
                             content="典型案例，经市级媒体刊发。"))
    seen, out = set(), []
    for r in rows:
        key = (r["kind"], r["date"], r["county_code"], r["title"])
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def demo_users(plan: Plan) -> list[dict]:
    rows = [dict(username="leader", display_name="演示市领导", role=LEADER.name, county_code=None),
            dict(username="supervisor", display_name="演示市级督导", role=SUPERVISOR.name, county_code=None),
            dict(username="admin", display_name="演示管理员", role=ADMIN.name, county_code=None)]
    for c in plan.counties:
        rows.append(dict(username=f"operator_{c['name']}", display_name=f"{c['name']}填报员",
                         role=COUNTY_OPERATOR.name, county_code=c["code"]))
    for r in rows:
        r.update(password_hash=None, active=True)
    return rows
