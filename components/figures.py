"""Charts prepared once and shared: a shared plotly figure is turned into its JSON spec once, not on every view.

Why: st.plotly_chart copies the whole figure into a dict (`Figure.to_dict`, a deep copy) and encodes it as JSON on
every call. The figures of 总览, 画像, 县区 and 大屏 are already built once per month and scope and shared
(components.cache.prepared), yet turning them into JSON again was about a tenth of the server's CPU under 20
sessions (py-spy --gil, bench/RESULTS.md "After (5)").

How: `share(fig)` makes the figure's dict and JSON once and keeps them on the figure; `install()` wraps the two
plotly functions st.plotly_chart calls (`plotly.tools.return_figure_from_figure_or_data`, `plotly.io.to_json`) so
that a shared figure's kept dict and JSON are used. Anything not shared goes the original way. A shared figure is
read-only afterwards (it lives in st.cache_resource). tests/components/test_figures.py checks that the message
sent is byte-for-byte the one Streamlit builds from the same figure.
"""
from __future__ import annotations

import threading

import plotly.io as _pio
import plotly.tools as _ptools
from plotly.basedatatypes import BaseFigure

_DICT = "_ydbq_shared_dict"
_LOCK = threading.Lock()
_ORIG_FIGURE = getattr(_ptools.return_figure_from_figure_or_data, "_ydbq_original",
                       _ptools.return_figure_from_figure_or_data)
_ORIG_JSON = getattr(_pio.to_json, "_ydbq_original", _pio.to_json)


class SharedSpec(dict):
    """The figure's dict (what st.plotly_chart reads its width and height from) with its JSON kept beside it."""
    json: str


def share(fig):
    """Make `fig`'s dict and JSON spec now, once, and keep them on it (figures only; anything else is returned
    unchanged)."""
    if isinstance(fig, BaseFigure) and getattr(fig, _DICT, None) is None:
        spec = SharedSpec(_ORIG_FIGURE(fig, validate_figure=True))
        spec.json = _ORIG_JSON(spec, validate=False)
        object.__setattr__(fig, _DICT, spec)
    return fig


def is_shared(fig) -> bool:
    return getattr(fig, _DICT, None) is not None


def _figure_or_data(figure_or_data, validate_figure):
    spec = getattr(figure_or_data, _DICT, None) if isinstance(figure_or_data, BaseFigure) else None
    return spec if spec is not None else _ORIG_FIGURE(figure_or_data, validate_figure)


def _to_json(fig, *args, **kwargs):
    if type(fig) is SharedSpec and not args and set(kwargs) <= {"validate"}:
        return fig.json
    return _ORIG_JSON(fig, *args, **kwargs)


_figure_or_data._ydbq_original = _ORIG_FIGURE     # type: ignore[attr-defined]
_to_json._ydbq_original = _ORIG_JSON              # type: ignore[attr-defined]


def install() -> None:
    """Route st.plotly_chart's conversion of shared figures through their kept spec (idempotent, process-wide)."""
    if _ptools.return_figure_from_figure_or_data is _figure_or_data and _pio.to_json is _to_json:
        return
    with _LOCK:
        _ptools.return_figure_from_figure_or_data = _figure_or_data
        _pio.to_json = _to_json


def installed() -> bool:
    return _ptools.return_figure_from_figure_or_data is _figure_or_data and _pio.to_json is _to_json
