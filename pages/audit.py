"""审计日志 (管理员): search the audit log by user, action, dates and text, paged in the database; export audited."""
from components import admin, shell

ctx = shell.page("审计日志", "pages/audit.py", month_selector=False, needs_data=False)
if ctx:
    with shell.guard("审计日志"):
        shell.title("审计日志")
        admin.audit_search(ctx.engine, ctx)
