"""Fixtures for the UI tests: one small demo database per test session (household_factor=0.05, results
precomputed into the result store), a Streamlit server per module, headless Chromium (Debian's, no download)."""
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

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--use-gl=swiftshader", "--enable-unsafe-swiftshader"]
DEMO_MONTHS = 14          # enough for the 12-month trends and a previous month everywhere
DEMO_END = "2026-10"


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> str:
    """URL of a small demo database (68 sites, 5 % of the households), results already stored."""
    from data.db import create
    from data.demo import build_demo
    from services import store

    path = tmp_path_factory.mktemp("ui") / "demo_small.db"
    url = f"sqlite:///{path}"
    eng = create(url)
    build_demo(eng, household_factor=0.05, months=DEMO_MONTHS, end_month=DEMO_END)
    store.precompute(eng)
    eng.dispose()
    return url


@pytest.fixture(scope="session")
def login_db(demo_db, tmp_path_factory) -> str:
    """A copy of the demo database that is *not* in demo mode, with one user (supervisor / 督导2026)."""
    from sqlalchemy.orm import Session

    from data import models as m
    from data.db import create, set_setting
    from services.dashboard import hash_password

    src = Path(demo_db.split("///", 1)[1])
    dst = tmp_path_factory.mktemp("ui_login") / "login.db"
    eng = create(demo_db)
    with eng.connect() as conn:  # a consistent copy even in WAL mode
        conn.exec_driver_sql(f"VACUUM INTO '{dst}'")
    eng.dispose()
    assert src.exists()
    url = f"sqlite:///{dst}"
    eng = create(url)
    set_setting(eng, "demo", "0")
    with Session(eng) as s, s.begin():
        for u in s.query(m.User).all():
            if u.username == "supervisor":
                u.password_hash = hash_password("督导2026")
        c = s.query(m.County).order_by(m.County.sort_order).first()
        s.add(m.User(username="op_test", display_name="测试填报员", role="县级填报员", county_code=c.code,
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
                if self.proc.poll() is not None:
                    break
                time.sleep(0.3)
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


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium (bash .ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


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


@pytest.fixture
def apptest_db(demo_db, monkeypatch):
    """AppTest runs against the small demo database with Streamlit's caches cleared before and after (they
    would otherwise leak between tests)."""
    import streamlit as st

    monkeypatch.setenv("DATABASE_URL", demo_db)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def html_text(at) -> str:
    """Text of every st.html element of an AppTest run."""
    return "\n".join(h.proto.body for h in at.get("html"))
