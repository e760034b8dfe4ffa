"""权益缺口 page pieces: filters (county/site/item/side/platform), summary, table, export."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from components import widgets
from domain import roles
from domain.organisation import PLATFORMS_REGISTRY
from domain.rights import SIDES
from services.gaps import gaps_csv


def county_filter(ctx) -> str | None:
    if ctx.scope_county:
        st.caption(f"仅显示本县（{ctx.user.county_name}）的搬迁户。")
        return ctx.scope_county
    counties = ctx.counties
    codes = [None] + [c for c, _ in counties]
    names = dict(counties)
    qp = st.query_params.get("county")
    if qp in names and st.session_state.get("_gap_qp") != qp:
        st.session_state["gap_county"] = qp
        st.session_state["_gap_qp"] = qp
    c, _ = st.columns([1, 3])
    with c:
        return st.selectbox("县（市、区）", codes, key="gap_county",
                            format_func=lambda c: names.get(c, "全部县（市、区）"))


def filters(ctx, df: pd.DataFrame) -> pd.DataFrame:
    sites = sorted(df[["site_code", "安置点"]].drop_duplicates().itertuples(index=False), key=lambda r: r[0])
    site_names = {r[0]: r[1] for r in sites}
    items = sorted(df[["事项编码", "事项"]].drop_duplicates().itertuples(index=False))
    item_names = {r[0]: f"{r[0]} {r[1]}" for r in items}
    c1, c2, c3, c4 = st.columns([1.6, 1.6, 1, 1.2])
    with c1:
        sel_sites = st.multiselect("安置点", list(site_names), key="gap_sites", format_func=site_names.get,
                                   placeholder="全部安置点")
    with c2:
        sel_items = st.multiselect("权益事项", list(item_names), key="gap_items", format_func=item_names.get,
                                   placeholder="全部事项")
    with c3:
        side = st.selectbox("责任方", ["全部", *SIDES], key="gap_side")
    with c4:
        platform = st.selectbox("服务平台", ["全部", *(p.label for p in PLATFORMS_REGISTRY)], key="gap_platform")
    out = df
    if sel_sites:
        out = out[out["site_code"].isin(sel_sites)]
    if sel_items:
        out = out[out["事项编码"].isin(sel_items)]
    if side != "全部":
        out = out[out["责任方"] == side]
    if platform != "全部":
        out = out[out["服务平台"] == platform]
    return out


def summary(df: pd.DataFrame) -> None:
    hh = df["户编码"].nunique()
    n_open = int((df["状态"] == "未落实").sum())
    n_blank = int((df["状态"] != "未落实").sum())
    by_side = df.groupby("责任方").size().to_dict()
    st.html(f'<div style="font-size:.95rem;color:#37474F;margin:.2rem 0 .4rem 0">共 <b>{hh}</b> 户存在权益缺口，'
            f'缺口 <b>{len(df)}</b> 项（未落实 {n_open} 项、漏项未核实 {n_blank} 项）；'
            f'迁入地负责 {by_side.get("迁入地", 0)} 项，迁出地负责 {by_side.get("迁出地", 0)} 项。</div>')


def table(df: pd.DataFrame) -> None:
    show = df.drop(columns=["site_code", "county_code"])
    if len(show) > 5000:
        st.caption("表格仅显示前5000项，完整清单请导出。")
        show = show.head(5000)
    st.dataframe(show, hide_index=True, width="stretch", height=520, key="gaps_table",
                 column_config={"身份证号": st.column_config.TextColumn("身份证号（已脱敏）")})


def downloads(ctx, df: pd.DataFrame, scope) -> None:
    """The shown gaps (already limited to the scope) as CSV, built when clicked, formula-safe and audited."""
    if not (ctx.user.can(roles.EXPORT) or ctx.user.can(roles.EXPORT_OWN)):
        return
    shown = scope.filter(df).drop(columns=["site_code", "county_code"])
    st.download_button("导出缺口清单（CSV）", widgets.audited(ctx, "权益缺口清单", f"{len(shown)}项",
                                                       lambda: gaps_csv(shown)),
                       file_name=f"权益缺口清单_{ctx.month}.csv", mime="text/csv",
                       icon=":material/download:", key="dl_gaps")
