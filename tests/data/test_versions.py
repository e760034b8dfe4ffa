"""The versioned ledger store: importing or editing month m never changes a figure of a month before m
(domain.md §3, §11 "History is frozen", "Rectification items")."""
from __future__ import annotations

import copy
import datetime as dt

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select, text

from data import models as m
from data import repository as repo
from data.db import alembic_config, create
from data.workbook import ImportUser, import_workbook
from services import store
from tests.data.fixtures_workbooks import build_xlsx, good_records, good_tables, seed_counties

ADMIN = ImportUser("admin", "管理员")
SEP, OCT, NOV = "2026-09", "2026-10", "2026-11"


def _import(engine, records, month):
    recs = copy.deepcopy(records)
    for r in recs.get("月度指标", []):
        r["month"] = month
    res = import_workbook(engine, build_xlsx(good_tables(recs)), f"台账_{month}.xlsx", month, ADMIN)
    assert res.ok, "\n".join(str(x) for x in res.errors)
    return res


def _figures(engine, month) -> dict[str, pd.DataFrame]:
    """Every figure of a month as scored now (stored results dropped first, so it is recomputed)."""
    with engine.begin() as c:
        c.execute(delete(m.ResultCache))
    r = store.month_results(engine, month)
    return {"sites": r.scores.sites.reset_index(drop=True), "indicators": r.scores.indicators.reset_index(drop=True),
            "counties": r.county.counties.reset_index(drop=True)}


