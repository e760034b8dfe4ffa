"""权益缺口 page pieces: filters (county/site/item/status/side/platform), totals, a page of the list, export; the
filtering, paging and counting happen in the database (services.gaps)."""
from __future__ import annotations

import pandas as pd
import pyarrow as pa
import streamlit as st

from components import export_links, links, widgets
from data.rights import GapCounts, GapFilter
from domain import roles
from domain.organisation import PLATFORMS_REGISTRY
from domain.rights import RIGHTS, SIDES
from services import gaps as gaps_svc
from services.gaps import STATUS_CHOICES, gaps_export


def county_filter(ctx) -> str | None:
    if ctx.scope_county:
        st.caption(f"仅显示本县（{ctx.user.county_name}）的搬迁户。")
        return ctx.scope_county
    counties = ctx.counties
    codes = [None] + [c for c, _ in counties]
    names = dict(counties)
    widgets.restore("gap_county", lambda c: c in names)        # the choice survives a visit to another page
    qp = st.query_params.get("county")
    if qp in names and st.session_state.get("_gap_qp") != qp:
        st.session_state["gap_county"] = qp
        st.session_state["_gap_qp"] = qp
    c, _ = st.columns([1, 3])
    with c:
        chosen = st.selectbox("县（市、区）", codes, key="gap_county",
                              format_func=lambda c: names.get(c, "全部县（市、区）"))
    widgets.keep("gap_county")
    return chosen


def filters(ctx, sites: list[tuple[str, str]], county: str | None) -> GapFilter:
    """The filter widgets (site, item, status, side, platform; ?site= and ?household= deep links) as a GapFilter
    the database applies."""
    site_names = dict(sites)
    item_names = {r.code: f"{r.code} {r.name}" for r in RIGHTS}
    offered = {"gap_sites": site_names, "gap_items": item_names, "gap_status": ["全部", *STATUS_CHOICES],
               "gap_side": ["全部", *SIDES], "gap_platform": ["全部", *(p.label for p in PLATFORMS_REGISTRY)]}
    for key, options in offered.items():                     # the choices survive a visit to another page
        widgets.restore(key, lambda v, options=options: v in options)
    qp_site = st.query_params.get("site")
    if qp_site in site_names and st.session_state.get("_gap_qp_site") != qp_site:
        st.session_state["gap_sites"] = [qp_site]
        st.session_state["_gap_qp_site"] = qp_site
    if any(c not in site_names for c in st.session_state.get("gap_sites", [])):   # another county chosen
        st.session_state["gap_sites"] = [c for c in st.session_state["gap_sites"] if c in site_names]
    c1, c2, c3, c4, c5 = st.columns([1.6, 1.6, 0.9, 0.9, 1.2])
    with c1:
        sel_sites = st.multiselect("安置点", list(site_names), key="gap_sites", format_func=site_names.get,
                                   placeholder="全部安置点")
    with c2:
        sel_items = st.multiselect("权益事项", list(item_names), key="gap_items", format_func=item_names.get,
                                   placeholder="全部事项")
    with c3:
        status = st.selectbox("状态", offered["gap_status"], key="gap_status",
                              format_func=lambda s: STATUS_CHOICES.get(s, s))
    with c4:
        side = st.selectbox("责任方", offered["gap_side"], key="gap_side")
    with c5:
        platform = st.selectbox("服务平台", offered["gap_platform"], key="gap_platform")
    widgets.keep(*offered)
    pick = lambda v: None if v == "全部" else v  # noqa: E731
    return GapFilter(county=county, sites=tuple(sel_sites), items=tuple(sel_items), status=pick(status),
                     side=pick(side), platform=pick(platform), household=st.query_params.get("household") or None)


def summary(c: GapCounts) -> None:
    st.html('<div style="font-size:.95rem;color:#37474F;margin:.2rem 0 .4rem 0">'
            f'共 <b>{c.households:,}</b> 户存在权益缺口，'
            f'缺口 <b>{c.gaps:,}</b> 项（未落实 {c.open:,} 项、漏项未核实 {c.blank:,} 项）；'
            f'迁入地负责 {c.by_side.get("迁入地", 0):,} 项，迁出地负责 {c.by_side.get("迁出地", 0):,} 项。</div>')


