"""Every page under streamlit.testing AppTest on the small city (tests/ui/small_city.py): no exception, key
elements present, chart specs (plotly JSON, deck.gl JSON) checked from their protos. Expected counts come from
what the small city holds (the `city` fixture) and from its stored results, never from remembered figures."""
from __future__ import annotations

import calendar
import functools
import json
import os
import re

import pytest
from streamlit.testing.v1 import AppTest

import data.db
import data.demo
import services.overview
import services.setup
from components import theme
from components.maps import TOOLTIP_FIELDS
from domain.rights import RIGHTS
from data.db import create, get_engine
from services import store
from tests.ui.conftest import ROOT, html_text
from tests.ui.small_city import SmallCity

APP = str(ROOT / "app.py")
ID_MASK = re.compile(r"^\d{6}\*{7,8}[\dX]{4}$")


pytestmark = pytest.mark.usefixtures("apptest_db")


def run(page: str | None = None, **query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def plotly(at: AppTest) -> list[dict]:
    return [json.loads(p.proto.spec) for p in at.get("plotly_chart")]


def deck(at: AppTest) -> list[dict]:
    return [json.loads(d.proto.json) for d in at.get("deck_gl_json_chart")]


def grade_rgb():
    return {tuple(theme.hex_to_rgb(c)) for c in theme.GRADE_COLORS.values()}


def stored_sites(month: str):
    """The month's site results as stored by the precomputation (one row per site)."""
    return store.month_results(get_engine(os.environ["DATABASE_URL"]), month).scores.sites


def month_end_cn(month: str) -> str:
    y, m = int(month[:4]), int(month[5:])
    return f"{y}年{m}月{calendar.monthrange(y, m)[1]}日"


# ------------------------------------------------------------------------------------------------ overview
def test_overview_kpis_charts_flags(city: SmallCity):
    at = run()
    html = html_text(at)
    assert "演示数据" in html                      # demo banner
    for label in ("五好达标安置点", "劳动力就业率", "零就业家庭", "权益落实率", "整改逾期事项"):
        assert label in html
    assert html.count('class="kpi full"') >= 5
    assert html.count("较上月") >= 5
    assert "数据截至" in html
    figs = plotly(at)
    assert len(figs) == 2
    bars = figs[0]["data"][0]
    assert bars["type"] == "bar" and bars["orientation"] == "h"
    assert len(bars["y"]) == len(city.counties)
    assert set(bars["marker"]["color"]) <= set(theme.FLAG_COLORS.values())
    trend = figs[1]["data"]
    assert [t["type"] for t in trend] == ["bar", "scatter"]
    assert trend[1]["name"].startswith("序时进度")
    assert len(trend[0]["x"]) == min(12, len(city.months))
    assert "进度滞后" in html or "本月没有进度滞后" in " ".join(s.value for s in at.success)
    assert html.count('class="sites"') == 2       # best and worst sites, names linking to the site profile
    assert "/site?site=" in html
    # sidebar: month selector and role switcher (demo)
    assert at.selectbox(key="_month_widget").value is not None
    assert at.selectbox(key="demo_role").value == "市级督导"


def test_month_deep_link_selects_month(city: SmallCity):
    month = city.months[len(city.months) // 2]
    assert month != city.end_month
    at = run(month=month)
    assert at.selectbox(key="_month_widget").value == month
    assert month_end_cn(month) in html_text(at)


def shown(cells) -> list[str]:
    """What a LinkColumn cell displays: the name after '#' in its URL (components.links)."""
    return [str(v).split("#", 1)[1] if "#" in str(v) else str(v) for v in cells]


# ------------------------------------------------------------------------------------------------ ranking
def test_ranking_table_filters_and_exports(city: SmallCity):
    at = run("pages/ranking.py")
    df = at.dataframe[0].value
    assert len(df) == len(city.sites)
    assert sorted(shown(df["安置点"])) == sorted(s["name"] for s in city.sites)
    assert all(u.startswith("/site?") and f"month={city.end_month}" in u for u in df["安置点"])
    stored = stored_sites(city.end_month)
    assert df["总分"].astype(float).round(2).tolist() == sorted(stored["total"].round(2), reverse=True)
    for col in ("排名", "同类排名", "安置点", "县", "规模", "总分", "产业带动好", "就业帮扶好", "公共服务好",
                "精神状态好", "融入环境好", "等次", "达标", "较上月", "短板", "排名区间"):
        assert col in df.columns, col
    assert df["排名"].is_monotonic_increasing
    assert df["排名区间"].str.match(r"^\d+(–\d+)?$").all()
    labels = [b.proto.label for b in at.get("download_button")]
    assert any("Excel" in x for x in labels) and any("CSV" in x for x in labels)

    excellent = int((stored["grade"] == "优秀").sum())
    assert 0 < excellent < len(city.sites)           # the small city has 优秀 and weaker sites
    at.multiselect(key="rank_grades").select("优秀").run()
    df2 = at.dataframe[0].value
    assert len(df2) == excellent and set(df2["等次"]) == {"优秀"}

    at.multiselect(key="rank_grades").unselect("优秀").run()
    at.radio(key="rank_view").set_value("同类排名").run()
    df3 = at.dataframe[0].value
    order = {"小型": 0, "中型": 1, "大型": 2, "特大型": 3}
    assert df3["规模"].map(order).is_monotonic_increasing


def test_ranking_filters_survive_a_visit_to_another_page(city: SmallCity):
    """Streamlit drops a widget's state when another page runs; the ranking's filters come back (tables.py)."""
    at = run("pages/ranking.py")
    excellent = int((stored_sites(city.end_month)["grade"] == "优秀").sum())
    at.multiselect(key="rank_grades").select("优秀").run()
    at.radio(key="rank_view").set_value("同类排名").run()
    at.switch_page("pages/map.py").run()
    assert "rank_grades" not in at.session_state      # what Streamlit does to the widget's own key
    at.switch_page("pages/ranking.py").run()
    assert not at.exception
    assert at.multiselect(key="rank_grades").value == ["优秀"]
    assert at.radio(key="rank_view").value == "同类排名"
    df = at.dataframe[0].value
    assert len(df) == excellent and set(df["等次"]) == {"优秀"}


def test_chosen_site_and_gap_filters_survive_a_visit_to_another_page(city: SmallCity):
    """The menu's links carry only the month: the site chosen on 安置点画像 and the filters of 权益缺口 come back
    (widgets.restore / keep), as the ranking's do."""
    code, name = city.sites[5]["code"], city.sites[5]["name"]
    at = run("pages/site.py")
    at.selectbox(key="site_pick").set_value(code).run()
    at.switch_page("pages/map.py").run()
    assert "site_pick" not in at.session_state         # what Streamlit does to the widget's own key
    at.query_params.pop("site", None)
    at.switch_page("pages/site.py").run()
    assert not at.exception
    assert at.selectbox(key="site_pick").value == code
    assert name in html_text(at)

    county = city.counties[1][0]
    at.switch_page("pages/gaps.py").run()
    at.selectbox(key="gap_county").set_value(county).run()
    item = RIGHTS[2].code
    at.multiselect(key="gap_items").select(item).run()
    at.selectbox(key="gap_side").set_value("迁出地").run()
    at.switch_page("app.py").run()
    at.query_params.pop("county", None)
    at.switch_page("pages/gaps.py").run()
    assert not at.exception
    assert at.selectbox(key="gap_county").value == county
    assert at.multiselect(key="gap_items").value == [item]
    assert at.selectbox(key="gap_side").value == "迁出地"


def test_ranking_county_deep_link(city: SmallCity):
    code, name = city.counties[2]
    at = run("pages/ranking.py")
    at.query_params["county"] = code
    at.run()
    df = at.dataframe[0].value
    assert set(shown(df["县"])) == {name}
    assert sorted(shown(df["安置点"])) == sorted(s["name"] for s in city.county_sites(code))


# ------------------------------------------------------------------------------------------------ map
def test_map_layers_colours_and_offline(city: SmallCity):
    at = run("pages/map.py")
    decks = deck(at)
    assert len(decks) == 1
    d = decks[0]
    ids = [layer["id"] for layer in d["layers"]]
    assert ids == ["counties", "sites", "county_labels"]            # county names drawn above the site dots
    assert "mapStyle" not in d or d["mapStyle"] == "__MAP_STYLE__"   # no base-map tiles
    assert d.get("mapProvider") in (None, "")
    sites = d["layers"][1]
    assert len(sites["data"]) == len(city.sites)
    assert {tuple(r["color"][:3]) for r in sites["data"]} <= grade_rgb()
    # tooltip: markup only in the template (Streamlit escapes interpolated values); every picked object carries
    # every field, as plain text
    tooltip = json.loads(at.get("deck_gl_json_chart")[0].proto.tooltip)
    assert "<b>{tip_title}</b>" in tooltip["html"]
    objs = sites["data"] + [f["properties"] for f in d["layers"][0]["data"]["features"]]
    assert all(isinstance(o.get(k), str) and o[k] and "<" not in o[k] for o in objs for k in TOOLTIP_FIELDS)
    labels = d["layers"][2]
    assert labels["characterSet"] == "auto"
    feats = d["layers"][0]["data"]["features"]
    assert len(feats) == len(city.counties) and all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in feats)
    assert "安置点等次" in html_text(at)            # legend


# ------------------------------------------------------------------------------------------------ site profile
def test_site_profile_via_query_param(city: SmallCity):
    site = city.sites[5]
    code = site["code"]
    at = run("pages/site.py")
    at.query_params["site"] = code
    at.run()
    assert at.selectbox(key="site_pick").value == code
    html = html_text(at)
    assert site["name"] in html
    figs = plotly(at)
    radar = figs[0]["data"]
    assert [t["type"] for t in radar] == ["scatterpolar"] * 3
    assert {t["name"] for t in radar} == {"达标线（每项14分）", "全州平均", "本安置点"}
    trend = figs[1]["data"]
    assert any(t["name"] == "总分" for t in trend) and any(t["name"] == "全州排名" for t in trend)
    assert any(t.get("yaxis") == "y2" for t in trend)
    assert len(at.tabs) == 4
    tables = [d.value for d in at.dataframe]
    indicators = store.month_results(get_engine(os.environ["DATABASE_URL"]), city.end_month).scores.indicators
    n_indicators = int((indicators["site_code"] == code).sum())
    ind = next(t for t in tables if "满分所需值" in t.columns)
    assert len(ind) == n_indicators > 0
    assert {"失分", "得分", "满分"} <= set(ind.columns)
    rights = next(t for t in tables if "落实率" in t.columns)
    assert rights["编码"].tolist() == city.rights_codes


def test_start_page_forwards_site_deep_link(city: SmallCity):
    code = city.sites[5]["code"]
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["site"] = code
    at.run()
    assert not at.exception
    # AppTest follows st.switch_page: the site page ran with the site selected
    assert at.selectbox(key="site_pick").value == code


# ------------------------------------------------------------------------------------------------ county profile
def test_county_profile(city: SmallCity):
    code, name = city.counties[1]
    at = run("pages/county.py")
    at.query_params["county"] = code
    at.run()
    assert at.selectbox(key="county_pick").value == code
    html = html_text(at)
    assert name in html and "五好达标 / 序时进度" in html
    fig = plotly(at)[0]
    assert fig["data"][1]["name"].startswith("序时进度")
    grid = next(d for d in at.dataframe if "安置点" in d.value.columns and "总分" in d.value.columns)
    sites = grid.value
    assert sorted(shown(sites["安置点"])) == sorted(s["name"] for s in city.county_sites(code))
    # as on the ranking grid: the verdict (等次, 达标, change, 短板) before the five dimensions' scores
    cols = list(grid.proto.column_order)
    assert cols[:4] == ["排名", "安置点", "总分", "等次"] and cols.index("短板") < min(
        cols.index(c) for c in cols if c.startswith(("治理", "服务", "产业", "环境", "文明")) or c.endswith("好"))


# ------------------------------------------------------------------------------------------------ wall screen
def test_wall_screen():
    at = run("pages/wall.py")
    html = html_text(at)
    assert "数据截至" in html and "画面刷新" in html
    assert html.count('class="wall-kpi"') == 5
    figs = plotly(at)
    assert len(figs) == 2
    assert figs[0]["layout"]["paper_bgcolor"] == "rgba(0,0,0,0)"
    assert len(deck(at)) == 1
    assert at.toggle(key="wall_rotate").value is True
    at.run()                                       # the next refresh rotates to the second view
    assert "得分最低的十个安置点" in html_text(at) and not at.exception
    assert any(f["data"][0]["type"] == "pie" for f in plotly(at))


def test_a_county_operators_wall_speaks_of_the_county(city: SmallCity):
    """A 县级填报员's wall shows one county: named as such, no 'N个县区' count, and the site lists say how many
    sites they hold (a county has fewer than ten)."""
    at = run()
    at.selectbox(key="demo_role").set_value("县级填报员").run()
    code = at.selectbox(key="demo_county").value
    name = dict(city.counties)[code]
    at.query_params["rotate"] = "0"
    at.switch_page("pages/wall.py").run()
    assert not at.exception
    html = html_text(at)
    assert f"画面：{name}总览" in html and "全州总览" not in html
    assert "<h3>进度滞后预警</h3>" in html and "个县区）" not in html
    n = len(city.county_sites(code))
    assert n < 10 and f"得分最高的{'一二三四五六七八九十'[n - 1]}个安置点" in html


def test_first_start_on_empty_default_db_builds_demo(monkeypatch, tmp_path):
    """The demo generator itself (not the small city): the first start on the default database builds it."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setattr(data.db, "DEFAULT_SQLITE", tmp_path / "var" / "dashboard.db")
    small = functools.partial(data.demo.build_demo, household_factor=0.02, months=3, end_month="2026-10")
    monkeypatch.setattr(data.demo, "build_demo", small)
    seen: list[tuple[float, str]] = []
    real = services.setup.build_demo_if_empty
    monkeypatch.setattr(services.setup, "build_demo_if_empty",
                        lambda eng, on_progress=None: real(eng, on_progress=lambda f, t: (seen.append((f, t)),
                                                                                          on_progress(f, t))))
    at = AppTest.from_file(APP, default_timeout=300).run()
    assert not at.exception and not at.error
    assert (tmp_path / "var" / "dashboard.db").exists()
    assert "演示数据" in html_text(at) and len(at.get("plotly_chart")) == 2
    # progress went from 0 to 1 through the three months written and the three months scored
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert any("已写入3/3个月" in t for _, t in seen) and any("已完成3/3个月" in t for _, t in seen)
    # every month's results were stored during the first start, so no page computes them on a view
    stored = store.stored_fingerprints(get_engine(f"sqlite:///{tmp_path / 'var' / 'dashboard.db'}"))
    assert {(k, mo) for k, mo, _ in stored} == {(k, mo) for k in ("sites", "counties")
                                                for mo in ("2026-08", "2026-09", "2026-10")}


def test_first_start_failure_is_reported_in_chinese(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setattr(data.db, "DEFAULT_SQLITE", tmp_path / "var" / "dashboard.db")

    def broken(*_a, **_k):
        raise data.demo.DemoError("磁盘空间不足")

    monkeypatch.setattr(data.demo, "build_demo", broken)
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    assert len(at.error) == 1 and "生成演示数据失败：磁盘空间不足" in at.error[0].value


def test_empty_non_default_db_is_not_filled(monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    create(url).dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    assert any("数据库为空" in w.value for w in at.warning)


# ------------------------------------------------------------------------------------------------ rights gaps
def test_rights_gaps_masked(city: SmallCity):
    at = run("pages/gaps.py")
    df = at.dataframe[0].value
    assert len(df) > 0
    # exactly the (household, item) pairs the small city wrote as 未落实 or blank in its latest month
    assert set(zip(shown(df["户编码"]), df["事项编码"])) == city.gaps
    assert df["身份证号"].map(lambda s: bool(ID_MASK.match(s))).all()
    assert set(df["责任方"]) <= {"迁入地", "迁出地"}
    assert set(df["服务平台"]) <= {"党群服务中心", "居民事务服务中心", "便民跟进服务中心"}


# ------------------------------------------------------------------------------------------------ roles
def test_demo_county_operator_sees_own_county_only(city: SmallCity):
    at = run()
    at.selectbox(key="demo_role").set_value("县级填报员").run()
    county = at.selectbox(key="demo_county").value
    at.switch_page("pages/ranking.py").run()
    assert not at.exception
    df = at.dataframe[0].value
    code, name = next(c for c in city.counties if county in c)
    assert set(shown(df["县"])) == {name}
    assert sorted(shown(df["安置点"])) == sorted(s["name"] for s in city.county_sites(code))
    # the import page is offered to operators, not to leaders
    links = [p.proto.label for p in at.get("page_link")]
    assert "数据导入" in links
    assert county


def test_leader_has_no_import_link():
    at = run()
    at.selectbox(key="demo_role").set_value("市领导").run()
    links = [p.proto.label for p in at.get("page_link")]
    assert "数据导入" not in links and "数据大屏" in links


def test_page_beyond_the_role_says_who_may_use_it():
    at = run("pages/upload.py")                      # the demo opens as 市级督导, who does not import ledgers
    msgs = [w.value for w in at.warning]
    assert any("当前角色（市级督导）无权使用“数据导入”功能" in w and "切换为县级填报员或管理员" in w
               for w in msgs), msgs
    assert not at.get("file_uploader")


def test_non_demo_database_requires_login(login_db, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", login_db)
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["用户名", "密码"]
    assert not at.get("plotly_chart") and not at.get("page_link")   # nothing shown before login
    assert "演示数据" not in html_text(at)
    at.text_input[0].input("supervisor")
    at.text_input[1].input("错误密码")
    at.button[0].click().run()
    assert any("不正确" in e.value for e in at.error)
    at.text_input[1].input("督导2026")
    at.button[0].click().run()
    assert not at.exception and not at.error
    assert len(at.get("plotly_chart")) == 2


def test_non_demo_county_operator_login_scope(login_db, city: SmallCity, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", login_db)
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.text_input[0].input("op_test")
    at.text_input[1].input("填报2026")
    at.button[0].click().run()
    at.switch_page("pages/gaps.py").run()
    assert not at.exception
    df = at.dataframe[0].value
    assert len(df) > 0 and set(df["县"]) == {city.counties[0][1]}      # op_test belongs to the first county


def test_errors_are_shown_in_chinese_not_as_tracebacks(monkeypatch):
    dashboard = services.overview

    def boom(*a, **k):
        raise RuntimeError("internal detail that must not leak")

    monkeypatch.setattr(dashboard, "overview", boom)
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    assert at.error and "出错" in at.error[0].value
    assert "internal detail" not in at.error[0].value


def test_upload_page_for_county_operator():
    at = run()
    at.selectbox(key="demo_role").set_value("县级填报员").run()
    at.switch_page("pages/upload.py").run()
    assert not at.exception and not at.error
    assert at.selectbox(key="imp_month").value is not None
    assert len(at.get("file_uploader")) == 1
    assert any("模板" in b.proto.label for b in at.get("download_button"))


def test_upload_page_refused_for_leader():
    at = run()
    at.selectbox(key="demo_role").set_value("市领导").run()
    at.switch_page("pages/upload.py").run()
    assert not at.exception
    assert any("无权" in w.value for w in at.warning)
    assert not at.get("file_uploader")