def _same(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    for k in a:
        pd.testing.assert_frame_equal(a[k], b[k], check_like=True)


@pytest.fixture
def db(engine):
    seed_counties(engine, boundary=True)
    return engine


def test_a_later_month_adding_a_site_and_changing_a_class_leaves_the_earlier_month_alone(db):
    _import(db, good_records(), SEP)
    sep_before = _figures(db, SEP)
    assert sep_before["sites"].set_index("site_code").loc["S001", "size_class"] == "小型"

    oct_recs = good_records()
    oct_recs["安置点"][0]["population"] = 800            # 7 -> 800: 小型 -> 中型 (§11: 800 is 中型)
    new_site = dict(oct_recs["安置点"][1], code="S003", name="新建社区", lon=104.95, lat=25.15)
    oct_recs["安置点"].append(new_site)
    oct_recs["月度指标"].append(dict(oct_recs["月度指标"][1], site_code="S003"))
    _import(db, oct_recs, OCT)

    # September: identical figures, the same classes, and no trace of the new site
    _same(sep_before, _figures(db, SEP))
    assert "S003" not in set(repo.sites(db, SEP)["site_code"])
    assert repo.sites(db, SEP).set_index("site_code").loc["S001", "population"] == 7
    # October: the new class and the new site
    octf = _figures(db, OCT)["sites"].set_index("site_code")
    assert octf.loc["S001", "size_class"] == "中型"
    assert "S003" in octf.index


def test_a_site_exists_from_the_first_month_a_ledger_reported_it(db):
    _import(db, good_records(), OCT)
    assert repo.sites(db, SEP).empty
    assert set(repo.sites(db, OCT)["site_code"]) == {"S001", "S002"}
    assert set(repo.sites(db)["site_code"]) == {"S001", "S002"}


def test_a_later_edit_of_an_item_never_changes_an_earlier_months_overdue_count(db):
    recs = good_records()
    recs["问题整改"][0].update(deadline="2026-08-31", status="整改中")      # overdue at the end of September
    _import(db, recs, SEP)
    sep_before = _figures(db, SEP)
    sep_items = repo.rectifications(db, SEP).set_index("item_code")
    assert sep_items.loc["ZG-001", "deadline"] == dt.date(2026, 8, 31)

    recs2 = good_records()
    recs2["问题整改"][0].update(deadline="2026-12-31", status="整改中")     # the deadline extended in October
    _import(db, recs2, OCT)
    assert repo.rectifications(db, SEP).set_index("item_code").loc["ZG-001", "deadline"] == dt.date(2026, 8, 31)
    assert repo.rectifications(db, OCT).set_index("item_code").loc["ZG-001", "deadline"] == dt.date(2026, 12, 31)
    _same(sep_before, _figures(db, SEP))
    with db.connect() as c:     # two recorded versions of the item, one per month
        assert c.execute(select(func.count()).select_from(m.Rectification)
                         .where(m.Rectification.code == "ZG-001")).scalar_one() == 2


def test_unchanged_households_write_no_new_versions_and_a_change_writes_one(db):
    _import(db, good_records(), SEP)
    _import(db, good_records(), OCT)          # the same ledger again for October
    recs = good_records()
    recs["搬迁户"][0]["income_curr"] = 9999.0
    _import(db, recs, NOV)
    with db.connect() as c:
        rows = c.execute(select(m.Household.household_code, m.Household.valid_from, m.Household.valid_to)
                         .order_by(m.Household.household_code, m.Household.valid_from)).all()
    assert [tuple(r) for r in rows if r[0] == "H001"] == [("H001", SEP, NOV), ("H001", NOV, None)]
    assert [tuple(r) for r in rows if r[0] == "H002"] == [("H002", SEP, None)]
    assert repo.households(db, OCT).set_index("household_code").loc["H001", "income_curr"] == 8800.0
    assert repo.households(db, NOV).set_index("household_code").loc["H001", "income_curr"] == 9999.0
    assert repo.months(db) == [SEP, OCT, NOV]


def test_a_household_left_out_of_its_sites_sheet_ends_there_and_a_correction_respects_later_months(db):
    _import(db, good_records(), SEP)
    _import(db, good_records(), NOV)
    recs = good_records()
    recs["搬迁户"] = [h for h in recs["搬迁户"] if h["household_code"] != "H002"]
    recs["劳动力"] = [x for x in recs["劳动力"] if x["household_code"] != "H002"]
    _import(db, recs, OCT)                      # October corrected later: H002 had left in October
    codes = {mo: set(repo.households(db, mo)["household_code"]) for mo in (SEP, OCT, NOV)}
    assert "H002" in codes[SEP]
    assert "H002" not in codes[OCT]
    assert "H002" in codes[NOV]                 # November's own ledger listed it


def test_reimporting_the_same_file_changes_nothing(db):
    _import(db, good_records(), SEP)
    with db.connect() as c:
        before = {t: c.execute(select(func.count()).select_from(t)).scalar_one()
                  for t in (m.Site, m.Household, m.Labourer, m.SiteOrganisation, m.Rectification, m.LedgerSnapshot)}
    res = _import(db, good_records(), SEP)
    assert res.result == "无变化"
    with db.connect() as c:
        after = {t: c.execute(select(func.count()).select_from(t)).scalar_one() for t in before}
    assert after == before


# ---- property: any later month never changes an earlier month ---------------------------------------------

_change = st.fixed_dictionaries({
    "household": st.sampled_from(["H001", "H002", "H003", "H004"]),
    "field": st.sampled_from(["income_curr", "R02", "family_size", "drop", "population", "deadline"]),
    "value": st.integers(0, 3),
})


def _apply_change(recs: dict, ch: dict) -> None:
    hh = {h["household_code"]: h for h in recs["搬迁户"]}
    h = hh.get(ch["household"])
    f, v = ch["field"], ch["value"]
    if f == "drop" and h is not None and len(recs["搬迁户"]) > 1:
        recs["搬迁户"].remove(h)
        recs["劳动力"] = [x for x in recs["劳动力"] if x["household_code"] != ch["household"]]
    elif f == "income_curr" and h is not None:
        h["income_curr"] = 8000.0 + 100 * v
    elif f == "R02" and h is not None:
        h["R02"] = ["已落实", "未落实", None, "不适用"][v]
    elif f == "family_size" and h is not None:
        h["family_size"] = max(h["labour_count"], 1) + v
    elif f == "population":
        recs["安置点"][v % 2]["population"] = [7, 800, 3000, 120][v]
    elif f == "deadline":
        recs["问题整改"][0]["deadline"] = ["2026-08-31", "2026-09-30", "2026-10-31", "2027-01-31"][v]


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.lists(st.lists(_change, max_size=3), min_size=2, max_size=3))
def test_importing_any_later_month_never_changes_an_earlier_months_figures(sqlite_engine, changes):
    db = sqlite_engine
    with db.begin() as c:                       # a fresh store for every example
        for t in reversed(m.Base.metadata.sorted_tables):
            if t.name != "alembic_version":
                c.execute(t.delete())
    seed_counties(db, boundary=True)
    months = ["2026-08", SEP, OCT][:len(changes)]
    recs = good_records()
    seen: dict[str, dict] = {}
    for mo, month_changes in zip(months, changes):
        for ch in month_changes:
            _apply_change(recs, ch)
        _import(db, recs, mo)
        for earlier, figures in seen.items():
            _same(figures, _figures(db, earlier))
        seen[mo] = _figures(db, mo)


