"""一户一档: one household (deep link ?household=CODE&month=YYYY-MM); a household of another county → 超出权限."""
import streamlit as st

from components import cache, household_view, profile, shell
from domain.scope import OutOfScope
from services import households

ctx = shell.page("一户一档", "pages/household.py")
scope = cache.user_scope(ctx.user) if ctx else None
if ctx and not profile.scope_gate(ctx, scope):
    with shell.guard("一户一档"):
        code = household_view.code_input()
        shell.title(f"一户一档 {code or ''}", ctx)
        if code:
            try:
                hf = households.household_file(ctx.engine, code, ctx.month, scope)
            except OutOfScope as exc:
                st.error(f"{exc}。", icon=":material/lock:")
                hf = False
            if hf is None:
                st.warning(f"未找到户编码为“{code}”的搬迁户。")
            elif hf:
                household_view.render(hf)
        else:
            household_view.hint()
