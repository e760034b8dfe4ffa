"""问题整改台账: filter, add, edit and close (销号) rectification items; every change a version of the selected month
(deep link ?item=CODE&month=YYYY-MM)."""
from components import cache, rectification, shell

ctx = shell.page("问题整改台账", "pages/rectification.py")
if ctx:
    scope = cache.user_scope(ctx.user)
    with shell.guard("问题整改台账"):
        shell.title("问题整改台账", ctx)
        if not rectification.deep_link_gate(ctx, scope):
            rectification.page_body(ctx, scope)
