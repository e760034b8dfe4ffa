"""权益缺口 in the database (issue 13): the list is filtered, scoped, counted and paged by SQL, on SQLite and on
PostgreSQL, and holds exactly the gaps scoring.rights.gap_list finds in the month's households."""
from __future__ import annotations

import pandas as pd
import pytest

from data import repository as repo
from data.demo import build_demo
from data.rights import GapFilter
from domain.rights import DEST, ORIGIN
from domain.scope import OutOfScope, Scope
from scoring.rights import gap_list
from services import gaps

MONTH = "2026-10"
KEY = ["户编码", "事项编码"]


@pytest.fixture
def demo(engine):
    build_demo(engine, household_factor=0.02, months=2, end_month=MONTH)
    return engine


def _expected(eng, f: GapFilter) -> pd.DataFrame:
    """What the filter must show, computed in pandas from the whole month (scoring.rights.gap_list)."""
    g = gap_list(repo.load_month(eng, MONTH), mask=True)
    keep = pd.Series(True, index=g.index)
    if f.county:
        keep &= g["county_code"] == f.county
    if f.sites:
        keep &= g["site_code"].isin(f.sites)
    if f.items:
        keep &= g["item"].isin(f.items)
    if f.status:
        keep &= g["status"] == f.status
    if f.side:
        keep &= g["side"] == f.side
    if f.platform:
        keep &= g["platform"] == f.platform
    if f.household:
        keep &= g["household_code"] == f.household
    return g[keep].sort_values(["household_code", "item"]).reset_index(drop=True)


def test_pages_filters_counts_and_scope(demo):
    city = Scope.city()
    everything = gaps.rights_gaps(demo, MONTH, scope=city)
    exp = _expected(demo, GapFilter())
    assert len(everything) == len(exp) > 300
    assert list(zip(everything["户编码"], everything["事项编码"], everything["责任方"], everything["服务平台"])) == \
        list(zip(exp["household_code"], exp["item"], exp["side"], exp["platform"]))
    assert everything["身份证号"].str.fullmatch(r"\d{6}\*{8}[\dX]{4}").all()
    assert set(everything["状态"]) == {"未落实", "未核实（漏项）"}

    # pages of 97 rows, concatenated, are the unpaged list in the same order; past the end: nothing
    pages = [gaps.gap_page(demo, MONTH, GapFilter(), p, city, page_size=97)
             for p in range(-(-len(everything) // 97))]
    assert all(len(p) == 97 for p in pages[:-1]) and 0 < len(pages[-1]) <= 97
    pd.testing.assert_frame_equal(pd.concat(pages, ignore_index=True), everything)
    assert gaps.gap_page(demo, MONTH, GapFilter(), len(pages), city, page_size=97).empty

    # each filter (and a combination) applied in SQL: the rows and the SQL totals match pandas on the whole month
    county = everything["county_code"].iloc[len(everything) // 2]
    site = everything["site_code"].iloc[0]
    household = everything["户编码"].iloc[5]
    cases = [GapFilter(county=county), GapFilter(sites=(site,)), GapFilter(items=("R01", "R11")),
             GapFilter(status="未落实"), GapFilter(status="未核实"), GapFilter(side=DEST), GapFilter(side=ORIGIN),
             GapFilter(platform="便民跟进服务中心"), GapFilter(platform="居民事务服务中心", items=("R01",)),
             GapFilter(household=household), GapFilter(county=county, side=ORIGIN, status="未落实")]
    for f in cases:
        got = gaps.rights_gaps(demo, MONTH, scope=city, f=f)
        want = _expected(demo, f)
        assert len(want) > 0, f
        assert list(zip(got["户编码"], got["事项编码"])) == list(zip(want["household_code"], want["item"])), f
        c = gaps.gap_summary(demo, MONTH, f, city)
        assert (c.gaps, c.households) == (len(want), want["household_code"].nunique()), f
        assert (c.open, c.blank) == (int((want["status"] == "未落实").sum()), int((want["status"] == "未核实").sum()))
        assert c.by_side == {DEST: int((want["side"] == DEST).sum()), ORIGIN: int((want["side"] == ORIGIN).sum())}
        first = gaps.gap_page(demo, MONTH, f, 0, city, page_size=10)
        assert list(first["户编码"]) == list(want["household_code"][:10]), f
    # a platform no item of the chosen side uses: nothing, and no query error
    none = GapFilter(side=ORIGIN, platform="党群服务中心")
    assert gaps.rights_gaps(demo, MONTH, scope=city, f=none).empty
    assert gaps.gap_summary(demo, MONTH, none, city).gaps == 0

    # scope in the query: a county user gets their county only, even when asking for another county's site or
    # household; asking for another county is refused
    own = Scope.county(county)
    mine = gaps.rights_gaps(demo, MONTH, scope=own)
    assert len(mine) == int((everything["county_code"] == county).sum()) and set(mine["county_code"]) == {county}
    assert gaps.gap_summary(demo, MONTH, GapFilter(), own).gaps == len(mine)
    foreign = everything[everything["county_code"] != county].iloc[0]
    assert gaps.gap_page(demo, MONTH, GapFilter(sites=(foreign["site_code"],)), 0, own).empty
    assert gaps.gap_page(demo, MONTH, GapFilter(household=foreign["户编码"]), 0, own).empty
    assert gaps.gap_summary(demo, MONTH, GapFilter(household=foreign["户编码"]), own).gaps == 0
    with pytest.raises(OutOfScope):
        gaps.gap_page(demo, MONTH, GapFilter(county=foreign["county_code"]), 0, own)
    assert [c for c, _ in gaps.site_choices(demo, MONTH, None, own)] == \
        [s for s in repo.sites(demo, MONTH).query("county_code == @county")["site_code"]]
    nowhere = Scope.of("县级填报员", None)
    assert gaps.gap_page(demo, MONTH, GapFilter(), 0, nowhere).empty

    # the export is the same query, unpaged, with the shown columns only
    text = gaps.gaps_export(demo, MONTH, GapFilter(county=county), city).decode("utf-8-sig")
    assert text.count("\n") == len(gaps.rights_gaps(demo, MONTH, scope=city, f=GapFilter(county=county))) + 1
    assert "county_code" not in text.splitlines()[0]
