"""Bounded Streamlit caches around the services — the only place in the app with st.cache_*.

Cached view models are keyed by the database's key (a hash of its URL: the URL itself, which may carry a
password, is never part of a cache key), the month and the database's data-version fingerprint, so an import
(which bumps the month's data version) is visible on the next rerun without waiting for a TTL.
"""
from __future__ import annotations

import hashlib
import logging
import threading
import time
from typing import Any, Callable

import streamlit as st
from sqlalchemy import Engine

from components import figures, grid, maps
from data.db import get_engine
from data.rights import CoverageTotals, GapCounts, GapFilter
from domain.scope import Scope
from services import gaps as gaps_svc
from services import maps as maps_svc
from services import overview as overview_svc
from services import profiles, results, settings, setup
from services import ranking as ranking_svc

TTL = 600          # seconds
SMALL = 16         # entries

_ENGINES: dict[str, Engine] = {}
_ENGINES_LOCK = threading.Lock()


def db_key(eng: Engine) -> str:
    """The database's cache key: a hash of its full URL (different credentials, different key)."""
    url = eng.url.render_as_string(hide_password=False)
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:24]


def engine() -> Engine:
    """The process's engine of the configured database (DATABASE_URL or the default SQLite file)."""
    eng = get_engine()
    with _ENGINES_LOCK:
        _ENGINES.setdefault(db_key(eng), eng)
    return eng


def engine_for(key: str) -> Engine:
    """The engine behind a cache key (registered by engine() in this process)."""
    with _ENGINES_LOCK:
        return _ENGINES[key]


class _DemoBuild:
    """A demo build running in its own thread, so that a page rerun or a second visitor cannot interrupt it
    (Streamlit stops a script run at its next st.* call); sessions only watch its progress."""

    def __init__(self, eng: Engine):
        self.fraction, self.text, self.error = 0.0, "等待开始…", None
        self.thread = threading.Thread(target=self._run, args=(eng,), name="demo-build", daemon=True)

    def _report(self, fraction: float, text: str) -> None:
        self.fraction, self.text = min(max(fraction, 0.0), 1.0), text

    def _run(self, eng: Engine) -> None:
        try:
            setup.build_demo_if_empty(eng, on_progress=self._report)
        except Exception as exc:  # noqa: BLE001 - shown to the user in Chinese, logged in full
            logging.getLogger(__name__).exception("demo build failed")
            self.error = exc


_BUILDS: dict[str, _DemoBuild] = {}
_BUILDS_LOCK = threading.Lock()


def _demo_build(eng: Engine) -> _DemoBuild:
    """The running (or finished) demo build of this database; one per process, restarted after a failure."""
    with _BUILDS_LOCK:
        key = db_key(eng)
        b = _BUILDS.get(key)
        if b is None or (b.error is not None and not b.thread.is_alive()):
            b = _BUILDS[key] = _DemoBuild(eng)
            b.thread.start()
        return b


_READY: dict[str, float] = {}


def _has_data(eng: Engine) -> bool:
    """settings.is_empty, remembered for a second once the database holds data (it was a query on every run)."""
    key, now = db_key(eng), time.monotonic()
    if now - _READY.get(key, -1e9) <= FINGERPRINT_TTL:
        return True
    if settings.is_empty(eng):
        return False
    _READY[key] = now
    return True


def ready(eng: Engine) -> bool:
    """True when the database has data. An empty *default* database gets the demo built (once per process)
    while the page shows a progress bar: the first start takes a couple of minutes."""
    if _has_data(eng):
        return True
    if settings.is_default_database(eng):
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
        return not settings.is_empty(eng)
    st.warning("数据库为空：尚未初始化城市与安置点。请管理员运行 `python -m data init --city 城市名称` 完成初始化。",
               icon=":material/database:")
    return False


FINGERPRINT_TTL = 1.0   # seconds
_FPS: dict[str, tuple[float, str]] = {}
_PIN = "_cache_fingerprint_pin"


def _read_fingerprint(eng: Engine) -> str:
    key, now = db_key(eng), time.monotonic()
    got = _FPS.get(key)
    if got is None or now - got[0] > FINGERPRINT_TTL:
        got = _FPS[key] = (now, settings.fingerprint(eng))
    return got[1]


