"""Fixtures for the view-model tests: one small demo database per session (the demo generator at 5 % of the
households, 14 months, results precomputed) and a non-demo copy with two users who have passwords."""
from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from data import models as m
from data.db import create, set_setting
from data.demo import build_demo
from services import store
from services.accounts import hash_password

DEMO_MONTHS = 14          # enough for the 12-month trends and a previous month everywhere
DEMO_END = "2026-10"


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> str:
    """URL of a small demo database (68 sites, 5 % of the households), results already stored."""
    url = f"sqlite:///{tmp_path_factory.mktemp('svc') / 'demo_small.db'}"
    eng = create(url)
    build_demo(eng, household_factor=0.05, months=DEMO_MONTHS, end_month=DEMO_END)
    store.precompute(eng)
    eng.dispose()
    return url


@pytest.fixture(scope="session")
def login_db(demo_db, tmp_path_factory) -> str:
    """A copy of the demo database that is *not* in demo mode: supervisor / 督导2026 and a county operator of the
    first county, op_test / 填报2026."""
    dst = tmp_path_factory.mktemp("svc_login") / "login.db"
    eng = create(demo_db)
    with eng.connect() as conn:  # a consistent copy even in WAL mode
        conn.exec_driver_sql(f"VACUUM INTO '{dst}'")
    eng.dispose()
    url = f"sqlite:///{dst}"
    eng = create(url)
    set_setting(eng, "demo", "0")
    with Session(eng) as s, s.begin():
        s.query(m.User).filter(m.User.username == "supervisor").one().password_hash = hash_password("督导2026")
        c = s.query(m.County).order_by(m.County.sort_order).first()
        s.add(m.User(username="op_test", display_name="测试填报员", role="县级填报员", county_code=c.code,
                     password_hash=hash_password("填报2026"), active=True))
    eng.dispose()
    return url
