"""数据大屏 (wall screen): dark, fills the screen without scrolling at any size, refreshes itself.

The layout is designed on a 1920×1080 grid but written in rem, and the root font size is set from the viewport
(1 rem = 16 design pixels × min(width/1920, height/1080)), so the same picture fills a laptop, a 1080p screen or
a 4K wall. No CSS zoom: charts and the map are sized by their boxes (plotly/pydeck "stretch" in keyed containers
whose heights are in rem) and draw themselves at the real size; only their font sizes need the screen's scale,
which a small script reports once through the `scale` query parameter.
"""
from __future__ import annotations

import datetime as dt
import html
import re

import pandas as pd
import streamlit as st

from components import cache, charts, fmt, place, theme, widgets

VIEWS = ["全市总览", "安置点排行"]


# design grid (1920×1080 px; every size below is in design pixels, written out in rem)
PAD, TOP_H, KPI_H, GAP, FOOT_H = 8, 62, 118, 8, 30
MAIN_H = 1080 - 2 * PAD - TOP_H - KPI_H - FOOT_H - 3 * GAP      # 830: the row of charts, map and lists
HALF_H = (MAIN_H - GAP) // 2                                     # 411: a half-height panel
MAP_W = 804                                                      # the middle column of the overview view


def rem(px: float) -> str:
    return f"{px / 16:.4g}rem"


def _box(px: float) -> str:
    """CSS of a fixed-height box in a Streamlit column (a flex item: flex-basis would win over height)."""
    h = rem(px)
    return (f"flex: 0 0 {h} !important; height: {h} !important; min-height: {h} !important; "
            f"max-height: {h} !important; overflow: hidden;")


