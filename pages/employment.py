"""就业帮扶: per county and site 就业率, 参训率, 持证率, workshop/park share, forms, income growth, trends; the
零就业家庭 with their labourers and households whose labour rows disagree with 劳动力人数."""
import streamlit as st

from components import cache, employment_view as ev, profile, shell
from services import employment

ctx = shell.page("就业帮扶", "pages/employment.py")
scope = cache.user_scope(ctx.user) if ctx else None
if ctx and not profile.scope_gate(ctx, scope):
    with shell.guard("就业帮扶"):
        shell.title("就业帮扶", ctx)
        county = ev.county_choice(ctx, scope)
        view = employment.employment_view(ctx.engine, ctx.month, scope, county=county)
        st.subheader("各县（市、区）")
        ev.rate_table(view.counties, ctx.month, "ev_counties", view.bands)
        c1, c2 = st.columns(2)
        with c1:
            ev.trend_chart(view.trend)
        with c2:
            ev.forms_chart(view.forms)
        st.subheader("各安置点")
        ev.rate_table(view.sites, ctx.month, "ev_sites", view.bands)
        st.caption("就业率、参训率、持证率、车间园区就业占比 = 相应劳动力 ÷ 台账劳动力"
                   "（与评分指标 E1、E3、E4、I2 同一口径）；收入增长为指标 E5；未达该指标满分值标黄，"
                   "不高于起评值（该项得0分）标红。")
        ev.zero_households(ctx, view)
        page = int(st.session_state.get("ev_mis_page", 0))
        mp = employment.labour_mismatch(ctx.engine, ctx.month, scope, county=county, page=page, size=ev.PAGE_SIZE)
        ev.mismatch(mp, ctx.month)
