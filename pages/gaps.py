"""权益缺口: households whose rights items are 未落实 or unverified, routed to side and platform (IDs masked)."""

from components import cache, gaps, shell

ctx = shell.page("权益缺口", "pages/gaps.py")
if ctx:
    with shell.guard("权益缺口"):
        shell.title("搬迁群众权益缺口清单", ctx)
        county = gaps.county_filter(ctx)
        df = cache.gaps(ctx.engine, ctx.month, county)
        shown = gaps.filters(ctx, df)
        gaps.summary(shown)
        gaps.table(shown)
        gaps.downloads(ctx, shown)
