"""Scoring many months from the ledger read once (data.repository.LedgerHistory, used by services.store.precompute)
gives exactly what reading each month on its own gives: the same frames, hence the same stored figures."""
from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import delete

from data import demo
from data import models as m
from data import repository as repo
from data.workbook import ImportUser, import_workbook
from domain.rights import RIGHTS_CODES
from scoring.frames import MonthData
from scoring.indicators import status_codes
from services import store
from tests.data.fixtures_workbooks import build_xlsx, good_records, good_tables, seed_counties

FRAMES = ["sites", "counties", "households", "labour", "organisation", "reported", "rectifications", "followups"]


def _same_month(a: MonthData, b: MonthData) -> None:
    """a (LedgerHistory) equals b (load_month): every frame, its values, types and order; the rights columns of a
    are categoricals of the same statuses (b's texts, None when blank), and code the same for scoring."""
    assert a.month == b.month
    for f in FRAMES:
        x, y = getattr(a, f), getattr(b, f)
        if f == "households":
            x = x.copy()
            for c in RIGHTS_CODES:
                assert isinstance(x[c].dtype, pd.CategoricalDtype)
                np.testing.assert_array_equal(status_codes(x[c]), status_codes(y[c]))
                x[c] = x[c].astype("object").where(x[c].notna(), None)
        pd.testing.assert_frame_equal(x, y, check_exact=True, obj=f"{a.month} {f}")


def test_every_month_of_the_small_demo_equals_its_own_reading(engine):
    demo.build_demo(engine, household_factor=0.02, months=6, end_month="2026-10")
    history = repo.LedgerHistory(engine)
    months = repo.months(engine)
    assert len(months) == 6
    for mo in months:
        _same_month(history.month(mo), repo.load_month(engine, mo, slim=True))
    # a month before any version: empty frames typed as the per-month reader types them
    _same_month(history.month("2020-01"), repo.load_month(engine, "2020-01", slim=True))


def _import(engine, records, month):
    recs = copy.deepcopy(records)
    for r in recs.get("月度指标", []):
        r["month"] = month
    res = import_workbook(engine, build_xlsx(good_tables(recs)), f"台账_{month}.xlsx", month,
                          ImportUser("admin", "管理员"))
    assert res.ok, "\n".join(str(x) for x in res.errors)


def test_imported_months_with_gaps_changes_and_a_household_leaving_equal_their_own_reading(engine):
    seed_counties(engine, boundary=True)
    recs = good_records()
    _import(engine, recs, "2026-08")
    recs["搬迁户"][0]["income_curr"] = 9999.0
    recs["搬迁户"][1]["R02"] = None                       # a blank right (漏项) from September
    recs["劳动力"][0]["employment_form"] = None
    _import(engine, recs, "2026-09")
    recs["搬迁户"] = recs["搬迁户"][:-1]                  # a household leaves in October
    recs["劳动力"] = [x for x in recs["劳动力"] if x["household_code"] in {h["household_code"]
                                                                         for h in recs["搬迁户"]}]
    _import(engine, recs, "2026-10")
    history = repo.LedgerHistory(engine)
    for mo in ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]:
        _same_month(history.month(mo), repo.load_month(engine, mo, slim=True))


def _stored(engine) -> dict[str, dict[str, pd.DataFrame]]:
    out = {}
    for mo in repo.months(engine):
        r = store.month_results(engine, mo)
        assert r.from_store
        out[mo] = {"sites": r.scores.sites, "indicators": r.scores.indicators, "mc": r.mc,
                   "counties": r.county.counties, "flags": r.county.flags, "county_sites": r.county.sites,
                   "praise": pd.DataFrame({"county": list(r.county.praise)})}
    return out


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_precompute_stores_the_figures_of_month_by_month_scoring(engine, monkeypatch):
    reads = []

    class Counted(repo.LedgerHistory):
        def __init__(self, eng):
            reads.append(1)
            super().__init__(eng)

    monkeypatch.setattr(repo, "LedgerHistory", Counted)
    demo.build_demo(engine, household_factor=0.02, months=4, end_month="2026-10")
    store.precompute(engine)                  # four months to score: the ledger read once
    assert reads == [1]
    once = _stored(engine)
    with engine.begin() as c:                 # one month to score again: read on its own, no whole-ledger read
        c.execute(delete(m.ResultCache).where(m.ResultCache.month == "2026-10"))
    assert store.precompute(engine) == 4 and reads == [1]
    assert store.month_results(engine, "2026-10").from_store
    with engine.begin() as c:
        c.execute(delete(m.ResultCache))
    for mo in repo.months(engine):            # each month read on its own (load_month), oldest first
        store.month_results(engine, mo)
    each = _stored(engine)
    for mo in once:
        for k in once[mo]:
            pd.testing.assert_frame_equal(once[mo][k], each[mo][k], check_exact=True, obj=f"{mo} {k}")
