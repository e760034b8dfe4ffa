"""地图: county polygons shaded by flag or score, sites coloured by 等次 and sized by population (no tiles)."""
import streamlit as st

from components import cache, maps, profile, shell, widgets

ctx = shell.page("地图", "pages/map.py")
scope = cache.user_scope(ctx.user) if ctx else None
if ctx and not profile.scope_gate(ctx, scope):
    with shell.guard("地图"):
        shell.title("安置点分布与县区进度地图", ctx)
        md = cache.map_data(ctx.engine, ctx.month, scope)
        maps.keep_tooltips_inside()
        left, right = st.columns([3.2, 1])
        with right:
            mode = st.radio("县区底色", ["按进度预警", "按县均得分"], key="map_mode")
            mode = "flag" if mode == "按进度预警" else "score"
            st.html(maps.legend_html(mode, vertical=True))
            st.markdown("##### 进度滞后的县（市、区）")
            widgets.flag_cards(maps.worded_flags(md.flags))
        with left:
            deck = cache.map_deck(ctx.engine, ctx.month, scope, mode=mode, height=620, width=960,
                                  selected=st.query_params.get("county"))
            event = st.pydeck_chart(deck, on_select="rerun", selection_mode="single-object", key="city_map",
                                    height=620)
            st.caption("鼠标移到安置点或县区上查看详情；点击安置点打开其画像，点击县区打开县区画像。"
                       "地图不加载任何在线底图，边界为离线数据。")
        shell.open_selection(ctx, event)
