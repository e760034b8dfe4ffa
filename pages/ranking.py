"""安置点排名: the 68 sites with every column of the §8 site table, filters, overall / within-class view, exports."""

from components import cache, shell, tables
from services import dashboard as svc

ctx = shell.page("安置点排名", "pages/ranking.py")
if ctx:
    with shell.guard("安置点排名"):
        shell.title("安置点五好社区创建排名", ctx)
        sites = cache.ranking(ctx.engine, ctx.month)
        f = tables.ranking_filters(ctx, sites)
        shown = svc.filter_ranking(sites, counties=f["counties"], size_classes=f["sizes"], grades=f["grades"],
                                   qualified=f["qualified"])
        table = svc.ranking_table(shown, f["view"])
        tables.ranking_summary(shown, len(sites))
        tables.ranking_grid(table, f["view"])
        tables.ranking_downloads(ctx, table, f)
