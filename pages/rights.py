"""权益保障: sites (or counties) × R01–R15 coverage and gaps, by side and platform; a cell → its households."""
import streamlit as st

from components import cache, profile, rights_view, shell
from services import rights

PAGE_SIZE = 50

ctx = shell.page("权益保障", "pages/rights.py")
scope = cache.user_scope(ctx.user) if ctx else None
if ctx and not profile.scope_gate(ctx, scope):
    with shell.guard("权益保障"):
        shell.title("搬迁群众权益保障矩阵", ctx)
        f = rights_view.filters(ctx)
        view = rights_view.matrix_view(ctx, scope, f)
        rights_view.matrix(view, f)
        rights_view.worklist_download(ctx, scope)
        cell = rights_view.cell_chooser(ctx, view, f)
        page = rights_view.pager_state()
        hp = rights.household_list(ctx.engine, ctx.month, scope, county=cell.county, site=cell.site,
                                   item=cell.item, kind=cell.kind, side=f.side, platform=f.platform, page=page,
                                   size=PAGE_SIZE)
        rights_view.household_table(ctx, hp, page, PAGE_SIZE)
    st.caption("覆盖率 = 已落实 ÷（全部事项 − 不适用）；空白（未填报）计入分母并列为漏项。")
