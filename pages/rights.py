"""权益保障: sites (or counties) × R01–R15 coverage and gaps, by side and platform; a cell → its households."""
import streamlit as st

from components import cache, profile, rights_view, shell
from services import rights

ctx = shell.page("权益保障", "pages/rights.py")
if ctx and not profile.scope_gate(ctx, cache.user_scope(ctx.user)):
    with shell.guard("权益保障"):
        shell.title("搬迁群众权益保障矩阵", ctx)
        f = rights_view.filters(ctx)
        view = rights.rights_matrix(ctx.engine, ctx.month, ctx.scope_county, by=f.by, side=f.side,
                                    platform=f.platform)
        rights_view.matrix(view, f)
        rights_view.worklist_download(ctx)
        cell = rights_view.cell_chooser(ctx, view, f)
        if cell:
            page = rights_view.pager_state()
            hp = rights.household_list(ctx.engine, ctx.month, ctx.scope_county, site=cell.site, item=cell.item,
                                       kind=cell.kind, side=f.side, platform=f.platform, page=page, size=50)
            rights_view.household_table(ctx, hp, page, 50)
    st.caption("覆盖率 = 已落实 ÷（全部事项 − 不适用）；空白（未填报）计入分母并列为漏项。")
