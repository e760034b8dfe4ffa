"""数据大屏 (wall screen): dark, no scrolling at 1920×1080, scales up to 3840×2160, refreshes itself.

Layout is designed in a 1920×1080 CSS-pixel canvas; on larger screens a tiny script zooms the page by
min(width/1920, height/1080) so a 4K wall shows the same picture, only sharper.
"""
from __future__ import annotations

import datetime as dt
import html

import pandas as pd
import streamlit as st

from components import cache, charts, fmt, maps, theme

VIEWS = ["全市总览", "安置点排行"]

WALL_CSS = f"""
<style>
.stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] {{ background: {theme.WALL_BG} !important; }}
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"], footer {{ display: none !important; }}
[data-testid="stMainBlockContainer"] {{ padding: 10px 18px 0 18px !important; max-width: 100% !important; }}
[data-testid="stMain"] {{ overflow: hidden !important; }}
[data-testid="stVerticalBlock"] {{ gap: 8px !important; }}
[data-testid="stHorizontalBlock"] {{ gap: 12px !important; }}
.stApp, .stApp p, .stApp span, .stApp div {{ color: {theme.WALL_TEXT}; }}
.wall-top {{ display:flex; justify-content:space-between; align-items:flex-end; border-bottom: 2px solid #1E3A6B;
  padding-bottom: 6px; height: 62px; }}
.wall-top h1 {{ font-size: 34px; margin: 0; padding: 0; letter-spacing: 2px; color: {theme.WALL_TEXT}; font-weight: 700; }}
.wall-top .meta {{ text-align:right; font-size: 17px; color: {theme.WALL_MUTED}; line-height: 1.45; }}
.wall-top .meta b {{ color: {theme.WALL_ACCENT}; }}
.wall-top .stale {{ color: #FFB74D !important; }}
.wall-kpis {{ display:grid; grid-template-columns: repeat(5, 1fr); gap: 12px; height: 118px; }}
.wall-kpi {{ background: {theme.WALL_PANEL}; border: 1px solid #1E3A6B; border-radius: 8px; padding: 8px 14px; }}
.wall-kpi .lab {{ font-size: 18px; color: {theme.WALL_MUTED}; }}
.wall-kpi .val {{ font-size: 52px; font-weight: 800; line-height: 1.05; color: #FFFFFF; font-variant-numeric: tabular-nums; }}
.wall-kpi .val small {{ font-size: 20px; font-weight: 500; color: {theme.WALL_MUTED}; margin-left: 4px; }}
.wall-kpi .sub {{ font-size: 15px; color: {theme.WALL_MUTED}; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }}
.wall-kpi .up {{ color: #66BB6A; }} .wall-kpi .down {{ color: #EF5350; }}
.wall-panel {{ background: {theme.WALL_PANEL}; border: 1px solid #1E3A6B; border-radius: 8px; padding: 8px 12px; overflow: hidden; }}
.wall-panel h3 {{ font-size: 20px; margin: 0 0 6px 0; padding: 0; color: {theme.WALL_TEXT}; }}
.wall-flag {{ font-size: 17px; line-height: 1.4; padding: 6px 8px; margin-bottom: 6px; border-left: 5px solid; background: rgba(255,255,255,0.04); }}
.wall-flag b {{ font-size: 19px; }}
.wall-table {{ width: 100%; border-collapse: collapse; font-size: 17px; }}
.wall-table {{ table-layout: fixed; }}
.wall-table td, .wall-table th {{ padding: 3px 5px; border-bottom: 1px solid #1E3A6B; white-space: nowrap;
  overflow: hidden; text-overflow: ellipsis; line-height: 1.3; }}
.wall-table th {{ color: {theme.WALL_MUTED}; font-weight: 500; text-align: left; font-size: 15px; }}
.wall-table td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
.wall-dot {{ display:inline-block; width: 12px; height: 12px; border-radius: 50%; margin-right: 6px; }}
.wall-legend {{ font-size: 15px; color: {theme.WALL_MUTED}; }}
.wall-legend span {{ margin-right: 14px; }}
[data-testid="stPlotlyChart"], [data-testid="stDeckGlJsonChart"] {{ background: {theme.WALL_PANEL}; border: 1px solid #1E3A6B; border-radius: 8px; }}
</style>
"""

# zoom the 1920×1080 design to the real screen (4K walls up, laptops previewing the wall down)
SCALE_JS = """
<script>
(function(){
  function fit(){
    var z = Math.min(window.innerWidth/1920, window.innerHeight/1080);
    var zoomed = Math.abs(z - 1) > 0.02;
    document.documentElement.style.zoom = zoomed ? String(z) : "";
    // 100vh is measured before the zoom: stretch the app's full-height containers so a zoomed-out wall
    // (a laptop previewing it) is not cut off at innerHeight × zoom
    ["stApp", "stAppViewContainer", "stMain"].forEach(function(id){
      var el = document.querySelector("[data-testid='" + id + "']");
      if (el) el.style.height = zoomed ? (window.innerHeight / z) + "px" : "";
    });
  }
  fit();
  if (!window.__wallFit) { window.__wallFit = true; window.addEventListener('resize', fit); }
})();
</script>
"""


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
    rot = f"轮播：{view}（每{interval}秒切换）" if rotate else f"画面：{view}"
    st.html(f'<div class="wall-top"><h1>{html.escape(d.city_name)}易地搬迁后续扶持 · 五好社区创建监测</h1>'
            f'<div class="meta">统计月份 <b>{fmt.month_cn(d.month)}</b>　数据截至 <b>{fmt.date_cn(d.as_of)}</b>'
            f'<br><span class="{"stale" if stale else ""}">{age}</span>　{rot}　画面刷新 {now}</div></div>')


