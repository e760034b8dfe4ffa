"""The administrator's pages under AppTest on a non-demo copy of the small city (issue 9): on 账号管理 a 管理员 creates
an account (password rules enforced), disables one (who then cannot sign in), resets a password and changes a role
and county, each change written to the audit log; on 审计日志 the search by user, action and date narrows the
entries and an export is itself audited; a role without the named action is refused both pages. Also: signing out
shows the sign-in form alone in the same run; the sign-in survives a failing audit write with a Chinese message;
the demo database refuses a browser on another machine."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
import streamlit as st
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

import data.audit
from components import auth
from data import models as m
from data.db import create
from domain import roles
from services import accounts
from services.errors import user_message
from tests.ui.conftest import ROOT, copy_db, html_text
from tests.ui.small_city import SmallCity

APP = str(ROOT / "app.py")
ADMIN, ADMIN_PW = "admin_t", "管理员密码2026"


@pytest.fixture
def db(login_db, tmp_path, monkeypatch) -> str:
    """A fresh non-demo copy (supervisor / 督导2026, op_test / 填报2026 of the first county) with a 管理员."""
    url = copy_db(login_db, tmp_path / "admin.db")
    eng = create(url)
    accounts.create_account(eng, ADMIN, ADMIN_PW, "管理员", display_name="测试管理员", by="测试")
    eng.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield url
    st.cache_data.clear()
    st.cache_resource.clear()


def sign_in(user: str, password: str, page: str | None = None, **query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.text_input[0].input(user)
    at.text_input[1].input(password)
    at.button[0].click().run()
    if page:
        for k, v in query.items():
            at.query_params[k] = v
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def signed_in(at: AppTest) -> bool:
    return bool(at.get("page_link"))


def widget(at: AppTest, kind: str, label: str, nth: int = 0):
    found = [w for w in getattr(at.main, kind) if w.label == label]
    return found[nth]


def button(at: AppTest, label: str):
    return next(b for b in at.main.button if b.label == label)


def audit_entries(url: str, action: str | None = None) -> list[tuple[str, str, str]]:
    eng = create(url)
    with Session(eng) as s:
        q = select(m.AuditLog).order_by(m.AuditLog.id)
        if action:
            q = q.where(m.AuditLog.action == action)
        rows = [(r.username, r.action, r.detail) for r in s.execute(q).scalars()]
    eng.dispose()
    return rows


def texts(at: AppTest, kind: str) -> list[str]:
    return [e.value for e in getattr(at, kind)]


# ------------------------------------------------------------------------------------------------ 账号管理
def create_account(at: AppTest, username: str, pw: str, pw2: str | None = None, role: str = "县级填报员",
                   county: str | None = None) -> AppTest:
    widget(at, "text_input", "用户名").input(username)
    widget(at, "text_input", "姓名").input(f"{username}姓名")
    widget(at, "selectbox", "角色").set_value(role)
    if county:
        widget(at, "selectbox", "所属县（市、区）（县级填报员必选）").set_value(county)
    widget(at, "text_input", "初始密码").input(pw)
    widget(at, "text_input", "再次输入初始密码").input(pw if pw2 is None else pw2)
    return button(at, "创建账号").click().run()


def test_admin_creates_an_account_with_the_password_rules_and_it_is_audited(db, city: SmallCity):
    code, name = city.counties[1]
    at = sign_in(ADMIN, ADMIN_PW, "pages/accounts.py")
    assert not at.error and "账号管理" in html_text(at)
    before = set(at.dataframe[0].value["用户名"])
    assert {ADMIN, "supervisor", "op_test"} <= before

    at = create_account(at, "new_op", "短密码", county=code)
    assert any("密码至少需要8个字符" in e for e in texts(at, "error"))
    at = create_account(at, "new_op", "填报员密码2026", "另一个密码2026", county=code)
    assert any("两次输入的密码不一致" in e for e in texts(at, "error"))
    at = create_account(at, "new_op", "填报员密码2026")                     # a county operator needs a county
    assert any("必须指定所属县" in e for e in texts(at, "error"))
    assert set(at.dataframe[0].value["用户名"]) == before                   # nothing created so far
    assert not [d for _, _, d in audit_entries(db, "账号变更") if "new_op" in d]

    at = create_account(at, "new_op", "填报员密码2026", county=code)
    assert any("已创建账号 new_op" in s for s in texts(at, "success")), texts(at, "error")
    row = at.dataframe[0].value.set_index("用户名").loc["new_op"]
    assert row["角色"] == "县级填报员" and row["县（市、区）"] == name and row["状态"] == "正常"
    assert (ADMIN, "账号变更", f"创建账号 new_op（县级填报员，{name}）") in audit_entries(db)

    op = sign_in("new_op", "填报员密码2026")                                 # the new account signs in
    assert signed_in(op) and f"县级填报员（{name}）" in " ".join(c.value for c in op.sidebar.caption)


def pick(at: AppTest, username: str) -> AppTest:
    at.selectbox(key="acc_pick").set_value(username)
    return at.run()


def test_admin_disables_resets_and_changes_role_each_audited(db, city: SmallCity):
    at = pick(sign_in(ADMIN, ADMIN_PW, "pages/accounts.py"), "op_test")
    at.button(key="acc_toggle").click().run()
    assert any("已停用 op_test" in s for s in texts(at, "success"))
    assert at.dataframe[0].value.set_index("用户名").loc["op_test", "状态"] == "已停用"
    refused = sign_in("op_test", "填报2026")                               # a disabled user cannot sign in
    assert not signed_in(refused) and any("不正确，或账号已停用" in e for e in texts(refused, "error"))

    at = pick(at, "op_test")
    assert at.button(key="acc_toggle").label == "启用账号"
    at.button(key="acc_toggle").click().run()
    assert any("已启用 op_test" in s for s in texts(at, "success"))

    at = pick(at, "op_test")
    widget(at, "text_input", "新密码").input("重置后的密码2026")
    widget(at, "text_input", "再次输入新密码").input("重置后的密码2026")
    button(at, "重置密码并解除锁定").click().run()
    assert any("已重置 op_test 的密码" in s for s in texts(at, "success")), texts(at, "error")
    assert not signed_in(sign_in("op_test", "填报2026"))
    assert signed_in(sign_in("op_test", "重置后的密码2026"))

    code, name = city.counties[2]
    at = pick(at, "op_test")
    widget(at, "selectbox", "角色", nth=1).set_value("县级填报员")
    widget(at, "selectbox", "所属县（市、区）").set_value(code)
    button(at, "变更角色与县区").click().run()
    assert any("已变更 op_test 的角色与县区" in s for s in texts(at, "success")), texts(at, "error")
    again = sign_in("op_test", "重置后的密码2026")
    assert f"县级填报员（{name}）" in " ".join(c.value for c in again.sidebar.caption)

    changes = [d for u, _, d in audit_entries(db, "账号变更") if u == ADMIN]
    assert changes[-4:] == ["停用账号 op_test", "启用账号 op_test", "重置账号 op_test 的密码",
                            f"变更账号 op_test 的角色为 县级填报员，{name}"]
    assert ("op_test", "登录失败", "登录失败：账号已停用") in audit_entries(db)


def test_a_user_changes_their_own_password(db):
    at = sign_in("supervisor", "督导2026")
    form = [w for w in at.sidebar.text_input]
    by_label = {w.label: w for w in form}
    by_label["原密码"].input("督导2026")
    by_label["新密码"].input("新的督导密码2026")
    by_label["再次输入新密码"].input("新的督导密码2026")
    next(b for b in at.sidebar.button if b.label == "修改密码").click().run()
    assert not signed_in(at) and any("密码已修改" in i for i in texts(at, "info"))
    assert not signed_in(sign_in("supervisor", "督导2026"))
    assert signed_in(sign_in("supervisor", "新的督导密码2026"))
    assert ("supervisor", "账号变更", "修改本人密码") in audit_entries(db)


# ------------------------------------------------------------------------------------------------ 审计日志
def rows(at: AppTest):
    return at.dataframe[0].value


def total(at: AppTest) -> int:
    """The number of matching entries the page states (共 N 条)."""
    return int(next(c.value for c in at.caption if c.value.startswith("共 ")).split()[1])


def test_audit_page_searches_by_user_action_and_date_and_its_export_is_audited(db):
    sign_in("supervisor", "错误密码")                                       # entries of two users, two actions
    sign_in("op_test", "填报2026")
    at = sign_in(ADMIN, ADMIN_PW, "pages/audit.py")
    assert not at.error
    everything, all_entries = rows(at), total(at)
    assert {"supervisor", "op_test", ADMIN} <= set(everything["用户"])
    assert {"登录", "登录失败"} <= set(everything["操作"])
    assert any("时间为北京时间" in c.value for c in at.caption)

    at.selectbox(key="aud_user").set_value("supervisor").run()
    assert set(rows(at)["用户"]) == {"supervisor"} and "登录失败" in set(rows(at)["操作"])
    assert total(at) < all_entries
    at.selectbox(key="aud_user").set_value("").run()
    at.selectbox(key="aud_action").set_value("登录").run()
    assert set(rows(at)["操作"]) == {"登录"} and {"op_test", ADMIN} <= set(rows(at)["用户"])
    today = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=8)).date()   # the page's days are Beijing days
    tomorrow = today + dt.timedelta(days=1)
    at.date_input(key="aud_start").set_value(tomorrow).run()
    at.date_input(key="aud_end").set_value(tomorrow + dt.timedelta(days=1)).run()
    assert len(rows(at)) == 0 and any("共 0 条" in c.value for c in at.caption)
    at.date_input(key="aud_start").set_value(today - dt.timedelta(days=1)).run()
    at.date_input(key="aud_end").set_value(today).run()
    at.text_input(key="aud_text").input("密码").run()
    assert len(rows(at)) > 0 and rows(at)["内容"].str.contains("密码").all()

    at.button(key="aud_export_csv").click().run()
    assert not at.exception and [b.proto.label for b in at.get("download_button")] == ["下载审计日志.csv"]
    at.button(key="aud_export_xlsx").click().run()
    exports = [(u, d) for u, _, d in audit_entries(db, "导出")]
    assert [u for u, d in exports if d.startswith("审计日志")] == [ADMIN, ADMIN]
    assert any(d.startswith("审计日志CSV") and "操作 登录" in d and "含“密码”" in d for _, d in exports), exports


@pytest.mark.parametrize("page,title", [("pages/accounts.py", "账号管理"), ("pages/audit.py", "审计日志")])
def test_a_role_without_the_action_is_refused_both_pages(db, page, title):
    for user, pw, role in (("supervisor", "督导2026", "市级督导"), ("op_test", "填报2026", "县级填报员")):
        at = sign_in(user, pw, page)
        assert any(f"当前角色（{role}）无权使用“{title}”功能" in w and "仅限管理员" in w for w in texts(at, "warning"))
        assert not at.get("arrow_data_frame") and not at.main.text_input and not at.main.button
        assert title not in [p.proto.label for p in at.get("page_link")]


def test_the_pages_check_the_named_action_not_the_role_name(db, monkeypatch):
    """Granting 市级督导 the 查阅审计日志 action (and nothing else) opens 审计日志 to them, not 账号管理."""
    sup = roles.ROLE_BY_NAME["市级督导"]
    monkeypatch.setitem(roles.ROLE_BY_NAME, "市级督导",
                        dataclasses.replace(sup, actions=sup.actions | {roles.AUDIT.key}))
    at = sign_in("supervisor", "督导2026", "pages/audit.py")
    assert not at.warning and len(at.dataframe) == 1
    assert "审计日志" in [p.proto.label for p in at.get("page_link")]
    at.switch_page("pages/accounts.py").run()
    assert any("无权使用“账号管理”" in w for w in texts(at, "warning")) and not at.dataframe


# ------------------------------------------------------------------------------------------------ sign-out, failures
def test_sign_out_shows_the_sign_in_form_alone_in_the_same_run_and_is_audited(db):
    at = sign_in("op_test", "填报2026", "pages/ranking.py")
    assert signed_in(at) and at.dataframe
    next(b for b in at.sidebar.button if b.label == "退出登录").click().run()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["用户名", "密码"]
    assert not at.get("page_link") and not at.sidebar.children.get(0) and not at.dataframe
    assert any(i == "已退出登录。" for i in texts(at, "info"))
    # the browser is told to drop the cookie and reload as a fresh signed-out visit (?signed_out=1)
    assert "max-age=0" in html_text(at) and "signed_out" in html_text(at)
    assert ("op_test", "退出登录", "退出登录") in audit_entries(db)
    # the reloaded page: the form, the reason, nothing else
    fresh = AppTest.from_file(APP, default_timeout=180)
    fresh.query_params["signed_out"] = "1"
    fresh.run()
    assert [t.label for t in fresh.text_input] == ["用户名", "密码"] and not fresh.get("page_link")
    assert texts(fresh, "info") == ["已退出登录。"]


def test_a_failing_audit_write_refuses_the_sign_in_in_chinese(db, monkeypatch):
    exc = OperationalError("INSERT INTO audit_log ...", {}, Exception("database or disk is full"))

    def full_disk(*a, **k):
        raise exc

    before = audit_entries(db)
    monkeypatch.setattr(data.audit, "record", full_disk)
    at = sign_in("op_test", "填报2026")
    assert not at.exception and not signed_in(at)
    assert any(f"登录暂时无法完成：{user_message(exc)}" in e for e in texts(at, "error")), texts(at, "error")
    assert not [e for e in texts(at, "error") if "INSERT" in e or "disk" in e]
    assert audit_entries(db) == before                                    # nothing half-written


def test_unknown_user_refused_and_audited(db):
    at = sign_in("nobody", "whatever-2026")
    assert not signed_in(at) and any("用户名或密码不正确" in e for e in texts(at, "error"))
    assert ("nobody", "登录失败", "登录失败：用户不存在") in audit_entries(db)


# ------------------------------------------------------------------------------------------------ demo off localhost
@pytest.mark.parametrize("ip,headers,allowed", [
    (None, {}, True), ("::1", {}, True), ("10.0.0.5", {}, False), (None, {"X-Forwarded-For": "10.1.2.3"}, False),
    (None, {"X-Forwarded-For": "127.0.0.1"}, True), (None, {"Forwarded": 'for="[::1]";proto=http'}, True),
    (None, {"Forwarded": "for=192.0.2.60;proto=https"}, False), (None, {"X-Real-Ip": "bogus"}, False)])
def test_is_local(ip, headers, allowed):
    assert auth.is_local(ip, headers) is allowed


def test_demo_database_refuses_a_browser_on_another_machine(ui_db, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", ui_db)
    st.cache_data.clear()
    st.cache_resource.clear()
    monkeypatch.setattr(auth, "_client", lambda: ("10.0.0.5", {}))
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception
    assert any("演示数据库仅供在本机演示" in e for e in texts(at, "error"))
    assert not at.get("page_link") and not at.get("plotly_chart") and not at.selectbox and not at.text_input
    monkeypatch.setattr(auth, "_client", lambda: (None, {}))
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert at.get("page_link") and at.selectbox(key="demo_role").value == "市级督导"
    st.cache_data.clear()
    st.cache_resource.clear()


# ------------------------------------------------------------------------------------------------ single sign-on
def test_proxy_header_sign_on_takes_role_and_county_from_the_accounts(db, city: SmallCity, monkeypatch):
    """With AUTH_PROXY_HEADER set, the user name the reverse proxy passes signs in without the form (audited); the
    account's role and county apply; an unknown or disabled name gets the form and a failure entry."""
    monkeypatch.setenv(auth.PROXY_HEADER_ENV, "X-Remote-User")
    monkeypatch.setattr(auth, "_client", lambda: (None, {"X-Remote-User": "op_test"}))
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception and signed_in(at) and "用户名" not in [t.label for t in at.text_input]
    assert f"县级填报员（{city.counties[0][1]}）" in " ".join(c.value for c in at.sidebar.caption)
    assert ("op_test", "登录", "登录成功（统一认证）") in audit_entries(db)

    eng = create(db)
    accounts.set_active(eng, "op_test", False, by=ADMIN)
    eng.dispose()
    for name in ("op_test", "stranger"):
        monkeypatch.setattr(auth, "_client", lambda name=name: (None, {"X-Remote-User": name}))
        at = AppTest.from_file(APP, default_timeout=180).run()
        assert not signed_in(at) and [t.label for t in at.text_input] == ["用户名", "密码"]
        refused = (name, "登录失败", "统一认证登录失败：账号不存在、已停用或锁定中")
        failures = [e for e in audit_entries(db) if e == refused]
        assert len(failures) == 1
        at.run()                                                         # a rerun does not ask (and audit) again
        assert [e for e in audit_entries(db) if e in failures] == failures


def test_after_signing_out_the_proxy_header_does_not_sign_in_again_in_that_session(db, monkeypatch):
    monkeypatch.setenv(auth.PROXY_HEADER_ENV, "X-Remote-User")
    monkeypatch.setattr(auth, "_client", lambda: (None, {"X-Remote-User": "op_test"}))
    before = len(audit_entries(db))
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert signed_in(at)
    next(b for b in at.sidebar.button if b.label == "退出登录").click().run()
    at.run()
    assert not signed_in(at)
    logins = [e for e in audit_entries(db)[before:] if e[:2] == ("op_test", "登录")]
    assert len(logins) == 1, logins
