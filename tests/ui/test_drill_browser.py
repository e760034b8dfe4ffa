"""Issue 10, item 4 in real headless Chromium: county → site → household in at most three clicks, the month kept.

Starts on a county's page in a month that is not the latest, clicks a site in the county's site table (a link
column: the site opens in a new tab of the same browser, which the test follows), clicks a household in the site
page's list of households with rights gaps (same tab) and checks that the household's 一户一档 shows that household
in the same month. Every wait is on a condition of the page, never a pause."""
from __future__ import annotations

import urllib.parse

import pytest

from components import fmt
from data.db import get_engine
from domain.scope import Scope
from services import gaps as gaps_svc
from services import profiles
from tests.ui.conftest import next_frame, start_server, wait_done
from tests.ui.small_city import SmallCity

ROW_H = 35          # Streamlit's default data-grid row height; the header is one row


@pytest.fixture(scope="module")
def server(ui_db, tmp_path_factory):
    srv = start_server(ui_db, "drill_browser", tmp_path_factory)
    yield srv
    srv.stop()


def query(pg) -> dict[str, str]:
    return {k: v[0] for k, v in urllib.parse.parse_qs(urllib.parse.urlparse(pg.url).query).items()}


def settle(pg) -> None:
    wait_done(pg)
    assert pg.locator("[data-testid='stException']").count() == 0


def test_county_site_household_in_three_clicks_month_kept(server, browser, ui_db, city: SmallCity):
    month = city.months[-3]
    assert month != city.end_month
    eng = get_engine(ui_db)
    gaps = gaps_svc.rights_gaps(eng, month, scope=Scope.city())
    assert not gaps.empty, "the small city has rights gaps"
    site = str(gaps["site_code"].iloc[0])
    county = str(gaps["county_code"].iloc[0])
    table = profiles.county_profile(eng, month, county, scope=Scope.city()).sites
    row = list(table["安置点编码"]).index(site)
    households = set(gaps.loc[gaps["site_code"] == site, "户编码"])

    ctx = browser.new_context(viewport={"width": 1366, "height": 768})
    clicks = 0
    try:
        pg = ctx.new_page()
        pg.goto(f"{server.base}/county?county={county}&month={month}")
        settle(pg)
        grid = pg.locator(".st-key-county_sites_box [data-testid='stDataFrame']")
        grid.scroll_into_view_if_needed()
        box = grid.bounding_box()
        # click 1: the site's name (the pinned first column) in the county's site table; it opens in a new tab
        x, y = box["x"] + 30, box["y"] + ROW_H * (row + 1) + ROW_H / 2
        pg.mouse.move(x, y)                 # the grid draws the link (and takes its click) under the pointer
        next_frame(pg)
        pg.mouse.move(x + 2, y)
        next_frame(pg)
        with ctx.expect_page() as opened:
            pg.mouse.click(x + 2, y)
            clicks += 1
        site_pg = opened.value
        site_pg.wait_for_load_state()
        settle(site_pg)
        assert query(site_pg).get("site") == site and query(site_pg).get("month") == month, site_pg.url
        main = site_pg.locator("[data-testid='stMain']")
        assert fmt.month_cn(month) in main.inner_text()

        # click 2: a household of the site's gap list on the site page (same tab)
        link = main.locator("table.hh a").first
        code = link.inner_text().strip()
        assert code in households
        before = site_pg.url
        link.click()
        clicks += 1
        site_pg.wait_for_function("(u) => location.href !== u", arg=before, timeout=30_000)
        settle(site_pg)
        site_pg.wait_for_function("(c) => document.querySelector(\"[data-testid='stMain']\").innerText"
                                  ".includes('一户一档 ' + c)", arg=code, timeout=30_000)
        q = query(site_pg)
        assert urllib.parse.urlparse(site_pg.url).path == "/household"
        assert q.get("household") == code and q.get("month") == month, site_pg.url
        text = site_pg.locator("[data-testid='stMain']").inner_text()
        assert f"权益事项（{fmt.month_cn(month)}）" in text          # the household's figures of that month
        assert fmt.month_cn(month) in text
        assert clicks <= 3
    finally:
        ctx.close()


def test_county_page_reasons_and_problems_are_not_cut_at_1366(server, browser, city: SmallCity):
    """The flag history's 原因 and the rectifications' 问题描述 wrap inside their boxes at 1366×768: no cell's text
    is wider than the cell, no table wider than its box."""
    ctx = browser.new_context(viewport={"width": 1366, "height": 768})
    try:
        seen = 0
        for code, _ in city.counties:
            pg = ctx.new_page()
            pg.goto(f"{server.base}/county?county={code}&month={city.end_month}")
            settle(pg)
            pg.locator("table.tt").first.wait_for()
            cut = pg.evaluate("""() => [...document.querySelectorAll('table.tt')].flatMap(t => {
                const box = t.parentElement.getBoundingClientRect();
                const wide = t.getBoundingClientRect().width > box.width + 1 ? ['table wider than its box'] : [];
                return wide.concat([...t.querySelectorAll('td')]
                    .filter(td => td.scrollWidth > td.clientWidth + 1).map(td => td.innerText)); })""")
            assert cut == [], (code, cut)
            heads = pg.locator("table.tt th").all_inner_texts()
            assert "原因" in heads
            seen += "问题描述" in heads
            pg.close()
        assert seen, "a county of the small city has rectification items"
    finally:
        ctx.close()


def test_demo_role_survives_a_new_tab(server, browser, city: SmallCity):
    """演示角色 switched to 县级填报员 of the second county in one tab: a new tab of the same browser opens as that
    operator of that county (not as the default 市级督导); another browser still starts as 市级督导."""
    sidebar = "[data-testid='stSidebar']"
    county_code, county_name = city.counties[1]
    ctx = browser.new_context(viewport={"width": 1920, "height": 1080})
    other = browser.new_context(viewport={"width": 1920, "height": 1080})
    try:
        pg = ctx.new_page()
        pg.goto(f"{server.base}/?month={city.end_month}")
        settle(pg)
        for label, option, shown in (("演示角色", "县级填报员", "· 县级填报员"),
                                     ("所属县", county_name, f"县级填报员（{county_name}）")):
            pg.locator(f"{sidebar} [data-testid='stSelectbox']").filter(has_text=label).click()
            pg.get_by_role("option", name=option, exact=True).click()
            pg.wait_for_function("(t) => (document.querySelector(\"[data-testid='stSidebar']\") || {innerText: ''})"
                                 ".innerText.includes(t)", arg=shown, timeout=30_000)
            settle(pg)
        pg.wait_for_function("(v) => document.cookie.includes('ydbq_demo=' + v)", arg=f"operator:{county_code}",
                             timeout=30_000)
        tab = ctx.new_page()
        tab.goto(f"{server.base}/ranking?month={city.end_month}")
        settle(tab)
        text = tab.locator(sidebar).inner_text()
        assert f"县级填报员（{county_name}）" in text, text
        assert "月度通报" not in text                      # the operator's menu
        fresh = other.new_page()
        fresh.goto(f"{server.base}/ranking?month={city.end_month}")
        settle(fresh)
        assert "· 市级督导" in fresh.locator(sidebar).inner_text()
    finally:
        ctx.close()
        other.close()
