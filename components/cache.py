"""Bounded Streamlit caches around services.dashboard — the only place in the app with st.cache_*.

Cached view models are keyed by the database URL, the month and the database's data-version fingerprint, so an
import (which bumps the month's data version) is visible on the next rerun without waiting for a TTL.
"""
from __future__ import annotations

import logging
import threading
import time

import streamlit as st

from services import dashboard as svc

TTL = 600          # seconds
SMALL = 16         # entries


@st.cache_resource(show_spinner=False)
def _engine(url: str):
    from data.db import get_engine

    return get_engine(url)


def engine():
    from data.db import database_url

    return _engine(database_url())


class _DemoBuild:
    """A demo build running in its own thread, so that a page rerun or a second visitor cannot interrupt it
    (Streamlit stops a script run at its next st.* call); sessions only watch its progress."""

    def __init__(self, eng):
        self.fraction, self.text, self.error = 0.0, "等待开始…", None
        self.thread = threading.Thread(target=self._run, args=(eng,), name="demo-build", daemon=True)

    def _report(self, fraction: float, text: str) -> None:
        self.fraction, self.text = min(max(fraction, 0.0), 1.0), text

    def _run(self, eng) -> None:
        try:
            svc.build_demo_if_empty(eng, on_progress=self._report)
        except Exception as exc:  # noqa: BLE001 - shown to the user in Chinese, logged in full
            logging.getLogger(__name__).exception("demo build failed")
            self.error = exc


_BUILDS: dict[str, _DemoBuild] = {}
_BUILDS_LOCK = threading.Lock()


def _demo_build(eng) -> _DemoBuild:
    """The running (or finished) demo build of this database; one per process, restarted after a failure."""
    with _BUILDS_LOCK:
        b = _BUILDS.get(_url(eng))
        if b is None or (b.error is not None and not b.thread.is_alive()):
            b = _BUILDS[_url(eng)] = _DemoBuild(eng)
            b.thread.start()
        return b


def ready(eng) -> bool:
    """True when the database has data. An empty *default* database gets the demo built (once per process)
    while the page shows a progress bar: the first start takes a couple of minutes."""
    if not svc.is_empty(eng):
        return True
    if svc.is_default_database(eng):
        box = st.empty()
        with box.container():
            st.info("首次启动：正在生成演示城市（黔西南州，68个安置点，24个月台账）并计算各月评分，"
                    "约需三分钟（视机器性能而定），只需生成一次，完成后页面自动显示。", icon=":material/hourglass_top:")
            bar = st.progress(0.0, text="等待开始…")
        b = _demo_build(eng)
        while b.thread.is_alive():
            bar.progress(b.fraction, text=b.text)
            time.sleep(0.5)
        if b.error is not None:
            box.empty()
            st.error(f"生成演示数据失败：{b.error}。请刷新页面重试，或由管理员运行 "
                     "`python -m data init --city 522300 --demo` 查看详细原因。", icon=":material/error:")
            return False
        box.empty()
        return not svc.is_empty(eng)
    st.warning("数据库为空：尚未初始化城市与安置点。请管理员运行 `python -m data init --city 城市名称` 完成初始化。",
               icon=":material/database:")
    return False


def _url(eng) -> str:
    return eng.url.render_as_string(hide_password=False)


def fingerprint(eng) -> str:
    return svc.fingerprint(eng)


@st.cache_data(max_entries=SMALL, ttl=30, show_spinner=False)
def _is_demo(url: str) -> bool:
    return svc.is_demo(_engine(url))


def is_demo(eng) -> bool:
    return _is_demo(_url(eng))


@st.cache_data(max_entries=SMALL, ttl=60, show_spinner=False)
def _counties(url: str, fp: str) -> list[tuple[str, str]]:
    return svc.county_list(_engine(url))


def county_list(eng) -> list[tuple[str, str]]:
    return _counties(_url(eng), fingerprint(eng))


@st.cache_data(max_entries=SMALL, ttl=60, show_spinner=False)
def _months(url: str, fp: str) -> list[str]:
    return svc.available_months(_engine(url))


def months(eng) -> list[str]:
    return _months(_url(eng), fingerprint(eng))


# ---- month results (shared by every view model; unpickled from the result store once per month) -------------------

