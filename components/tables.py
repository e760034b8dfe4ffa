"""Ranking page pieces: filters (with ?county= deep link), summary line, the table and its exports."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from components import cache, export_links, links, place, theme, widgets
from domain import roles
from services import ranking as ranking_svc
from services.ranking import Ranking, RankingFilters

QUAL_OPTIONS = {"全部": None, "已达标": True, "未达标": False}
INTERVAL_HELP = "稳健性分析：维度权重±25%、目标值±10%随机扰动后的5%–95%名次区间"


_FILTER_KEYS = ("rank_counties", "rank_sizes", "rank_grades", "rank_qual", "rank_view")
VIEW_OPTIONS = ["全市排名", "同类排名"]


def _restore_filters(options: dict[str, list]) -> None:
    """Streamlit drops a widget's state when a page without that widget runs: the ranking's filters are also kept
    under `_keep_<key>` and put back here, so they survive a visit to another page (options no longer offered,
    e.g. after a role switch, are dropped)."""
    for k in _FILTER_KEYS:
        kept = st.session_state.get("_keep_" + k)
        if k in st.session_state or kept is None:
            continue
        if isinstance(kept, list):
            st.session_state[k] = [x for x in kept if x in options[k]]
        elif kept in options[k]:
            st.session_state[k] = kept


def _keep_filters(forced_county: bool) -> None:
    for k in _FILTER_KEYS:
        if k in st.session_state and not (forced_county and k == "rank_counties"):
            st.session_state["_keep_" + k] = st.session_state[k]


def ranking_filters(ctx, ranking: Ranking) -> RankingFilters:
    counties = ctx.allowed_counties()
    names = dict(counties)
    _restore_filters({"rank_counties": [c for c, _ in counties], "rank_sizes": list(ranking.size_classes),
                      "rank_grades": list(ranking.grades), "rank_qual": list(QUAL_OPTIONS),
                      "rank_view": VIEW_OPTIONS})
    if ctx.scope_county:      # the operator's own county, shown as chosen (not a misleading 全部县)
        st.session_state["rank_counties"] = [ctx.scope_county]
        st.session_state["_rank_forced_county"] = True
    elif st.session_state.pop("_rank_forced_county", False):      # a demo role switch: the user's own choice back
        st.session_state["rank_counties"] = st.session_state.get("_keep_rank_counties", [])
    qp_county = st.query_params.get("county")
    if qp_county in names and st.session_state.get("_rank_qp_county") != qp_county:
        st.session_state["rank_counties"] = [qp_county]
        st.session_state["_rank_qp_county"] = qp_county
    c1, c2, c3, c4, c5 = st.columns([2.2, 1.4, 1.6, 1.0, 1.3])
    with c1:
        sel = st.multiselect("县（市、区）", [c for c, _ in counties], key="rank_counties", format_func=names.get,
                             placeholder="全部县（市、区）", disabled=ctx.scope_county is not None)
    with c2:
        sizes = st.multiselect("规模", ranking.size_classes, key="rank_sizes", placeholder="全部规模")
    with c3:
        grades = st.multiselect("等次", ranking.grades, key="rank_grades", placeholder="全部等次")
    with c4:
        q = st.selectbox("是否达标", list(QUAL_OPTIONS), key="rank_qual")
    with c5:
        view = st.radio("排名方式", VIEW_OPTIONS, key="rank_view", horizontal=True, format_func=place.local,
                        help="同类排名：按规模（小型/中型/大型/特大型）分组排名")
    _keep_filters(ctx.scope_county is not None)
    if ctx.scope_county:
        sel = [ctx.scope_county]
    return RankingFilters(counties=tuple(sel), size_classes=tuple(sizes), grades=tuple(grades),
                          qualified=QUAL_OPTIONS[q], view="class" if view == "同类排名" else "overall",
                          text=_filter_text(sel, names, sizes, grades, q, view))


def _filter_text(sel, names, sizes, grades, q, view) -> str:
    parts = []
    if sel:
        parts.append("县：" + "、".join(names.get(c, c) for c in sel))
    if sizes:
        parts.append("规模：" + "、".join(sizes))
    if grades:
        parts.append("等次：" + "、".join(grades))
    if q != "全部":
        parts.append(q)
    if view == "同类排名":
        parts.append("按规模分组排名")
    return "；".join(parts)


def ranking_summary(ranking: Ranking, total: int) -> None:
    shown = ranking.sites
    counts = {g: int((shown["grade"] == g).sum()) for g in theme.GRADES}
    chips = "".join(f'{widgets.grade_chip(g)}{counts[g]}个　' for g in theme.GRADES)
    st.html(f'<div style="font-size:.92rem;color:#37474F">显示 <b>{len(shown)}</b> / {total} 个安置点　'
            f'五好达标 <b>{int(shown["qualified"].sum())}</b> 个　{chips}</div>')


def ranking_grid(table: pd.DataFrame, view: str, dimensions: list[str], month: str | None = None,
                 counties: list[tuple[str, str]] | None = None) -> None:
    show = table.copy()
    show["达标"] = show["达标"].map(widgets.QUALIFIED_TEXT)
    if month:
        show = links.add_site_links(show, month, {n: c for c, n in (counties or [])})
    cfg = {
        "排名": st.column_config.NumberColumn("排名", width=50, help=place.local("全市排名（总分相同名次并列）"),
                                              pinned=True),
        "同类排名": st.column_config.NumberColumn("同类排名", width=70, help="同规模安置点中的排名"),
        "安置点编码": None,
        "安置点": links.link_column("安置点", width=190, pinned=True),
        "县": links.link_column("县", width=70),
        "规模": st.column_config.TextColumn("规模", width=52),
        "等次": st.column_config.TextColumn("等次", width=56),
        "达标": st.column_config.TextColumn("达标", width=74),
        "短板": st.column_config.TextColumn("短板", width=84),
        "总分": st.column_config.NumberColumn("总分", format="%.2f", width=62),
        "指标完整度": st.column_config.TextColumn("指标完整度", width=78, help="本月未缺报的指标数/指标总数"),
        "缺报": st.column_config.TextColumn("缺报", width=110, help="本月缺报（计0分）的指标；空白为指标齐全"),
        "较上月": st.column_config.TextColumn("较上月名次", width=80,
                                             help=place.local("全市名次较上月变化：↑上升、↓下降、—不变、新为新增")),
        "总分较上月": st.column_config.NumberColumn("较上月得分", format="%+.2f", width=80, help="总分较上月变化"),
        "排名区间": st.column_config.TextColumn("排名区间", width=80, help=INTERVAL_HELP),
    }
    for d in dimensions:
        cfg[d] = st.column_config.NumberColumn(d, format="%.2f", width=64)
    if view == "class":
        cfg["排名"] = st.column_config.NumberColumn(place.local("全市排名"), width=64,
                                                  help=place.local("全市排名（总分相同名次并列）"))
        cfg["同类排名"] = st.column_config.NumberColumn("同类排名", width=70, help="同规模安置点中的排名", pinned=True)
    sty = widgets.style_grades(show)
    st.dataframe(sty, hide_index=True, width="stretch", height=min(38 + 35 * len(show), 38 + 35 * 25),
                 column_config=cfg, key="ranking_table", column_order=widgets.grid_order(list(show.columns), view))
    st.caption("注：排名区间为权重与目标值随机扰动下的5%–95%名次区间，相差两三位的名次差异不具有实际意义；"
               "短板为得分率最低的维度；“缺报”栏列出本月缺报（计0分）的指标。")


def ranking_downloads(ctx, table: pd.DataFrame, f: RankingFilters, scope) -> None:
    """Excel and CSV of the shown (scoped, filtered) ranking, built when clicked and audited (widgets.audited)."""
    if not (ctx.user.can(roles.EXPORT) or ctx.user.can(roles.EXPORT_OWN)):
        return
    name = f"安置点排名_{ctx.month}"
    where = "" if scope.is_city else f"范围：{ctx.user.county_name or scope.county_code}"
    detail = "；".join(x for x in (f.text, where) if x)
    eng, month = ctx.engine, ctx.month
    c1, c2, _ = st.columns([1, 1, 3])
    with c1:
        st.download_button("导出Excel（可打印）",
                           widgets.audited(ctx, "安置点排名Excel", detail,
                                           lambda: cache.ranking_xlsx(eng, month, f, scope)),
                           file_name=f"{name}.xlsx", type="primary",
                           mime=export_links.once("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                           icon=":material/download:", key="dl_xlsx")
    with c2:
        shown = table.drop(columns=["总分较上月"], errors="ignore")
        st.download_button("导出CSV", widgets.audited(ctx, "安置点排名CSV", detail,
                                                    lambda: ranking_svc.ranking_csv_bytes(shown)),
                           file_name=f"{name}.csv", mime=export_links.once("text/csv"),
                           icon=":material/table:", key="dl_csv")
