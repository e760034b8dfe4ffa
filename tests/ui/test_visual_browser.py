"""The wall, the map and the charts as people see them (issue 10, items 2, 6 and 7): real headless Chromium at
1366×768, 1920×1080 and 3840×2160, plus the figures' own properties.

Browser tests wait on conditions (script finished, charts drawn, URL changed), never on fixed sleeps.
"""
from __future__ import annotations

import colorsys
import json

import pandas as pd
import pytest

from tests.ui.conftest import start_server, wait_done

SIZES = [(1366, 768), (1920, 1080), (3840, 2160)]


@pytest.fixture(scope="module")
def server(ui_db, tmp_path_factory):
    srv = start_server(ui_db, "visual", tmp_path_factory)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def ranking(ui_db) -> pd.DataFrame:
    from data.db import create
    from services import maps, overview, settings
    from services import ranking as ranking_svc

    eng = create(ui_db)
    month = settings.available_months(eng)[-1]
    frame = ranking_svc.ranking_frame(eng, month).sites
    frame.attrs["month"] = month
    frame.attrs["map"] = maps.map_data(eng, month)
    frame.attrs["overview"] = overview.overview(eng, month)
    eng.dispose()
    return frame


def no_errors(pg) -> None:
    assert pg.locator("[data-testid='stException']").count() == 0
    assert pg.get_by_text("加载时出错").count() == 0


def open_wall(browser, server, w: int, h: int, query: str = "rotate=0"):
    """The wall at w×h, once it has settled at its scale (a non-1080p screen reloads once with ?scale=) with the
    map and both charts drawn."""
    ctx = browser.new_context(viewport={"width": w, "height": h})
    pg = ctx.new_page()
    pg.goto(f"{server.base}/wall?{query}")
    want = f"{min(3.0, max(0.5, round(min(w / 1920, h / 1080) * 20) / 20)):g}"
    pg.wait_for_function(
        """want => { const s = new URL(location.href).searchParams.get('scale') || '1';
                     const top = document.querySelector('.wall-top');
                     return s === want && top && top.dataset.scale === want
                       && document.querySelectorAll("[data-testid='stPlotlyChart'] .main-svg").length >= 2
                       && document.querySelector("[data-testid='stDeckGlJsonChart'] canvas"); }""",
        arg=want, timeout=90_000, polling=100)
    wait_done(pg)
    # the charts have been laid out at their boxes' size (plotly redraws once the box is measured)
    pg.wait_for_function(FITS_JS + "; return fits().every(c => c.ok);}", timeout=30_000, polling=100)
    return ctx, pg


# every plotly chart: its drawing (svg.main-svg, the first one) against its element's box
FITS_JS = """() => { function fits() {
  return [...document.querySelectorAll("[data-testid='stPlotlyChart']")].map(el => {
    const box = el.getBoundingClientRect(), svg = el.querySelector('svg.main-svg');
    const s = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
    return {box: [box.width, box.height], svg: [s.width, s.height],
            ok: !!svg && s.width <= box.width + 1 && s.height <= box.height + 1
                && s.width >= 0.9 * box.width - 4 && s.height >= 0.9 * box.height - 4};
  });
}"""


