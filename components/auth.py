"""Sign-in, demo roles and data scope (domain.md §10, §11).

On the demo database the session starts signed in as a demo 市级督导 and the sidebar offers a role switcher;
on any other database nothing but the sign-in form is shown until a user signs in against the users table.

A sign-in survives a reload and a deep link in another tab of the same browser: the session's signed token
(services.accounts.make_token) is kept in a cookie written by a small same-origin script (Streamlit 1.67 reads
cookies through ``st.context.cookies`` but has no API to set one). The token names a server-side session row,
so signing out ends it in every tab, and a session idle for longer than the configured time ends by itself.

Optional single sign-on (off by default): with the environment variable ``AUTH_PROXY_HEADER`` set (e.g.
``X-Remote-User``), a reverse proxy that authenticates users passes the user name in that header; the account
must exist and be active in the product, whose role and county apply. Only enable this when the server is reachable
through that proxy alone (it listens on 127.0.0.1 by default), or anyone could send the header.

The demo database (signed in as a demo 市级督导 with a role switcher, no password) is served to this machine only:
a browser elsewhere, directly or through a reverse proxy that names it in a forwarding header, is refused.

On the demo database the role (and county) chosen in the switcher is kept in a plain cookie (``ydbq_demo``), so
a new tab of the same browser opens in that role; it is a preference, not a credential (see _demo_from_cookie).

Signing out (or changing one's password) clears the cookie and reloads the page, so the browser shows what a
fresh visit shows: the sign-in form alone, with a line saying why (``?signed_out=``).
"""
from __future__ import annotations

import ipaddress
import json
import logging
import os
import re
from dataclasses import asdict, dataclass
from typing import Mapping

import streamlit as st

from components import export_links
from domain import roles
from services import accounts
from services.errors import user_message

log = logging.getLogger("dashboard.auth")

DEMO_NAMES = {roles.ROLE_LEADER: "演示市领导", roles.ROLE_SUPERVISOR: "演示督导", roles.ROLE_COUNTY: "演示填报员",
              roles.ROLE_ADMIN: "演示管理员"}
DEMO_DEFAULT_ROLE = roles.ROLE_SUPERVISOR
COOKIE = "ydbq_session"
DEMO_COOKIE = "ydbq_demo"          # the demo role (and county) chosen in this browser: "<role key>:<county code>"
PROXY_HEADER_ENV = "AUTH_PROXY_HEADER"
SIGNED_OUT_PARAM = "signed_out"
SIGNED_OUT = {"1": "已退出登录。", "pw": "密码已修改，请用新密码重新登录。"}
FORWARD_HEADERS = ("X-Forwarded-For", "X-Real-Ip", "Forwarded")
DEMO_LOCAL_ONLY = ("演示数据库仅供在本机演示，不向网络中的其他计算机开放（其中的演示账号无需密码）。"
                   "请在服务器本机打开，或连接正式数据库并使用本单位分配的账号登录。")


@dataclass(frozen=True)
class User:
    username: str
    display_name: str
    role: str
    county_code: str | None = None
    county_name: str | None = None
    demo: bool = False

    @property
    def county_only(self) -> bool:
        """The user's data scope is their own county."""
        return roles.county_only(self.role)

    def can(self, action: str | roles.Action) -> bool:
        return roles.can(self.role, action)


def _county_name(counties, code):
    for c, n in counties:
        if c == code:
            return n
    return None


def _token() -> str | None:
    """This session's token: the one issued at sign-in here, else the browser's cookie (sent at connect)."""
    if st.session_state.get("_auth_signed_out"):
        return None
    return st.session_state.get("_auth_token") or _cookie(COOKIE)


def _write_cookie(token: str | None, *, reload_as: str | None = None) -> None:
    """Set (or with None clear) the session cookie in the browser, from a same-origin script; with `reload_as`
    (a key of SIGNED_OUT) the page is then reloaded with ?signed_out=<key>, as a fresh signed-out visit."""
    if token:
        value = f"{COOKIE}={token}; path=/; max-age={int(accounts.TOKEN_LIFETIME.total_seconds())}; SameSite=Strict"
    else:
        value = f"{COOKIE}=; path=/; max-age=0; SameSite=Strict"
    script = f"document.cookie = {json.dumps(value)};"
    if reload_as:
        script += (f"const u = new URL(window.location.href); u.searchParams.set({json.dumps(SIGNED_OUT_PARAM)}, "
                   f"{json.dumps(reload_as)}); window.location.replace(u.toString());")
    st.html(f"<script>{script}</script>", unsafe_allow_javascript=True)


