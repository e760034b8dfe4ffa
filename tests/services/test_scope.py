"""Data scope where data is read (domain.md §10, issue 9): a 县级填报员's scope reaches every service function.

Every public function of the services that reads county data takes a `scope` (a guard test lists them); with a
county scope nothing of another county (its name, its sites' names, scores or reasons) comes back, a request for
another county's site, county or household is refused (OutOfScope, Chinese message), and an upload holding another
county's rows is refused by the import service with nothing written.
"""
from __future__ import annotations

import dataclasses
import inspect

import pandas as pd
import pytest

from cli import scoring_main
from data import repository as repo
from data.db import get_engine
from domain.scope import OutOfScope, Scope
from services import (circular, followup, gaps, households, imports, maps, overview, profiles, ranking,
                      rectifications, results, rights, worklist)
from tests.data.fixtures_workbooks import (COUNTY_A, build_xlsx, db_fingerprint, good_records, good_tables,
                                           good_workbook, records_b, seed_counties, sheet_table)

MONTH = "2026-10"

# every service function that reads county data, and the ones deliberately without a scope (with the reason)
SCOPED = [overview.overview, overview.wall_data, maps.map_data, ranking.ranking_frame, profiles.site_profile,
          profiles.county_profile, gaps.rights_gaps, gaps.gap_page, gaps.gap_summary, gaps.gaps_export,
          gaps.site_choices, gaps.scoped, circular.circular_data, circular.issued, circular.download,
          circular.issue, rights.rights_matrix, rights.rights_counts, rights.household_list, households.household_file,
          worklist.worklist, rectifications.list_items, rectifications.get_item, rectifications.item_history,
          rectifications.filter_options, rectifications.create_item, rectifications.edit_item,
          rectifications.close_item, rectifications.export_items,
          followup.case_states, followup.case_progress, followup.case_history, followup.opened_by, followup.cases_view,
          followup.interviews_view,
          followup.record_interview, followup.interview_attachment, followup.add_record, followup.records_view,
          followup.checklist_view, followup.sites_of, followup.require_scope, followup.item_from_finding,
          followup.visit_sites]
UNSCOPED = {
    # pure: they work on frames a scoped caller already has
    "overview.kpis", "overview.city_trend", "overview.city_figures", "overview.rights_totals", "overview.site_brief",
    "ranking.ranking_of", "ranking.filter_ranking", "ranking.ranking_table", "ranking.ranking_workbook_bytes",
    "ranking.ranking_csv_bytes", "maps.label_point", "profiles.value_text", "profiles.month_data_for",
    "profiles.why_not_qualified", "profiles.rights_summary", "profiles.employment_summary",
    "profiles.organisation_summary", "profiles.rectification_table", "profiles.check_site", "profiles.check_county",
    "profiles.check_household", "gaps.gaps_csv",
    # the circular's parts, behind circular_data (which refuses a county scope)
    "circular.default_issue_no", "circular.issuer", "circular.rectification_totals", "circular.city_totals",
    "circular.draft_file", "circular.files", "circular.file_name", "circular.require_city",
    # file writers: they get a view that worklist() / employment_view() built within the scope
    "worklist.worklist_xlsx", "employment.zero_households_csv",
    # the import takes the user's role and county and refuses other counties' rows itself (data.workbook)
    "imports.import_month_options", "imports.ledger_template", "imports.import_ledger",
    # pure: a table of states the scoped case_states returned, a record's finding lines, a month's first/last day
    "followup.case_table", "followup.findings", "followup.month_bounds",
}


@pytest.fixture(scope="module")
def eng(demo_db):
    return get_engine(demo_db)


@pytest.fixture(scope="module")
def counties(eng):
    return list(repo.counties(eng)[["county_code", "county_name"]].itertuples(index=False, name=None))


@pytest.fixture(scope="module")
def own(counties):
    return counties[1]          # not the first county: a bug defaulting to counties[0] would not pass


@pytest.fixture(scope="module")
def scope(own):
    return Scope.county(own[0])


@pytest.fixture(scope="module")
def foreign(eng, own):
    """Names of other counties and of their sites (what a county operator must never see)."""
    s = repo.sites(eng)
    c = repo.counties(eng)
    return (set(c.loc[c["county_code"] != own[0], "county_name"]),
            set(s.loc[s["county_code"] != own[0], "site_name"]), set(s.loc[s["county_code"] != own[0], "site_code"]))


