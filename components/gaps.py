"""权益缺口 page pieces: filters (county/site/item/side/platform), summary, table, export."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from components import links, widgets
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
    # deep links from the site page (?site=) and from a household link (?household=)
    qp_site = st.query_params.get("site")
    if qp_site in site_names and st.session_state.get("_gap_qp_site") != qp_site:
        st.session_state["gap_sites"] = [qp_site]
        st.session_state["_gap_qp_site"] = qp_site
    household = st.query_params.get("household")
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
    if household:
        hh = out[out["户编码"] == household]
        if hh.empty:
            st.warning("链接中的搬迁户本月没有权益缺口，或不在您的权限范围内。", icon=":material/warning:")
        else:
            st.info(f"仅显示搬迁户 {household}（{hh['户主'].iloc[0]}，{hh['安置点'].iloc[0]}）的权益缺口。",
                    icon=":material/person:")
        out = hh
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


def table(df: pd.DataFrame, month: str | None = None) -> None:
    show = df.drop(columns=["county_code"])
    if month:
        show["户编码"] = [links.household_url(c, month) for c in show["户编码"]]
        show = links.add_site_links(show.rename(columns={"site_code": "安置点编码"}), month)
    show = show.drop(columns=["site_code", "安置点编码"], errors="ignore")
    if len(show) > 5000:
        st.caption("表格仅显示前5000项，完整清单请导出。")
        show = show.head(5000)
    st.dataframe(show, hide_index=True, width="stretch", height=520, key="gaps_table",
                 column_config={"身份证号": st.column_config.TextColumn("身份证号（已脱敏）", width=150),
                                "安置点": links.link_column("安置点", width=150),
                                "户编码": links.link_column("户编码", width=130, pinned=True,
                                                            help="点击户编码打开该户的一户一档（新标签页）")})


def downloads(ctx, df: pd.DataFrame, scope) -> None:
    """The shown gaps (already limited to the scope) as CSV, built when clicked, formula-safe and audited."""
    if not (ctx.user.can(roles.EXPORT) or ctx.user.can(roles.EXPORT_OWN)):
        return
    shown = scope.filter(df).drop(columns=["site_code", "county_code"])
    st.download_button("导出缺口清单（CSV）", widgets.audited(ctx, "权益缺口清单", f"{len(shown)}项",
                                                       lambda: gaps_csv(shown)),
                       file_name=f"权益缺口清单_{ctx.month}.csv", mime="text/csv",
                       icon=":material/download:", key="dl_gaps")