def is_local(ip: str | None, headers: Mapping[str, str]) -> bool:
    """The browser is on this machine: the connection comes from loopback (Streamlit reports None for it) and no
    forwarding header (a reverse proxy on this machine) names another address."""
    addresses = [ip] if ip else []
    for h in FORWARD_HEADERS:
        v = headers.get(h)
        if v:
            found = re.findall(r'for="?\[?([^;,"\]]+)', v, re.I) if h == "Forwarded" else v.split(",")
            addresses += found or ["unknown"]
    for a in addresses:
        try:
            if not ipaddress.ip_address(a.strip()).is_loopback:
                return False
        except ValueError:
            return False
    return True


def _cookie(name: str) -> str | None:
    """A cookie the browser sent at connect; None without one (Streamlit's AppTest has no connection: its context
    is a mock object, whose answers are not strings)."""
    v = st.context.cookies.get(name)
    return v if isinstance(v, str) else None


def _client() -> tuple[str | None, Mapping[str, str]]:
    ip = st.context.ip_address
    # a served session reports a str (None for loopback); Streamlit's AppTest has no connection (a mock object)
    return (ip if isinstance(ip, str) else None), st.context.headers


def demo_allowed() -> bool:
    """The demo database's automatic sign-in and role switcher: for a browser on this machine only."""
    return is_local(*_client())


def _from_proxy(engine) -> accounts.Account | None:
    header = os.environ.get(PROXY_HEADER_ENV)
    if not header:
        return None
    name = (_client()[1].get(header) or "").strip()
    if not name:
        return None
    if st.session_state.get("_auth_proxy_user") == name and st.session_state.get("_auth_token"):
        return None                                   # already signed in through the proxy this session
    if st.session_state.get("_auth_signed_out") or st.session_state.get("_auth_proxy_refused") == name:
        return None                                   # signed out here, or refused once: not again at every rerun
    r = accounts.sign_in_trusted(engine, name)
    if r.ok:
        st.session_state["_auth_proxy_user"] = name
        st.session_state["_auth_token"] = r.token
    else:
        st.session_state["_auth_proxy_refused"] = name
    return r.account


def current_user(engine, demo: bool, counties: list[tuple[str, str]]) -> User | None:
    """The signed-in user, or None (then the caller shows the sign-in form and stops)."""
    if demo:
        if DEMO_ROLE_KEY not in st.session_state:
            _demo_from_cookie(counties)
        role = st.session_state.get(DEMO_ROLE_KEY, DEMO_DEFAULT_ROLE)
        county = st.session_state.get(DEMO_COUNTY_KEY) or (counties[0][0] if counties else None)
        if not roles.county_only(role):
            county = None
        return User(username=f"demo_{roles.ROLES.index(role)}", display_name=DEMO_NAMES[role], role=role,
                    county_code=county, county_name=_county_name(counties, county), demo=True)
    _from_proxy(engine)
    token = _token()
    account = accounts.resume(engine, token) if token else None
    if account is None:
        st.session_state.pop("_auth_token", None)
        return None
    if st.session_state.get("_auth_token") and _cookie(COOKIE) != token:
        _write_cookie(token)          # issued in this session: the browser has not sent it back yet
    return User(**asdict(account))


# The demo role and county live in ONE place each: these non-widget keys. The switcher's widgets (keys demo_role,
# demo_county) are seeded from them on every run and write back only through on_change — Streamlit deletes a
# widget-bound key when a page without that widget instance runs, which made the role slip back to the default.
DEMO_ROLE_KEY, DEMO_COUNTY_KEY = "_demo_role_value", "_demo_county_value"


_ROLE_BY_KEY = {r.key: r.name for r in roles.ROLES_REGISTRY}
_KEY_BY_ROLE = {r.name: r.key for r in roles.ROLES_REGISTRY}


def _demo_from_cookie(counties: list[tuple[str, str]]) -> None:
    """A new tab (or a reload) of a browser that switched the demo role starts in that role: the choice is kept in
    a cookie. It grants nothing the switcher does not (the demo serves this machine only and every demo role is
    one click away), so it is a plain preference, read only when it names a known role and county."""
    raw = _cookie(DEMO_COOKIE) or ""
    key, _, county = raw.partition(":")
    if key in _ROLE_BY_KEY:
        st.session_state[DEMO_ROLE_KEY] = _ROLE_BY_KEY[key]
        if county in {c for c, _ in counties}:
            st.session_state[DEMO_COUNTY_KEY] = county


def _remember_demo_choice() -> None:
    """Write the demo role and county to this browser's cookie when they differ from what it holds."""
    role = st.session_state.get(DEMO_ROLE_KEY, DEMO_DEFAULT_ROLE)
    county = st.session_state.get(DEMO_COUNTY_KEY) if roles.county_only(role) else None
    value = f"{_KEY_BY_ROLE[role]}:{county or ''}"
    if value == st.session_state.get("_demo_cookie", _cookie(DEMO_COOKIE) or
                                     f"{_KEY_BY_ROLE[DEMO_DEFAULT_ROLE]}:"):
        return
    st.session_state["_demo_cookie"] = value
    cookie = f"{DEMO_COOKIE}={value}; path=/; max-age={int(accounts.TOKEN_LIFETIME.total_seconds())}; SameSite=Strict"
    st.html(f"<script>document.cookie = {json.dumps(cookie)};</script>", unsafe_allow_javascript=True)