def _text(obj, seen=None) -> str:
    """Every string inside a view model (dataclasses, frames, lists, dicts), for a leak search."""
    seen = seen if seen is not None else set()
    if id(obj) in seen:
        return ""
    seen.add(id(obj))
    if isinstance(obj, pd.DataFrame):
        return obj.to_csv() + " ".join(map(str, obj.columns))
    if isinstance(obj, pd.Series):
        return obj.to_csv()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return " ".join(_text(getattr(obj, f.name), seen) for f in dataclasses.fields(obj))
    if isinstance(obj, dict):
        return " ".join(_text(k, seen) + " " + _text(v, seen) for k, v in obj.items())
    if isinstance(obj, (list, tuple, set)):
        return " ".join(_text(x, seen) for x in obj)
    return str(obj)


def _no_leak(obj, foreign) -> None:
    counties, site_names, site_codes = foreign
    text = _text(obj)
    assert not [n for n in counties if n in text], "another county's name is in the view"
    assert not [n for n in site_names if n in text], "another county's site is in the view"


def test_every_service_reading_county_data_takes_a_scope():
    mods = [overview, maps, ranking, profiles, gaps, circular, imports, rights, households, worklist, rectifications,
            followup]
    for f in SCOPED:
        assert "scope" in inspect.signature(f).parameters, f.__qualname__
    scoped = {f"{f.__module__.split('.')[-1]}.{f.__name__}" for f in SCOPED}
    for mod in mods:
        for name, f in inspect.getmembers(mod, inspect.isfunction):
            if f.__module__ != mod.__name__ or name.startswith("_"):
                continue
            key = f"{mod.__name__.split('.')[-1]}.{name}"
            assert key in scoped or key in UNSCOPED, f"{key}: a new service function must take a scope"


def test_scope_of_accounts(own):
    assert Scope.of("县级填报员", own[0]) == Scope.county(own[0])
    assert Scope.of("市领导", own[0]).is_city and Scope.of("管理员", None).is_city
    # a county operator without a county, or an unknown role, sees nothing at all
    assert not Scope.of("县级填报员", None).allows(own[0]) and not Scope.of("谁", None).allows(own[0])
    assert Scope.from_key(Scope.county(own[0]).key) == Scope.county(own[0])


def test_overview_and_wall_show_own_county_only(eng, scope, own, foreign):
    full = overview.overview(eng, MONTH)
    assert len(full.counties) == 8
    with pytest.raises(AssertionError):           # control: the leak search finds other counties in the city view
        _no_leak(full, foreign)
    ov = overview.overview(eng, MONTH, scope=scope)
    assert list(ov.counties["county_code"]) == [own[0]]
    assert set(ov.best["site_code"]) | set(ov.worst["site_code"]) <= set(
        repo.sites(eng).query("county_code == @own[0]")["site_code"])
    assert all(f.county_code == own[0] for f in ov.flags)
    # the county's KPIs are its own figures, not the city's
    assert ov.kpis[0].value.endswith(f"/{int((results.results(eng, MONTH).sites['county_code'] == own[0]).sum())}")
    _no_leak(ov, foreign)
    wall = overview.wall_data(eng, MONTH, scope=scope)
    assert set(wall.map.counties["county_code"]) == {own[0]}
    assert set(wall.top["site_code"]) | set(wall.bottom["site_code"]) <= set(wall.map.sites["site_code"]) or \
        wall.map.sites.empty
    _no_leak(wall, foreign)
    assert wall.city_name == own[1] != overview.wall_data(eng, MONTH).city_name   # the wall's heading: own county
    with pytest.raises(OutOfScope, match="不在您的数据权限范围内"):
        overview.overview(eng, MONTH, county=next(c for c in full.counties["county_code"] if c != own[0]),
                          scope=scope)


def test_map_ranking_gaps_own_county_only(eng, scope, own, foreign):
    md = maps.map_data(eng, MONTH, scope=scope)
    assert set(md.counties["county_code"]) == {own[0]} and set(md.sites["county_code"]) <= {own[0]}
    _no_leak(md, foreign)
    r = ranking.ranking_frame(eng, MONTH, scope=scope)
    city = ranking.ranking_frame(eng, MONTH)
    assert len(r) == int((city.sites["county_code"] == own[0]).sum()) > 0
    assert set(r.sites["county_code"]) == {own[0]}
    # city ranks are kept for the county's own sites
    assert list(r.sites.sort_values("site_code")["rank"]) == list(
        city.sites[city.sites["county_code"] == own[0]].sort_values("site_code")["rank"])
    _no_leak(ranking.ranking_table(r), foreign)
    g = gaps.rights_gaps(eng, MONTH, scope=scope)
    assert len(g) and set(g["county_code"]) == {own[0]}
    _no_leak(g, foreign)
    other = next(c for c in city.sites["county_code"] if c != own[0])
    with pytest.raises(OutOfScope):
        gaps.rights_gaps(eng, MONTH, county=other, scope=scope)


