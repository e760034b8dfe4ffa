"""权益缺口: households whose rights items are 未落实 or unverified, routed to side and platform (IDs masked)."""

from components import cache, gaps, profile, shell

ctx = shell.page("权益缺口", "pages/gaps.py")
scope = cache.user_scope(ctx.user) if ctx else None
if ctx and not profile.scope_gate(ctx, scope):
    with shell.guard("权益缺口"):
        shell.title("搬迁群众权益缺口清单", ctx)
        county = gaps.county_filter(ctx)
        df = cache.gaps(ctx.engine, ctx.month, scope, county)
        shown = gaps.filters(ctx, df)
        gaps.summary(shown)
        gaps.table(shown, ctx.month)
        gaps.downloads(ctx, shown, scope)
