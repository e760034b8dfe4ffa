"""问题整改台账 page pieces: filters, the table (overdue rows red, 超期N天), the audited export, the add form, the
selected item's edit / 销号 forms and its version history. Every read and write goes through
services.rectifications with the signed-in user's scope; the forms show only when the role may RECTIFY."""
from __future__ import annotations

import datetime as dt
import html

import streamlit as st

from components import export_links, fmt
from domain import roles
from domain.calendar import period_end
from domain.followup import RECT_CLOSED, RECT_IN_PROGRESS, RECT_OPEN, RECT_SOURCES, RECT_STATUSES
from domain.scope import OutOfScope, Scope
from services import rectifications as rect
from services import settings
from services.errors import user_message

ANY = "（全部）"
NO_SITE = "（不指定安置点）"
OVERDUE_STYLE = "color: #B71C1C; background-color: #FDECEA"
OPEN_STATUSES = (RECT_OPEN, RECT_IN_PROGRESS)
SCOPE_HINT = "您只能查看和登记本县（市、区）的整改问题。"


def _flash() -> None:
    msg = st.session_state.pop("_rect_flash", None)
    if msg:
        st.success(msg, icon=":material/check_circle:")


def deep_link_gate(ctx, scope: Scope) -> bool:
    """?item=CODE of another county: a clear 超出权限 message, nothing of the item; True when refused."""
    code = st.query_params.get("item")
    if not code:
        return False
    try:
        rect.get_item(ctx.engine, scope, ctx.month, code)
    except OutOfScope:
        st.error(f"超出权限：链接中的整改问题不在您的数据权限范围内。{SCOPE_HINT}", icon=":material/lock:")
        st.query_params.pop("item", None)
        st.session_state.pop("rect_item", None)
        return True
    return False


def filters(ctx, scope: Scope) -> rect.ItemFilter:
    counties = ctx.allowed_counties()
    sites = rect.filter_options(ctx.engine, scope, ctx.month)
    c1, c2, c3, c4, c5 = st.columns([1.2, 1.6, 1, 1, 0.8])
    county_opts = ([] if ctx.scope_county else [ANY]) + [c for c, _ in counties]
    names = dict(counties)
    county = c1.selectbox("县（市、区）", county_opts, key="rect_f_county", format_func=lambda c: names.get(c, c))
    county = None if county == ANY else county
    site_names = dict(sites)
    site_opts = [ANY] + [c for c, _ in sites if county is None or c in _county_sites(ctx, scope, county)]
    site = c2.selectbox("安置点", site_opts, key="rect_f_site", format_func=lambda c: site_names.get(c, c))
    source = c3.selectbox("问题来源", [ANY, *RECT_SOURCES], key="rect_f_source")
    status = c4.selectbox("整改状态", [ANY, *RECT_STATUSES], key="rect_f_status")
    with c5:
        st.write("")
        overdue = st.checkbox("仅看逾期", key="rect_f_overdue")
    return rect.ItemFilter(county_code=county, site_code=None if site == ANY else site,
                           source=None if source == ANY else source, status=None if status == ANY else status,
                           overdue=overdue)


def _county_sites(ctx, scope: Scope, county: str) -> set[str]:
    return {c for c, _ in rect.filter_options(ctx.engine, Scope.county(county) if scope.is_city else scope,
                                              ctx.month)}


def table(ctx, lst: rect.ItemList) -> None:
    st.markdown(f"**共{lst.total}项**　逾期 **{lst.n_overdue}** 项　已销号 **{lst.n_closed}** 项　"
                f"<span style='color:#607D8B'>（截至{fmt.date_cn(lst.as_of)}判断是否逾期）</span>",
                unsafe_allow_html=True)
    if lst.total == 0:
        st.info("没有符合条件的整改问题。", icon=":material/info:")
        return
    show = lst.table.drop(columns=["超期天数"])
    red = lst.overdue

    def style(row):
        return [OVERDUE_STYLE if red[row.name] else ""] * len(row)

    codes = list(show["问题编号"])

    def selected():                           # a clicked row selects its item (as the chooser and ?item= do)
        rows = st.session_state["rect_table"].selection.rows
        if rows and rows[0] < len(codes):
            st.session_state["rect_item"] = st.session_state["_rect_item_qp"] = codes[rows[0]]
            st.query_params["item"] = codes[rows[0]]
    st.caption("点击表格行首的选择框即可查看、修改或销号该问题。")
    st.dataframe(show.style.apply(style, axis=1), hide_index=True, width="stretch", key="rect_table",
                 height=min(560, 38 + 35 * len(show)), on_select=selected, selection_mode="single-row",
                 column_config={"问题描述": st.column_config.TextColumn("问题描述", width="medium"),
                                "逾期情况": st.column_config.TextColumn(
                                    "逾期情况", help="截至统计日期未销号且已超过整改时限")})