def pin_fingerprint(eng: Engine) -> str:
    """Read the database's fingerprint for this script run and keep it for the rest of the run (shell.page calls
    this first): every cached view model, chart and grid of one page then comes from the same data version, so an
    import finishing half-way through a run can never mix old and new figures on one page."""
    fp = _read_fingerprint(eng)
    try:
        st.session_state[_PIN] = (db_key(eng), fp)
    except Exception:  # noqa: BLE001 - outside a script run (tests, commands): nothing to pin
        pass
    return fp


def fingerprint(eng: Engine) -> str:
    """The database's data-version fingerprint: the one pinned for this script run (pin_fingerprint), else read at
    most once a second per process (every cached call of a run asks for it; two queries each time were measurable
    under load). An import through another process is visible on the next run: every cache below is keyed by this
    fingerprint, never by a long TTL."""
    try:
        pinned = st.session_state.get(_PIN)
    except Exception:  # noqa: BLE001 - outside a script run
        pinned = None
    if pinned and pinned[0] == db_key(eng):
        return pinned[1]
    return _read_fingerprint(eng)


@st.cache_data(max_entries=SMALL, ttl=30, show_spinner=False)
def _is_demo(key: str) -> bool:
    return settings.is_demo(engine_for(key))


def is_demo(eng: Engine) -> bool:
    return _is_demo(db_key(eng))


@st.cache_data(max_entries=SMALL, ttl=60, show_spinner=False)
def _counties(key: str, fp: str) -> list[tuple[str, str]]:
    return settings.county_list(engine_for(key))


def county_list(eng: Engine) -> list[tuple[str, str]]:
    return _counties(db_key(eng), fingerprint(eng))


@st.cache_data(max_entries=SMALL, ttl=60, show_spinner=False)
def _months(key: str, fp: str) -> list[str]:
    return settings.available_months(engine_for(key))


def months(eng: Engine) -> list[str]:
    return _months(db_key(eng), fingerprint(eng))


# ---- month results (shared by every view model; unpickled from the result store once per month) -------------------

@st.cache_resource(max_entries=30, ttl=TTL, show_spinner=False)
def _results(key: str, fp: str, month: str) -> results.MonthView:
    return results.results(engine_for(key), month)


@st.cache_data(max_entries=64, ttl=TTL, show_spinner=False)
def _coverage(key: str, fp: str, month: str, county: str | None) -> CoverageTotals:
    return overview_svc.rights_totals(engine_for(key), month, county)


class _CachedResults:
    """A results.Provider over the cached month results of one database state."""

    def __init__(self, key: str, fp: str):
        self.key, self.fp = key, fp

    def __call__(self, month: str) -> results.MonthView:
        return _results(self.key, self.fp, month)

    def months(self) -> list[str]:
        return _months(self.key, self.fp)


def _res(key: str, fp: str) -> _CachedResults:
    return _CachedResults(key, fp)


def _cov(key: str, fp: str):
    return lambda month, county: _coverage(key, fp, month, county)


# ---- view models -------------------------------------------------------------------------------------------------
# The page-level view models (overview, ranking, profiles, wall) are st.cache_resource: one object shared read-only
# by every session. st.cache_data unpickled a fresh copy of each on every hit (5 % of the server's samples under
# 20 sessions); the pages, components and charts that read them never modify them (they filter, sort or copy into
# new frames). Anything that must change a view model's frame copies it first.

@st.cache_resource(max_entries=24, ttl=TTL, show_spinner="正在计算本月得分…")
def _overview(key, fp, month, county, sk: str) -> overview_svc.Overview:
    return overview_svc.overview(engine_for(key), month, county=county, res=_res(key, fp), cov=_cov(key, fp),
                                 scope=Scope.from_key(sk))


def overview(eng: Engine, month: str, scope: Scope, county: str | None = None) -> overview_svc.Overview:
    return _overview(db_key(eng), fingerprint(eng), month, county, scope.key)


@st.cache_resource(max_entries=24, ttl=TTL, show_spinner="正在计算本月得分…")
def _ranking(key, fp, month, sk: str) -> ranking_svc.Ranking:
    return ranking_svc.ranking_frame(engine_for(key), month, res=_res(key, fp), scope=Scope.from_key(sk))


def ranking(eng: Engine, month: str, scope: Scope) -> ranking_svc.Ranking:
    """The month's sites in the scope (filtering happens in services.ranking.filter_ranking, uncached)."""
    return _ranking(db_key(eng), fingerprint(eng), month, scope.key)


