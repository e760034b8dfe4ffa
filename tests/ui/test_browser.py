"""The app in real headless Chromium (Debian's /usr/bin/chromium via Playwright) against `streamlit run app.py`
on the small city (tests/ui/small_city.py): every page renders without an error element, the wall screen fits
1920×1080 (and 4K) without scrolling, the map canvas is drawn, no request leaves localhost, the ranking Excel
downloads and opens, and deep links opened on a freshly started server land on the right page in the wide layout.
Every wait is on a condition of the page (script run finished, element drawn, layout settled), never a pause.
Screenshots are kept in artifacts/screenshots/."""
from __future__ import annotations

import contextlib
import io
import time
import urllib.parse

import numpy as np
import openpyxl
import pytest
from PIL import Image, ImageStat
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from components.theme import GRADE_COLORS, PLOTLY_ZH_CN
from tests.ui.conftest import next_frame, poll, start_server, wait_done, wait_layout_stable
from tests.ui.small_city import SmallCity

PAGES = ["/", "/wall", "/ranking", "/map", "/site", "/county", "/circular", "/gaps", "/upload"]
LOCAL = {"127.0.0.1", "localhost", "::1"}


@pytest.fixture(scope="module")
def server(ui_db, tmp_path_factory):
    srv = start_server(ui_db, "browser", tmp_path_factory)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def requests_seen():
    return []


@pytest.fixture
def page(browser, requests_seen):
    ctx = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True)
    pg = ctx.new_page()
    pg.on("request", lambda r: requests_seen.append(r.url))
    yield pg
    ctx.close()


def no_errors(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("[data-testid='stAlertContentError']").count() == 0, \
        page.locator("[data-testid='stAlertContentError']").all_inner_texts()


def shot(page, artifacts, name: str, full: bool = False) -> None:
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=full)


CHARTS_DRAWN_JS = """() => [...document.querySelectorAll("[data-testid='stPlotlyChart']")]
    .every(c => c.querySelector('.main-svg'))"""


@pytest.mark.parametrize("path", PAGES)
def test_page_renders_without_errors(server, page, artifacts, path):
    page.goto(server.base + path)
    wait_done(page)
    page.wait_for_function(CHARTS_DRAWN_JS, timeout=30_000, polling=100)
    no_errors(page)
    assert page.locator("[data-testid='stPageLink']").count() >= 6       # the app's own navigation
    # the app's own icon, inline (no request for it)
    page.wait_for_function("""() => [...document.querySelectorAll("link[rel~='icon']")]
        .some(l => l.href.startsWith('data:image/png;base64,'))""", timeout=10_000, polling=100)
    shot(page, artifacts, "page_" + (path.strip("/") or "overview"))


def wait_wall_drawn(pg) -> None:
    """The wall's map and charts are drawn after the script run; measure only once they are (a half-drawn page
    would pass the no-scrollbar check too easily)."""
    pg.locator("[data-testid='stDeckGlJsonChart']").first.wait_for(timeout=30_000)
    pg.wait_for_function("""() => document.querySelectorAll("[data-testid='stPlotlyChart'] .main-svg").length >= 2""",
                         timeout=30_000, polling=100)
    wait_layout_stable(pg)


def test_wall_fits_1920x1080_without_scrolling(server, browser, artifacts, requests_seen):
    ctx = browser.new_context(viewport={"width": 1920, "height": 1080})
    pg = ctx.new_page()
    pg.on("request", lambda r: requests_seen.append(r.url))
    pg.goto(server.base + "/wall?rotate=0")
    wait_done(pg)
    wait_wall_drawn(pg)
    no_errors(pg)
    h, inner = pg.evaluate("[document.scrollingElement.scrollHeight, window.innerHeight]")
    assert h <= inner, (h, inner)
    main = pg.evaluate("(() => { const m = document.querySelector('[data-testid=stMain]');"
                       " return [m.scrollHeight, m.clientHeight]; })()")
    assert main[0] <= main[1] + 2, main
    # large numerals
    size = pg.evaluate("parseFloat(getComputedStyle(document.querySelector('.wall-kpi .val')).fontSize)")
    assert size >= 48
    shot(pg, artifacts, "wall_1920x1080")
    ctx.close()


# the 4K wall (charts drawn at their boxes' size, no CSS zoom) is tested in test_visual_browser.py


def _canvas_drawn(chart):
    """(png, image) of the map once its canvas is not blank (deck.gl draws after the script run), else None."""
    png = chart.screenshot()
    img = Image.open(io.BytesIO(png)).convert("RGB")
    return (png, img) if max(ImageStat.Stat(img).stddev) > 20 else None


