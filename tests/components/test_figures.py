"""components/figures.py: a shared figure is turned into its JSON spec once, and st.plotly_chart ships exactly
what Streamlit itself builds from the same figure (a Streamlit or plotly upgrade that changes these calls fails)."""
from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio
import plotly.tools as ptools
import streamlit as st
from streamlit.testing.v1 import AppTest

from components import figures


def figure() -> go.Figure:
    fig = go.Figure(go.Bar(x=["甲县", "乙县", "丙县"], y=[81.5, 77.25, 60.0], marker_color="#B22222"))
    return fig.update_layout(height=300, title="县均得分")


APP = """
import streamlit as st
from components import figures
from tests.components.test_figures import figure
figures.install()


@st.cache_resource
def shared():                                        # as components.cache.prepared keeps a figure
    return figures.share(figure())


st.plotly_chart(figure(), key="plain")
st.plotly_chart(shared(), key="shared")
"""


def test_a_shared_figure_ships_the_same_spec_and_is_converted_once(monkeypatch):
    calls = []
    original = figures._ORIG_FIGURE
    monkeypatch.setattr(figures, "_ORIG_FIGURE",
                        lambda f, validate_figure: calls.append(1) or original(f, validate_figure))
    st.cache_resource.clear()
    at = AppTest.from_string(APP).run(timeout=30)
    assert not at.exception
    plain, shared = (e.proto for e in at.get("plotly_chart"))
    assert '"县均得分"' in plain.spec or "县均得分" in plain.spec
    assert shared.spec == plain.spec and shared.config == plain.config
    assert len(calls) == 2                         # the plain figure, and the shared one when it was shared
    at.run()
    assert len(calls) == 3                         # a rerun converts only the plain (new) figure again
    st.cache_resource.clear()


def test_only_shared_figures_keep_their_spec():
    figures.install()
    fig = figures.share(figure())
    assert figures.is_shared(fig)
    spec = ptools.return_figure_from_figure_or_data(fig, validate_figure=True)
    assert spec is ptools.return_figure_from_figure_or_data(fig, validate_figure=True)
    assert pio.to_json(spec, validate=False) is spec.json
    assert spec == figure().to_dict()
    other = figure()
    assert not figures.is_shared(other)
    assert ptools.return_figure_from_figure_or_data(other, validate_figure=True) is not \
        ptools.return_figure_from_figure_or_data(other, validate_figure=True)
    assert pio.to_json({"data": []}, validate=False) == '{"data":[]}'
    assert figures.share([1, 2]) == [1, 2]                                   # not a figure: unchanged


def test_install_is_idempotent():
    figures.install()
    figures.install()
    assert figures.installed()
    assert figures._to_json._ydbq_original.__module__ == "plotly.io._json"