WALL_CSS = f"""
<style>
html {{ font-size: min(calc(100vw / 120), calc(100vh / 67.5)) !important; }}
.stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] {{ background: {theme.WALL_BG} !important; }}
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"], footer,
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"] {{
  display: none !important; }}
[data-testid="stMainBlockContainer"] {{ padding: {rem(PAD)} {rem(18)} 0 {rem(18)} !important;
  max-width: 100% !important; }}
[data-testid="stMain"], [data-testid="stAppViewContainer"] {{ overflow: hidden !important; }}
.stMain [data-testid="stVerticalBlock"] {{ gap: {rem(GAP)} !important; }}
.stMain [data-testid="stHorizontalBlock"] {{ gap: {rem(12)} !important; }}
.stMain [data-testid="stElementContainer"]:has(> .stHtml style),
.stMain [data-testid="stElementContainer"]:has(> .stHtml script),
.stMain [data-testid="stElementContainer"]:has(iframe[height="0"]) {{ display: none !important; }}
.stApp .stMain p, .stApp .stMain span, .stApp .stMain div {{ color: {theme.WALL_TEXT}; }}
.wall-top {{ display:flex; justify-content:space-between; align-items:flex-end; border-bottom: {rem(2)} solid #1E3A6B;
  padding-bottom: {rem(6)}; height: {rem(TOP_H)}; box-sizing: border-box; }}
.wall-top h1 {{ font-size: {rem(34)}; margin: 0; padding: 0; letter-spacing: {rem(2)}; color: {theme.WALL_TEXT};
  font-weight: 700; line-height: 1.2; white-space: nowrap; }}
.wall-top .meta {{ text-align:right; font-size: {rem(17)}; color: {theme.WALL_MUTED}; line-height: 1.45;
  white-space: nowrap; }}
.wall-top .meta b {{ color: {theme.WALL_ACCENT}; }}
.wall-top .stale {{ color: #FFB74D !important; }}
.wall-kpis {{ display:grid; grid-template-columns: repeat(5, 1fr); gap: {rem(12)}; height: {rem(KPI_H)}; }}
.wall-kpi {{ background: {theme.WALL_PANEL}; border: 1px solid #1E3A6B; border-radius: {rem(8)};
  padding: {rem(8)} {rem(14)}; overflow: hidden; box-sizing: border-box; }}
.wall-kpi .lab {{ font-size: {rem(18)}; color: {theme.WALL_MUTED}; }}
.wall-kpi .val {{ font-size: {rem(52)}; font-weight: 800; line-height: 1.05; color: #FFFFFF;
  font-variant-numeric: tabular-nums; }}
.wall-kpi .val small {{ font-size: {rem(20)}; font-weight: 500; color: {theme.WALL_MUTED}; margin-left: {rem(4)}; }}
.wall-kpi .sub {{ font-size: {rem(15)}; color: {theme.WALL_MUTED}; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; }}
.wall-kpi .up {{ color: #66BB6A; }} .wall-kpi .down {{ color: #EF5350; }}
.wall-panel {{ background: {theme.WALL_PANEL}; border: 1px solid #1E3A6B; border-radius: {rem(8)};
  padding: {rem(8)} {rem(12)}; overflow: hidden; box-sizing: border-box; }}
.wall-panel h3 {{ font-size: {rem(20)}; margin: 0 0 {rem(6)} 0; padding: 0; color: {theme.WALL_TEXT};
  line-height: 1.3; }}
.wall-flag {{ font-size: {rem(17)}; line-height: 1.4; padding: {rem(6)} {rem(8)}; margin-bottom: {rem(6)};
  border-left: {rem(5)} solid; background: rgba(255,255,255,0.04); }}
.wall-flag b {{ font-size: {rem(19)}; }}
.wall-table {{ width: 100%; border-collapse: collapse; font-size: {rem(17)}; table-layout: fixed; }}
.wall-table td, .wall-table th {{ padding: {rem(3)} {rem(5)}; border-bottom: 1px solid #1E3A6B; white-space: nowrap;
  overflow: hidden; text-overflow: ellipsis; line-height: 1.3; }}
.wall-table th {{ color: {theme.WALL_MUTED}; font-weight: 500; text-align: left; font-size: {rem(15)}; }}
.wall-table td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
.wall-table.tall {{ font-size: {rem(22)}; }}
.wall-table.tall td {{ padding: {rem(13)} {rem(6)}; }}
.wall-table.tall th {{ font-size: {rem(17)}; padding-bottom: {rem(8)}; }}
.wall-table.tall tr.has-why td {{ padding-bottom: {rem(2)}; }}
.wall-table tr.veto-why td {{ font-size: {rem(14)}; color: #FF8A80; padding-top: 0 !important; }}
.wall-table.tall tr.veto-why td {{ font-size: {rem(17)}; padding-bottom: {rem(10)}; }}
.wall-table tr.has-why td {{ border-bottom: none; }}
.wall-veto {{ display:inline-block; font-size: {rem(13)}; line-height: 1.3; padding: 0 {rem(5)}; margin-left: {rem(6)};
  border-radius: {rem(3)}; background: #C62828; color: #FFFFFF !important; vertical-align: middle; }}
.wall-dot {{ display:inline-block; width: {rem(12)}; height: {rem(12)}; border-radius: 50%; margin-right: {rem(6)}; }}
.wall-legend {{ font-size: {rem(15)}; color: {theme.WALL_MUTED}; line-height: {rem(FOOT_H)}; white-space: nowrap; }}
.wall-legend span {{ margin-right: {rem(14)}; }}
.st-key-wall_half1, .st-key-wall_half2, .st-key-wall_half3, .st-key-wall_half4 {{ {_box(HALF_H)} }}
.st-key-wall_full {{ {_box(MAIN_H)} }}
.st-key-wall_half1 > div, .st-key-wall_half2 > div, .st-key-wall_half3 > div, .st-key-wall_half4 > div,
.st-key-wall_full > div {{ height: 100% !important; }}
[data-testid="stPlotlyChart"], [data-testid="stDeckGlJsonChart"] {{ background: {theme.WALL_PANEL};
  border: 1px solid #1E3A6B; border-radius: {rem(8)}; box-sizing: border-box; overflow: hidden; }}
/* the way back and the settings: a quiet strip in the bottom-left corner (header and sidebar are hidden) */
.st-key-wall_ctl {{ position: fixed; left: {rem(18)}; bottom: {rem(PAD)}; height: {rem(FOOT_H)}; z-index: 1000;
  width: auto !important; gap: {rem(10)} !important; align-items: center; opacity: .7; }}
.st-key-wall_ctl:hover, .st-key-wall_ctl:focus-within {{ opacity: 1; }}
.st-key-wall_ctl [data-testid="stPageLink"] a, .st-key-wall_ctl button {{ min-height: 0 !important;
  height: {rem(FOOT_H - 2)}; padding: 0 {rem(10)} !important; background: {theme.WALL_PANEL} !important;
  border: 1px solid #1E3A6B !important; border-radius: {rem(6)}; }}
.st-key-wall_ctl p, .st-key-wall_ctl span {{ color: {theme.WALL_MUTED} !important; font-size: {rem(14)} !important; }}
.wall-foot {{ padding-left: {rem(230)}; }}
</style>
"""

