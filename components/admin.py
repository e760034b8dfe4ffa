"""UI pieces of the administrator's pages: 账号管理 (accounts) and 审计日志 (audit log search and export)."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from components import export_links
from components import fmt as cn
from domain import roles
from services import accounts
from services import audit as audit_service
from services.audit import AuditQuery

PER_PAGE = 50


def _status(u, now) -> str:
    if not u.active:
        return "已停用"
    if u.locked_until and u.locked_until > now:
        return "锁定中"
    return "正常" if u.password_hash else "未设密码"


def accounts_table(engine) -> list:
    """The accounts as they are now (after a change the page reruns, so the table shows it), and the outcome of
    the change just made."""
    done = st.session_state.pop("_acc_done", None)
    if done:
        st.success(done, icon=":material/check_circle:")
    rows = accounts.list_accounts(engine)
    now = accounts.utcnow()
    st.dataframe(pd.DataFrame([{"用户名": u.username, "姓名": u.display_name, "角色": u.role,
                                "县（市、区）": u.county_name or "—", "状态": _status(u, now)} for u in rows]),
                 hide_index=True, width="stretch", on_select="ignore")
    return rows


def _do(fn, ok: str) -> None:
    try:
        fn()
    except accounts.AccountError as e:
        st.error(str(e))
        return
    st.session_state["_acc_done"] = ok
    st.rerun()


def create_form(engine, ctx) -> None:
    counties = ctx.counties
    with st.form("create_account", clear_on_submit=True):
        c1, c2 = st.columns(2)
        username = c1.text_input("用户名")
        display = c2.text_input("姓名")
        role = c1.selectbox("角色", roles.ROLES)
        county = c2.selectbox("所属县（市、区）（县级填报员必选）", [""] + [c for c, _ in counties],
                              format_func=lambda c: dict(counties).get(c, "—"))
        pw = c1.text_input("初始密码", type="password", help=f"至少{accounts.MIN_PASSWORD_LENGTH}个字符")
        pw2 = c2.text_input("再次输入初始密码", type="password")
        ok = st.form_submit_button("创建账号", type="primary")
    if ok:
        if pw != pw2:
            st.error("两次输入的密码不一致。")
            return
        _do(lambda: accounts.create_account(engine, username, pw, role, county=county or None,
                                            display_name=display or None, by=ctx.user.username),
            f"已创建账号 {username}。")


def edit_form(engine, ctx, rows) -> None:
    names = [u.username for u in rows]
    if not names:
        return
    pick = st.selectbox("选择账号", names, key="acc_pick",
                        format_func=lambda n: next(f"{u.username}（{u.display_name}，{u.role}）" for u in rows
                                                   if u.username == n))
    u = next(x for x in rows if x.username == pick)
    counties = ctx.counties
    left, mid, right = st.columns(3)
    with left, st.form("acc_role"):
        role = st.selectbox("角色", roles.ROLES, index=roles.ROLES.index(u.role) if u.role in roles.ROLES else 0)
        codes = [""] + [c for c, _ in counties]
        county = st.selectbox("所属县（市、区）", codes, index=codes.index(u.county_code or ""),
                              format_func=lambda c: dict(counties).get(c, "—"))
        if st.form_submit_button("变更角色与县区"):
            _do(lambda: accounts.change_role(engine, pick, role, county or None, by=ctx.user.username),
                f"已变更 {pick} 的角色与县区（其已登录会话已结束）。")
    with mid, st.form("acc_pw", clear_on_submit=True):
        pw = st.text_input("新密码", type="password")
        pw2 = st.text_input("再次输入新密码", type="password")
        if st.form_submit_button("重置密码并解除锁定"):
            if pw != pw2:
                st.error("两次输入的密码不一致。")
            else:
                _do(lambda: accounts.set_password(engine, pick, pw, by=ctx.user.username), f"已重置 {pick} 的密码。")
    with right:
        label = "启用账号" if not u.active else "停用账号"
        if st.button(label, key="acc_toggle"):
            _do(lambda: accounts.set_active(engine, pick, not u.active, by=ctx.user.username),
                f"已{label[:2]} {pick}。")


def audit_search(engine, ctx) -> None:
    users, actions = audit_service.log_filters(engine, ctx.user.username)
    c1, c2, c3, c4, c5 = st.columns([1.2, 1, 1, 1, 1.6])
    user = c1.selectbox("用户", [""] + users, format_func=lambda x: x or "全部", key="aud_user")
    action = c2.selectbox("操作", [""] + actions, format_func=lambda x: x or "全部", key="aud_action")
    today = cn.beijing_now().date()
    start = c3.date_input("起始日期", value=today - dt.timedelta(days=30), key="aud_start")
    end = c4.date_input("截止日期", value=today, key="aud_end")
    text = c5.text_input("内容包含", key="aud_text")
    q = AuditQuery(user=user, action=action, start=start, end=end, text=text.strip())
    frame, total = audit_service.search_log(engine, ctx.user.username, q, page=1, per_page=1)
    pages = max(1, -(-total // PER_PAGE))
    p1, p2 = st.columns([1, 4])
    page = p1.number_input("页码", min_value=1, max_value=pages, value=1, step=1, key="aud_page")
    p2.caption(f"共 {total} 条，每页 {PER_PAGE} 条，第 {page}/{pages} 页（按时间倒序；时间为北京时间）")
    frame, _ = audit_service.search_log(engine, ctx.user.username, q, page=int(page), per_page=PER_PAGE)
    frame["时间"] = [cn.beijing_time(t) for t in frame["时间"]]            # stored in UTC, shown in Beijing time
    st.dataframe(frame, hide_index=True, width="stretch", on_select="ignore",
                 column_config={"内容": st.column_config.TextColumn(width="large")})
    e1, e2, _ = st.columns([1, 1, 3])
    for col, fmt, label, mime in ((e1, "xlsx", "导出Excel", "application/vnd.openxmlformats-officedocument."
                                                               "spreadsheetml.sheet"),
                                  (e2, "csv", "导出CSV", "text/csv")):
        if col.button(label, key=f"aud_export_{fmt}", disabled=total == 0):
            data = audit_service.export_log(engine, ctx.user.username, q, fmt)
            col.download_button(f"下载审计日志.{fmt}", lambda d=data: d, file_name=f"审计日志.{fmt}",
                                mime=export_links.once(mime),
                                key=f"aud_dl_{fmt}")
