"""一户一档: one household (deep link ?household=CODE&month=YYYY-MM)."""
import streamlit as st

from components import cache, household_view, profile, shell
from services import households

ctx = shell.page("一户一档", "pages/household.py")
if ctx and not profile.scope_gate(ctx, cache.user_scope(ctx.user)):
    with shell.guard("一户一档"):
        code = household_view.code_input()
        shell.title(f"一户一档 {code or ''}", ctx)
        if code:
            hf = households.household_file(ctx.engine, code, ctx.month, ctx.scope_county)
            if hf is None:
                st.warning(f"未找到户编码为“{code}”的搬迁户（或不在您的管辖范围内）。")
            else:
                household_view.render(hf)
