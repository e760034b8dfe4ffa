"""权益缺口: households whose rights items are 未落实 or unverified, routed to side and platform (IDs masked); the list
is filtered, counted and paged in the database, the CSV built when downloaded."""

from components import cache, gaps, profile, shell

ctx = shell.page("权益缺口", "pages/gaps.py")
scope = cache.user_scope(ctx.user) if ctx else None
if ctx and not profile.scope_gate(ctx, scope):
    with shell.guard("权益缺口"):
        shell.title("搬迁群众权益缺口清单", ctx)
        county = gaps.county_filter(ctx)
        f = gaps.filters(ctx, cache.gap_sites(ctx.engine, ctx.month, scope, county), county)
        counts = cache.gap_summary(ctx.engine, ctx.month, scope, f)
        gaps.summary(counts)
        rows = cache.gap_page(ctx.engine, ctx.month, scope, f, gaps.pager(f, counts.gaps))
        gaps.household_note(f, rows)
        gaps.table(rows, ctx.month)
        gaps.downloads(ctx, f, scope, counts.gaps)
