"""Ranking page pieces: filters (with ?county= deep link), summary line, the table and its exports."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from components import cache, export_links, grid, place, theme, widgets
from domain import roles
from services import ranking as ranking_svc
from services.ranking import Ranking, RankingFilters

QUAL_OPTIONS = {"全部": None, "已达标": True, "未达标": False}


_FILTER_KEYS = ("rank_counties", "rank_sizes", "rank_grades", "rank_qual", "rank_view")
VIEW_OPTIONS = ["全市排名", "同类排名"]


def _restore_filters(options: dict[str, list]) -> None:
    """The ranking's filters survive a visit to another page (widgets.restore; options no longer offered, e.g.
    after a role switch, are dropped)."""
    for k in _FILTER_KEYS:
        widgets.restore(k, lambda x, offered=options[k]: x in offered)


def _keep_filters(forced_county: bool) -> None:
    widgets.keep(*(k for k in _FILTER_KEYS if not (forced_county and k == "rank_counties")))


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


def ranking_grid(view_model: grid.RankingView, view: str, dimensions: list[str]) -> None:
    """The ranking grid. Its styled frame is prepared once per (month, scope, filters, view) and shared
    (components.cache.ranking_view, components.grid): a rerun only ships the prepared table."""
    styler = view_model.styler
    show = styler.data
    st.dataframe(styler, hide_index=True, width="stretch", height=min(38 + 35 * len(show), 38 + 35 * 25),
                 column_config=grid.ranking_config(dimensions, view), key="ranking_table",
                 column_order=widgets.grid_order(list(show.columns), view))
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