# Reports the screen's size relative to the 1920×1080 design once, as ?scale= (plotly and deck.gl take their font
# sizes in pixels); the page reloads only when the bucket (steps of 0.05) changes, never at 1920×1080.
SCALE_JS = """
<script>
(function(){
  function bucket(){
    var z = Math.min(window.innerWidth / 1920, window.innerHeight / 1080);
    return Math.min(3, Math.max(0.5, Math.round(z * 20) / 20));
  }
  function check(){
    var url = new URL(window.location.href), want = String(bucket());
    var have = url.searchParams.get('scale') || '1';          // no parameter: the 1920×1080 design itself
    if (have !== want) {
      url.searchParams.set('scale', want);
      window.location.replace(url.toString());
    }
  }
  check();
  if (!window.__wallScale) {
    window.__wallScale = true;
    var t = null;
    window.addEventListener('resize', function(){ clearTimeout(t); t = setTimeout(check, 600); });
  }
})();
</script>
"""


def scale() -> float:
    """The screen's size relative to the 1920×1080 design, as reported by SCALE_JS (1 until it has)."""
    try:
        return min(max(float(st.query_params.get("scale", "1")), 0.5), 3.0)
    except ValueError:
        return 1.0


def setup() -> None:
    st.html(WALL_CSS)
    st.html(SCALE_JS, unsafe_allow_javascript=True)


def _age_text(updated: dt.datetime | None, month: str) -> tuple[str, bool]:
    end = pd.Timestamp(month + "-01") + pd.offsets.MonthEnd(0)
    now = dt.datetime.now()
    if updated is not None:
        days = (now - updated).days
        age = "今天" if days <= 0 else f"{days}天前"
        return f"数据更新于{age}（{updated:%m月%d日 %H:%M}）", days > 45
    days = (now.date() - end.date()).days
    return f"统计期已结束{max(days, 0)}天", days > 45


def top_bar(d, view: str, rotate: bool, interval: int) -> None:
    age, stale = _age_text(d.data_updated, d.month)
    now = dt.datetime.now().strftime("%H:%M:%S")
    if view == VIEWS[0] and len(d.counties) == 1:      # a county's wall shows that county, not the whole city
        view = f"{d.counties['county_name'].iloc[0]}总览"
    rot = place.local(f"轮播：{view}（每{interval}秒切换）" if rotate else f"画面：{view}（每{interval}秒刷新）")
    st.html(f'<div class="wall-top" data-scale="{scale():g}">'
            f'<h1>{html.escape(d.city_name)}易地搬迁后续扶持 · 五好社区创建监测</h1>'
            f'<div class="meta">统计月份 <b>{fmt.month_cn(d.month)}</b>　数据截至 <b>{fmt.date_cn(d.as_of)}</b>'
            f'<br><span class="{"stale" if stale else ""}">{age}</span>　{rot}　画面刷新 {now}</div></div>')


def kpi_strip(kpis) -> None:
    out = []
    for k in kpis:
        d = k.delta
        cls = ""
        if d is not None and not fmt.is_missing(d) and round(d, 6) != 0:
            cls = "up" if (d > 0) == (k.good == "up") else "down"
        sub = _whole_sites(k.sub or "")
        out.append(f'<div class="wall-kpi"><div class="lab">{html.escape(k.label)}</div>'
                   f'<div class="val">{html.escape(str(k.value))}<small>{html.escape(k.unit)}</small></div>'
                   f'<div class="sub"><span class="{cls}">'
                   f'较上月{html.escape(theme.worded_delta(k.delta_text))}</span>　'
                   f'{html.escape(sub)}</div></div>')
    st.html('<div class="wall-kpis">' + "".join(out) + "</div>")


def _whole_sites(text: str) -> str:
    """'序时进度19.2个' → '序时进度19个': 序时进度 is compared in whole sites (floor, §5)."""
    return re.sub(r"(序时进度\s*)(\d+)\.\d+(\s*个)", r"\1\2\3", text)


def _reason(text: str) -> str:
    return place.local(_whole_sites(re.sub(r"^F\d+\s*", "", str(text))))


