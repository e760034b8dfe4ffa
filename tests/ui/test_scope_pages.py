"""A county operator signed in on a non-demo copy of the small city (AppTest, issue 9) reaches nothing of another
county through any page: every page's deep link to another county's site, county or household (?site= ?county=
?household=) shows the Chinese 超出权限 message and nothing of that county; the 数据大屏 and the 地图 show the own
county only (every element of the page searched, chart specs and tables included); on 权益缺口 a deep link to an own
household opens the list filtered to it."""
from __future__ import annotations

import pytest
import streamlit as st
from google.protobuf import text_format
from streamlit.testing.v1 import AppTest

from data import repository as repo
from data.db import create
from domain.scope import OUT_OF_SCOPE
from tests.ui.conftest import ROOT
from tests.ui.small_city import SmallCity

APP = str(ROOT / "app.py")
OPERATOR_PAGES = ["app.py", "pages/wall.py", "pages/ranking.py", "pages/map.py", "pages/site.py", "pages/county.py",
                  "pages/gaps.py", "pages/rights.py", "pages/household.py", "pages/upload.py"]


@pytest.fixture
def operator_db(login_db, monkeypatch) -> str:
    monkeypatch.setenv("DATABASE_URL", login_db)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield login_db
    st.cache_data.clear()
    st.cache_resource.clear()


def operator(page: str, **query) -> AppTest:
    """op_test (县级填报员 of the small city's first county) signed in, then on `page` with `query`."""
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.text_input[0].input("op_test")
    at.text_input[1].input("填报2026")
    at.button[0].click().run()
    assert at.get("page_link"), "not signed in"
    for k, v in query.items():
        at.query_params[k] = v
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _walk(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def rendered(at: AppTest) -> str:
    """Everything the run rendered, as text: every element's proto (labels, options, markdown, HTML, chart specs)
    and every table's cells."""
    out = []
    for node in _walk(at._tree):
        if getattr(node, "type", None) == "arrow_data_frame":
            out.append(node.value.to_string())
        elif getattr(node, "proto", None) is not None:
            out.append(text_format.MessageToString(node.proto, as_utf8=True))
    return "\n".join(out)


def foreign(city: SmallCity) -> list[str]:
    """Names and codes that belong to the other counties only."""
    own = city.counties[0][0]
    return ([n for c, n in city.counties if c != own] + [c for c, _ in city.counties if c != own]
            + [s["code"] for s in city.sites if s["county_code"] != own])


def other_household(url: str, city: SmallCity) -> str:
    theirs = [s["code"] for s in city.sites if s["county_code"] != city.counties[0][0]]
    return str(repo.households(create(url), city.end_month, theirs[:1], slim=True)["household_code"].iloc[0])


@pytest.mark.parametrize("page", OPERATOR_PAGES)
def test_every_page_refuses_deep_links_to_another_county(operator_db, city: SmallCity, page):
    other_site = next(s for s in city.sites if s["county_code"] != city.counties[0][0])
    links = {"site": other_site["code"], "county": other_site["county_code"],
             "household": other_household(operator_db, city)}
    for param, value in links.items():
        at = operator(page, **{param: value})
        errors = [e.value for e in at.error]
        assert any(OUT_OF_SCOPE in e for e in errors), (page, param, errors)
        text = rendered(at)
        leaked = [x for x in foreign(city) if x in text]
        assert not leaked, (page, param, leaked)
        assert not at.dataframe and not at.get("plotly_chart") and not at.get("deck_gl_json_chart"), (page, param)


@pytest.mark.parametrize("page", ["pages/wall.py", "pages/map.py"])
def test_wall_and_map_show_the_own_county_only(operator_db, city: SmallCity, page):
    at = operator(page)
    assert not at.error, [e.value for e in at.error]
    text = rendered(at)
    own_code, own_name = city.counties[0]
    assert own_name in text
    own_sites = [s for s in city.sites if s["county_code"] == own_code]
    assert [s["code"] for s in own_sites if s["code"] in text] or [s["name"] for s in own_sites if s["name"] in text]
    assert not [x for x in foreign(city) if x in text]


def test_gaps_deep_link_to_an_own_household_filters_to_it(operator_db, city: SmallCity):
    own = [s["code"] for s in city.sites if s["county_code"] == city.counties[0][0]]
    mine = {h for h, _ in city.gaps} & set(
        repo.households(create(operator_db), city.end_month, own, slim=True)["household_code"].astype(str))
    code = sorted(mine)[0]
    at = operator("pages/gaps.py", household=code)
    assert not at.error, [e.value for e in at.error]
    df = at.dataframe[0].value
    shown = {str(v).split("#", 1)[-1] for v in df["户编码"]}
    assert shown == {code}
    assert len(df) == len({item for h, item in city.gaps if h == code})
    assert any(code in i.value for i in at.info)