# ---- migration from monthly copies ---------------------------------------------------------------------------

def test_the_migration_turns_monthly_copies_into_versions_with_identical_months(tmp_path):
    from alembic import command

    url = f"sqlite:///{tmp_path / 'old.db'}"
    eng = create(url, upgrade=False)
    command.upgrade(alembic_config(eng), "0001")
    hh_cols = ("household_code, site_code, head_name, head_id, family_size, labour_count, origin_county, "
               "origin_town, origin_village, hukou_moved, income_prev, income_curr, r01")
    with eng.begin() as c:
        c.execute(text("INSERT INTO counties (code, name, city_code, sort_order) VALUES ('520101','甲县','520100',1)"))
        c.execute(text("INSERT INTO sites (code, name, county_code, site_type, lon, lat, households, population, "
                       "batch_year) VALUES ('S1','一号','520101','城镇集中安置区',105,25,2,7,2026)"))
        for mo, income, present2 in (("2026-08", 100.0, True), ("2026-09", 100.0, False), ("2026-10", 120.0, True)):
            c.execute(text("INSERT INTO reported_indicators (month, site_code, carriers) VALUES (:m, 'S1', 1)"),
                      {"m": mo})
            c.execute(text(f"INSERT INTO households (month, {hh_cols}) VALUES "
                           f"(:m,'H1','S1','甲','x',3,1,'乙县','乡','村',1,90,:i,1)"), {"m": mo, "i": income})
            if present2:
                c.execute(text(f"INSERT INTO households (month, {hh_cols}) VALUES "
                               f"(:m,'H2','S1','乙','y',2,0,'乙县','乡','村',0,80,85,0)"), {"m": mo})
        c.execute(text("INSERT INTO rectifications (code, county_code, source, description, unit, found_date, "
                       "deadline, status) VALUES "
                       "('Z1','520101','督导督查','d','u','2026-08-03','2026-09-01','整改中')"))
    eng.dispose()
    eng = create(url)                                  # upgrades to head
    with eng.connect() as c:
        rows = c.execute(select(m.Household.household_code, m.Household.valid_from, m.Household.valid_to)
                         .order_by(m.Household.household_code, m.Household.valid_from)).all()
    assert [tuple(r) for r in rows] == [("H1", "2026-08", "2026-10"), ("H1", "2026-10", None),
                                        ("H2", "2026-08", "2026-09"), ("H2", "2026-10", None)]
    assert repo.months(eng) == ["2026-08", "2026-09", "2026-10"]
    assert set(repo.households(eng, "2026-09")["household_code"]) == {"H1"}
    assert repo.households(eng, "2026-10").set_index("household_code").loc["H1", "income_curr"] == 120.0
    assert list(repo.sites(eng, "2026-08")["site_code"]) == ["S1"]
    assert list(repo.rectifications(eng, "2026-09")["item_code"]) == ["Z1"]
    eng.dispose()