@pytest.mark.parametrize("w,h", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_wall_charts_fit_their_boxes_and_nothing_scrolls(server, browser, artifacts, w, h):
    ctx, pg = open_wall(browser, server, w, h)
    try:
        no_errors(pg)
        charts = pg.evaluate(FITS_JS + "; return fits();}")
        assert len(charts) >= 2
        for c in charts:      # drawn at the box's size: never larger (cut off), nor much smaller
            assert c["ok"], charts
        page_h, inner = pg.evaluate("[document.scrollingElement.scrollHeight, window.innerHeight]")
        assert page_h <= inner, (page_h, inner)
        main = pg.evaluate("(() => { const m = document.querySelector(\"[data-testid='stMain']\");"
                           " return [m.scrollHeight, m.clientHeight]; })()")
        assert main[0] <= main[1], main
        # nothing is hidden below the fold either (the main area clips): every panel, chart, the map and the
        # footer end inside the window
        bottoms = pg.evaluate("""[...document.querySelectorAll(`.wall-panel, .wall-kpis, .wall-foot,
            [data-testid='stPlotlyChart'], [data-testid='stDeckGlJsonChart'], .st-key-wall_ctl`)]
            .map(e => e.getBoundingClientRect().bottom)""")
        assert bottoms and max(bottoms) <= h + 0.5, (max(bottoms), h)
        # the picture scales with the screen: the KPI numerals are 52 design pixels at every size
        size = pg.evaluate("parseFloat(getComputedStyle(document.querySelector('.wall-kpi .val')).fontSize)")
        assert size == pytest.approx(52 * min(w / 1920, h / 1080), rel=0.02)
        # no CSS zoom anywhere (it made plotly draw at twice its box on the 4K wall)
        assert pg.evaluate("document.documentElement.style.zoom || getComputedStyle(document.body).zoom") in ("", "1")
        pg.screenshot(path=str(artifacts / f"visual_wall_{w}x{h}.png"))
    finally:
        ctx.close()


def test_wall_4k_text_in_charts_is_scaled(server, browser):
    """At 3840×2160 the charts' own text is drawn twice as large as at 1920×1080 (plotly sizes fonts in px)."""
    sizes = {}
    for w, h in [(1920, 1080), (3840, 2160)]:
        ctx, pg = open_wall(browser, server, w, h)
        try:
            sizes[w] = pg.evaluate("""parseFloat(getComputedStyle(document.querySelector(
                "[data-testid='stPlotlyChart'] .ytick text")).fontSize)""")
        finally:
            ctx.close()
    assert sizes[3840] == pytest.approx(2 * sizes[1920], rel=0.1), sizes


def test_wall_way_back_and_settings(server, browser, artifacts):
    ctx, pg = open_wall(browser, server, 1920, 1080, query="rotate=1&interval=60")
    try:
        assert "轮播：全州总览（每60秒切换）" in pg.locator(".wall-top").inner_text()
        # settings on the wall itself: rotation off, kept in the URL
        pg.locator(".st-key-wall_ctl").get_by_text("大屏设置").click()
        toggle = pg.locator("[data-testid='stPopoverBody'] input[type='checkbox']")
        toggle.wait_for(state="attached")
        assert toggle.is_checked()
        pg.screenshot(path=str(artifacts / "visual_wall_settings.png"))
        pg.get_by_text("自动轮播（全州总览 ↔ 安置点排行）").click()
        pg.wait_for_function("() => new URL(location.href).searchParams.get('rotate') === '0'", timeout=30_000)
        pg.wait_for_function("() => (document.querySelector('.wall-top') || {}).innerText"
                             "?.includes('画面：全州总览')", timeout=30_000)
        pg.keyboard.press("Escape")
        # the way back: a link to 总览 in the corner
        link = pg.locator(".st-key-wall_ctl [data-testid='stPageLink'] a")
        assert link.inner_text().strip().endswith("总览")
        link.click()
        pg.wait_for_function("() => location.pathname === '/' ", timeout=30_000)
        wait_done(pg)
        pg.get_by_text("五好社区创建总览").first.wait_for(timeout=30_000)
        assert pg.locator("[data-testid='stSidebar']").is_visible()     # the app's navigation is back
        assert pg.locator(".wall-top").count() == 0
        no_errors(pg)
    finally:
        ctx.close()


def test_wall_vetoed_sites_carry_their_reason(server, browser, ranking):
    top = ranking.sort_values(["rank", "site_code"]).head(10)
    vetoed = top[top["veto"].fillna(False).astype(bool)]
    assert len(vetoed), "the demo month has no vetoed site among the ten best: the test would prove nothing"
    ctx, pg = open_wall(browser, server, 1920, 1080)
    try:
        panel = pg.locator(".wall-panel", has_text="得分最高的十个安置点")
        assert panel.locator(".wall-veto").count() == len(vetoed)
        text = panel.inner_text()
        for reason in vetoed["veto_reason"]:
            assert f"不合格原因：{reason}" in text
    finally:
        ctx.close()


def test_map_tooltip_stays_inside_the_map(server, browser, artifacts):
    ctx = browser.new_context(viewport={"width": 1366, "height": 768})
    pg = ctx.new_page()
    try:
        pg.goto(server.base + "/map")
        wait_done(pg)
        chart = pg.locator("[data-testid='stDeckGlJsonChart']")
        chart.locator("canvas").wait_for(timeout=60_000)
        box = chart.bounding_box()
        tip = pg.locator(".deck-tooltip")
        shown = None
        # sweep from the right edge inwards, across the map's height, until something is under the pointer
        for dx in range(12, int(box["width"] * 0.5), 20):
            for fy in (0.45, 0.55, 0.35, 0.65, 0.75):
                x, y = box["x"] + box["width"] - dx, box["y"] + box["height"] * fy
                pg.mouse.move(x, y)
                try:
                    pg.wait_for_function("() => { const t = document.querySelector('.deck-tooltip');"
                                         " return t && t.style.display === 'block' && t.innerText.length > 0; }",
                                         timeout=400, polling=50)
                    shown = (x, y)
                    break
                except Exception:      # nothing picked at this point: move on
                    continue
            if shown:
                break
        assert shown, "no map object found near the right edge"
        pg.wait_for_function("""() => { const t = document.querySelector('.deck-tooltip').getBoundingClientRect();
            const f = document.querySelector("[data-testid='stDeckGlJsonChart']").getBoundingClientRect();
            return t.right <= f.right && t.left >= f.left && t.top >= f.top && t.bottom <= f.bottom; }""",
                             timeout=5_000, polling=50)
        t = tip.bounding_box()
        assert t["x"] + t["width"] <= box["x"] + box["width"] + 0.5
        pg.screenshot(path=str(artifacts / "visual_map_tooltip.png"))
    finally:
        ctx.close()


# ---- the figures themselves -----------------------------------------------------------------------------------

def _layer(deck, layer_id: str) -> dict:
    spec = json.loads(deck.to_json())
    return next(x for x in spec["layers"] if x["id"] == layer_id)


def _hue_gap(a: str, b: str) -> float:
    """Hue distance (0..0.5) of two #RRGGBB colours."""
    ha = colorsys.rgb_to_hls(*(int(a[i:i + 2], 16) / 255 for i in (1, 3, 5)))
    hb = colorsys.rgb_to_hls(*(int(b[i:i + 2], 16) / 255 for i in (1, 3, 5)))
    d = abs(ha[0] - hb[0])
    return min(d, 1 - d), ha, hb


def _lum(c: str) -> float:
    r, g, b = (int(c[i:i + 2], 16) / 255 for i in (1, 3, 5))
    f = lambda v: v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4  # noqa: E731
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b)


