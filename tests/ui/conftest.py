"""Fixtures for the UI tests: one small purpose-built city per test session (tests/ui/small_city.py: three
counties, twelve sites, 13 months imported through the ledger workbook import, results precomputed into the
result store), a Streamlit server per module, headless Chromium (Debian's, no download)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy.orm import Session

from data import models as m
from data.db import create, set_setting
from services.accounts import hash_password
from tests.ui.small_city import SmallCity, build_small_city

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--use-gl=swiftshader", "--enable-unsafe-swiftshader"]


@pytest.fixture(scope="session")
def _small(tmp_path_factory) -> tuple[str, SmallCity]:
    path = tmp_path_factory.mktemp("ui") / "small_city.db"
    url = f"sqlite:///{path}"
    eng = create(url)
    city = build_small_city(eng)
    eng.dispose()
    return url, city


@pytest.fixture(scope="session")
def ui_db(_small) -> str:
    """URL of the small city's database (demo mode, results already stored)."""
    return _small[0]


@pytest.fixture(scope="session")
def city(_small) -> SmallCity:
    """What the small city holds: counties, sites (with their tiers), months."""
    return _small[1]


def copy_db(url: str, dst: Path) -> str:
    """A consistent copy of a SQLite database (also in WAL mode); returns the copy's URL."""
    eng = create(url)
    with eng.connect() as conn:
        conn.exec_driver_sql(f"VACUUM INTO '{dst}'")
    eng.dispose()
    return f"sqlite:///{dst}"


@pytest.fixture(scope="session")
def login_db(ui_db, city, tmp_path_factory) -> str:
    """A copy of the small city that is *not* in demo mode, with two users who have passwords: supervisor /
    督导2026 and a county operator of the first county, op_test / 填报2026."""
    url = copy_db(ui_db, tmp_path_factory.mktemp("ui_login") / "login.db")
    eng = create(url)
    set_setting(eng, "demo", "0")
    with Session(eng) as s, s.begin():
        s.query(m.User).filter(m.User.username == "supervisor").one().password_hash = hash_password("督导2026")
        s.add(m.User(username="op_test", display_name="测试填报员", role="县级填报员", county_code=city.counties[0][0],
                     password_hash=hash_password("填报2026"), active=True))
    eng.dispose()
    return url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, db_url: str, log: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, DATABASE_URL=db_url)
        self.log = open(log, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.port", str(self.port), "--server.address", "127.0.0.1",
             "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.base + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                try:                        # wait for the server to die, at most a moment, then ask again
                    self.proc.wait(timeout=0.3)
                    break
                except subprocess.TimeoutExpired:
                    pass
        self.stop()
        raise RuntimeError(f"streamlit did not start; see {log}")

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.log.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def start_server(db_url: str, name: str, tmp_path_factory) -> Server:
    return Server(db_url, tmp_path_factory.mktemp("srv") / f"{name}.log")


DONE_JS = """() => {
  const app = document.querySelector("[data-testid='stApp']");
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  const main = document.querySelectorAll("[data-testid='stMainBlockContainer'] [data-testid='stElementContainer']");
  const side = document.querySelectorAll("[data-testid='stSidebar'] [data-testid='stPageLink']");
  return main.length > 0 && (side.length > 0 || !document.querySelector("[data-testid='stSidebar']"));
}"""


def wait_done(page, timeout_ms: int = 90_000) -> None:
    """Wait until the Streamlit script run has finished with content on screen: the stApp element reports
    `notRunning` (it also does so before the first run starts, hence the content check)."""
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout_ms)
    page.wait_for_function(DONE_JS, timeout=timeout_ms, polling=50)


STABLE_JS = """(frames) => {
  // true once the page's size has not changed for `frames` consecutive polls (charts and fonts settled)
  const size = [document.scrollingElement.scrollHeight, document.scrollingElement.scrollWidth].join('x');
  window.__uiStable = (window.__uiSize === size) ? (window.__uiStable || 0) + 1 : 0;
  window.__uiSize = size;
  return window.__uiStable >= frames;
}"""


def wait_layout_stable(page, frames: int = 5, timeout_ms: int = 30_000) -> None:
    """Wait until the page's scroll size stays the same over `frames` polls 100 ms apart (a condition on the
    page, not a pause)."""
    page.evaluate("() => { window.__uiStable = 0; window.__uiSize = null; }")
    page.wait_for_function(STABLE_JS, arg=frames, timeout=timeout_ms, polling=100)


def next_frame(page) -> None:
    """Return once the browser has painted another frame."""
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))")


def poll(page, probe, timeout_s: float = 30.0):
    """Call `probe()` after each painted frame until it returns something truthy (returned) or the time is up
    (None): for conditions only a screenshot can tell, such as a WebGL canvas having been drawn."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if value or time.monotonic() > deadline:
            return value or None
        next_frame(page)


@pytest.fixture
def apptest_db(ui_db, monkeypatch):
    """AppTest runs against the small city's database with Streamlit's caches cleared before and after (they
    would otherwise leak between tests)."""
    monkeypatch.setenv("DATABASE_URL", ui_db)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def html_text(at) -> str:
    """Text of every st.html element of an AppTest run."""
    return "\n".join(h.proto.body for h in at.get("html"))


def private_city(ui_db: str, path: Path, monkeypatch):
    """For a fixture of tests that write: a private copy of the small city at `path` as DATABASE_URL, AppTest's
    session counted as a browser on this machine (the demo's automatic sign-in is for local browsers only), and
    Streamlit's caches cleared around the test. Use as `yield from private_city(...)`."""
    from components import auth
    url = copy_db(ui_db, path)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setattr(auth, "_client", lambda: (None, {}))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield url
    st.cache_data.clear()
    st.cache_resource.clear()
