"""地图: county polygons shaded by flag or score, sites coloured by 等次 and sized by population (no tiles)."""
import streamlit as st

from components import cache, maps, shell

ctx = shell.page("地图", "pages/map.py")
if ctx:
    with shell.guard("地图"):
        shell.title("安置点分布与县区进度地图", ctx)
        md = cache.map_data(ctx.engine, ctx.month)
        c1, c2 = st.columns([1, 3])
        with c1:
            mode = st.radio("县区底色", ["按进度预警", "按县均得分"], horizontal=True, key="map_mode")
        mode = "flag" if mode == "按进度预警" else "score"
        with c2:
            st.html(maps.legend_html(mode))
        deck = maps.build_deck(md, mode=mode, height=640, selected_county=st.query_params.get("county"))
        event = st.pydeck_chart(deck, on_select="rerun", selection_mode="single-object", key="city_map", height=640)
        shell.open_selection(ctx, event)
        st.caption("将鼠标移到安置点或县区上查看详情；点击安置点打开其画像，点击县区打开县区画像。"
                   "地图不加载任何在线底图，边界为离线数据。")
