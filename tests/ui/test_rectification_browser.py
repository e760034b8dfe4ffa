"""问题整改台账 in headless Chromium on a non-demo copy of the small city (issue 11): a 市级督导 signs in, opens an
overdue item by its link and closes it (销号 with a date and a note) — it shows 已销号 and its version history
names who closed it; a county operator sees no other county's item by any link (?item=, with or without a month)
nor in the county filter. Waits are conditions (expect / wait_for), never pauses."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from domain.calendar import period_end
from tests.ui.conftest import copy_db, start_server, wait_done
from tests.ui.small_city import SmallCity

MAIN = "[data-testid='stMain']"


@pytest.fixture(scope="module")
def server(login_db, tmp_path_factory):
    """A private copy of the login city (the test writes): supervisor / 督导2026, op_test / 填报2026 (first county)."""
    url = copy_db(login_db, tmp_path_factory.mktemp("ui_rect") / "rect.db")
    srv = start_server(url, "rect", tmp_path_factory)
    yield srv
    srv.stop()


def heading(main, code: str, status: str):
    """The selected item's heading: its code and its status at the month (then maybe 超期N天)."""
    return main.get_by_role("heading", name=re.compile(f"^{re.escape(code)}\\s*{status}"))


def item_code(month: str, county_index: int) -> str:
    return f"ZG-{month.replace('-', '')}-{county_index + 1}"      # tests/ui/small_city.py's items


def sign_in(browser, server, user: str, password: str, path: str):
    ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    page = ctx.new_page()
    page.goto(server.base + path)
    page.get_by_label("用户名").fill(user)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_selector("[data-testid='stSidebar'] [data-testid='stPageLink']", timeout=90_000)
    wait_done(page)
    return ctx, page


def test_supervisor_closes_an_item(browser, server, city: SmallCity):
    end, prev = city.months[-1], city.months[-2]
    item = item_code(prev, 1)
    ctx, page = sign_in(browser, server, "supervisor", "督导2026", f"/rectification?month={end}&item={item}")
    try:
        main = page.locator(MAIN)
        expect(heading(main, item, "整改中")).to_be_visible(timeout=60_000)
        expect(heading(main, item, "整改中\\s*超期\\d+天")).to_be_visible()
        day = period_end(end).replace(day=20)
        for part, value in (("year", f"{day.year}"), ("month", f"{day.month:02d}"), ("day", f"{day.day:02d}")):
            main.get_by_role("spinbutton", name=f"{part}, 销号日期").click()
            page.keyboard.type(value)
        day = day.isoformat()
        main.get_by_label("销号说明（整改情况）").fill("已疏通消防通道并复查")
        main.get_by_role("button", name="销号").click()
        expect(main.get_by_text(f"问题 {item} 已销号", exact=False)).to_be_visible(timeout=60_000)
        expect(heading(main, item, "已销号")).to_be_visible()
        expect(main.get_by_text(f"销号日期：{day}", exact=False)).to_be_visible()
        # the previous month (chosen in the sidebar) still shows the state it had then
        page.get_by_role("combobox", name="统计月份").click()
        page.get_by_role("option", name=f"{int(prev[:4])}年{int(prev[5:])}月", exact=True).click()
        expect(heading(main, item, "整改中")).to_be_visible(timeout=60_000)
        expect(main.get_by_text(f"统计月份：{int(prev[:4])}年{int(prev[5:])}月", exact=False)).to_be_visible()
    finally:
        ctx.close()


def test_county_operator_sees_no_other_countys_item_by_any_link(browser, server, city: SmallCity):
    own, other = city.counties[0], city.counties[1]
    end, prev = city.months[-1], city.months[-2]
    theirs = item_code(end, 1)
    mine = item_code(end, 0)
    ctx, page = sign_in(browser, server, "op_test", "填报2026", f"/rectification?item={theirs}")
    try:
        main = page.locator(MAIN)
        for path in (f"/rectification?item={theirs}", f"/rectification?month={prev}&item={item_code(prev, 1)}",
                     f"/rectification?month={end}&item={theirs}&county={other[0]}"):
            if page.url != server.base + path:
                page.goto(server.base + path)
            expect(main.get_by_text("超出权限", exact=False)).to_be_visible(timeout=60_000)
            wait_done(page)
            text = main.inner_text()
            assert theirs not in text.replace("超出权限", "") and other[1] not in text, path
            assert "楼道消防通道堵塞" not in text and page.locator("[data-testid='stDataFrame']").count() == 0, path
        # the own county's item by its link; the county filter offers the own county only
        page.goto(server.base + f"/rectification?month={end}&item={mine}")
        expect(heading(main, mine, "整改中")).to_be_visible(timeout=60_000)
        wait_done(page)
        assert other[1] not in main.inner_text()
        grid = main.locator("[role='gridcell']")                   # the tables' cells (their accessible copy)
        # the ledger table (not only the item's history table below it) has drawn its rows
        expect(grid.filter(has_text=own[1]).first).to_be_attached(timeout=30_000)
        cells = grid.all_text_contents()
        assert own[1] in cells and mine in cells and not [c for c in cells if other[1] in c or theirs == c]
        main.get_by_label("县（市、区）").first.click()
        options = page.locator("[role='option']")
        expect(options.first).to_be_visible()
        assert options.all_inner_texts() == [own[1]]
    finally:
        ctx.close()


def test_a_clicked_table_row_selects_its_item(browser, server, city: SmallCity):
    end = city.months[-1]
    ctx, page = sign_in(browser, server, "supervisor", "督导2026", f"/rectification?month={end}")
    try:
        main = page.locator(MAIN)
        grid = main.locator("[data-testid='stDataFrame']").first
        expect(grid).to_be_visible(timeout=60_000)
        expect(main.get_by_role("heading", name=re.compile(r"^ZG-"))).to_have_count(0)
        box = grid.bounding_box()
        page.mouse.click(box["x"] + 14, box["y"] + 35 + 17)           # the first row's selection box
        expect(main.get_by_role("heading", name=re.compile(r"^ZG-\d{6}-\d"))).to_be_visible(timeout=60_000)
        code = main.get_by_role("heading", name=re.compile(r"^ZG-")).inner_text().split()[0]
        expect(page).to_have_url(re.compile(f"item={re.escape(code)}"))
    finally:
        ctx.close()