def kpi_strip(kpis) -> None:
    out = []
    for k in kpis:
        d = k.delta
        cls = ""
        if d is not None and not fmt.is_missing(d) and round(d, 6) != 0:
            cls = "up" if (d > 0) == (k.good == "up") else "down"
        out.append(f'<div class="wall-kpi"><div class="lab">{html.escape(k.label)}</div>'
                   f'<div class="val">{html.escape(str(k.value))}<small>{html.escape(k.unit)}</small></div>'
                   f'<div class="sub"><span class="{cls}">较上月 {html.escape(k.delta_text or "—")}</span>　'
                   f'{html.escape(k.sub or "")}</div></div>')
    st.html('<div class="wall-kpis">' + "".join(out) + "</div>")


def flags_panel(flags, praise: list[str], height: int) -> None:
    items = []
    for f in flags[:6]:
        color = theme.FLAG_COLORS.get(f.level, theme.NEUTRAL)
        reasons = "；".join(f.reasons)
        if len(reasons) > 60:
            reasons = reasons[:58] + "…"
        items.append(f'<div class="wall-flag" style="border-color:{color}"><b style="color:{color}">{html.escape(f.county_name)}</b>'
                     f'　<span style="color:{color}">{html.escape(f.level)}</span><br>{html.escape(reasons)}</div>')
    if not items:
        items.append('<div class="wall-flag" style="border-color:#66BB6A">本月无进度滞后的县（市、区）</div>')
    more = f'<div class="wall-legend">另有{len(flags) - 6}个县区滞后，详见总览</div>' if len(flags) > 6 else ""
    pr = (f'<div class="wall-legend" style="margin-top:4px">争先进位：{html.escape("、".join(praise))}</div>'
          if praise else "")
    st.html(f'<div class="wall-panel" style="height:{height}px"><h3>进度滞后预警（{len(flags)}个县区）</h3>'
            + "".join(items) + more + pr + "</div>")


def sites_panel(df: pd.DataFrame, title: str, height: int, rows: int = 10) -> None:
    body = []
    for r in df.head(rows).itertuples(index=False):
        color = theme.grade_color(r.等次)
        delta = "" if fmt.is_missing(r.较上月) else fmt.fmt_delta(r.较上月, 1)
        body.append(f'<tr><td class="num">{fmt.fmt_int(r.排名)}</td><td><span class="wall-dot" style="background:{color}"></span>'
                    f'{html.escape(str(r.安置点))}</td><td>{html.escape(str(r.县))}</td>'
                    f'<td class="num">{fmt.fmt_num(r.总分, 1)}</td><td style="color:{color}">{r.等次}</td>'
                    f'<td class="num">{delta}</td></tr>')
    st.html(f'<div class="wall-panel" style="height:{height}px"><h3>{html.escape(title)}</h3><table class="wall-table">'
            '<colgroup><col style="width:8%"><col style="width:41%"><col style="width:14%"><col style="width:11%">'
            '<col style="width:14%"><col style="width:12%"></colgroup>'
            '<tr><th>排名</th><th>安置点</th><th>县区</th><th>总分</th><th>等次</th><th>较上月</th></tr>'
            + "".join(body) + "</table></div>")


def legend() -> None:
    g = "".join(f'<span><i class="wall-dot" style="background:{theme.GRADE_COLORS[x]}"></i>{x}</span>' for x in theme.GRADES)
    f = "".join(f'<span><i class="wall-dot" style="background:{theme.FLAG_COLORS[x]};border-radius:2px"></i>{x}</span>'
                for x in theme.FLAG_ORDER)
    st.html(f'<div class="wall-legend">安置点：{g}　县区：{f}</div>')


def render(ctx, view: str, rotate: bool, interval: int) -> None:
    d = cache.wall(ctx.engine, ctx.month)
    top_bar(d, view, rotate, interval)
    kpi_strip(d.kpis)
    if view == VIEWS[0]:
        left, mid, right = st.columns([1.05, 1.6, 1.05])
        with left:
            st.plotly_chart(charts.county_ranking(d.counties, dark=True, height=420), config={"staticPlot": True},
                            key="wall_county")
            st.plotly_chart(charts.qualified_trend(d.trend, dark=True, height=400), config={"staticPlot": True},
                            key="wall_trend")
        with mid:
            deck = maps.build_deck(d.map, mode="flag", dark=True, height=800, width=820)
            st.pydeck_chart(deck, height=800, key="wall_map")
            legend()
        with right:
            flags_panel(d.flags, d.praise, height=420)
            sites_panel(d.top, "得分最高的十个安置点", height=404)
    else:
        left, mid, right = st.columns([1.2, 1.2, 1])
        with left:
            sites_panel(d.top, "得分最高的十个安置点", height=826, rows=10)
        with mid:
            sites_panel(d.bottom, "得分最低的十个安置点", height=826, rows=10)
        with right:
            st.plotly_chart(charts.grade_donut(d.grade_counts, dark=True, height=400, title="等次分布"),
                            config={"staticPlot": True}, key="wall_donut")
            st.plotly_chart(charts.qualified_trend(d.trend, dark=True, height=418), config={"staticPlot": True},
                            key="wall_trend2")