@st.cache_resource(max_entries=30, ttl=TTL, show_spinner=False)
def _results(url: str, fp: str, month: str):
    return svc.results(_engine(url), month)


@st.cache_data(max_entries=64, ttl=TTL, show_spinner=False)
def _coverage(url: str, fp: str, month: str, county: str | None) -> dict:
    return svc.rights_totals(_engine(url), month, county)


def _res(url: str, fp: str):
    def get(month: str):
        return _results(url, fp, month)

    get.months = lambda: _months(url, fp)
    return get


def _cov(url: str, fp: str):
    return lambda month, county: _coverage(url, fp, month, county)


# ---- view models -------------------------------------------------------------------------------------------------

@st.cache_data(max_entries=24, ttl=TTL, show_spinner="正在计算本月得分…")
def _overview(url, fp, month, county):
    return svc.overview(_engine(url), month, county=county, res=_res(url, fp), cov=_cov(url, fp))


def overview(eng, month, county=None):
    return _overview(_url(eng), fingerprint(eng), month, county)


@st.cache_data(max_entries=24, ttl=TTL, show_spinner="正在计算本月得分…")
def _ranking(url, fp, month):
    return svc.ranking_frame(_engine(url), month, res=_res(url, fp))


def ranking(eng, month):
    """Full ranking frame of the month (filtering happens in services.dashboard.filter_ranking, uncached)."""
    return _ranking(_url(eng), fingerprint(eng), month)


@st.cache_data(max_entries=12, ttl=TTL, show_spinner="正在生成导出文件…")
def _ranking_xlsx(url, fp, month, counties, sizes, grades, qualified, view, text):
    eng = _engine(url)
    shown = svc.filter_ranking(svc.ranking_frame(eng, month, res=_res(url, fp)), counties=list(counties), size_classes=list(sizes),
                               grades=list(grades), qualified=qualified)
    return svc.ranking_workbook_bytes(eng, month, svc.ranking_table(shown, view, score_change=False), view=view,
                                      filters=text)


def ranking_xlsx(eng, month, f: dict) -> bytes:
    """Print-ready Excel of the filtered ranking (f: the filter dict of components.tables.ranking_filters)."""
    return _ranking_xlsx(_url(eng), fingerprint(eng), month, tuple(f["counties"] or ()), tuple(f["sizes"] or ()),
                         tuple(f["grades"] or ()), f["qualified"], f["view"], f["text"])


@st.cache_data(max_entries=12, ttl=TTL, show_spinner="正在加载地图…")
def _map_data(url, fp, month):
    return svc.map_data(_engine(url), month, res=_res(url, fp))


def map_data(eng, month):
    return _map_data(_url(eng), fingerprint(eng), month)


@st.cache_data(max_entries=48, ttl=TTL, show_spinner="正在加载安置点数据…")
def _site_profile(url, fp, month, site):
    return svc.site_profile(_engine(url), month, site, res=_res(url, fp))


def site_profile(eng, month, site):
    return _site_profile(_url(eng), fingerprint(eng), month, site)


@st.cache_data(max_entries=32, ttl=TTL, show_spinner="正在加载县区数据…")
def _county_profile(url, fp, month, county):
    return svc.county_profile(_engine(url), month, county, res=_res(url, fp))


def county_profile(eng, month, county):
    return _county_profile(_url(eng), fingerprint(eng), month, county)


@st.cache_data(max_entries=12, ttl=TTL, show_spinner="正在加载大屏数据…")
def _wall(url, fp, month):
    return svc.wall_data(_engine(url), month, res=_res(url, fp), cov=_cov(url, fp))


def wall(eng, month):
    return _wall(_url(eng), fingerprint(eng), month)


@st.cache_data(max_entries=12, ttl=TTL, show_spinner="正在汇总权益缺口…")
def _gaps(url, fp, month, county):
    return svc.rights_gaps(_engine(url), month, county=county)


def gaps(eng, month, county=None):
    return _gaps(_url(eng), fingerprint(eng), month, county)


@st.cache_data(max_entries=64, ttl=TTL, show_spinner=False)
def _site_options(url, fp, county):
    return svc.site_options(_engine(url), county)


def site_options(eng, county=None):
    return _site_options(_url(eng), fingerprint(eng), county)


def clear() -> None:
    st.cache_data.clear()
    _results.clear()
