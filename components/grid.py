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
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler
from streamlit.elements import arrow as _arrow
from streamlit.proto.ArrowData_pb2 import ArrowData

from components import links, place, widgets
from services import ranking as ranking_svc

_ATTR = "_ydbq_styler_message"
_ORIGINAL = getattr(_arrow.marshall_styler, "_ydbq_original", _arrow.marshall_styler)
_LOCK = threading.Lock()


def _marshall_styler(proto, styler, default_uuid: str) -> None:
    done = getattr(styler, _ATTR, None)
    if done is None:
        _ORIGINAL(proto, styler, default_uuid)
    else:
        proto.styler.CopyFrom(done)


_marshall_styler._ydbq_original = _ORIGINAL     # type: ignore[attr-defined]


def install() -> None:
    """Route st.dataframe's Styler marshalling through prepared messages (idempotent, process-wide)."""
    with _LOCK:
        if _arrow.marshall_styler is not _marshall_styler:
            _arrow.marshall_styler = _marshall_styler


def prepare(styler: Styler, uuid: str) -> Styler:
    """Marshal `styler` now, once, and keep the result on it (the same message st.dataframe would build)."""
    styler.set_uuid(uuid)
    msg = ArrowData()
    _ORIGINAL(msg, styler, uuid)
    setattr(styler, _ATTR, msg.styler)
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
