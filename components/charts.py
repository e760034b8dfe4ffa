"""Plotly figures built from the view-model frames of services.dashboard (no data access here).

All colours come from components.theme so 等次 and flags read the same on every page.
"""
from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from components import fmt, place, theme


def _short_month(m: str) -> str:
    """Axis label: '11月', with the year on January ('2026年1月')."""
    if not m or len(m) < 7:
        return m
    return f"1月<br>{int(m[:4])}年" if int(m[5:7]) == 1 else f"{int(m[5:7])}月"


def month_ticks(months) -> list[str]:
    """Axis labels of 'YYYY-MM' months in Chinese ('11月', the year under January) — never plotly's English
    date ticks ('Jan 2026'); use with a category x axis."""
    return [_short_month(str(m)) for m in months]


def _title(text: str, dark: bool = False, scale: float = 1.0) -> dict:
    return dict(text=text, x=0, font=dict(size=round((18 if dark else 15) * scale),
                                          color=theme.WALL_TEXT if dark else "#263238"))


def _floor(v) -> int | None:
    """Whole sites of a 序时进度 (§5 compares 达标 with floor(expected)); None when unknown."""
    return None if fmt.is_missing(v) else int(math.floor(float(v) + 1e-9))


def count_axis(fig: go.Figure, top: float, axis: str = "y") -> None:
    """A count axis (sites, households): whole-number ticks only, starting at 0."""
    top = max(float(top or 0), 1.0)
    ticks = dict(rangemode="tozero", tickformat="d", range=[0, top * 1.2])
    if top <= 8:
        ticks.update(tick0=0, dtick=1)
    (fig.update_yaxes if axis == "y" else fig.update_xaxes)(**ticks)


def county_ranking(counties: pd.DataFrame, *, dark: bool = False, height: int | None = 360, show_delta: bool = True,
                   scale: float = 1.0) -> go.Figure:
    """Horizontal bars of the county score (best on top) on a fixed 0–100 axis (a 74 looks like three quarters
    of a 100, whatever the month), coloured by flag level; the change worded 上升/下降/持平 inside the bar."""
    d = counties.sort_values("score", ascending=True, na_position="first")
    colors = [theme.FLAG_COLORS.get(lv, theme.NEUTRAL) for lv in d["level"]]
    text = [f"{fmt.fmt_num(s, 1)}"
            + (f"（{theme.change_word(dl, 1)}）" if show_delta and not fmt.is_missing(dl) else "")
            for s, dl in zip(d["score"], d["delta_score"])]
    expected = d["expected_floor"] if "expected_floor" in d else d["expected"].map(_floor)
    hover = [f"<b>{n}</b><br>县均得分 {fmt.fmt_num(s, 2)}<br>排名 第{int(r) if not fmt.is_missing(r) else '—'}名"
             f"<br>较上月 {theme.change_word(dl, 2, '分')}<br>达标 {int(q)} 个 / 序时进度 {_floor(e)} 个<br>{lv}"
             for n, s, r, dl, q, e, lv in zip(d["county_name"], d["score"], d["rank"], d["delta_score"],
                                              d["qualified"], expected, d["level"])]
    fs = round((16 if dark else 12) * scale)
    fig = go.Figure(go.Bar(
        x=d["score"], y=d["county_name"], orientation="h", marker_color=colors, text=text,
        textposition="inside", insidetextanchor="end", textangle=0, constraintext="none",
        hovertext=hover, hoverinfo="text", name="县均得分",
        textfont=dict(size=fs, color="#FFFFFF"), insidetextfont=dict(size=fs, color="#FFFFFF")))
    fig.update_layout(**theme.plotly_layout(dark, height, scale,
                                            title=_title("各县（市、区）县均得分排名", dark, scale)),
                      showlegend=False, uniformtext=dict(minsize=max(fs - 4, 8), mode="show"))
    fig.update_xaxes(range=[0, 100], tick0=0, dtick=20, title=None, showgrid=True, fixedrange=True)
    fig.update_yaxes(title=None, tickfont=dict(size=fs), fixedrange=True)
    fig.update_layout(margin=dict(l=round(10 * scale), r=round(16 * scale), t=round(40 * scale), b=round(10 * scale)))
    return fig


