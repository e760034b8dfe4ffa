"""Styled grids prepared once and shared: the pandas Styler of a large table is marshalled (its per-cell display
text and CSS) once per view, not on every rerun of every session.

Why: st.dataframe(styler) runs the Styler (`_compute`, `_translate`) and turns every cell into display text on each
call. For the province ranking (1,000 sites × 20 columns) that is about 0.4 CPU s per page view, against 4 ms for
the plain data; under 20 sessions it was a third of the server's time (bench/RESULTS.md, "After (4)").

How: `prepare(styler)` marshals the Styler once into Streamlit's own ArrowData.styler message and keeps it on the
Styler object; `install()` wraps Streamlit's `marshall_styler` (the one place st.dataframe marshals a Styler) so that
a prepared Styler's message is copied instead of being recomputed. An unprepared Styler goes the original way. The
prepared object is shared read-only through components.cache (st.cache_resource): nobody mutates it afterwards.
tests/ui/test_grid.py checks that a prepared grid gives byte-for-byte the proto Streamlit itself would produce, so
a Streamlit upgrade that changes this internal fails a test instead of drawing a wrong table.

Shared frames: every st.dataframe also turns its pandas frame into Arrow IPC bytes on each call (for the site
profile's six tables and the ranking grid about a tenth of the server's samples under 20 sessions). A frame that
belongs to a shared read-only view model is marked with `share()` (`share_frames()` marks every frame of a cached
view model); `install()` also wraps Streamlit's `convert_pandas_df_to_arrow_bytes` so that a marked frame is
converted the first time it is drawn and its bytes are reused afterwards. Copies and selections of a marked frame
are not marked (pandas does not carry the mark over), so anything derived per run is converted as before.
"""
from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler
from streamlit import dataframe_util as _dataframe_util
from streamlit.elements import arrow as _arrow
from streamlit.proto.ArrowData_pb2 import ArrowData

from components import links, place, widgets
from services import ranking as ranking_svc

_ATTR = "_ydbq_styler_message"
_ARROW = "_ydbq_arrow_bytes"
_ORIGINAL = getattr(_arrow.marshall_styler, "_ydbq_original", _arrow.marshall_styler)
_TO_ARROW = getattr(_dataframe_util.convert_pandas_df_to_arrow_bytes, "_ydbq_original",
                    _dataframe_util.convert_pandas_df_to_arrow_bytes)
_LOCK = threading.Lock()


def _marshall_styler(proto, styler, default_uuid: str) -> None:
    done = getattr(styler, _ATTR, None)
    if done is None:
        _ORIGINAL(proto, styler, default_uuid)
    else:
        proto.styler.CopyFrom(done)


_marshall_styler._ydbq_original = _ORIGINAL     # type: ignore[attr-defined]


def _to_arrow(df: pd.DataFrame) -> bytes:
    marks = getattr(df, "__dict__", None)
    if marks is None or _ARROW not in marks:
        return _TO_ARROW(df)
    done = marks[_ARROW]
    if done is None:
        done = marks[_ARROW] = _TO_ARROW(df)
    return done


_to_arrow._ydbq_original = _TO_ARROW     # type: ignore[attr-defined]


def install() -> None:
    """Route st.dataframe's Styler marshalling through prepared messages, and its Arrow conversion of shared
    frames through their kept bytes (idempotent, process-wide)."""
    if _arrow.marshall_styler is _marshall_styler and _dataframe_util.convert_pandas_df_to_arrow_bytes is _to_arrow:
        return
    with _LOCK:
        _arrow.marshall_styler = _marshall_styler
        _dataframe_util.convert_pandas_df_to_arrow_bytes = _to_arrow


def share(df: pd.DataFrame) -> pd.DataFrame:
    """Mark `df` as shared read-only: its Arrow bytes are made when it is first drawn and kept. Only for frames
    nobody changes afterwards (view models in components.cache)."""
    df.__dict__.setdefault(_ARROW, None)
    return df


