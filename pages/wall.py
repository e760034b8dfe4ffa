"""数据大屏: dark wall screen for leaders; refreshes itself and can rotate views (?rotate=0 stops, ?interval=60,
?view=1 starts on — or, without rotation, stays on — the second view: two screens can show both).
Its way back (总览) and its settings sit in the bottom-left corner: the header and sidebar are hidden."""
import streamlit as st

from components import cache, profile, shell, wall

ctx = shell.page("数据大屏", "pages/wall.py", wall=True)
if ctx and not profile.scope_gate(ctx, cache.user_scope(ctx.user)):
    wall.setup()
    q = st.query_params.get("interval", "60")
    rotate, interval = wall.controls(st.query_params.get("rotate", "1") != "0",
                                     int(q) if q.isdigit() and int(q) in wall.INTERVALS else 60)

    @st.fragment(run_every=interval)
    def screen():
        with shell.guard("数据大屏"):
            cache.pin_fingerprint(ctx.engine)      # a refresh reads the newest data (the page run pinned its own)
            tick = st.session_state.get("wall_tick", -1) + 1
            st.session_state["wall_tick"] = tick
            start = 1 if st.query_params.get("view") == "1" else 0
            view = wall.VIEWS[(start + (tick if rotate else 0)) % len(wall.VIEWS)]
            wall.render(ctx, view, rotate, interval)

    screen()
