"""数据导入: county operators upload the monthly ledger workbook (validated, all-or-nothing)."""

from components import cache, profile, shell, upload

ctx = shell.page("数据导入", "pages/upload.py", month_selector=False)
if ctx and not profile.scope_gate(ctx, cache.user_scope(ctx.user)):
    with shell.guard("数据导入"):
        shell.title("月度台账导入")
        upload.render(ctx)