# shared read-only (cache_resource): the filtered table and its grid, marshalled once (components.grid)
@st.cache_resource(max_entries=24, ttl=TTL, show_spinner=False)
def _ranking_view(key, fp, month, sk: str, f: ranking_svc.RankingFilters,
                  counties: tuple[tuple[str, str], ...]) -> grid.RankingView:
    return grid.ranking_view(_ranking(key, fp, month, sk), f, month, list(counties))


def ranking_view(eng: Engine, month: str, scope: Scope, f: ranking_svc.RankingFilters,
                 counties: list[tuple[str, str]]) -> grid.RankingView:
    """The ranking page's filtered table and prepared grid, built once per (month, scope, filters, view)."""
    grid.install()
    return _ranking_view(db_key(eng), fingerprint(eng), month, scope.key, f, tuple(map(tuple, counties)))


@st.cache_data(max_entries=12, ttl=TTL, show_spinner="正在生成导出文件…")
def _ranking_xlsx(key, fp, month, f: ranking_svc.RankingFilters, sk: str) -> bytes:
    eng = engine_for(key)
    shown = ranking_svc.filter_ranking(ranking_svc.ranking_frame(eng, month, res=_res(key, fp),
                                                                 scope=Scope.from_key(sk)), f)
    return ranking_svc.ranking_workbook_bytes(eng, month, ranking_svc.ranking_table(shown, f.view, score_change=False),
                                              view=f.view, filters=f.text)


def ranking_xlsx(eng: Engine, month: str, f: ranking_svc.RankingFilters, scope: Scope) -> bytes:
    """Print-ready Excel of the filtered ranking (inside the scope)."""
    return _ranking_xlsx(db_key(eng), fingerprint(eng), month, f, scope.key)


# shared read-only (cache_resource: no unpickled copy per hit; the map components only read it)
@st.cache_resource(max_entries=12, ttl=TTL, show_spinner="正在加载地图…")
def _map_data(key, fp, month, sk: str) -> maps_svc.MapData:
    return maps_svc.map_data(engine_for(key), month, res=_res(key, fp), scope=Scope.from_key(sk))


def map_data(eng: Engine, month: str, scope: Scope) -> maps_svc.MapData:
    return _map_data(db_key(eng), fingerprint(eng), month, scope.key)


# the serialised deck (compact JSON, ~0.9 MB at province scale) per month, scope, colouring, selection and size:
# built and encoded once, then every view ships the same text (it was re-encoded on every view: 17 % of the CPU)
@st.cache_resource(max_entries=24, ttl=TTL, show_spinner="正在加载地图…")
def _map_deck(key, fp, month, sk: str, mode: str, selected: str | None, dark: bool, height: int, width: int,
              scale: float, padding: float) -> maps.PreparedDeck:
    md = _map_data(key, fp, month, sk)
    return maps.prepare(maps.build_deck(md, mode=mode, dark=dark, height=height, width=width, scale=scale,
                                        padding=padding, selected_county=selected))


def map_deck(eng: Engine, month: str, scope: Scope, *, mode: str = "flag", selected: str | None = None,
             dark: bool = False, height: int = 600, width: int = 1100, scale: float = 1.0,
             padding: float = 0.08) -> maps.PreparedDeck:
    """The map page's deck for st.pydeck_chart, prepared once (components.maps.prepare)."""
    return _map_deck(db_key(eng), fingerprint(eng), month, scope.key, mode, selected, dark, height, width,
                     float(scale), float(padding))


# prepared view parts (plotly figures, lists, HTML), built once per (page part, month, scope, data version) and
# shared read-only; a figure's JSON spec is made once with it (components.figures). Building them cost ~120 ms for
# the overview's two charts at province scale, ~60 ms for a site's radar and trend, on every view.
@st.cache_resource(max_entries=512, ttl=TTL, show_spinner=False)
def _prepared(key, fp, month, sk: str, name: str, ident: tuple, _build: Callable[[], Any]):
    return figures.share(_build())     # a figure's JSON spec is made here once too (components.figures)


def prepared(eng: Engine, month: str, scope: Scope, name: str, ident: tuple, build: Callable[[], Any]):
    """What `build()` returns (a figure, a list, HTML), cached under (name, ident) for this month, scope and data
    version and shared by every session: callers only read it. `ident` names everything else it depends on (the
    site, the county, the size); `build` must read only data of the same month, scope and run (the run's pinned
    fingerprint keeps them one version)."""
    return _prepared(db_key(eng), fingerprint(eng), month, scope.key, name, tuple(ident), build)


