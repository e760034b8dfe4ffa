"""Stored results: computed once per month and catalogue version, invalidated exactly by what changes."""
import shutil

import pandas as pd
import pytest
from sqlalchemy.orm import Session

import scoring.catalogue as catalogue
from data import repository as repo
from data.demo import build_demo
from data.workbook import ImportUser, import_workbook
from services import store
from tests.data.fixtures_workbooks import build_xlsx


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


def _reported_workbook(engine, month: str, site_code: str, satisfaction: float) -> bytes:
    """A real 月度指标 workbook for one site: the stored values of the month, satisfaction changed."""
    rep = repo.reported(engine, month).set_index("site_code").loc[site_code]
    head = ["安置点编码", "月份", "产业载体数", "社区集体经济年收入（万元）", "经营主体利益联结户占比（%）",
            "群众满意度（%）", "文明实践活动参与率（%）", "本季度群众夜校宣讲场次", "矛盾纠纷化解率（%）",
            "重大群体性事件数", "物业环境消防检查问题数"]
    keys = ["carriers", "collective_income", "linkage_pct", "satisfaction_pct", "civic_pct", "night_school",
            "dispute_pct", "mass_incidents", "inspection_problems"]
    vals = [None if pd.isna(rep[k]) else float(rep[k]) for k in keys]
    vals[keys.index("satisfaction_pct")] = satisfaction
    return build_xlsx({"月度指标": (head, [[site_code, month, *vals]])})


def test_a_real_import_recomputes_only_the_months_it_affects(demo_engine):
    store.precompute(demo_engine)
    before = {mo: store.month_results(demo_engine, mo) for mo in ["2026-08", "2026-09", "2026-10"]}
    rep = repo.reported(demo_engine, "2026-09")
    site = rep[rep.satisfaction_pct > 75].site_code.iloc[0]   # a site that reported, above the S1 floor
    data = _reported_workbook(demo_engine, "2026-09", site, 70.0)   # 群众满意度 70 % = S1 floor: 0 points
    res = import_workbook(demo_engine, data, "9月月度指标.xlsx", "2026-09", ImportUser("测试督导", "市级督导", None))
    assert res.ok, [str(x) for x in res.messages]

    aug = store.month_results(demo_engine, "2026-08")
    assert aug.from_store                                  # an earlier month is untouched
    _assert_same(before["2026-08"], aug)
    sep = store.month_results(demo_engine, "2026-09")
    assert not sep.from_store                              # the imported month is recomputed ...
    ind = sep.scores.indicators.set_index(["site_code", "code"])
    assert ind.loc[(site, "S1"), "value"] == 70.0 and ind.loc[(site, "S1"), "points"] == 0
    oct_ = store.month_results(demo_engine, "2026-10")
    assert not oct_.from_store                             # ... and the next one (its Δ and flags depend on it)
    assert store.month_results(demo_engine, "2026-09").from_store
    # importing the same file again changes nothing: results stay stored
    again = import_workbook(demo_engine, data, "9月月度指标.xlsx", "2026-09", ImportUser("测试督导", "市级督导", None))
    assert again.result == "无变化"
    assert store.month_results(demo_engine, "2026-10").from_store


def test_a_catalogue_change_invalidates_the_results(sqlite_engine, tmp_path, monkeypatch):
    """Editing the catalogue file changes its hash, so stored results are recomputed with the new rules."""
    build_demo(sqlite_engine, months=2, end_month="2026-10", household_factor=0.02)
    cat_dir = tmp_path / "catalogues"
    shutil.copytree(catalogue.CATALOGUE_DIR, cat_dir)
    monkeypatch.setattr(catalogue, "CATALOGUE_DIR", cat_dir)
    monkeypatch.setattr(store, "CATALOGUE_DIR", cat_dir)
    first = store.month_results(sqlite_engine, "2026-10")
    assert store.month_results(sqlite_engine, "2026-10").from_store
    text = (cat_dir / "v1.toml").read_text(encoding="utf-8")
    assert "floor = 70" in text
    (cat_dir / "v1.toml").write_text(text.replace("floor = 70", "floor = 60", 1), encoding="utf-8")  # S1 floor
    changed = store.month_results(sqlite_engine, "2026-10")
    assert not changed.from_store
    s1_before = first.scores.indicators.query("code == 'S1'").points.sum()
    s1_after = changed.scores.indicators.query("code == 'S1'").points.sum()
    assert s1_after > s1_before
