"""数据大屏: dark wall screen for leaders; refreshes itself and can rotate views (?rotate=0 stops, ?interval=60)."""
import streamlit as st

from components import shell, wall

ctx = shell.page("数据大屏", "pages/wall.py", wall=True)
if ctx:
    wall.setup()
    with st.sidebar:
        st.markdown("**大屏设置**")
        rotate = st.toggle("自动轮播", value=st.query_params.get("rotate", "1") != "0", key="wall_rotate")
        interval = st.select_slider("刷新/切换间隔（秒）", [15, 30, 60, 120, 300],
                                    value=int(st.query_params.get("interval", 60)) if
                                    st.query_params.get("interval", "60").isdigit() else 60, key="wall_interval")

    @st.fragment(run_every=interval)
    def screen():
        with shell.guard("数据大屏"):
            tick = st.session_state.get("wall_tick", -1) + 1
            st.session_state["wall_tick"] = tick
            view = wall.VIEWS[tick % len(wall.VIEWS)] if rotate else wall.VIEWS[0]
            wall.render(ctx, view, rotate, interval)

    screen()