def flags_panel(flags, praise: list[str], one_county: bool = False) -> None:
    items = []
    for f in flags[:5]:
        color = theme.FLAG_COLORS.get(f.level, theme.NEUTRAL)
        reasons = "；".join(_reason(x) for x in f.reasons)
        if len(reasons) > 60:
            reasons = reasons[:58] + "…"
        months = f'（连续{f.consecutive}个月）' if f.consecutive >= 2 else ""
        items.append(f'<div class="wall-flag" style="border-color:{color}">'
                     f'<b style="color:{color}">{html.escape(f.county_name)}</b>'
                     f'　<span style="color:{color}">{html.escape(f.level)}{months}</span>'
                     f'<br>{html.escape(reasons)}</div>')
    if not items:
        items.append('<div class="wall-flag" style="border-color:#66BB6A">'
                     f'{"本县本月未被列为进度滞后" if one_county else "本月无进度滞后的县（市、区）"}</div>')
    more = f'<div class="wall-legend">另有{len(flags) - 5}个县区滞后，详见总览</div>' if len(flags) > 5 else ""
    pr = (f'<div class="wall-legend" style="line-height:1.4">争先进位：{html.escape("、".join(praise))}</div>'
          if praise else "")
    head = "进度滞后预警" if one_county else f"进度滞后预警（{len(flags)}个县区）"
    st.html(f'<div class="wall-panel" style="height:{rem(HALF_H)}"><h3>{head}</h3>'
            + "".join(items) + more + pr + "</div>")


_CN_COUNT = dict(enumerate("一二三四五六七八九十", start=1))


def top_title(best: bool, n: int) -> str:
    """'得分最高的十个安置点', or as many as there are: '得分最高的七个安置点'."""
    return f"得分{'最高' if best else '最低'}的{_CN_COUNT.get(min(n, 10), n)}个安置点"


def sites_panel(df: pd.DataFrame, title: str, height: int, vetoes: dict[str, str], rows: int = 10) -> None:
    """Ten sites with rank, score, 等次 and change; a vetoed site (一票否决, 不合格 whatever its score) carries a red
    tag and, under it, why. The 县区 column is left out when every name already starts with its county."""
    df = df.head(rows)
    county = not all(str(n).startswith(str(c)) for n, c in zip(df["安置点"], df["县"]))
    body = []
    for r in df.itertuples(index=False):
        color = theme.grade_color(r.等次)
        why = vetoes.get(str(r.site_code))
        tag = '<span class="wall-veto">一票否决</span>' if why else ""
        body.append(f'<tr class="{"has-why" if why else ""}"><td class="num">{fmt.fmt_int(r.排名)}</td>'
                    f'<td><span class="wall-dot" style="background:{color}"></span>'
                    f'{html.escape(str(r.安置点))}{tag}</td>'
                    + (f'<td>{html.escape(str(r.县))}</td>' if county else "")
                    + f'<td class="num">{fmt.fmt_num(r.总分, 1)}</td><td style="color:{color}">{r.等次}</td>'
                    f'<td class="num">{theme.change_word(r.较上月, 1)}</td></tr>')
        if why:
            body.append(f'<tr class="veto-why"><td></td><td colspan="{5 if county else 4}">不合格原因：'
                        f'{html.escape(why)}</td></tr>')
    widths = [8, 40, 13, 10, 13, 16] if county else [8, 53, 10, 13, 16]
    heads = ["排名", "安置点"] + (["县区"] if county else []) + ["总分", "等次", "较上月"]
    right = {"总分", "较上月"}
    tall = " tall" if height > HALF_H else ""       # a full-height list: larger rows fill the panel
    st.html(f'<div class="wall-panel" style="height:{rem(height)}"><h3>{html.escape(title)}</h3>'
            f'<table class="wall-table{tall}">'
            "<colgroup>" + "".join(f'<col style="width:{w}%">' for w in widths) + "</colgroup><tr>"
            + "".join(f'<th{" style=text-align:right" if h in right else ""}>{h}</th>' for h in heads) + "</tr>"
            + "".join(body) + "</table></div>")


def legend(with_map: bool = True) -> None:
    g = "".join(f'<span><i class="wall-dot" style="background:{theme.GRADE_COLORS[x]}"></i>{x}</span>'
                for x in theme.GRADES)
    f = "".join(f'<span><i class="wall-dot" style="background:{theme.county_fill(x, True)};border-radius:2px;'
                f'outline:1px solid #8FA9D6"></i>{x}</span>' for x in theme.FLAG_ORDER)
    more = f"　县区：{f}　圆点大小表示搬迁人口" if with_map else ""
    st.html(f'<div class="wall-legend wall-foot">安置点等次：{g}{more}</div>')


