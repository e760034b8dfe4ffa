"""In headless Chromium on the small city: the 权益保障 matrix → a click on a cell → the paged list of the households
behind it (the count the database holds for that site × item) → the 一户一档 page of the first listed household.
Every wait is on a condition of the page (Playwright's expect()), never a pause."""
from __future__ import annotations

import re
import urllib.parse

import pytest
from playwright.sync_api import expect

from data.db import get_engine
from domain.scope import CITY_SCOPE
from components.rights_view import ITEM_WIDTH, NAME_WIDTH
from services import rights
from tests.ui.conftest import start_server, wait_done, wait_layout_stable

ROW = 35        # Streamlit's dataframe row and header height (px)


@pytest.fixture(scope="module")
def server(ui_db, tmp_path_factory):
    srv = start_server(ui_db, "rights", tmp_path_factory)
    yield srv
    srv.stop()


def test_matrix_cell_to_household_list_to_household_page(server, browser, ui_db, city, artifacts):
    month = city.months[-1]
    ctx = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = ctx.new_page()
    page.goto(f"{server.base}/rights?month={month}")
    wait_done(page)
    # a cell with gaps among the first rows and columns (the matrix opens as sites × items, coverage shown)
    view = rights.rights_matrix(get_engine(ui_db), month, CITY_SCOPE)
    gaps = view.gaps.to_numpy()
    row, col = next((r, c) for r in range(min(10, len(gaps))) for c in range(8) if gaps[r, c] > 0)
    site, item = view.groups[row], view.gaps.columns[col]
    grid = page.locator("[data-testid='stDataFrame']").first
    expect(grid).to_be_visible(timeout=60_000)
    wait_layout_stable(page)                            # the grid's place and column widths have settled
    want = re.compile(rf"[?&]cell={site}&.*")
    for attempt in range(3):                            # a click the canvas grid took before it was ready is lost
        box = grid.bounding_box()
        page.mouse.click(box["x"] + NAME_WIDTH + ITEM_WIDTH * (col + 0.5), box["y"] + ROW * (row + 1.5))
        try:
            expect(page).to_have_url(want, timeout=20_000 if attempt < 2 else 60_000)
            break
        except AssertionError:
            if attempt == 2:
                raise
            wait_done(page)
    qs = urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)
    assert (qs["cell"], qs["item"], qs["kind"]) == ([site], [item], ["gap"])
    expected = rights.household_list(get_engine(ui_db), month, CITY_SCOPE, site=site, item=item, kind="gap",
                                     size=50)
    assert expected.total == int(gaps[row, col]) > 0
    expect(page.get_by_text(re.compile(rf"共 {expected.total} 户，第 1 / \d+ 页"))).to_be_visible(timeout=60_000)
    page.screenshot(path=str(artifacts / "rights_cell_households.png"), full_page=True)

    # the list's first row links to that household's 一户一档 (a link column: it opens a new tab)
    households = page.locator("[data-testid='stDataFrame']").nth(1)
    households.scroll_into_view_if_needed()
    expect(households).to_be_in_viewport()
    hb = households.bounding_box()
    link = (hb["x"] + 20, hb["y"] + ROW * 1.5)
    page.mouse.move(*link)                                  # the grid shows a hand over a link once hovered
    expect(households.locator("[data-testid='data-grid-canvas']")).to_have_css("cursor", "pointer")
    with ctx.expect_page(timeout=60_000) as opened:
        page.mouse.click(*link)
    hh = opened.value
    expect(hh).to_have_url(re.compile(rf"/household\?month={month}&household={re.escape(expected.codes[0])}"))
    wait_done(hh)
    expect(hh.locator("h1")).to_contain_text(f"一户一档 {expected.codes[0]}", timeout=60_000)
    expect(hh.get_by_text("权益事项（")).to_be_visible()
    assert hh.locator("[data-testid='stAlertContentError']").count() == 0
    hh.screenshot(path=str(artifacts / "household_from_cell.png"), full_page=True)
    ctx.close()