def _on_demo_role():
    st.session_state[DEMO_ROLE_KEY] = st.session_state["demo_role"]


def _on_demo_county():
    st.session_state[DEMO_COUNTY_KEY] = st.session_state["demo_county"]


def demo_switcher(counties: list[tuple[str, str]]) -> None:
    """Sidebar role switcher for the demo database (the role shown is always the role in force)."""
    role = st.session_state.setdefault(DEMO_ROLE_KEY, DEMO_DEFAULT_ROLE)
    st.session_state["demo_role"] = role
    st.selectbox("演示角色", roles.ROLES, key="demo_role", on_change=_on_demo_role,
                 help="演示模式下可切换角色，查看不同用户看到的内容")
    if roles.county_only(role) and counties:
        codes = [c for c, _ in counties]
        if st.session_state.get(DEMO_COUNTY_KEY) not in codes:
            st.session_state[DEMO_COUNTY_KEY] = codes[0]
        st.session_state["demo_county"] = st.session_state[DEMO_COUNTY_KEY]
        st.selectbox("所属县（市、区）", codes, key="demo_county", format_func=dict(counties).get,
                     on_change=_on_demo_county)
    _remember_demo_choice()


def login_form(engine) -> None:
    """Centered sign-in form; on success keeps the session token (and its cookie) and reruns. Right after a
    sign-out the cookie is cleared and the page reloaded (it then shows this form as a fresh visit does)."""
    reason = st.session_state.pop("_auth_clear_cookie", None)
    if reason:
        _write_cookie(None, reload_as=reason if reason in SIGNED_OUT else "1")
    _, mid, _ = st.columns([1, 1.2, 1])
    with mid:
        st.markdown("### 易地搬迁后续扶持监测督导平台")
        st.caption("请使用本单位分配的账号登录")
        msg = st.session_state.pop("_auth_message", None) or SIGNED_OUT.get(st.query_params.get(SIGNED_OUT_PARAM))
        if st.query_params.get(SIGNED_OUT_PARAM) and not reason:
            del st.query_params[SIGNED_OUT_PARAM]
        if msg:
            st.info(msg)
        with st.form("login", clear_on_submit=False):
            username = st.text_input("用户名")
            password = st.text_input("密码", type="password")
            ok = st.form_submit_button("登录", type="primary", width="stretch")
        if ok:
            try:
                r = accounts.sign_in(engine, username.strip(), password)
            except Exception as exc:  # noqa: BLE001 - e.g. a full disk refusing the audit entry: nothing signed in
                log.exception("sign-in failed")
                st.error(f"登录暂时无法完成：{user_message(exc)}。请稍后重试；如仍有问题，请联系系统管理员。")
                return
            if not r.ok:
                st.error(r.message)
            else:
                st.session_state["_auth_token"] = r.token
                st.session_state.pop("_auth_signed_out", None)
                st.rerun()


def logout(engine) -> None:
    """End the session everywhere (server row deleted) and clear this browser's cookie."""
    accounts.sign_out(engine, _token())
    for k in ("_auth_token", "_auth_proxy_user"):
        st.session_state.pop(k, None)
    st.session_state["_auth_signed_out"] = True
    st.session_state["_auth_clear_cookie"] = "1"
    st.session_state["_auth_message"] = SIGNED_OUT["1"]


def account_menu(engine, user: User) -> None:
    """Sidebar: 修改密码 and 退出登录 for a signed-in (non-demo) user."""
    with st.expander("修改密码", icon=":material/key:"):
        password_form(engine, user)
    if st.button("退出登录", icon=":material/logout:"):
        logout(engine)
        export_links.drop_built_files()      # a captured export link stops working with its session
        st.rerun()


def password_form(engine, user: User) -> None:
    """修改密码: every signed-in user changes their own password (the old one required)."""
    with st.form("own_password", clear_on_submit=True):
        old = st.text_input("原密码", type="password")
        new = st.text_input("新密码", type="password", help=f"至少{accounts.MIN_PASSWORD_LENGTH}个字符")
        again = st.text_input("再次输入新密码", type="password")
        ok = st.form_submit_button("修改密码")
    if ok:
        if new != again:
            st.error("两次输入的新密码不一致。")
            return
        try:
            accounts.change_own_password(engine, user.username, old, new)
        except accounts.AccountError as e:
            st.error(f"密码未修改：{e}")
            return
        st.session_state.pop("_auth_token", None)
        st.session_state["_auth_signed_out"] = True
        st.session_state["_auth_clear_cookie"] = "pw"
        st.session_state["_auth_message"] = SIGNED_OUT["pw"]
        st.rerun()
