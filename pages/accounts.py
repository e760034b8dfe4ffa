"""账号管理 (管理员): the accounts, create one, change role/county, reset a password, disable or enable — audited."""
import streamlit as st

from components import admin, shell

ctx = shell.page("账号管理", "pages/accounts.py", month_selector=False, needs_data=False)
if ctx:
    with shell.guard("账号管理"):
        shell.title("账号管理")
        rows = admin.accounts_table(ctx.engine)
        with st.expander("新建账号", icon=":material/person_add:"):
            admin.create_form(ctx.engine, ctx)
        st.markdown("##### 修改账号")
        admin.edit_form(ctx.engine, ctx, rows)
