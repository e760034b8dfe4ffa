"""Stored results: computed once per month and catalogue version, invalidated exactly by what changes."""
import pandas as pd
import pytest
from sqlalchemy.orm import Session

from data import repository as repo
from data.demo import build_demo
from services import store


@pytest.fixture
def demo_engine(engine):
    build_demo(engine, months=4, end_month="2026-10", household_factor=0.02)
    return engine


def _assert_same(a: store.MonthResults, b: store.MonthResults):
    pd.testing.assert_frame_equal(a.scores.sites, b.scores.sites)
    pd.testing.assert_frame_equal(a.scores.indicators, b.scores.indicators)
    pd.testing.assert_frame_equal(a.mc, b.mc)
    pd.testing.assert_frame_equal(a.county.counties, b.county.counties)


def test_second_call_reads_the_store_and_is_identical(demo_engine):
    first = store.month_results(demo_engine, "2026-10")
    assert not first.from_store
    second = store.month_results(demo_engine, "2026-10")
    assert second.from_store
    _assert_same(first, second)
    assert first.catalogue_version == "v1"
    assert len(first.scores.sites) == 68 and len(first.mc) == 68


def test_import_invalidates_exactly_what_it_affects(demo_engine):
    store.precompute(demo_engine)
    before = store.stored_fingerprints(demo_engine)
    assert len(before) == 8  # 4 months x (sites, counties)
    past = store.month_results(demo_engine, "2026-07")
    assert past.from_store

    with Session(demo_engine) as s, s.begin():  # what an import of September data does
        repo.bump_data_version(s, ["2026-09"])
    for kind, month, expect_valid in [("sites", "2026-07", True), ("sites", "2026-08", True),
                                      ("sites", "2026-09", False), ("sites", "2026-10", False),
                                      ("counties", "2026-08", True), ("counties", "2026-09", False),
                                      ("counties", "2026-10", False)]:
        ctx = store._Ctx(demo_engine, None)
        fp = ctx.site_fp(month) if kind == "sites" else ctx.county_fp(month)
        assert (before[(kind, month, "v1")] == fp) is expect_valid, (kind, month)

    again = store.month_results(demo_engine, "2026-07")  # a past month after newer data: same result
    assert again.from_store
    _assert_same(past, again)
    recomputed = store.month_results(demo_engine, "2026-10")
    assert not recomputed.from_store
    assert store.month_results(demo_engine, "2026-10").from_store


def test_history_and_unknown_month(demo_engine):
    hist = store.history(demo_engine, ["2026-08", "2026-10", "2025-01"])
    assert list(hist) == ["2026-08", "2026-10"]
    with pytest.raises(LookupError, match="没有任何台账"):
        store.month_results(demo_engine, "2020-01")