def test_map_canvas_is_drawn(server, page, artifacts):
    page.goto(server.base + "/map")
    wait_done(page)
    chart = page.locator("[data-testid='stDeckGlJsonChart']")
    chart.wait_for()
    drawn = poll(page, lambda: _canvas_drawn(chart), timeout_s=60)
    assert drawn is not None, "the map canvas stayed blank"
    png, img = drawn
    colours = img.quantize(64).getcolors(maxcolors=4096) or []
    assert len(colours) >= 8
    (artifacts / "map_canvas.png").write_bytes(png)
    no_errors(page)


def test_ranking_excel_download_opens_with_every_site(server, page, city: SmallCity, tmp_path):
    page.goto(server.base + "/ranking")
    wait_done(page)
    with page.expect_download(timeout=60_000) as dl:
        page.get_by_text("导出Excel（可打印）").click()
    path = tmp_path / "ranking.xlsx"
    dl.value.save_as(path)
    assert dl.value.suggested_filename.endswith(".xlsx")
    ws = openpyxl.load_workbook(path).active
    rows = [r for r in ws.iter_rows(values_only=True) if isinstance(r[0], int) and not isinstance(r[0], bool)]
    assert len(rows) == len(city.sites)
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)
    names = {s["name"] for s in city.sites}
    assert {v for r in rows for v in r if v in names} == names
    with page.expect_download(timeout=60_000) as dl2:
        page.get_by_text("导出CSV").click()
    data = open(dl2.value.path(), "rb").read()
    assert data.startswith(b"\xef\xbb\xbf")                 # utf-8-sig: Excel opens the Chinese correctly
    assert len(data.decode("utf-8-sig").strip().splitlines()) == len(city.sites) + 1      # header and sites


def test_chart_toolbar_speaks_chinese(server, page):
    """Plotly's toolbar tooltips come from the zh-CN dictionary passed with every chart, and Streamlit's own
    fullscreen button is relabelled by CSS: no English left on hover."""
    page.goto(server.base + "/")
    wait_done(page)
    page.wait_for_function("document.querySelectorAll('.modebar-btn').length > 0", timeout=30_000, polling=100)
    titles = page.eval_on_selector_all(".modebar-btn", "els => els.map(e => e.getAttribute('data-title'))")
    plotly_titles = [t for t in titles if t != "Fullscreen"]
    assert plotly_titles and all(any("\u4e00" <= c <= "\u9fff" for c in t) for t in plotly_titles), titles
    assert not set(plotly_titles) & set(PLOTLY_ZH_CN), titles
    assert "下载图表（PNG图片）" in plotly_titles
    shown = page.evaluate("""() => [...document.querySelectorAll('.modebar-btn')]
        .map(e => getComputedStyle(e, '::after').content)""")
    assert all("Fullscreen" not in c for c in shown), shown
    assert any("全屏显示" in c for c in shown)


def test_no_request_left_localhost(requests_seen):
    # runs after the page tests of this module (pytest keeps file order)
    assert requests_seen, "no requests recorded"
    hosts = {urllib.parse.urlparse(u).hostname for u in requests_seen if u.startswith(("http", "ws"))}
    assert hosts <= LOCAL, hosts - LOCAL


# ------------------------------------------------------------------------------------------------ deep links
@contextlib.contextmanager
def fresh_server_page(db_url, browser, tmp_path_factory, name: str, path: str):
    """A newly started server (nothing routed or cached yet) with `path` opened on it as the first request,
    its script run finished, the layout settled and no error element shown."""
    srv = start_server(db_url, name, tmp_path_factory)
    ctx = browser.new_context(viewport={"width": 1366, "height": 768})
    try:
        pg = ctx.new_page()
        pg.goto(srv.base + path)
        wait_done(pg)
        wait_layout_stable(pg)
        no_errors(pg)
        yield srv, pg
    finally:
        ctx.close()
        srv.stop()


def _main_width(page) -> float:
    return page.evaluate("document.querySelector('[data-testid=stMainBlockContainer]').getBoundingClientRect().width")


def test_deep_link_ranking_county_on_fresh_server(ui_db, city: SmallCity, browser, tmp_path_factory, artifacts):
    code, name = city.counties[2]
    month = city.months[-2]
    with fresh_server_page(ui_db, browser, tmp_path_factory, "deep_ranking",
                           f"/ranking?county={code}&month={month}") as (_, pg):
        assert "安置点五好社区创建排名" in pg.locator("h1").first.inner_text()
        assert _main_width(pg) > 1000                       # wide layout (centred would be ≤ 736 px)
        assert pg.locator("[data-testid='stPageLink']").count() >= 6
        assert pg.locator("[data-testid='stSidebar'] input[aria-label='统计月份']").input_value() == \
            f"{int(month[:4])}年{int(month[5:])}月"
        assert name in pg.locator("[data-testid='stMultiSelect']").first.inner_text()
        assert "排名" in pg.title()
        shot(pg, artifacts, "deeplink_ranking_fresh")