def _contrast(a: str, b: str) -> float:
    la, lb = sorted((_lum(a), _lum(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@pytest.mark.parametrize("dark", [False, True], ids=["page", "wall"])
def test_map_palettes_contrast(dark):
    from components import theme

    fills = theme.COUNTY_FILLS_DARK if dark else theme.COUNTY_FILLS
    ring = theme.MAP_DOT_RING_DARK if dark else theme.MAP_DOT_RING
    for level, fill in fills.items():
        # every 等次 dot stands out from every county fill (the old 优秀 green on 正常 green did not) ...
        for grade, dot in theme.GRADE_COLORS.items():
            assert _contrast(fill, dot) >= 1.35, (level, grade, fill, dot, _contrast(fill, dot))
        # ... no county is green at all, and the dots' ring is sharp on every fill
        gap, *_ = _hue_gap(fill, theme.GRADE_COLORS["优秀"])
        assert gap > 0.1 or _contrast(fill, theme.GRADE_COLORS["优秀"]) > 3, (level, fill)
        assert _contrast(fill, ring) >= 4.5, (level, fill, ring)
    # 进度滞后 and 建议约谈 clearly apart (the old fills were both orange-red)
    gap, *_ = _hue_gap(fills["进度滞后"], fills["建议约谈"])
    assert gap >= 0.1, (fills["进度滞后"], fills["建议约谈"])


def test_map_labels_drawn_above_dots_and_clear_of_them(ranking):
    from components import maps

    md = ranking.attrs["map"]
    deck = maps.build_deck(md)
    ids = [x["id"] for x in json.loads(deck.to_json())["layers"]]
    assert ids.index("county_labels") > ids.index(maps.SITE_LAYER)       # names on top of the dots
    labels = _layer(deck, "county_labels")["data"]
    assert len(labels) == md.counties["geometry"].notna().sum()
    sites = md.sites
    import math

    for lab in labels:
        d = ((sites["lon"] - lab["lon"]) * math.cos(math.radians(lab["lat"]))) ** 2 + (sites["lat"] - lab["lat"]) ** 2
        # the label point keeps ~2 km from the nearest dot centre (a 15 px name at the page's zoom)
        assert math.sqrt(d.min()) > 0.018, (lab["name"], math.sqrt(d.min()))


def test_map_boundaries_simplified_and_cached(ranking):
    from components import maps

    md = ranking.attrs["map"]
    raw = sum(len(g) for g in md.counties["geometry"] if g)
    deck = maps.build_deck(md)
    sent = len(json.dumps(_layer(deck, maps.COUNTY_LAYER)["data"]))
    assert sent < raw * 0.6, (sent, raw)
    before = maps._prepared.cache_info()
    maps.build_deck(md, mode="score")
    after = maps._prepared.cache_info()
    assert after.hits == before.hits + 1 and after.misses == before.misses


def test_map_tooltips_count_whole_sites(ranking):
    from components import maps

    feats = _layer(maps.build_deck(ranking.attrs["map"]), maps.COUNTY_LAYER)["data"]["features"]
    import re

    for f in feats:
        assert re.search(r"序时进度 \d+ 个$", f["properties"]["tip_2"]), f["properties"]["tip_2"]
        assert not re.search(r"较上月[+\-]", f["properties"]["tip_3"])


def test_county_bars_start_at_zero_with_worded_changes(ranking):
    from components import charts

    fig = charts.county_ranking(ranking.attrs["overview"].counties)
    assert list(fig.layout.xaxis.range) == [0, 100]
    texts = list(fig.data[0].text)
    assert all(("上升" in t or "下降" in t or "持平" in t) for t in texts if "（" in t), texts
    assert not any("+" in t or "-" in t for t in texts), texts
    for h in fig.data[0].hovertext:
        assert "序时进度" in h and ".".join(h.split("序时进度")[1:]).split("个")[0].strip().isdigit(), h


def test_trend_counts_are_whole_numbers(ranking):
    from components import charts

    trend = ranking.attrs["overview"].trend
    fig = charts.qualified_trend(trend)
    plan = fig.data[1].y
    assert all(float(v).is_integer() for v in plan), plan
    assert all(int(v) == int(e // 1) for v, e in zip(plan, trend["expected"]))
    assert fig.layout.yaxis.tickformat == "d"
    small = charts.qualified_trend(pd.DataFrame({"month": ["2026-09", "2026-10"], "qualified": [0, 1],
                                                 "expected": [0.4, 0.8]}))
    assert small.layout.yaxis.dtick == 1          # a county's 0–3 sites: whole-number ticks, not 0.5 steps
