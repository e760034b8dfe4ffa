"""In headless Chromium, on a non-demo copy of the small city (issue 9): a county operator signed in sees only
their county, a deep link to another county's site, county or household shows only a Chinese "outside your scope"
message, a site name holding HTML shows as text, and no table offers the toolbar's CSV download (hovered)."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from data import models as m
from data import repository as repo
from data.db import create, set_setting
from services import store
from services.accounts import hash_password
from tests.ui.conftest import copy_db, start_server, wait_done
from tests.ui.small_city import SmallCity

HTML_NAME = '<img src=x id=pwn onerror="document.body.dataset.pwned=1">阳光<a href="http://evil.example">点</a>'
OUT_OF_SCOPE = "不在您的数据权限范围内"


@pytest.fixture(scope="module")
def scope_city(ui_db, city: SmallCity, tmp_path_factory):
    """A non-demo copy: op_scope (县级填报员 of the first county), lead_scope (市领导); the first county's first site
    renamed to HTML_NAME (results recomputed)."""
    url = copy_db(ui_db, tmp_path_factory.mktemp("ui_scope") / "scope.db")
    eng = create(url)
    set_setting(eng, "demo", "0")
    own = city.counties[0][0]
    site = sorted(city.county_sites(own), key=lambda s: s["code"])[0]["code"]
    with Session(eng) as s, s.begin():
        s.add(m.User(username="op_scope", display_name="范围填报员", role="县级填报员", county_code=own,
                     password_hash=hash_password("填报2026"), active=True))
        s.add(m.User(username="lead_scope", display_name="范围领导", role="市领导", county_code=None,
                     password_hash=hash_password("领导2026"), active=True))
        for version in s.execute(select(m.Site).where(m.Site.code == site)).scalars():
            version.name = HTML_NAME
        repo.bump_data_version(s, [repo.STATIC], from_month="0000-00")   # every month's results see the new name
    store.precompute(eng)
    eng.dispose()
    return url, own, site


@pytest.fixture(scope="module")
def server(scope_city, tmp_path_factory):
    srv = start_server(scope_city[0], "scope", tmp_path_factory)
    yield srv
    srv.stop()


SIGNED_IN = "[data-testid='stSidebar'] [data-testid='stPageLink']"
FORM_OR_APP = "[data-testid='stSidebar'] [data-testid='stPageLink'], [data-testid='stTextInput']"


def sign_in_if_asked(page, user: str, password: str) -> None:
    """Sign in when the page shows the sign-in form (a reload may or may not keep the session); the URL, with its
    deep link, is kept through the sign-in."""
    page.wait_for_selector(FORM_OR_APP, timeout=90_000)
    if page.locator(SIGNED_IN).count() == 0:
        page.get_by_label("用户名").fill(user)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_selector(SIGNED_IN, timeout=90_000)
    wait_done(page)
    assert page.locator(SIGNED_IN).count() > 0


def signed_in(browser, server, user: str, password: str):
    ctx = browser.new_context(viewport={"width": 1366, "height": 768})
    page = ctx.new_page()
    page._scope_user = (user, password)
    page.goto(server.base + "/")
    sign_in_if_asked(page, user, password)
    return ctx, page


def goto(page, server, path: str) -> str:
    page.goto(server.base + path)
    sign_in_if_asked(page, *page._scope_user)
    return page.locator("[data-testid='stMain']").inner_text()


def test_county_operator_sees_own_county_only(browser, server, scope_city, city: SmallCity):
    _, own, my_site = scope_city
    others = [n for c, n in city.counties if c != own]
    other_sites = [s for s in city.sites if s["county_code"] != own]
    ctx, page = signed_in(browser, server, "op_scope", "填报2026")
    try:
        for path in ("/", "/map", "/county", "/gaps"):
            text = goto(page, server, path)
            assert not [n for n in others if n in text], (path, text[:400])
            assert not [s["name"] for s in other_sites if s["name"] in text], path
            assert page.locator("[data-testid='stException']").count() == 0
            assert city.counties[0][1] in text or path == "/map", path          # the own county is there
        # deep links to another county's site, county and household: the message and nothing else
        theirs = other_sites[0]
        for path in (f"/site?site={theirs['code']}", f"/county?county={theirs['county_code']}",
                     f"/?site={theirs['code']}", f"/ranking?county={theirs['county_code']}"):
            text = goto(page, server, path)
            assert OUT_OF_SCOPE in text, path
            assert theirs["name"] not in text and page.locator("[data-testid='stDataFrame']").count() == 0, path
            assert page.locator("[data-testid='stPlotlyChart']").count() == 0, path
        hh = repo.households(create(scope_city[0]), city.end_month, [theirs["code"]], slim=True)["household_code"]
        text = goto(page, server, f"/gaps?household={hh.iloc[0]}")
        assert OUT_OF_SCOPE in text and page.locator("[data-testid='stDataFrame']").count() == 0
        # the own site with HTML in its name: shown as text, no element made from it
        text = goto(page, server, f"/site?site={my_site}")
        assert HTML_NAME in text
        assert page.locator("#pwn").count() == 0 and page.locator("a[href='http://evil.example']").count() == 0
        assert page.evaluate("() => document.body.dataset.pwned") is None
    finally:
        ctx.close()


@pytest.mark.parametrize("user,password,path", [("op_scope", "填报2026", "/ranking"),
                                                ("lead_scope", "领导2026", "/ranking"),
                                                ("lead_scope", "领导2026", "/county")])
def test_no_toolbar_download_on_tables(browser, server, user, password, path):
    """Hover each table: the toolbar (search, fullscreen) appears, but no download action, for a role without the
    export right (市领导) and for the others too (exports go only through the audited buttons)."""
    ctx, page = signed_in(browser, server, user, password)
    try:
        goto(page, server, path)
        tables = page.locator("[data-testid='stDataFrame']")
        tables.first.wait_for(timeout=60_000)
        assert tables.count() > 0
        for i in range(tables.count()):
            t = tables.nth(i)
            t.scroll_into_view_if_needed()
            t.hover()
            toolbar = page.locator("[data-testid='stElementToolbar']").nth(i)
            toolbar.locator("button").first.wait_for(state="visible", timeout=30_000)   # the toolbar is shown
            labels = [b.get_attribute("aria-label") or "" for b in toolbar.locator("button").all()]
            assert labels and not [x for x in labels if "ownload" in x or "下载" in x], labels
        assert page.get_by_role("button", name="Download as CSV").count() == 0
    finally:
        ctx.close()