def test_deep_link_site_on_fresh_server(ui_db, city: SmallCity, browser, tmp_path_factory, artifacts):
    site = city.sites[10]
    with fresh_server_page(ui_db, browser, tmp_path_factory, "deep_site", f"/site?site={site['code']}") as (srv, pg):
        assert pg.locator("h1").first.inner_text().strip() == site["name"]
        assert _main_width(pg) > 1000
        # plotly is a lazily loaded chunk: on a fresh server and a fresh browser context its elements can appear
        # after the script run has finished, so wait for both charts rather than counting at once
        pg.wait_for_function("""() => [...document.querySelectorAll("[data-testid='stPlotlyChart']")]
                                       .filter(c => c.querySelector('.main-svg')).length >= 2""",
                             timeout=30_000, polling=100)
        assert pg.locator("[data-testid='stPlotlyChart']").count() == 2         # the radar and the trend, drawn
        shot(pg, artifacts, "deeplink_site_fresh")
        # the start page forwards ?county= to the county profile
        code, name = city.counties[1]
        pg.goto(f"{srv.base}/?county={code}")
        pg.wait_for_url("**/county?*", timeout=60_000)
        wait_done(pg)
        pg.locator("h1", has_text=name).first.wait_for(timeout=30_000)
        assert pg.locator("h1").first.inner_text().strip() == name
        assert f"county={code}" in pg.url


def _site_pixel(png: bytes) -> tuple[int, int] | None:
    """Centre of a site marker in a map screenshot: a pixel whose 7×7 neighbourhood is all one 等次 colour."""
    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    for hexcol in GRADE_COLORS.values():
        rgb = np.array([int(hexcol[i:i + 2], 16) for i in (1, 3, 5)])
        match = (np.abs(img - rgb).sum(axis=2) < 30)
        # a 7x7 box of matching pixels: erode by shifting
        core = match.copy()
        for dy in range(-3, 4):
            for dx in range(-3, 4):
                core &= np.roll(np.roll(match, dy, axis=0), dx, axis=1)
        ys, xs = np.nonzero(core[5:-5, 5:-5])
        if len(ys):
            return int(xs[0]) + 5, int(ys[0]) + 5
    return None


def test_clicking_a_site_on_the_map_opens_its_profile(server, page, artifacts):
    page.goto(server.base + "/map")
    wait_done(page)
    chart = page.locator("[data-testid='stDeckGlJsonChart']")
    chart.wait_for()
    spot = poll(page, lambda: _site_pixel(chart.screenshot()), timeout_s=60)    # deck.gl has drawn the markers
    assert spot is not None, "no site marker found on the map"
    box = chart.bounding_box()
    x, y = box["x"] + spot[0], box["y"] + spot[1]
    # hovering shows the Chinese tooltip, its markup rendered (not shown as literal tags)
    page.mouse.move(x, y)
    tip = page.locator(".deck-tooltip")
    page.wait_for_function("() => { const t = document.querySelector('.deck-tooltip');"
                           " return t && t.innerText.includes('点击查看安置点画像'); }", timeout=30_000, polling=200)
    text = tip.inner_text()
    assert "<b>" not in text and "{tip" not in text, text
    assert "总分" in text and "全州第" in text
    assert tip.locator("b").count() == 1                  # the site name, in bold
    shot(page, artifacts, "map_tooltip")
    cdp = page.context.new_cdp_session(page)
    for _ in range(3):
        # deck.gl counts a press as a click only if it is released within 250 ms of its own timestamps; with
        # software WebGL on a busy CI machine Playwright's click can arrive slower than that, so press and
        # release are sent with explicit timestamps 60 ms apart, as a person's click would be
        t0 = time.time()
        for kind, ts in (("mousePressed", t0), ("mouseReleased", t0 + 0.06)):
            cdp.send("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left",
                                                  "clickCount": 1, "timestamp": ts})
        try:
            page.wait_for_url("**/site?*", timeout=15_000)
            break
        except PlaywrightTimeout:
            # hover again and wait until deck.gl has picked the marker (its tooltip shows) before the next try
            page.mouse.move(x + 1, y)
            next_frame(page)
            page.mouse.move(x, y)
            tip.wait_for(state="visible", timeout=15_000)
    assert "/site" in page.url, page.url
    assert "site=" in page.url
    page.get_by_text("选择安置点").first.wait_for(timeout=30_000)    # the site profile, not the map
    wait_done(page)
    shot(page, artifacts, "map_click_site")
    no_errors(page)