def pager(f: GapFilter, total: int) -> int:
    """The page (0-based) of the list to show; a new filter starts at the first page."""
    size = gaps_svc.PAGE_SIZE
    pages = max(1, -(-total // size))
    if pages == 1:
        return 0
    c, _ = st.columns([1, 3])
    with c:
        n = st.number_input(f"页码（共 {pages:,} 页，每页 {size:,} 项）", min_value=1, max_value=pages, value=1,
                            step=1, key=f"gap_page_{hash(f)}")
    return int(n) - 1


def household_note(f: GapFilter, df: pd.DataFrame) -> None:
    if not f.household:
        return
    if df.empty:
        st.warning("链接中的搬迁户本月没有权益缺口，或不在您的权限范围内。", icon=":material/warning:")
    else:
        st.info(f"仅显示搬迁户 {f.household}（{df['户主'].iloc[0]}，{df['安置点'].iloc[0]}）的权益缺口。",
                icon=":material/person:")


# What an official reads first (who, where, which item, how it stands, whose task) before the reference columns.
TABLE_ORDER = ["户编码", "户主", "安置点", "事项", "状态", "责任方", "服务平台", "县", "身份证号", "事项编码", "类别"]
TABLE_ROWS = 25          # rows visible without scrolling the table; a page holds more
ROW_PX = 35              # st.dataframe's row (and header) height


def table_height(rows: int) -> int:
    """Pixels for a table showing up to TABLE_ROWS rows (a short list is not padded with empty space)."""
    return (min(max(rows, 1), TABLE_ROWS) + 1) * ROW_PX + 3


def display_table(df: pd.DataFrame, month: str | None = None) -> pa.Table:
    """A page of gap rows as shown: links to the household and the site, key columns first. An Arrow table:
    immutable, so one prepared page is shared by every session (components.cache.prepared), and st.dataframe
    ships it without converting it again."""
    show = df.drop(columns=["county_code"])
    if month:
        show["户编码"] = [links.household_url(c, month) for c in show["户编码"]]
        show = links.add_site_links(show.rename(columns={"site_code": "安置点编码"}), month)
    show = show.drop(columns=["site_code", "安置点编码"], errors="ignore")
    show = show[[c for c in TABLE_ORDER if c in show.columns] + [c for c in show.columns if c not in TABLE_ORDER]]
    return pa.Table.from_pandas(show.reset_index(drop=True), preserve_index=False)


def table(show: pa.Table | pd.DataFrame, month: str | None = None) -> None:
    """The gap rows: a prepared Arrow page (display_table), or a frame of gap rows made into one here."""
    if isinstance(show, pd.DataFrame):
        show = display_table(show, month)
    st.dataframe(show, hide_index=True, width="stretch", height=table_height(show.num_rows), key="gaps_table",
                 column_config={"户编码": links.link_column("户编码", width=130, pinned=True,
                                                            help="点击户编码打开该户的一户一档（新标签页）"),
                                "户主": st.column_config.TextColumn("户主", width=70),
                                "安置点": links.link_column("安置点", width=215),
                                "事项": st.column_config.TextColumn("事项", width=200),
                                "状态": st.column_config.TextColumn("状态", width=110),
                                "责任方": st.column_config.TextColumn("责任方", width=70),
                                "身份证号": st.column_config.TextColumn("身份证号（已脱敏）", width=150)})


def downloads(ctx, f: GapFilter, scope, total: int) -> None:
    """The filtered gaps (inside the scope) as CSV: the database query runs when the user clicks, audited."""
    if not (ctx.user.can(roles.EXPORT) or ctx.user.can(roles.EXPORT_OWN)):
        return
    st.download_button("导出缺口清单（CSV）",
                       widgets.audited(ctx, "权益缺口清单", f"{total}项",
                                       lambda: gaps_export(ctx.engine, ctx.month, f, scope)),
                       file_name=f"权益缺口清单_{ctx.month}.csv", mime=export_links.once("text/csv"),
                       icon=":material/download:", key="dl_gaps")
