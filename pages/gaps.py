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
        page = gaps.pager(f, counts.gaps)

        def rows():      # the page's rows, read only when needed: the shown page is prepared once and shared
            return cache.gap_page(ctx.engine, ctx.month, scope, f, page)

        if f.household:
            gaps.household_note(f, rows())
        gaps.table(cache.prepared(ctx.engine, ctx.month, scope, "gaps.page", (f, page),
                                  lambda: gaps.display_table(rows(), ctx.month)))
        gaps.downloads(ctx, f, scope, counts.gaps)
