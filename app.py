"""易地搬迁后续扶持监测督导平台 — start page (总览).

Run: streamlit run app.py. Pages are the files in pages/ (legacy multipage routing; see components/shell.py).
Deep links: /?month=2026-10, /?site=<code> and /?county=<code> open the site / county profile.
"""
import streamlit as st

from components import cache, charts, profile, shell, theme, widgets

ctx = shell.page("总览", "app.py")
if ctx:
    scope = cache.user_scope(ctx.user)
    if profile.scope_gate(ctx, scope):
        st.stop()
    shell.forward_deep_links(ctx)
    with shell.guard("总览"):
        ov = cache.overview(ctx.engine, ctx.month, scope)
        shell.title("五好社区创建总览" if not ctx.scope_county else f"{ctx.user.county_name}五好社区创建总览", ctx)
        widgets.kpi_row(ov.kpis)

        def ranked():      # the month's sites, read only when a part below is built (prepared parts are shared)
            return cache.ranking(ctx.engine, ctx.month, scope).sites

        left, right = st.columns([1.15, 1])
        with left:
            if ctx.scope_county:      # one county: its sites, not a ranking of one bar
                widgets.grade_legend()
                fig = cache.prepared(ctx.engine, ctx.month, scope, "overview.site_scores", (ctx.user.county_name,),
                                     lambda: charts.site_scores(ranked(), height=380,
                                                                title=f"{ctx.user.county_name}安置点总分"))
                st.plotly_chart(fig, config=theme.PLOTLY_CONFIG, key="county_rank")
            else:
                widgets.flag_legend()
                fig = cache.prepared(ctx.engine, ctx.month, scope, "overview.county_ranking", (),
                                     lambda: charts.county_ranking(ov.counties, height=380))
                st.plotly_chart(fig, config=theme.PLOTLY_CONFIG, key="county_rank")
        with right:
            fig = cache.prepared(ctx.engine, ctx.month, scope, "overview.trend", (),
                                 lambda: charts.qualified_trend(ov.trend, height=380))
            st.plotly_chart(fig, config=theme.PLOTLY_CONFIG, key="trend")
        vetoed = cache.prepared(ctx.engine, ctx.month, scope, "vetoes", (), lambda: widgets.vetoes(ranked()))
        best, worst, flags = st.columns([1.2, 1.2, 1])
        with best:
            st.markdown("##### 得分最高的安置点")
            widgets.site_list(ov.best, ctx.month, vetoed)
        with worst:
            st.markdown("##### 得分最低的安置点")
            widgets.site_list(ov.worst, ctx.month, vetoed)
        with flags:
            st.markdown("##### 进度滞后的县（市、区）")
            widgets.flag_cards(ov.flags)
            if ov.praise:
                st.caption("争先进位（县均得分较上月提升最多）：" + "、".join(ov.praise))
        st.caption(f"指标体系版本 {ov.catalogue_version} · 县均得分为辖区安置点总分的平均值 · "
                   "序时进度为按三年创建计划折算到本月应达标的安置点数，取整数个（不足一个不计） · "
                   "点击安置点名称查看其画像")