@st.cache_resource(max_entries=48, ttl=TTL, show_spinner="正在加载安置点数据…")
def _site_profile(key, fp, month, site, sk: str) -> profiles.SiteProfile | None:
    return profiles.site_profile(engine_for(key), month, site, res=_res(key, fp), scope=Scope.from_key(sk))


def site_profile(eng: Engine, month: str, site: str, scope: Scope) -> profiles.SiteProfile | None:
    """OutOfScope (not cached) for a site outside the scope."""
    return _site_profile(db_key(eng), fingerprint(eng), month, site, scope.key)


@st.cache_resource(max_entries=32, ttl=TTL, show_spinner="正在加载县区数据…")
def _county_profile(key, fp, month, county, sk: str) -> profiles.CountyProfile | None:
    return profiles.county_profile(engine_for(key), month, county, res=_res(key, fp), scope=Scope.from_key(sk))


def county_profile(eng: Engine, month: str, county: str, scope: Scope) -> profiles.CountyProfile | None:
    return _county_profile(db_key(eng), fingerprint(eng), month, county, scope.key)


@st.cache_resource(max_entries=12, ttl=TTL, show_spinner="正在加载大屏数据…")
def _wall(key, fp, month, sk: str) -> overview_svc.WallData:
    return overview_svc.wall_data(engine_for(key), month, res=_res(key, fp), cov=_cov(key, fp),
                                  scope=Scope.from_key(sk))


def wall(eng: Engine, month: str, scope: Scope) -> overview_svc.WallData:
    return _wall(db_key(eng), fingerprint(eng), month, scope.key)


# 权益缺口: filtered, counted and paged in the database; only the totals and the pages seen are cached (small)
@st.cache_data(max_entries=64, ttl=TTL, show_spinner="正在汇总权益缺口…")
def _gap_summary(key, fp, month, f: GapFilter, sk: str) -> GapCounts:
    return gaps_svc.gap_summary(engine_for(key), month, f, Scope.from_key(sk))


def gap_summary(eng: Engine, month: str, scope: Scope, f: GapFilter) -> GapCounts:
    return _gap_summary(db_key(eng), fingerprint(eng), month, f, scope.key)


@st.cache_data(max_entries=64, ttl=TTL, show_spinner="正在读取权益缺口…")
def _gap_page(key, fp, month, f: GapFilter, page: int, size: int, sk: str):
    return gaps_svc.gap_page(engine_for(key), month, f, page, Scope.from_key(sk), page_size=size)


def gap_page(eng: Engine, month: str, scope: Scope, f: GapFilter, page: int):
    """Page `page` (0-based) of gaps_svc.PAGE_SIZE rows of the filtered list."""
    return _gap_page(db_key(eng), fingerprint(eng), month, f, page, gaps_svc.PAGE_SIZE, scope.key)


@st.cache_data(max_entries=64, ttl=TTL, show_spinner=False)
def _gap_sites(key, fp, month, county, sk: str) -> list[tuple[str, str]]:
    return gaps_svc.site_choices(engine_for(key), month, county, Scope.from_key(sk))


def gap_sites(eng: Engine, month: str, scope: Scope, county: str | None) -> list[tuple[str, str]]:
    return _gap_sites(db_key(eng), fingerprint(eng), month, county, scope.key)


@st.cache_data(max_entries=64, ttl=TTL, show_spinner=False)
def _site_options(key, fp, county) -> list[tuple[str, str]]:
    return settings.site_options(engine_for(key), county)


def site_options(eng: Engine, county: str | None = None) -> list[tuple[str, str]]:
    return _site_options(db_key(eng), fingerprint(eng), county)


def user_scope(user) -> Scope:
    """The data scope of the signed-in user (domain.scope.Scope.of: role's scope kind and county)."""
    return Scope.of(user.role, user.county_code)


def clear() -> None:
    """Drop every cached result of this process (data and shared resources alike)."""
    st.cache_data.clear()
    st.cache_resource.clear()
    _READY.clear()
    _FPS.clear()
    try:
        st.session_state.pop(_PIN, None)      # after an import in this run: the rest of the run reads the new data
    except Exception:  # noqa: BLE001 - outside a script run
        pass
