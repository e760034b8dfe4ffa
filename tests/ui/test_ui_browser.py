"""Issue 10 in real headless Chromium (Debian's /usr/bin/chromium via Playwright) against `streamlit run app.py` on
the small city: the demo role survives navigation (and the URL keeps ?month=), "✓ 达标" is drawn green and
"✗ 未达标" red.
Every wait is on a condition of the page, never a pause."""
from __future__ import annotations

import io
import urllib.parse

import numpy as np
import pytest
from PIL import Image

from components.theme import GRADE_COLORS, QUALIFIED_COLORS
from data.db import get_engine
from services import store
from tests.ui.conftest import start_server, wait_done, wait_layout_stable
from tests.ui.small_city import SmallCity

SIDEBAR = "[data-testid='stSidebar']"


@pytest.fixture(scope="module")
def server(ui_db, tmp_path_factory):
    srv = start_server(ui_db, "ui_browser", tmp_path_factory)
    yield srv
    srv.stop()


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport={"width": 1366, "height": 768})
    yield ctx
    ctx.close()


def settle(pg) -> None:
    wait_done(pg)
    wait_layout_stable(pg)
    assert pg.locator("[data-testid='stException']").count() == 0


def month_of(pg) -> str | None:
    return urllib.parse.parse_qs(urllib.parse.urlparse(pg.url).query).get("month", [None])[0]


def sidebar_select(pg, label: str):
    return pg.locator(f"{SIDEBAR} [data-testid='stSelectbox']").filter(has_text=label)


def choose(pg, label: str, option: str) -> None:
    # the switcher sits near the top of the sidebar (above the menu), where its list has room to open
    pg.locator("[data-testid='stSidebarContent']").evaluate("c => { c.scrollTop = 0; }")
    sidebar_select(pg, label).click()
    pg.get_by_role("option", name=option).click()
    pg.wait_for_function("(o) => (document.querySelector(\"[data-testid='stSidebar']\") || {innerText: ''})"
                         ".innerText.includes('· ' + o)", arg=option, timeout=30_000)
    settle(pg)


def go(pg, label: str) -> None:
    """Click a menu link and wait until its page has run."""
    before = pg.url
    pg.locator(f"{SIDEBAR} [data-testid='stPageLink']").filter(has_text=label).first.click()
    pg.wait_for_function("(u) => location.href !== u", arg=before, timeout=30_000)
    settle(pg)


def test_demo_role_kept_across_three_navigations(server, context, city: SmallCity):
    month = city.months[-3]
    pg = context.new_page()
    pg.goto(f"{server.base}/?month={month}")
    settle(pg)
    choose(pg, "演示角色", "县级填报员")
    for label in ("安置点排名", "权益缺口", "县区画像"):
        go(pg, label)
        role_box = sidebar_select(pg, "演示角色").locator("input").input_value()
        caption = pg.locator(SIDEBAR).inner_text()
        assert "县级填报员" in role_box, (label, role_box)
        assert "· 县级填报员" in caption, (label, caption)
        assert "月度通报" not in caption                     # the operator's menu, not the supervisor's
        assert month_of(pg) == month, (label, pg.url)       # the month chosen by the link survives the menu
    # the county page of an operator offers only the operator's own county
    assert pg.locator("[data-testid='stMain']").inner_text().count("市级督导") == 0


def _dataframe_png(pg) -> np.ndarray:
    grid = pg.locator("[data-testid='stDataFrame']").first
    grid.wait_for(timeout=30_000)
    return np.asarray(Image.open(io.BytesIO(grid.screenshot())).convert("RGB")).astype(int)


def _hits(img: np.ndarray, hex_color: str, tol: int = 40) -> int:
    rgb = np.array([int(hex_color[i:i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(img - rgb).sum(axis=2) < tol).sum())


def test_qualified_cell_is_green_not_red(server, browser, ui_db, city: SmallCity):
    """At 1920×1080 (the whole table in view). Rows whose 等次 is drawn in neither green nor red (良好 blue,
    合格 amber): the only green text in such a row
    can be its 达标 cell, the only red text its 未达标 cell."""
    sites = store.month_results(get_engine(ui_db), city.end_month).scores.sites
    ranked = sites.sort_values(["rank", "site_code"]).reset_index(drop=True)
    pg = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
    pg.goto(f"{server.base}/ranking?month={city.end_month}")
    settle(pg)
    img = _dataframe_png(pg)
    row_h = 35                                            # Streamlit's default row height; the header is a row
    green, red = QUALIFIED_COLORS[True], QUALIFIED_COLORS[False]
    assert green == GRADE_COLORS["优秀"] and red == GRADE_COLORS["不合格"]    # hence only rows of other grades
    checked = {True: 0, False: 0}
    for i, r in ranked.iterrows():
        if r["grade"] not in ("良好", "合格"):
            continue
        y0, y1 = row_h * (i + 1) + 4, row_h * (i + 2) - 4
        if y1 > img.shape[0]:
            break
        stripe = img[y0:y1]
        if bool(r["qualified"]):
            assert _hits(stripe, green) > 8 and _hits(stripe, red) == 0, (i, r["site_name"])
        else:
            assert _hits(stripe, red) > 8 and _hits(stripe, green) == 0, (i, r["site_name"])
        checked[bool(r["qualified"])] += 1
    assert checked[True] > 0, "the small city must have a 良好/合格 site that is 达标"
    pg.context.close()
