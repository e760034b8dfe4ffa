"""Small hand-built MonthData for scoring tests.

Defaults describe a "perfect" site: every indicator at or beyond its target, so tests change one thing at a
time and know every other indicator earns full points.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from domain.organisation import PLATFORMS, POSTS
from domain.rights import RIGHTS_CODES
from scoring.frames import (COUNTY_COLUMNS, HOUSEHOLD_COLUMNS, LABOUR_COLUMNS, ORGANISATION_COLUMNS,
                            RECTIFICATION_COLUMNS, REPORTED_COLUMNS, SITE_COLUMNS, MonthData, empty)

GOOD_REPORTED = dict(carriers=3, collective_income=50, linkage_pct=60, satisfaction_pct=90, civic_pct=80,
                     night_school=6, dispute_pct=95, mass_incidents=0, inspection_problems=0)


def site(code, county="C1", population=1000, batch_year=2026, name=None, county_name=None, households=100):
    return dict(site_code=code, site_name=name or f"安置点{code}", county_code=county,
                county_name=county_name or f"县{county}", town="某镇", site_type="城镇集中安置区", lon=105.0,
                lat=26.0, households=households, population=population, batch_year=batch_year, built_year=2018)


def household(code, site_code, family_size=4, labour_count=1, hukou_moved=True, income_prev=10000.0,
              income_curr=11000.0, rights=None, **overrides):
    row = dict(household_code=code, site_code=site_code, head_name="张三", head_id="522301199001011234",
               family_size=family_size, labour_count=labour_count, origin_county="某县", origin_town="某乡",
               origin_village="某村", hukou_moved=hukou_moved, monitored=False, income_prev=income_prev,
               income_curr=income_curr)
    for c in RIGHTS_CODES:
        row[c] = "已落实"
    row.update(rights or {})
    row.update(overrides)
    return row


def labourer(pid, household_code, site_code, employed=True, trained=True, certified=True, form="帮扶车间",
             income=3000.0):
    return dict(person_id=pid, name="李四", household_code=household_code, site_code=site_code, gender="男",
                trained=trained, certified=certified, employed=employed,
                employment_form=form if employed else None, monthly_income=income)


def org(site_code, platforms=(True, True, True), required=1, actual=None):
    row = {"site_code": site_code}
    for (c, _), v in zip(PLATFORMS, platforms):
        row[c] = v
    req = required if isinstance(required, dict) else {c: required for c, _ in POSTS}
    act = actual if isinstance(actual, dict) else {c: (req[c] if actual is None else actual) for c, _ in POSTS}
    for c, _ in POSTS:
        row[f"{c}_required"] = req[c]
        row[f"{c}_actual"] = act[c]
    return row


def reported(site_code, **overrides):
    row = {"site_code": site_code, **GOOD_REPORTED}
    row.update(overrides)
    return row


def rect(item, county, deadline, status="未整改", closed=None, found=dt.date(2026, 1, 5), site=None):
    return dict(item_code=item, county_code=county, site_code=site, source="督导督查", description="问题",
                unit="某局", found_date=found, deadline=deadline, status=status, closed_date=closed)


def frame(rows, columns):
    if not rows:
        return empty(columns)
    df = pd.DataFrame(rows)
    for c in columns:
        if c not in df:
            df[c] = None
    return df[columns]


def month_data(month="2026-06", sites=(), households=(), labour=(), orgs=(), reps=(), rects=(), counties=None):
    sites = list(sites)
    if counties is None:
        seen = {}
        for s in sites:
            seen.setdefault(s["county_code"], s["county_name"])
        counties = [dict(county_code=c, county_name=n, sort_order=i) for i, (c, n) in enumerate(sorted(seen.items()))]
    return MonthData(month=month, sites=frame(sites, SITE_COLUMNS), counties=frame(counties, COUNTY_COLUMNS),
                     households=frame(list(households), HOUSEHOLD_COLUMNS),
                     labour=frame(list(labour), LABOUR_COLUMNS),
                     organisation=frame(list(orgs), ORGANISATION_COLUMNS),
                     reported=frame(list(reps), REPORTED_COLUMNS),
                     rectifications=frame(list(rects), RECTIFICATION_COLUMNS))


def perfect_site(code, county="C1", population=1000, batch_year=2026, n_households=1, reported_overrides=None,
                 **site_kw):
    """Rows for a full-marks site: one labourer per household, all employed in a workshop, all rights 已落实."""
    hh = [household(f"{code}-H{i}", code) for i in range(n_households)]
    lab = [labourer(f"{code}-P{i}", f"{code}-H{i}", code) for i in range(n_households)]
    return dict(site=site(code, county=county, population=population, batch_year=batch_year, **site_kw),
                households=hh, labour=lab, org=org(code), reported=reported(code, **(reported_overrides or {})))


def combine(month="2026-06", parts=(), rects=()):
    parts = list(parts)
    return month_data(month, sites=[p["site"] for p in parts],
                      households=[h for p in parts for h in p["households"]],
                      labour=[x for p in parts for x in p["labour"]],
                      orgs=[p["org"] for p in parts if p.get("org") is not None],
                      reps=[p["reported"] for p in parts if p.get("reported") is not None], rects=rects)