def controls(rotate_default: bool, interval_default: int) -> tuple[bool, int]:
    """The way back (总览) and the screen's settings, in a quiet corner strip; the choice is kept in the URL so a
    reload of the wall keeps it."""
    with st.container(key="wall_ctl", horizontal=True):
        st.page_link("app.py", label="总览", icon=":material/arrow_back:")
        with st.popover("大屏设置", icon=":material/settings:"):
            rotate = st.toggle(place.local("自动轮播（全市总览 ↔ 安置点排行）"), value=rotate_default,
                               key="wall_rotate")
            interval = st.select_slider("刷新/切换间隔（秒）", INTERVALS, value=interval_default, key="wall_interval")
    st.query_params["rotate"] = "1" if rotate else "0"
    st.query_params["interval"] = str(interval)
    return rotate, interval


INTERVALS = [15, 30, 60, 120, 300]


def _vetoes(ctx) -> dict[str, str]:
    scope = cache.user_scope(ctx.user)
    return cache.prepared(ctx.engine, ctx.month, scope, "vetoes", (),
                          lambda: widgets.vetoes(cache.ranking(ctx.engine, ctx.month, scope).sites))


def _chart(ctx, key: str, ident: tuple, build) -> None:
    """A chart that fills its box: with height="stretch" Streamlit sizes the figure to the larger of its own
    height and the box, so the figure's own height is kept below any box. Built once per month, scope and screen
    scale (components.cache.chart) and shared by every wall that shows it."""
    def boxed():
        return build().update_layout(height=120, autosize=True)
    fig = cache.prepared(ctx.engine, ctx.month, cache.user_scope(ctx.user), "wall." + key, ident, boxed)
    st.plotly_chart(fig, height="stretch", config={"staticPlot": True, "responsive": True}, key=key)


def render(ctx, view: str, rotate: bool, interval: int) -> None:
    d = cache.wall(ctx.engine, ctx.month, cache.user_scope(ctx.user))
    s = scale()
    vetoes = _vetoes(ctx)
    top_bar(d, view, rotate, interval)
    kpi_strip(d.kpis)
    if view == VIEWS[0]:
        left, mid, right = st.columns([1.05, 1.6, 1.05])
        with left:
            with st.container(key="wall_half1"):
                if len(d.counties) == 1:      # a county's wall: its sites, not a ranking of one bar
                    sites = cache.ranking(ctx.engine, ctx.month, cache.user_scope(ctx.user)).sites
                    _chart(ctx, "wall_county", ("sites", s),
                           lambda: charts.site_scores(sites, dark=True, height=None, scale=s,
                                                      title=f"{d.counties['county_name'].iloc[0]}安置点总分"))
                else:
                    _chart(ctx, "wall_county", ("counties", s),
                           lambda: charts.county_ranking(d.counties, dark=True, height=None, scale=s))
            with st.container(key="wall_half2"):
                _chart(ctx, "wall_trend", (s,),
                       lambda: charts.qualified_trend(d.trend, dark=True, height=None, scale=s))
        with mid:
            with st.container(key="wall_full"):
                w, h = round(MAP_W * s), round(MAIN_H * s)
                deck = cache.map_deck(ctx.engine, ctx.month, cache.user_scope(ctx.user), mode="flag", dark=True,
                                      height=h, width=w, scale=s, padding=0.03)   # d.map, serialised once
                st.pydeck_chart(deck, height="stretch", key="wall_map")
        with right:
            flags_panel(d.flags, d.praise, one_county=len(d.counties) == 1)
            sites_panel(d.top, top_title(True, len(d.top)), HALF_H, vetoes)
    else:
        left, mid, right = st.columns([1.2, 1.2, 1])
        with left:
            sites_panel(d.top, top_title(True, len(d.top)), MAIN_H, vetoes)
        with mid:
            sites_panel(d.bottom, top_title(False, len(d.bottom)), MAIN_H, vetoes)
        with right:
            with st.container(key="wall_half3"):
                _chart(ctx, "wall_donut", (s,),
                       lambda: charts.grade_donut(d.grade_counts, dark=True, height=None, title="等次分布", scale=s))
            with st.container(key="wall_half4"):
                _chart(ctx, "wall_trend2", (s,),
                       lambda: charts.qualified_trend(d.trend, dark=True, height=None, scale=s))
    legend(with_map=view == VIEWS[0])