def share_frames(obj, _depth: int = 0):
    """Mark every DataFrame of a cached view model (a dataclass, its dataclass fields, lists of them) as shared."""
    if isinstance(obj, pd.DataFrame):
        share(obj)
    elif _depth < 4 and dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            share_frames(getattr(obj, f.name), _depth + 1)
    elif _depth < 4 and isinstance(obj, (list, tuple)):
        for x in obj:
            share_frames(x, _depth + 1)
    return obj


def prepare(styler: Styler, uuid: str) -> Styler:
    """Marshal `styler` now, once, and keep the result on it (the same message st.dataframe would build)."""
    styler.set_uuid(uuid)
    msg = ArrowData()
    _ORIGINAL(msg, styler, uuid)
    setattr(styler, _ATTR, msg.styler)
    share(styler.data)
    return styler


def is_prepared(styler) -> bool:
    return getattr(styler, _ATTR, None) is not None


def ranking_styler(table: pd.DataFrame, month: str | None, counties: list[tuple[str, str]] | None) -> Styler:
    """The ranking grid's display frame (达标 worded, site and county names as profile links, grades coloured),
    prepared: what components.tables.ranking_grid shows."""
    show = table.copy()
    show["达标"] = show["达标"].map(widgets.QUALIFIED_TEXT)
    if month:
        show = links.add_site_links(show, month, {n: c for c, n in (counties or [])})
    return prepare(widgets.style_grades(show), "ranking")


def ranking_config(dimensions: list[str], view: str) -> dict:
    """Column configuration of the ranking grid (headers, widths, help, pinned columns)."""
    cfg = {
        "排名": st.column_config.NumberColumn("排名", width=50, help=place.local("全市排名（总分相同名次并列）"),
                                              pinned=True),
        "同类排名": st.column_config.NumberColumn("同类排名", width=70, help="同规模安置点中的排名"),
        "安置点编码": None,
        "安置点": links.link_column("安置点", width=190, pinned=True),
        "县": links.link_column("县", width=70),
        "规模": st.column_config.TextColumn("规模", width=52),
        "等次": st.column_config.TextColumn("等次", width=56),
        "达标": st.column_config.TextColumn("达标", width=74),
        "短板": st.column_config.TextColumn("短板", width=84),
        "总分": st.column_config.NumberColumn("总分", format="%.2f", width=62),
        "指标完整度": st.column_config.TextColumn("指标完整度", width=78, help="本月未缺报的指标数/指标总数"),
        "缺报": st.column_config.TextColumn("缺报", width=110, help="本月缺报（计0分）的指标；空白为指标齐全"),
        "较上月": st.column_config.TextColumn("较上月名次", width=80,
                                             help=place.local("全市名次较上月变化：↑上升、↓下降、—不变、新为新增")),
        "总分较上月": st.column_config.NumberColumn("较上月得分", format="%+.2f", width=80, help="总分较上月变化"),
        "排名区间": st.column_config.TextColumn("排名区间", width=80, help=widgets.INTERVAL_HELP),
    }
    for d in dimensions:
        cfg[d] = st.column_config.NumberColumn(d, format="%.2f", width=64)
    if view == "class":
        cfg["排名"] = st.column_config.NumberColumn(place.local("全市排名"), width=64,
                                                  help=place.local("全市排名（总分相同名次并列）"))
        cfg["同类排名"] = st.column_config.NumberColumn("同类排名", width=70, help="同规模安置点中的排名", pinned=True)
    return cfg


@dataclass(frozen=True)
class RankingView:
    """What the ranking page shows for one (month, scope, filters, view): the filtered sites, the §8 table (also
    the CSV's source) and the prepared grid. Shared read-only between sessions."""
    shown: ranking_svc.Ranking
    table: pd.DataFrame
    styler: Styler


def ranking_view(ranking: ranking_svc.Ranking, f: ranking_svc.RankingFilters, month: str | None,
                 counties: list[tuple[str, str]] | None) -> RankingView:
    shown = ranking_svc.filter_ranking(ranking, f)
    table = ranking_svc.ranking_table(shown, f.view)
    return RankingView(shown=shown, table=table, styler=ranking_styler(table, month, counties))
