"""components.grid: a prepared Styler is marshalled once, and st.dataframe ships exactly what Streamlit itself
would have built from the same Styler (a Streamlit upgrade that changes this internal fails here)."""
from __future__ import annotations

import pandas as pd
import pytest
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
