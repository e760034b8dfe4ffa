"""安置点画像: facts, five-dimension radar, indicator points lost, 12-month trend, rights, employment, organisation."""
import streamlit as st

from components import cache, charts, profile, shell, theme

ctx = shell.page("安置点画像", "pages/site.py")
scope = cache.user_scope(ctx.user) if ctx else None
if ctx and not profile.scope_gate(ctx, scope):
    with shell.guard("安置点画像"):
        site = shell.pick_site(ctx)
        p = cache.site_profile(ctx.engine, ctx.month, site, scope) if site else None
        if p is None:
            st.info("本月没有该安置点的评分数据，请选择其他安置点或月份。", icon=":material/info:")
        else:
            s = p.site
            shell.title(s["site_name"], ctx)
            profile.site_header(p)
            profile.household_link(ctx, site)
            a, b = st.columns([1, 1.25])
            with a:
                fig = cache.prepared(ctx.engine, ctx.month, scope, "site.radar", (site,),
                                     lambda: charts.radar(p.dims, p.site_dims, p.city_dims, p.target_dims))
                st.plotly_chart(fig, config=theme.PLOTLY_CONFIG, key="radar")
            with b:
                fig = cache.prepared(ctx.engine, ctx.month, scope, "site.trend", (site,),
                                     lambda: charts.site_trend(p.history, n_sites=p.n_sites))
                st.plotly_chart(fig, config=theme.PLOTLY_CONFIG, key="site_trend")
            profile.indicator_section(p)
            t1, t2, t3, t4 = st.tabs(["权益落实", "就业帮扶", "双五级与服务平台", "问题整改"])
            with t1:
                profile.rights_section(p)
                profile.site_households(ctx, site, scope)
            with t2:
                profile.employment_section(p)
            with t3:
                profile.organisation_section(p)
            with t4:
                profile.rectification_section(p.rectifications, ctx.month)
