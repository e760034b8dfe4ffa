"""UI pieces of the 就业帮扶 page: the county chooser, rate tables (low rates highlighted), the forms and 12-month
trend charts (0–100 axes), and the paged 零就业家庭 and 劳动力人数 mismatch lists linking to 一户一档."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from components import charts, export_links, links, place, theme, widgets
from domain import roles
from domain.scope import Scope
from services.employment import RATES, zero_households_csv

PAGE_SIZE = 20
_HIDDEN = ["site_code", "county_code", "household_code"]


def county_choice(ctx, scope: Scope) -> str | None:
    """A city user picks the whole city (全州/全市) or a county; a county user has their own county."""
    counties = [x for x in ctx.counties if scope.allows(x[0])]
    if not scope.is_city:
        return scope.county_code
    names = dict(counties)
    c, _ = st.columns([2, 3])
    return c.selectbox("范围", [None, *names], format_func=lambda k: place.whole_city() if k is None else names[k],
                       key="ev_county")


def _rate_style(band):
    """A rate cell against its indicator: at or below the floor (0 points) red, below the full-points target amber,
    otherwise plain; a rate with no indicator band is left plain."""
    floor, target = band if band else (None, None)

    def style(v) -> str:
        if v is None or pd.isna(v):
            return "color:#90A4AE"
        if floor is not None and v <= floor:
            return "background-color:#F8C9C4"
        return "background-color:#FFF3CD" if target is not None and v < target else ""
    return style


def _zero_style(v) -> str:
    return "background-color:#F8C9C4;font-weight:600" if isinstance(v, (int, float)) and v > 0 else ""


def rate_table(df: pd.DataFrame, month: str, key: str, bands: dict | None = None) -> None:
    show = df.copy()
    cfg = {}
    if "site_code" in show:
        show["安置点"] = [links.site_url(c, month, n) for c, n in zip(show["site_code"], show["安置点"])]
        cfg["安置点"] = links.link_column("安置点")
    elif "county_code" in show:
        show["县（市、区）"] = [links.county_url(c, month, n)
                            for c, n in zip(show["county_code"], show["县（市、区）"])]
        cfg["县（市、区）"] = links.link_column("县（市、区）")
    show = show.drop(columns=[c for c in _HIDDEN if c in show])
    rates = [c for c in RATES.values() if c in show]
    sty = show.style.format("{:.1f}%", subset=rates, na_rep="—")          # a rate reads 92.5%, as on every page
    sty = sty.format("{:.1f}", subset=[c for c in ["收入增长（%）"] if c in show], na_rep="—")
    for c in rates:
        sty = sty.map(_rate_style((bands or {}).get(c)), subset=[c])
    sty = sty.map(_zero_style, subset=["零就业家庭"])
    st.dataframe(sty, hide_index=True, width="stretch", column_config=cfg, key=key)


def forms_chart(forms: pd.DataFrame) -> None:
    fig = go.Figure()
    for form, g in forms.groupby("就业形式", sort=False):
        fig.add_bar(x=g["县（市、区）"], y=g["人数"], name=str(form))
    title = dict(text="就业形式（已就业劳动力）", x=0)
    fig.update_layout(**theme.plotly_layout(height=320, barmode="stack", title=title))
    fig.update_yaxes(rangemode="tozero", tickformat="d")
    st.plotly_chart(fig, config=theme.PLOTLY_CONFIG, width="stretch", key="ev_forms")


def trend_chart(trend: pd.DataFrame) -> None:
    fig = go.Figure()
    for name, g in trend.groupby("指标", sort=False):
        fig.add_scatter(x=charts.month_ticks(g["月份"]), y=g["数值"], mode="lines+markers", name=str(name),
                        hovertemplate="%{x}<br>" + str(name) + " %{y:.1f}%<extra></extra>")
    fig.update_layout(**theme.plotly_layout(height=320, title=dict(text="近12个月就业、培训、持证（%）", x=0)))
    fig.update_yaxes(range=[0, 100], ticksuffix="%")
    fig.update_xaxes(type="category", tickangle=0)      # Chinese month ticks, not plotly's 'Jan 2026' dates
    st.plotly_chart(fig, config=theme.PLOTLY_CONFIG, width="stretch", key="ev_trend")


def pager(key: str, total: int, size: int = PAGE_SIZE) -> int:
    """Page number kept in session state; 上一页/下一页 buttons below the caller's table."""
    pages = max(1, -(-total // size))
    page = min(int(st.session_state.get(key, 0)), pages - 1)
    st.caption(f"共 {total} 户，第 {page + 1} / {pages} 页（每页 {size} 户）")
    return page


def pager_buttons(key: str, total: int, size: int = PAGE_SIZE) -> None:
    pages = max(1, -(-total // size))
    page = min(int(st.session_state.get(key, 0)), pages - 1)
    c1, c2, _ = st.columns([1, 1, 6])
    if c1.button("上一页", disabled=page == 0, key=f"{key}_prev"):
        st.session_state[key] = page - 1
        st.rerun()
    if c2.button("下一页", disabled=page >= pages - 1, key=f"{key}_next"):
        st.session_state[key] = page + 1
        st.rerun()


def household_table(rows: pd.DataFrame, codes: list[str], month: str, key: str) -> None:
    show = rows.drop(columns=[c for c in _HIDDEN if c in rows]).copy()
    show["户编码"] = [links.household_url(c, month) for c in codes]
    st.dataframe(show, hide_index=True, width="stretch", key=key,
                 column_config={"户编码": st.column_config.LinkColumn(
                     "户编码", display_text=links.LINK_TEXT, help="点击打开一户一档（新标签页）")})


def zero_households(ctx, view) -> None:
    month = ctx.month
    st.subheader("零就业家庭（一票否决项 E2 的成因）")
    z = view.zero
    if z.empty:
        st.success("本月没有零就业家庭。", icon=":material/check_circle:")
        return
    if ctx.user.can(roles.EXPORT) or ctx.user.can(roles.EXPORT_OWN):
        st.download_button("导出零就业家庭及其劳动力（CSV）",
                           widgets.audited(ctx, "零就业家庭清单", f"{len(z)}户", lambda: zero_households_csv(view)),
                           file_name=f"零就业家庭_{month}.csv", mime=export_links.once("text/csv"),
                           icon=":material/download:", key="dl_zero")
    page = pager("ev_zero_page", len(z))
    part = z.iloc[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
    household_table(part, list(part["household_code"]), month, "ev_zero")
    pager_buttons("ev_zero_page", len(z))
    lab = view.zero_labour[view.zero_labour["household_code"].isin(set(part["household_code"]))]
    with st.expander(f"本页零就业家庭的劳动力（{len(lab)} 人）", expanded=True):
        st.dataframe(lab.drop(columns=["household_code"]).sort_values("户编码"), hide_index=True,
                     width="stretch", key="ev_zero_labour")


def mismatch(mp, month: str) -> None:
    st.subheader("劳动力台账与劳动力人数不一致的搬迁户")
    if mp.total == 0:
        st.success("本月所有搬迁户的劳动力台账人数与劳动力人数一致。", icon=":material/check_circle:")
        return
    pager("ev_mis_page", mp.total)
    household_table(mp.rows, mp.codes, month, "ev_mismatch")
    pager_buttons("ev_mis_page", mp.total)
