"""组织建设: 双五级 posts (应设/已设) and the three service platforms per site, gaps highlighted."""
from components import cache, employment_view, organisation_view, profile, shell
from services import organisation

ctx = shell.page("组织建设", "pages/organisation.py")
scope = cache.user_scope(ctx.user) if ctx else None
if ctx and not profile.scope_gate(ctx, scope):
    with shell.guard("组织建设"):
        shell.title("组织建设（双五级与服务平台）", ctx)
        county = employment_view.county_choice(ctx, scope)
        view = organisation.organisation_view(ctx.engine, ctx.month, scope, county=county)
        organisation_view.site_table(view, ctx.month)
        organisation_view.gap_table(view.gaps)