def test_profiles_refuse_other_counties(eng, scope, own, foreign):
    sites = repo.sites(eng)
    mine = sites[sites["county_code"] == own[0]]["site_code"].iloc[0]
    theirs = sites[sites["county_code"] != own[0]]["site_code"].iloc[0]
    p = profiles.site_profile(eng, MONTH, mine, scope=scope)
    assert p is not None and p.site["county_code"] == own[0]
    with pytest.raises(OutOfScope, match="该安置点的数据不在您的数据权限范围内"):
        profiles.site_profile(eng, MONTH, theirs, scope=scope)
    cp = profiles.county_profile(eng, MONTH, own[0], scope=scope)
    assert cp is not None
    _no_leak(cp, foreign)
    other = sites[sites["county_code"] != own[0]]["county_code"].iloc[0]
    with pytest.raises(OutOfScope, match="该县（市、区）的数据"):
        profiles.county_profile(eng, MONTH, other, scope=scope)
    hh = repo.households(eng, MONTH, slim=True)
    their_hh = hh[hh["site_code"] == theirs]["household_code"].iloc[0]
    my_hh = hh[hh["site_code"] == mine]["household_code"].iloc[0]
    profiles.check_household(eng, MONTH, my_hh, scope)
    with pytest.raises(OutOfScope, match="该搬迁户的数据"):
        profiles.check_household(eng, MONTH, their_hh, scope)
    # the city sees all of them
    profiles.check_household(eng, MONTH, their_hh, Scope.city())
    assert profiles.site_profile(eng, MONTH, theirs, scope=Scope.city()) is not None


def test_circular_is_city_only(eng, scope):
    with pytest.raises(OutOfScope, match="月度通报"):
        circular.circular_data(eng, MONTH, scope=scope)
    with pytest.raises(OutOfScope):
        circular.issued(eng, scope=scope)
    with pytest.raises(OutOfScope):
        circular.download(eng, 1, "xlsx", scope=scope)
    with pytest.raises(OutOfScope):
        circular.issue(eng, MONTH, "op", scope=scope)
    assert circular.circular_data(eng, MONTH, scope=Scope.city()).county_table is not None


def test_county_without_code_sees_nothing(eng):
    nowhere = Scope.of("县级填报员", None)
    assert ranking.ranking_frame(eng, MONTH, scope=nowhere).sites.empty
    assert maps.map_data(eng, MONTH, scope=nowhere).counties.empty
    assert gaps.rights_gaps(eng, MONTH, scope=nowhere).empty


def test_upload_with_another_countys_rows_is_refused(engine):
    """Through the upload page's service: a 甲县 operator's file holding 乙县 households is refused, nothing written."""
    seed_counties(engine, boundary=True)
    assert imports.import_ledger(engine, good_workbook(), "甲.xlsx", "2026-09", "admin", "管理员", None).ok
    assert imports.import_ledger(engine, build_xlsx(good_tables(records_b())), "乙.xlsx", "2026-09", "admin",
                                 "管理员", None).ok
    before = db_fingerprint(engine)
    recs = good_records()["搬迁户"] + records_b()["搬迁户"]
    out = imports.import_ledger(engine, build_xlsx({"搬迁户": sheet_table("搬迁户", recs)}), "混合.xlsx", "2026-09",
                                "op_a", "县级填报员", COUNTY_A[0])
    assert not out.ok and out.n_errors >= 1
    assert out.messages["问题说明"].str.contains("管辖范围").any()
    assert db_fingerprint(engine) == before


def test_rank_command_takes_a_county(demo_db, eng, own, foreign, tmp_path):
    """`python -m scoring rank --county` exports one county's sites; the admin command without it is city-wide."""
    out = tmp_path / "r.csv"
    assert scoring_main(["rank", "--month", MONTH, "--out", str(out), "--database", demo_db, "--county", own[1]]) == 0
    t = pd.read_csv(out, encoding="utf-8-sig")
    assert len(t) == int((repo.sites(eng)["county_code"] == own[0]).sum()) and set(t["县"]) == {own[1]}
    assert not set(t["安置点"]) & foreign[1]
    assert scoring_main(["rank", "--month", MONTH, "--out", str(out), "--database", demo_db, "--county", "无此县"]) != 0
    assert scoring_main(["rank", "--month", MONTH, "--out", str(out), "--database", demo_db]) == 0
    assert len(pd.read_csv(out, encoding="utf-8-sig")) == 68
