"""权益保障 and 一户一档 pages under AppTest, and the SQL queries behind them, on the small city."""
from __future__ import annotations

import json
import os
import re

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from components.rights_view import ITEM_WIDTH
from data import repository as repo
from data.db import get_engine
from domain.rights import RIGHTS
from domain.scope import CITY_SCOPE, OutOfScope, Scope
from scoring.rights import coverage, gap_list
from services import households, rights
from tests.ui.conftest import ROOT

APP = str(ROOT / "app.py")
FULL_ID = re.compile(r"\d{17}[\dX]")
pytestmark = pytest.mark.usefixtures("apptest_db")


def _eng():
    return get_engine(os.environ["DATABASE_URL"])


def test_matrix_equals_scoring_coverage_and_gap_list(city):
    eng = _eng()
    month = city.months[-1]
    md = repo.load_month(eng, month)
    view = rights.rights_matrix(eng, month, CITY_SCOPE)
    ref = coverage(md, ["site", "item"])
    got = view.long.set_index(["group", "item"])
    for _, r in ref.iterrows():
        g = got.loc[(r["site_code"], r["item"])]
        assert (g["done"], g["gaps"], g["blank"]) == (r["done"], r["gaps"], r["blank"])
    gl = gap_list(md)
    site, item = gl.iloc[0]["site_code"], gl.iloc[0]["item"]
    expect = sorted(gl[(gl["site_code"] == site) & (gl["item"] == item)]["household_code"])
    hp = rights.household_list(eng, month, CITY_SCOPE, site=site, item=item, kind="gap", size=10_000)
    assert hp.total == len(expect) and sorted(hp.codes) == expect
    # paging: pages of 3 cover the same households, never more than 3 at once
    seen = []
    for p in range(-(-hp.total // 3)):
        pg = rights.household_list(eng, month, CITY_SCOPE, site=site, item=item, kind="gap", page=p, size=3)
        assert len(pg.codes) <= 3
        seen += pg.codes
    assert seen == sorted(expect)
    assert not any(FULL_ID.search(str(v)) for v in hp.rows["身份证号"])


def test_county_scope_limits_matrix(city):
    eng = _eng()
    month = city.months[-1]
    county = repo.sites(eng)["county_code"].iloc[0]
    sites = set(repo.sites(eng).query("county_code == @county")["site_code"])
    view = rights.rights_matrix(eng, month, Scope.county(county))
    assert set(view.long["group"]) <= sites and len(view.long)
    assert set(view.names) <= sites                        # no other county's site names either
    # a city user asking for the county gets the same matrix; a county user asking for another one is refused
    assert view.long.equals(rights.rights_matrix(eng, month, CITY_SCOPE, county=county).long)
    other = next(c for c in repo.sites(eng)["county_code"] if c != county)
    with pytest.raises(OutOfScope):
        rights.rights_matrix(eng, month, Scope.county(county), county=other)


def test_county_scope_limits_lists_and_household_file(city):
    """The household list and the 一户一档 of a county user read their county only (filtered in the query); a
    household or site of another county is refused; an account without a county sees nothing."""
    eng = _eng()
    month = city.months[-1]
    sites = repo.sites(eng)
    county = sites["county_code"].iloc[0]
    mine = set(sites.query("county_code == @county")["site_code"])
    scope = Scope.county(county)
    city_list = rights.household_list(eng, month, CITY_SCOPE, size=10_000)
    own_list = rights.household_list(eng, month, scope, size=10_000)
    hh = repo.households(eng, month)
    site_of = dict(zip(hh["household_code"], hh["site_code"]))
    assert own_list.total == sum(site_of[c] in mine for c in city_list.codes) > 0
    assert {site_of[c] for c in own_list.codes} <= mine
    theirs = next(c for c in city_list.codes if site_of[c] not in mine)
    with pytest.raises(OutOfScope, match="该搬迁户"):
        households.household_file(eng, theirs, month, scope)
    with pytest.raises(OutOfScope, match="该安置点"):
        rights.household_list(eng, month, scope, site=site_of[theirs])
    assert households.household_file(eng, theirs, month, CITY_SCOPE).code == theirs
    assert households.household_file(eng, own_list.codes[0], month, scope).code == own_list.codes[0]
    assert households.household_file(eng, "NO-SUCH-HOUSEHOLD", month, scope) is None
    nowhere = Scope.of("县级填报员", None)
    assert rights.household_list(eng, month, nowhere).total == 0
    assert rights.rights_matrix(eng, month, nowhere).long.empty
    with pytest.raises(OutOfScope):
        households.household_file(eng, theirs, month, nowhere)


def test_household_file_history_and_masking(city):
    eng = _eng()
    month = city.months[-1]
    code = repo.households(eng, month)["household_code"].iloc[0]
    hf = households.household_file(eng, code, month, CITY_SCOPE)
    assert hf is not None and len(hf.rights) == 15
    assert list(hf.history["月份"]) == sorted(hf.history["月份"]) and hf.history["月份"].iloc[-1] == month
    text = pd.concat([hf.labour.astype(str), hf.rights.astype(str)]).to_csv() + str(hf.facts)
    assert not FULL_ID.search(text)


def test_pages_render_and_deep_link(city):
    eng = _eng()
    month = city.months[-1]
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.switch_page("pages/rights.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("共" in m.value and "户" in m.value for m in at.markdown)
    code = repo.households(eng, month)["household_code"].iloc[0]
    at2 = AppTest.from_file(APP, default_timeout=180)
    at2.query_params["household"] = code
    at2.query_params["month"] = month
    at2.run()
    at2.switch_page("pages/household.py")
    at2.run()
    assert not at2.exception, [e.value for e in at2.exception]
    assert any(code in t.value for t in at2.text_input) or any(code in m.value for m in at2.markdown)


def test_county_user_deep_link_to_another_countys_household_is_refused(city):
    """The demo's 县级填报员 following ?household= of another county sees 超出权限 and nothing of the household;
    their own county's household opens."""
    eng = _eng()
    month = city.months[-1]
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.selectbox(key="demo_role").set_value("县级填报员").run()
    chosen = at.selectbox(key="demo_county").value
    own = next(c for c, n in city.counties if chosen in (c, n))
    hh = repo.households(eng, month)
    sites = repo.sites(eng)
    mine = set(sites.loc[sites["county_code"] == own, "site_code"])
    theirs = hh[~hh["site_code"].isin(mine)]["household_code"].iloc[0]
    at.query_params.update({"household": theirs, "month": month})
    at.switch_page("pages/household.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("不在您的数据权限范围内" in e.value for e in at.error)
    assert not at.dataframe
    at.query_params["household"] = hh[hh["site_code"].isin(mine)]["household_code"].iloc[0]
    at.switch_page("pages/household.py").run()
    assert not at.error and len(at.dataframe) >= 3


def test_sql_list_side_and_platform_follow_scoring_routing(city):
    """The paged list's side/platform filter (SQL) routes as scoring.rights.gap_list does, item by item — R01 goes
    to 迁入地/居民事务服务中心 when the 户籍 has moved and to 迁出地/便民跟进服务中心 otherwise (blank 户籍 too)."""
    eng = _eng()
    month = city.months[-1]
    gl = gap_list(repo.load_month(eng, month))
    hh = repo.households(eng, month).set_index("household_code")
    r01 = gl[gl["item"] == "R01"]
    assert len(r01), "the small city has R01 gaps"
    for _, g in r01.iterrows():
        moved = hh.loc[g["household_code"], "hukou_moved"]
        assert (g["side"], g["platform"]) == (("迁入地", "居民事务服务中心") if moved is True
                                              else ("迁出地", "便民跟进服务中心"))
    for side in ("迁入地", "迁出地"):
        for item in ("R01", "R02", "R05"):
            want = sorted(gl[(gl["item"] == item) & (gl["side"] == side)]["household_code"])
            got = rights.household_list(eng, month, CITY_SCOPE, item=item, side=side, size=10_000)
            assert sorted(got.codes) == want, (side, item)
    for platform in ("党群服务中心", "居民事务服务中心", "便民跟进服务中心"):
        want = sorted(set(gl[gl["platform"] == platform]["household_code"]))
        got = rights.household_list(eng, month, CITY_SCOPE, platform=platform, size=10_000)
        assert sorted(got.codes) == want, platform


def test_household_page_hint_and_chinese_months(city):
    """Opened without a household the page says where households come from; a household's file prints its months
    as 2026年11月 (facts, the rights heading, the history), never the ISO 2026-11."""
    eng = _eng()
    month = city.months[-1]
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.switch_page("pages/household.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("从权益缺口、权益保障" in i.value and "输入户编码" in i.value for i in at.info)
    assert not at.dataframe
    code = repo.households(eng, month)["household_code"].iloc[0]
    at = AppTest.from_file(APP, default_timeout=180)          # a link opens a new tab: a new session
    at.query_params.update({"household": code, "month": month})
    at.run()
    at.switch_page("pages/household.py").run()
    assert not at.exception and not at.info
    y, m = month.split("-")
    cn = f"{y}年{int(m)}月"
    assert any(f"**台账月份**  \n{cn}" == md.value for md in at.markdown)
    assert any(h.value == f"权益事项（{cn}）" for h in at.subheader)
    history = next(d.value for d in at.dataframe if "月份" in d.value.columns)
    assert list(history["月份"]) == [f"{a}年{int(b)}月" for a, b in (x.split("-") for x in city.months)]
    assert not any(month in md.value for md in at.markdown) and not any(month in h.value for h in at.subheader)


def test_rights_page_lists_site_names_and_the_designation(city):
    """The household list names the site (not its code); the work list's whole-city choice says 全州 for the small
    city, a 自治州; the cell chooser's empty choice reads 全部, not Streamlit's English placeholder."""
    eng = _eng()
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.switch_page("pages/rights.py").run()
    assert not at.exception, [e.value for e in at.exception]
    sites = repo.sites(eng)
    df = next(d.value for d in at.dataframe if "户编码" in d.value.columns)
    assert len(df) and set(df["安置点"]) <= set(sites["site_name"])
    assert not set(df["安置点"]) & set(sites["site_code"])
    wl = at.selectbox(key="rv_wl_county")
    assert "全州" in wl.options and "全市" not in wl.options
    assert at.selectbox(key="rv_cell_group").proto.placeholder == "全部"
    # the matrix's columns: code and a short name that fits the column (the whole name on hover)
    matrix = next(d for d in at.dataframe if "安置点" in d.value.columns and "户编码" not in d.value.columns)
    labels = [c for c in matrix.value.columns if c != "安置点"]
    assert labels == [r.label for r in RIGHTS] and all(len(r.short) <= 5 for r in RIGHTS)
    config = json.loads(matrix.proto.columns)
    assert config[labels[1]]["help"] == "R02 党员组织关系接转（政治权益）"
    assert {config[c]["width"] for c in labels} == {ITEM_WIDTH}
