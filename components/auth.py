"""Sign-in, demo roles and data scope (domain.md §10, §11).

On the demo database the session starts signed in as a demo 市级督导 and the sidebar offers a role switcher;
on any other database nothing but the login form is shown until a user signs in against the users table.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import streamlit as st

from domain import roles
from services import accounts

DEMO_NAMES = {roles.ROLE_LEADER: "演示市领导", roles.ROLE_SUPERVISOR: "演示督导", roles.ROLE_COUNTY: "演示填报员",
              roles.ROLE_ADMIN: "演示管理员"}
DEMO_DEFAULT_ROLE = roles.ROLE_SUPERVISOR


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


def current_user(engine, demo: bool, counties: list[tuple[str, str]]) -> User | None:
    """The signed-in user, or None (then the caller shows the login form and stops)."""
    if demo:
        role = st.session_state.get(DEMO_ROLE_KEY, DEMO_DEFAULT_ROLE)
        county = st.session_state.get(DEMO_COUNTY_KEY) or (counties[0][0] if counties else None)
        if not roles.county_only(role):
            county = None
        return User(username=f"demo_{roles.ROLES.index(role)}", display_name=DEMO_NAMES[role], role=role,
                    county_code=county, county_name=_county_name(counties, county), demo=True)
    u = st.session_state.get("user")
    if not u:
        return None
    return User(**u)


# The demo role and county live in ONE place each: these non-widget keys. The switcher's widgets (keys demo_role,
# demo_county) are seeded from them on every run and write back only through on_change — Streamlit deletes a
# widget-bound key when a page without that widget instance runs, which made the role slip back to the default.
DEMO_ROLE_KEY, DEMO_COUNTY_KEY = "_demo_role_value", "_demo_county_value"


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


def login_form(engine) -> None:
    """Centered login form; on success stores the user and reruns."""
    _, mid, _ = st.columns([1, 1.2, 1])
    with mid:
        st.markdown("### 易地搬迁后续扶持监测督导平台")
        st.caption("请使用本单位分配的账号登录")
        with st.form("login", clear_on_submit=False):
            username = st.text_input("用户名")
            password = st.text_input("密码", type="password")
            ok = st.form_submit_button("登录", type="primary", width="stretch")
        if ok:
            account = accounts.authenticate(engine, username.strip(), password)
            if account is None:
                st.error("用户名或密码不正确，或账号已停用。")
            else:
                st.session_state["user"] = asdict(account)
                st.rerun()


def logout() -> None:
    for k in ("user",):
        st.session_state.pop(k, None)
