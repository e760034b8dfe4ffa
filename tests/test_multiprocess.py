"""Several app processes on one PostgreSQL (issue 13): real OS processes (multiprocessing, spawn), each with its own
engine and its own Streamlit caches (components.cache), on one real database.

* an import through one process is visible in the other at once (caches keyed by the data-version fingerprint);
* two county imports of the same new month at the same moment (a barrier) both land;
* a reader during an import sees the old month or the new one, never a mixture (one transaction per import, one
  snapshot per read).
"""
from __future__ import annotations

import multiprocessing as mp
import os
import time

import pytest

from data.rights import GapFilter
from domain.scope import Scope
from tests.conftest import PG_AVAILABLE, make_engine
from tests.data.fixtures_workbooks import (COUNTY_A, COUNTY_B, MONTH, build_xlsx, good_records, good_tables,
                                           records_b, seed_counties, sheet_table, with_changes)

pytestmark = pytest.mark.skipif(not PG_AVAILABLE, reason="PostgreSQL not reachable (set REQUIRE_POSTGRES=1 to fail)")

CTX = mp.get_context("spawn")
WAIT = 60  # seconds: a bound for conditions, never a fixed sleep


@pytest.fixture
def pg_url(request, tmp_path) -> str:
    eng = make_engine("postgresql", tmp_path, request)
    seed_counties(eng)
    return eng.url.render_as_string(hide_password=False)


def _import(url: str, data: bytes, month: str, user):
    from data.db import create
    from data.workbook import import_workbook
    eng = create(url)
    try:
        res = import_workbook(eng, data, "台账.xlsx", month, user)
        return res.ok, res.result, [str(x) for x in res.messages][:5]
    finally:
        eng.dispose()


def _admin():
    from data.workbook import ImportUser
    return ImportUser("测试督导", "市级督导", None)


def _operator(county: str):
    from data.workbook import ImportUser
    return ImportUser(f"op_{county}", "县级填报员", county)


# ---- an app process: its own engine and Streamlit caches, driven through a pipe --------------------------------

def _app_process(url: str, conn) -> None:
    os.environ["DATABASE_URL"] = url
    from components import cache   # noqa: PLC0415 - imported in the child, after DATABASE_URL is set
    eng = cache.engine()
    while True:
        cmd, arg = conn.recv()
        if cmd == "stop":
            break
        try:
            if cmd == "gap_rows":
                conn.send(("ok", cache.gap_summary(eng, arg, Scope.city(), GapFilter()).gaps))
            elif cmd == "months":
                conn.send(("ok", cache.months(eng)))
            elif cmd == "import":
                conn.send(("ok", _import(url, arg[0], arg[1], _admin())))
        except Exception as exc:  # noqa: BLE001 - reported to the test
            conn.send(("error", repr(exc)))


class App:
    def __init__(self, url: str):
        self.conn, child = CTX.Pipe()
        self.proc = CTX.Process(target=_app_process, args=(url, child), daemon=True)
        self.proc.start()

    def ask(self, cmd: str, arg=None):
        self.conn.send((cmd, arg))
        assert self.conn.poll(WAIT * 3), f"app process did not answer {cmd}"
        status, value = self.conn.recv()
        assert status == "ok", value
        return value

    def stop(self):
        self.conn.send(("stop", None))
        self.proc.join(WAIT)
        if self.proc.is_alive():
            self.proc.kill()


def test_an_import_through_one_process_is_visible_in_the_other_at_once(pg_url):
    ok, result, msgs = _import(pg_url, build_xlsx(good_tables()), MONTH, _admin())
    assert ok, msgs
    a, b = App(pg_url), App(pg_url)
    try:
        before = b.ask("gap_rows", MONTH)          # B's cache holds the month now
        assert before == a.ask("gap_rows", MONTH) > 0
        assert b.ask("gap_rows", MONTH) == before  # and serves it from the cache
        # through A: 张三 (H001, every item 已落实 or 不适用) now has R03 未落实 -> one more gap
        recs = with_changes({"搬迁户": {0: {"R03": "未落实"}}})
        ok, result, msgs = a.ask("import", (build_xlsx({"搬迁户": sheet_table("搬迁户", recs["搬迁户"])}), MONTH))
        assert ok and result == "成功", msgs
        t0 = time.monotonic()
        seen = b.ask("gap_rows", MONTH)
        while seen != before + 1 and time.monotonic() - t0 < WAIT:
            seen = b.ask("gap_rows", MONTH)
        assert seen == before + 1
        # "at once": within the fingerprint's one-second re-read (plus a loaded machine's scheduling)
        assert time.monotonic() - t0 < 10
        # A itself: within the same one-second fingerprint re-read (a cached fingerprint may predate its import)
        seen_a = a.ask("gap_rows", MONTH)
        while seen_a != before + 1 and time.monotonic() - t0 < WAIT:
            seen_a = a.ask("gap_rows", MONTH)
        assert seen_a == before + 1
    finally:
        a.stop()
        b.stop()


