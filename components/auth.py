"""Sign-in, demo roles and data scope (domain.md §10, §11).

On the demo database the session starts signed in as a demo 市级督导 and the sidebar offers a role switcher;
on any other database nothing but the login form is shown until a user signs in against the users table.
"""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from services import dashboard as svc

ROLES = ["市领导", "市级督导", "县级填报员", "管理员"]
DEMO_NAMES = {"市领导": "演示市领导", "市级督导": "演示督导", "县级填报员": "演示填报员", "管理员": "演示管理员"}


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
        return self.role == "县级填报员"

    def can(self, action: str) -> bool:
        return action in svc.ROLE_ACTIONS.get(self.role, set())


def _county_name(counties, code):
    for c, n in counties:
        if c == code:
            return n
    return None


def current_user(engine, demo: bool, counties: list[tuple[str, str]]) -> User | None:
    """The signed-in user, or None (then the caller shows the login form and stops)."""
    if demo:
        role = st.session_state.get("demo_role", "市级督导")
        county = st.session_state.get("demo_county") or (counties[0][0] if counties else None)
        if role != "县级填报员":
            county = None
        return User(username=f"demo_{ROLES.index(role)}", display_name=DEMO_NAMES[role], role=role,
                    county_code=county, county_name=_county_name(counties, county), demo=True)
    u = st.session_state.get("user")
    if not u:
        return None
    return User(**u)


def demo_switcher(counties: list[tuple[str, str]]) -> None:
    """Sidebar role switcher for the demo database."""
    st.session_state.setdefault("demo_role", "市级督导")
    st.selectbox("演示角色", ROLES, key="demo_role", help="演示模式下可切换角色，查看不同用户看到的内容")
    if st.session_state["demo_role"] == "县级填报员" and counties:
        codes = [c for c, _ in counties]
        if st.session_state.get("demo_county") not in codes:
            st.session_state["demo_county"] = codes[0]
        st.selectbox("所属县（市、区）", codes, key="demo_county", format_func=dict(counties).get)


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
            user = svc.authenticate(engine, username.strip(), password)
            if user is None:
                st.error("用户名或密码不正确，或账号已停用。")
            else:
                st.session_state["user"] = user
                st.rerun()


def logout() -> None:
    for k in ("user",):
        st.session_state.pop(k, None)
