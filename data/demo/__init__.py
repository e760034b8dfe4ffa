"""Deterministic demo city: real county boundaries, 68 relocation sites, 24 months of ledgers.

``build_demo(engine, city="522300", ...)`` writes counties (with boundaries), sites, monthly household /
labour snapshots, site organisation, reported indicators, rectification items, follow-up records, demo
users and settings — everything the dashboard needs — from one seeded ``numpy.random.Generator``, so the
same call always produces the same database content.

Story told by the data (latest month = ``end_month``, default the last full month before today):
rates improve over the two years and more sites reach 五好 (a little behind the creation plan for the
first batch); in recent months there is planted trouble so that every flag and veto of domain.md occurs:
zero-employment households (E2 veto) at three sites, an unenrolled school-age child (P2 veto) making a
formerly 达标 site fall below for two months (摘牌预警), one 重大群体性事件 (S4 veto), missing service
platforms (P1), 应保未保 households (P5), missing reports (缺报), blank rights (漏项), overdue rectification
items, a county lagging creation progress with low rights coverage (flagged 3+ months → 建议约谈主要负责人)
and a county flagged for two months (→ 建议约谈).

Speed: everything is generated with vectorised numpy once per demo; monthly snapshots only recompute the
status arrays. Rows go in with the driver's bulk paths (sqlite3 ``executemany`` / psycopg ``COPY``) inside
one transaction (data.bulk), so a failed build leaves the database untouched.

Modules, each importing only those above it in this list:

- ``calibration``  city, seed and the numbers the demo is tuned to; ``DemoError``
- ``names``        towns, villages, communities, people's names, resident IDs, problem and case texts
- ``plan``         counties and sites (places, sizes, batches, story roles, required 双五级 posts)
- ``people``       listed households and labourers with their fixed random draws
- ``story``        maturity trajectories and the planted trouble
- ``ledger``       the monthly ledger rows (households, labourers, organisation, reported indicators)
- ``records``      rectification items, follow-up records and demo users
- ``build``        ``build_demo``: generate everything and write it in one transaction
"""
from data.demo.build import DemoResult, build_demo, default_end_month, month_list
from data.demo.calibration import (BATCH_YEARS, CITY_POPULATION, CITY_SIZE_COUNTS, DEFAULT_CITY, DEFAULT_SEED,
                                   FORM_WAGE, FORMS, LABOUR_PER_PERSON, PEOPLE_PER_HOUSEHOLD, PROVINCE_HOUSEHOLDS,
                                   PROVINCE_SITES, DemoError)
from domain.sites import RURAL, URBAN

__all__ = ["build_demo", "DemoResult", "DemoError", "default_end_month", "month_list", "DEFAULT_CITY", "DEFAULT_SEED",
           "CITY_SIZE_COUNTS", "CITY_POPULATION", "PROVINCE_SITES", "PROVINCE_HOUSEHOLDS", "PEOPLE_PER_HOUSEHOLD",
           "LABOUR_PER_PERSON", "BATCH_YEARS", "URBAN", "RURAL", "FORMS", "FORM_WAGE"]