def downloads(ctx, scope: Scope, filt: rect.ItemFilter, city_name: str) -> None:
    """The filtered table as Excel / CSV, built when clicked and audited by the service before it is handed over."""
    if not (ctx.user.can(roles.EXPORT) or ctx.user.can(roles.EXPORT_OWN)):
        return
    c1, c2, _ = st.columns([1, 1, 3])
    c1.download_button("导出Excel（可打印）",
                       lambda: rect.export_items(ctx.engine, scope, ctx.user, ctx.month, filt, "xlsx",
                                                 city_name=city_name),
                       file_name=f"问题整改台账_{ctx.month}.xlsx", icon=":material/download:", key="rect_dl_xlsx",
                       mime=export_links.once("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    c2.download_button("导出CSV", lambda: rect.export_items(ctx.engine, scope, ctx.user, ctx.month, filt, "csv"),
                       file_name=f"问题整改台账_{ctx.month}.csv", mime=export_links.once("text/csv"),
                       icon=":material/download:", key="rect_dl_csv")


def _site_choices(ctx, scope: Scope) -> tuple[list[str], dict[str, str]]:
    sites = rect.filter_options(ctx.engine, scope, ctx.month)
    return [NO_SITE] + [c for c, _ in sites], dict(sites)


def add_form(ctx, scope: Scope) -> None:
    if not ctx.user.can(roles.RECTIFY):
        return
    with st.expander("登记新问题", icon=":material/add_circle:"):
        counties = ctx.allowed_counties()
        site_opts, site_names = _site_choices(ctx, scope)
        end = min(period_end(ctx.month), dt.date.today())
        with st.form("rect_add", clear_on_submit=False):
            a, b, c = st.columns(3)
            county = a.selectbox("所属县（市、区）", [x for x, _ in counties], format_func=dict(counties).get,
                                 key="rect_add_county")
            site = b.selectbox("安置点（可不指定）", site_opts, format_func=lambda x: site_names.get(x, x),
                               key="rect_add_site")
            source = c.selectbox("问题来源", RECT_SOURCES, key="rect_add_source")
            desc = st.text_area("问题描述", key="rect_add_desc", height=80)
            a, b, c, d = st.columns(4)
            unit = a.text_input("责任单位", key="rect_add_unit")
            found = b.date_input("发现日期", value=end, max_value=end, key="rect_add_found", format="YYYY-MM-DD")
            deadline = c.date_input("整改时限", value=end + dt.timedelta(days=30), key="rect_add_deadline",
                                    format="YYYY-MM-DD")
            status = d.selectbox("整改状态", OPEN_STATUSES, key="rect_add_status")
            st.caption(f"将登记为{fmt.month_cn(ctx.month)}的记录；问题编号自动生成。")
            if st.form_submit_button("登记", type="primary"):
                _run(lambda: rect.create_item(ctx.engine, scope, ctx.user, ctx.month, county_code=county,
                                              site_code=None if site == NO_SITE else site, source=source,
                                              description=desc, unit=unit, found_date=found, deadline=deadline,
                                              status=status),
                     lambda code: f"已登记整改问题 {code}。", select=True)


def _run(action, message, select: bool = False) -> None:
    """Run a write; on success remember a message (and select the new item) and rerun; else show why."""
    try:
        got = action()
    except (rect.RectificationError, rect.NotAllowed, OutOfScope) as exc:
        st.error(f"未保存：{user_message(exc)}", icon=":material/error:")
        return
    if got is False:
        st.info("没有任何修改，未记录新版本。", icon=":material/info:")
        return
    st.session_state["_rect_flash"] = message(got)
    if select and isinstance(got, str):
        st.session_state["rect_item"] = got
        st.query_params["item"] = got
    st.rerun()


def pick_item(lst: rect.ItemList) -> str | None:
    """The item chooser, bound to ?item= (deep links); only items of the current list are offered."""
    codes = list(lst.table["问题编号"])
    qp = st.query_params.get("item")
    if qp and qp not in codes:
        codes = [qp, *codes]                   # a deep-linked item filtered out of the list (already scope-checked)
    if st.session_state.get("rect_item") not in [None, *codes]:
        st.session_state.pop("rect_item")
    if qp and st.session_state.get("_rect_item_qp") != qp:
        st.session_state["rect_item"] = qp
        st.session_state["_rect_item_qp"] = qp
    if not codes:
        return None
    desc = dict(zip(lst.table["问题编号"], lst.table["问题描述"]))

    def changed():
        v = st.session_state.get("rect_item")
        if v:
            st.query_params["item"] = v
            st.session_state["_rect_item_qp"] = v
        else:
            st.query_params.pop("item", None)

    c, _ = st.columns([2, 3])
    return c.selectbox("查看、修改或销号", codes, index=None, key="rect_item", placeholder="选择问题编号",
                       format_func=lambda x: f"{x}　{(desc.get(x) or '')[:24]}", on_change=changed)


def item_panel(ctx, scope: Scope, code: str) -> None:
    it = rect.get_item(ctx.engine, scope, ctx.month, code)
    if it is None:
        st.info(f"问题 {code} 在{fmt.month_cn(ctx.month)}尚未登记（或不存在）。", icon=":material/info:")
        return
    v = it.values
    e = html.escape
    over = f"　<b style='color:#B71C1C'>超期{it.overdue_days}天</b>" if it.overdue_days else ""
    place = e(it.county_name) + (f" · {e(it.site_name or v['site_code'])}" if v["site_code"] else "")
    closed = f"　销号日期：{v['closed_date']}" if v["closed_date"] else ""
    # item texts come from users and ledgers: escaped, shown as text (no markdown, no markup)
    st.html(f"<h4 style='margin:.4rem 0 .2rem 0'>{e(code)}　{e(it.status_at)}{over}</h4>"
            f"<ul style='margin:0 0 .4rem 1.1rem;line-height:1.7'><li>所属：{place}</li>"
            f"<li>来源：{e(v['source'])}　责任单位：{e(v['unit'])}</li>"
            f"<li>发现日期：{v['found_date']}　整改时限：{v['deadline']}{closed}</li>"
            f"<li>问题描述：{e(v['description'])}</li></ul>")
    if ctx.user.can(roles.RECTIFY):
        t1, t2 = st.tabs(["销号", "修改"])
        with t1:
            _close_form(ctx, scope, it)
        with t2:
            _edit_form(ctx, scope, it)
    st.markdown("##### 版本记录")
    st.caption("每次修改、销号或台账导入都记为所属月份的一个版本；各月按当月及以前最新的版本显示，之前月份的状态不变。")
    st.dataframe(rect.item_history(ctx.engine, scope, code), hide_index=True, width="stretch", key="rect_history")


def _close_form(ctx, scope: Scope, it: rect.ItemView) -> None:
    if it.values["status"] == RECT_CLOSED:
        st.info(f"该问题已于{it.values['closed_date']}销号。", icon=":material/task_alt:")
        return
    end = min(period_end(ctx.month), dt.date.today())
    with st.form("rect_close"):
        a, b = st.columns([1, 3])
        closed = a.date_input("销号日期", value=None, max_value=end, key="rect_close_date", format="YYYY-MM-DD")
        note = b.text_input("销号说明（整改情况）", key="rect_close_note")
        if st.form_submit_button("销号", type="primary"):
            _run(lambda: rect.close_item(ctx.engine, scope, ctx.user, ctx.month, it.code, closed_date=closed,
                                         note=note),
                 lambda _: f"问题 {it.code} 已销号（记为{fmt.month_cn(ctx.month)}的记录）。")


def _edit_form(ctx, scope: Scope, it: rect.ItemView) -> None:
    v = it.values
    site_opts, site_names = _site_choices(ctx, scope)
    if v["site_code"] and v["site_code"] not in site_opts:
        site_opts.append(v["site_code"])
    statuses = list(RECT_STATUSES) if v["status"] == RECT_CLOSED else list(OPEN_STATUSES)
    with st.form("rect_edit"):
        a, b, c = st.columns(3)
        site = a.selectbox("安置点", site_opts, index=site_opts.index(v["site_code"] or NO_SITE),
                           format_func=lambda x: site_names.get(x, x), key="rect_edit_site")
        source = b.selectbox("问题来源", RECT_SOURCES, index=RECT_SOURCES.index(v["source"])
                             if v["source"] in RECT_SOURCES else 0, key="rect_edit_source")
        status = c.selectbox("整改状态", statuses, index=statuses.index(v["status"]) if v["status"] in statuses else 0,
                             key="rect_edit_status", help="销号请用“销号”页签（须填销号日期和说明）")
        desc = st.text_area("问题描述", value=v["description"], key="rect_edit_desc", height=80)
        a, b, c = st.columns(3)
        unit = a.text_input("责任单位", value=v["unit"], key="rect_edit_unit")
        deadline = b.date_input("整改时限", value=v["deadline"], key="rect_edit_deadline", format="YYYY-MM-DD")
        note = c.text_input("修改说明（可选）", key="rect_edit_note")
        if st.form_submit_button("保存修改"):
            changes = dict(site_code=None if site == NO_SITE else site, source=source, status=status,
                           description=desc, unit=unit, deadline=deadline)
            _run(lambda: rect.edit_item(ctx.engine, scope, ctx.user, ctx.month, it.code, note=note, **changes),
                 lambda _: f"问题 {it.code} 已修改（记为{fmt.month_cn(ctx.month)}的记录）。")


def page_body(ctx, scope: Scope) -> None:
    _flash()
    filt = filters(ctx, scope)
    try:
        lst = rect.list_items(ctx.engine, scope, ctx.month, filt)
    except OutOfScope as exc:
        st.error(f"超出权限：{exc}。{SCOPE_HINT}", icon=":material/lock:")
        return
    table(ctx, lst)
    downloads(ctx, scope, filt, settings.city_name(ctx.engine))
    add_form(ctx, scope)
    code = pick_item(lst)
    if code:
        item_panel(ctx, scope, code)


__all__ = ["deep_link_gate", "page_body"]