# ---- two county imports of the same new month at the same moment ------------------------------------------------

def _records_for(month: str, which: str) -> bytes:
    recs = good_records() if which == "A" else records_b()
    if "月度指标" in recs:
        for r in recs["月度指标"]:
            r["month"] = month
    return build_xlsx(good_tables(recs))


def _county_import(url: str, month: str, which: str, barrier, out) -> None:
    data = _records_for(month, which)
    user = _operator(COUNTY_A[0] if which == "A" else COUNTY_B[0])
    barrier.wait(WAIT)
    out.put((which, _import(url, data, month, user)))


def test_two_county_imports_of_the_same_new_month_at_once_both_land(pg_url):
    from data import repository as repo
    from data.db import create
    for month in ("2026-09", "2026-10", "2026-11"):   # a first import of each month: both insert its data version
        barrier, out = CTX.Barrier(2), CTX.Queue()
        procs = [CTX.Process(target=_county_import, args=(pg_url, month, w, barrier, out)) for w in "AB"]
        for p in procs:
            p.start()
        got = dict(out.get(timeout=WAIT * 3) for _ in procs)
        for p in procs:
            p.join(WAIT)
        for which, (ok, result, msgs) in got.items():
            assert ok and result == "成功", (month, which, msgs)
        eng = create(pg_url)
        try:
            hh = repo.households(eng, month)
            assert set(hh["household_code"]) == {"H001", "H002", "H003", "H004", "H101"}, month
            assert month in repo.data_versions(eng)
        finally:
            eng.dispose()


# ---- a reader during imports ----------------------------------------------------------------------------------

NEW_FAMILY, NEW_INCOME = 9, 9999.0


def _state(md) -> tuple:
    """(family sizes, labour incomes) of county A's month as one reader saw it."""
    fam = tuple(sorted(int(x) for x in md.households["family_size"]))
    inc = tuple(sorted(float(x) for x in md.labour["monthly_income"].dropna()))
    return fam, inc


def _reader(url: str, month: str, stop, out) -> None:
    from data import repository as repo
    from data.db import create
    eng = create(url)
    seen = set()
    n = 0
    while not stop.is_set() or n == 0:
        seen.add(_state(repo.load_month(eng, month)))
        n += 1
    eng.dispose()
    out.put((n, sorted(seen)))


def test_a_reader_during_imports_sees_the_old_month_or_the_new_one_never_a_mixture(pg_url):
    from data import repository as repo
    from data.db import create
    old = good_records()
    new = with_changes({"搬迁户": {i: {"family_size": NEW_FAMILY} for i in range(4)},
                        "劳动力": {i: {"monthly_income": NEW_INCOME} for i in range(5)}})
    new["劳动力"][1]["employed"], new["劳动力"][1]["employment_form"] = "已就业", "帮扶车间"
    old_book = build_xlsx(good_tables(old))
    new_book = build_xlsx({s: sheet_table(s, new[s]) for s in ("搬迁户", "劳动力")})
    back_book = build_xlsx({s: sheet_table(s, old[s]) for s in ("搬迁户", "劳动力")})
    ok, result, msgs = _import(pg_url, old_book, MONTH, _admin())
    assert ok, msgs
    eng = create(pg_url)
    try:
        old_state = _state(repo.load_month(eng, MONTH))
    finally:
        eng.dispose()
    stop, out = CTX.Event(), CTX.Queue()
    reader = CTX.Process(target=_reader, args=(pg_url, MONTH, stop, out))
    reader.start()
    try:
        for i in range(6):   # old -> new -> old ... while the reader keeps reading
            ok, result, msgs = _import(pg_url, new_book if i % 2 == 0 else back_book, MONTH, _admin())
            assert ok and result == "成功", msgs
    finally:
        stop.set()
    n, seen = out.get(timeout=WAIT * 3)
    reader.join(WAIT)
    eng = create(pg_url)
    try:
        new_state = None
        ok, result, msgs = _import(pg_url, new_book, MONTH, _admin())
        assert ok, msgs
        new_state = _state(repo.load_month(eng, MONTH))
    finally:
        eng.dispose()
    assert new_state != old_state and n > 0
    assert set(map(tuple, ((tuple(f), tuple(i)) for f, i in seen))) <= {old_state, new_state}, seen
