"""安置点排名: the 68 sites with every column of the §8 site table, filters, overall / within-class view, exports."""

from components import cache, profile, shell, tables

ctx = shell.page("安置点排名", "pages/ranking.py")
scope = cache.user_scope(ctx.user) if ctx else None
if ctx and not profile.scope_gate(ctx, scope):
    with shell.guard("安置点排名"):
        shell.title("安置点五好社区创建排名", ctx)
        ranking = cache.ranking(ctx.engine, ctx.month, scope)
        f = tables.ranking_filters(ctx, ranking)
        view = cache.ranking_view(ctx.engine, ctx.month, scope, f, ctx.counties)
        tables.ranking_summary(view.shown, len(ranking))
        tables.ranking_grid(view, f.view, list(ranking.dimensions.values()))
        tables.ranking_downloads(ctx, view.table, f, scope)
