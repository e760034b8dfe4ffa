"""components.grid: a prepared Styler is marshalled once, and st.dataframe ships exactly what Streamlit itself
would have built from the same Styler (a Streamlit upgrade that changes this internal fails here)."""
from __future__ import annotations

import pandas as pd
import pytest
import streamlit as st
from pandas.io.formats.style import Styler
from streamlit.testing.v1 import AppTest

from components import grid, widgets


def _frame(n: int = 40) -> pd.DataFrame:
    grades = ["优秀", "良好", "合格", "不合格"]
    return pd.DataFrame({
        "排名": range(1, n + 1),
        "安置点": [f"安置点{i}" for i in range(n)],
        "总分": [90 - i * 0.37 for i in range(n)],
        "总分较上月": [None if i % 7 == 0 else (i - 20) / 3 for i in range(n)],
        "等次": [grades[i % 4] for i in range(n)],
        "达标": [widgets.QUALIFIED_TEXT[i % 3 != 0] for i in range(n)],
    })


APP = """
import streamlit as st
from components import grid, widgets
from tests.ui.test_grid import _frame
grid.install()
st.dataframe(widgets.style_grades(_frame()).set_uuid("ranking"), key="plain")
st.dataframe(grid.prepare(widgets.style_grades(_frame()), "ranking"), key="prepared")
"""


def test_prepared_grid_ships_the_proto_streamlit_builds():
    at = AppTest.from_string(APP).run(timeout=30)
    assert not at.exception
    plain, prepared = (e.proto.arrow_data for e in at.dataframe)
    assert plain.styler.styles and plain.styler.display_values          # a real styled table: CSS and display text
    assert "color: " in plain.styler.styles
    assert prepared.styler.SerializeToString() == plain.styler.SerializeToString()
    assert prepared.data == plain.data


def test_a_prepared_styler_is_not_computed_again(monkeypatch):
    sty = grid.prepare(widgets.style_grades(_frame()), "ranking")
    assert grid.is_prepared(sty)

    def refuse(self, *a, **k):
        raise AssertionError("the Styler was computed again")

    monkeypatch.setattr(Styler, "_compute", refuse)
    monkeypatch.setattr(Styler, "_translate", refuse)
    grid.install()
    from streamlit.elements import arrow
    from streamlit.proto.ArrowData_pb2 import ArrowData
    msg = ArrowData()
    arrow.marshall_styler(msg, sty, "other")           # what st.dataframe calls
    assert msg.styler.uuid == "ranking" and "color: " in msg.styler.styles
    with pytest.raises(AssertionError, match="computed again"):   # an unprepared Styler still goes the original way
        arrow.marshall_styler(ArrowData(), widgets.style_grades(_frame()), "other")


def test_install_is_idempotent_and_keeps_the_original():
    from streamlit.elements import arrow
    grid.install()
    first = arrow.marshall_styler
    grid.install()
    assert arrow.marshall_styler is first
    assert first._ydbq_original.__module__ == "streamlit.elements.lib.pandas_styler_utils"


SHARED_APP = """
import streamlit as st
from components import grid
from tests.ui.test_grid import _frame
grid.install()
df = _frame()
st.dataframe(df.copy(), key="plain")

@st.cache_resource
def view_model():                                     # as components.cache keeps a view model
    return grid.share(_frame())


shared = view_model()
st.dataframe(shared, key="shared1")
st.dataframe(shared, key="shared2", column_order=["排名", "安置点"])
"""


def test_a_shared_frame_is_converted_once_and_ships_the_same_bytes(monkeypatch):
    calls = []
    original = grid._TO_ARROW
    monkeypatch.setattr(grid, "_TO_ARROW", lambda df: calls.append(len(df)) or original(df))
    st.cache_resource.clear()
    at = AppTest.from_string(SHARED_APP).run(timeout=30)
    assert not at.exception
    plain, one, two = (e.proto.arrow_data.data for e in at.dataframe)
    assert plain == one == two                       # the bytes Streamlit itself builds from the same data
    assert len(calls) == 2                           # the plain frame, and the shared one once for two tables
    at.run()
    assert len(calls) == 3                           # a rerun: only the plain frame (a new copy) again
    st.cache_resource.clear()


def test_only_marked_frames_keep_their_bytes():
    grid.install()
    from streamlit import dataframe_util
    df = grid.share(_frame())
    first = dataframe_util.convert_pandas_df_to_arrow_bytes(df)
    assert dataframe_util.convert_pandas_df_to_arrow_bytes(df) is first
    assert df.copy().__dict__.get(grid._ARROW, "unmarked") == "unmarked"          # copies are not marked
    assert df[["排名"]].__dict__.get(grid._ARROW, "unmarked") == "unmarked"       # nor selections
    plain = _frame()
    assert dataframe_util.convert_pandas_df_to_arrow_bytes(plain) is not \
        dataframe_util.convert_pandas_df_to_arrow_bytes(plain)


def test_share_frames_marks_the_frames_of_a_view_model():
    from dataclasses import dataclass

    @dataclass
    class Inner:
        t: pd.DataFrame

    @dataclass
    class Model:
        a: pd.DataFrame
        inner: Inner
        many: list
        n: int = 3

    m = grid.share_frames(Model(_frame(), Inner(_frame()), [_frame(), Inner(_frame())]))
    frames = [m.a, m.inner.t, m.many[0], m.many[1].t]
    assert all(grid._ARROW in f.__dict__ for f in frames)