def site_scores(sites: pd.DataFrame, *, dark: bool = False, height: int | None = 360, scale: float = 1.0,
                title: str = "本县（市、区）安置点总分") -> go.Figure:
    """One county's sites (site_name, total, grade, rank): horizontal bars on a fixed 0–100 axis coloured by 等次,
    best on top — what a county-scoped overview shows instead of a one-bar county ranking."""
    d = sites.sort_values("total", ascending=True, na_position="first")
    fs = round((16 if dark else 12) * scale)
    rank_word = place.local("全市排名")
    hover = [f"<b>{n}</b><br>总分 {fmt.fmt_num(t, 2)}<br>{g}<br>{rank_word} 第{fmt.fmt_int(r)}名"
             for n, t, g, r in zip(d["site_name"], d["total"], d["grade"], d["rank"])]
    fig = go.Figure(go.Bar(
        x=d["total"], y=d["site_name"], orientation="h", marker_color=[theme.grade_color(g) for g in d["grade"]],
        text=[f"{fmt.fmt_num(t, 1)} {g}" for t, g in zip(d["total"], d["grade"])], textposition="inside",
        insidetextanchor="end", textangle=0, constraintext="none", hovertext=hover, hoverinfo="text",
        textfont=dict(size=fs, color="#FFFFFF"), insidetextfont=dict(size=fs, color="#FFFFFF")))
    fig.update_layout(**theme.plotly_layout(dark, height, scale, title=_title(title, dark, scale)),
                      showlegend=False, uniformtext=dict(minsize=max(fs - 4, 8), mode="show"), bargap=0.25)
    fig.update_xaxes(range=[0, 100], tick0=0, dtick=20, title=None, showgrid=True, fixedrange=True)
    fig.update_yaxes(title=None, tickfont=dict(size=fs), fixedrange=True)
    fig.update_layout(margin=dict(l=round(10 * scale), r=round(16 * scale), t=round(40 * scale), b=round(10 * scale)))
    return fig


def qualified_trend(trend: pd.DataFrame, *, dark: bool = False, height: int | None = 320,
                    total_sites: int | None = None, scale: float = 1.0) -> go.Figure:
    """达标 sites per month (bars) against the 序时进度 plan in whole sites (floor, as §5 compares them)."""
    x = [_short_month(m) for m in trend["month"]]
    plan = [_floor(v) for v in trend["expected"]]
    fs = round((16 if dark else 12) * scale)
    fig = go.Figure()
    fig.add_bar(x=x, y=trend["qualified"], name="达标安置点", marker_color=theme.GRADE_COLORS["优秀"],
                text=trend["qualified"], textposition="outside", cliponaxis=False,
                textfont=dict(size=fs),
                hovertemplate="%{x}<br>达标 %{y} 个<extra></extra>")
    fig.add_scatter(x=x, y=plan, name="序时进度（计划，取整）", mode="lines+markers",
                    line=dict(color=theme.WALL_ACCENT if dark else theme.PLAN_COLOR, width=round(3 * scale),
                              dash="dash"),
                    marker=dict(size=round(6 * scale)),
                    hovertemplate="%{x}<br>序时进度 %{y} 个<extra></extra>")
    ymax = max([1] + [float(v) for v in trend["qualified"].tolist() + plan if not fmt.is_missing(v)])
    fig.update_layout(**theme.plotly_layout(dark, height, scale,
                                            title=_title("五好达标安置点数与序时进度", dark, scale)))
    count_axis(fig, ymax)
    fig.update_yaxes(title=None, fixedrange=True, tickfont=dict(size=round((13 if dark else 12) * scale)))
    fig.update_xaxes(type="category", tickangle=0, fixedrange=True,
                     tickfont=dict(size=round((13 if dark else 12) * scale)))
    return fig


def radar(dims: list[str], site: list[float], city: list[float], target: list[float], *, max_points: float = 20,
          height: int = 380) -> go.Figure:
    """Five dimensions of a site against the city mean and the 达标 target (14 of 20)."""
    close = lambda v: list(v) + [v[0]]  # noqa: E731
    theta = close(dims)
    fig = go.Figure()
    fig.add_scatterpolar(r=close(target), theta=theta, name="达标线（每项14分）", mode="lines",
                         line=dict(color=theme.TARGET_COLOR, dash="dash", width=2))
    fig.add_scatterpolar(r=close(city), theta=theta, name=place.local("全市平均"), mode="lines",
                         line=dict(color=theme.CITY_MEAN_COLOR, width=2), fill="none")
    fig.add_scatterpolar(r=close(site), theta=theta, name="本安置点", mode="lines+markers",
                         line=dict(color=theme.ACCENT, width=3), fill="toself", fillcolor="rgba(178,34,34,0.15)",
                         hovertemplate="%{theta}<br>%{r:.2f}分<extra>本安置点</extra>")
    fig.update_layout(**theme.plotly_layout(False, height, title=_title("五个维度得分")),
                      # the radial ticks between two spokes (36°), not on top of the first dimension's label
                      polar=dict(radialaxis=dict(range=[0, max_points], tickvals=[0, 5, 10, 14, 20], angle=36,
                                                 tickangle=36, tickfont=dict(size=11, color="#78909C"),
                                                 gridcolor="rgba(0,0,0,0.1)"),
                                 angularaxis=dict(gridcolor="rgba(0,0,0,0.1)")))
    fig.update_layout(legend=dict(orientation="h", y=-0.12, x=0.5, xanchor="center", yanchor="top"),
                      margin=dict(l=40, r=40, t=40, b=40))
    return fig


