"""县区画像: the county's sites, creation progress against plan, flags with reasons and their history."""
import streamlit as st

from components import cache, charts, profile, shell, theme, widgets

ctx = shell.page("县区画像", "pages/county.py")
scope = cache.user_scope(ctx.user) if ctx else None
if ctx and not profile.scope_gate(ctx, scope):
    with shell.guard("县区画像"):
        county = shell.pick_county(ctx)
        p = cache.county_profile(ctx.engine, ctx.month, county, scope) if county else None
        if p is None:
            st.info("本月没有该县（市、区）的数据。", icon=":material/info:")
        else:
            shell.title(p.county["county_name"], ctx)
            profile.county_header(p)
            a, b = st.columns([1.3, 1])
            with a:
                fig = cache.prepared(ctx.engine, ctx.month, scope, "county.progress", (county,),
                                     lambda: charts.county_progress(p.trend, height=330))
                st.plotly_chart(fig, config=theme.PLOTLY_CONFIG, key="county_trend")
            with b:
                st.markdown("##### 进度预警记录（近12个月）")
                profile.flag_history(p.flag_history)
            st.markdown("##### 辖区安置点")
            with st.container(key="county_sites_box"):
                widgets.site_table(p.sites.drop(columns=["县"]), key="county_sites", month=ctx.month)
            c1, c2 = st.columns([1, 3])
            with c1:
                st.markdown("##### 创建批次完成情况")
                st.dataframe(p.batches, hide_index=True, width="stretch", key="batches")
            with c2:
                st.markdown("##### 问题整改")
                profile.rectification_section(p.rectifications, ctx.month)