def site_trend(hist: pd.DataFrame, *, height: int = 340, n_sites: int | None = None) -> go.Figure:
    """12-month total (left axis) and rank with its 5–95% interval (right axis, reversed)."""
    x = [_short_month(m) for m in hist["month"]]
    fig = go.Figure()
    if "rank_p05" in hist and hist["rank_p05"].notna().any():
        fig.add_scatter(x=x, y=hist["rank_p95"], mode="lines", line=dict(width=0), showlegend=False,
                        yaxis="y2", hoverinfo="skip", name="区间上界")
        fig.add_scatter(x=x, y=hist["rank_p05"], mode="lines", line=dict(width=0), fill="tonexty",
                        fillcolor="rgba(46,111,216,0.15)", name="排名区间（5%–95%）", yaxis="y2", hoverinfo="skip")
    fig.add_scatter(x=x, y=hist["rank"], name=place.local("全市排名"), mode="lines+markers", yaxis="y2",
                    line=dict(color=theme.GRADE_COLORS["良好"], width=2),
                    hovertemplate="%{x}<br>第%{y}名<extra></extra>")
    fig.add_scatter(x=x, y=hist["total"], name="总分", mode="lines+markers+text",
                    line=dict(color=theme.ACCENT, width=3), text=[fmt.fmt_num(v, 1) for v in hist["total"]],
                    textposition="top center", hovertemplate="%{x}<br>总分 %{y:.2f}<extra></extra>")
    fig.update_layout(**theme.plotly_layout(False, height, title=_title("近12个月总分与排名")))
    n = int(n_sites or max(hist["rank"].max() if len(hist) else 1, 1))
    fig.update_layout(yaxis=dict(title="总分", range=[max(0, float(hist["total"].min() or 0) - 15), 105]),
                      yaxis2=dict(title=place.local("全市排名（越靠上越好）"), overlaying="y", side="right",
                                  range=[n + 1, 0],
                                  showgrid=False, tickmode="array",
                                  tickvals=[1] + list(range(10, n + 1, 10)) + ([n] if n % 10 else [])),
                      xaxis=dict(type="category", tickangle=0),
                      # the legend sits below the two-line January tick ('1月<br>2026年'), never on it
                      legend=dict(orientation="h", yref="container", y=0, yanchor="bottom", xanchor="center", x=0.5),
                      margin=dict(l=10, r=10, t=36, b=64))
    return fig


def dimension_bars(names: list[str], values: list[float], *, height: int = 260) -> go.Figure:
    colors = [theme.GRADE_COLORS["优秀"] if v >= 14 else theme.GRADE_COLORS["不合格"] for v in values]
    fig = go.Figure(go.Bar(x=values, y=names, orientation="h", marker_color=colors,
                           text=[fmt.fmt_num(v, 2) for v in values], textposition="outside", cliponaxis=False))
    fig.add_vline(x=14, line_dash="dash", line_color=theme.PLAN_COLOR)
    fig.update_layout(**theme.plotly_layout(False, height), showlegend=False)
    fig.update_xaxes(range=[0, 20])
    fig.update_yaxes(autorange="reversed")
    return fig


def grade_donut(counts: dict[str, int], *, dark: bool = False, height: int | None = 260, title: str = "等次分布",
                scale: float = 1.0) -> go.Figure:
    labels = [g for g in theme.GRADES]
    fig = go.Figure(go.Pie(labels=labels, values=[counts.get(g, 0) for g in labels], hole=0.55, sort=False,
                           marker=dict(colors=[theme.GRADE_COLORS[g] for g in labels]),
                           textinfo="label+value", textfont=dict(size=round((16 if dark else 12) * scale)),
                           hovertemplate="%{label}：%{value}个<extra></extra>"))
    fig.update_layout(**theme.plotly_layout(dark, height, scale, title=_title(title, dark, scale)),
                      showlegend=False)
    return fig


def county_progress(hist: pd.DataFrame, *, height: int = 300) -> go.Figure:
    """A county's 达标 sites per month against its 序时进度."""
    return qualified_trend(hist, height=height)
