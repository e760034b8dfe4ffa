"""Page benchmark in a real browser: time from navigation to the Streamlit script finishing, per page.

    python bench/bench_pages.py                      # full demo database in var/bench_demo.db (built if missing)
    python bench/bench_pages.py --db sqlite:///x.db  # any database
    python bench/bench_pages.py --repeat 5

For every page it opens a new tab on `streamlit run app.py` and measures (headless Debian Chromium) the time from
`page.goto` to `[data-testid=stApp][data-test-script-state=notRunning]` with the page's content rendered. The
first visit of each page after the server starts is reported as "cold" (view-model caches empty; month results
come from the result store); the median of the following visits as "warm". It then measures in-app navigation, as
a user moves between pages: clicking the page's link in the sidebar, until the new page's script has finished and
its content is drawn (median of --repeat rounds). A trivial one-line Streamlit page, opened in a new tab, is
measured in the same run as the baseline. Target: in-app navigation to every page under 1.5 s.
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = [("总览", "/"), ("数据大屏", "/wall?rotate=0"), ("安置点排名", "/ranking"), ("地图", "/map"),
         ("安置点画像", "/site"), ("县区画像", "/county"), ("权益缺口", "/gaps")]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--use-gl=swiftshader", "--enable-unsafe-swiftshader"]
TARGET = 1.5
BASELINE_APP = 'import streamlit as st\nst.title("基线页面")\nst.write("一行文字")\n'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(app: Path, env: dict, cwd: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(app), "--server.headless", "true",
                             "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
                            cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            with urllib.request.urlopen(base + "/_stcore/health", timeout=2):
                return proc, base
        except OSError:
            time.sleep(0.5)
    stop(proc)
    raise SystemExit("streamlit did not start")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


DONE_JS = """() => {
  const app = document.querySelector("[data-testid='stApp']");
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  return document.querySelectorAll(
    "[data-testid='stMainBlockContainer'] [data-testid='stElementContainer']").length > 0;
}"""


def visit(context, url: str) -> float:
    page = context.new_page()
    try:
        t0 = time.perf_counter()
        page.goto(url, wait_until="commit")
        page.wait_for_function(DONE_JS, timeout=300_000, polling=20)
        took = time.perf_counter() - t0
        if page.locator("[data-testid='stException'], [data-testid='stAlertContentError']").count():
            raise SystemExit(f"{url}: the page shows an error")
        return took
    finally:
        page.close()


NAV_DONE_JS = """(path) => {
  if (!location.pathname.endsWith(path)) return false;
  const app = document.querySelector("[data-testid='stApp']");
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector("[data-testid='stMainBlockContainer'] [data-stale='true']")) return false;
  return document.querySelectorAll(
    "[data-testid='stMainBlockContainer'] [data-testid='stElementContainer']").length > 0;
}"""


def navigate(page, label: str, path: str) -> float:
    """In-app navigation as a user does it: click the page's link in the sidebar (no reload of Streamlit's
    JavaScript), until the new page's script has finished and its content is drawn."""
    link = page.locator("[data-testid='stSidebarNav'] a, [data-testid='stPageLink'] a").filter(has_text=label).first
    t0 = time.perf_counter()
    link.evaluate("el => el.click()")  # the sidebar may be scrolled; a DOM click is what a user's click does
    try:  # the rerun starts a moment after the click; do not mistake the old page's idle state for the new one
        page.wait_for_function("() => document.querySelector(\"[data-testid='stApp']\")"
                               ".getAttribute('data-test-script-state') === 'running'", timeout=2_000, polling=5)
    except Exception:
        pass
    page.wait_for_function(NAV_DONE_JS, arg=path.split("?")[0] if path != "/" else "/", timeout=300_000,
                           polling=20)
    took = time.perf_counter() - t0
    if page.locator("[data-testid='stException'], [data-testid='stAlertContentError']").count():
        raise SystemExit(f"{path}: the page shows an error")
    return took


def nav_round(context, app_url: str, repeat: int) -> dict[str, float]:
    """Median in-app navigation time per page, going round the sidebar `repeat` times."""
    page = context.new_page()
    times: dict[str, list[float]] = {name: [] for name, _ in PAGES}
    try:
        page.goto(app_url + "/", wait_until="commit")
        page.wait_for_function(DONE_JS, timeout=300_000, polling=20)
        order = PAGES[1:] + PAGES[:1]  # start away from the overview so every page is a real navigation
        for _ in range(repeat):
            for name, path in order:
                times[name].append(navigate(page, name, path))
    finally:
        page.close()
    return {k: statistics.median(v) for k, v in times.items()}


def ensure_db(url: str | None) -> str:
    if url:
        return url
    path = ROOT / "var" / "bench_demo.db"
    url = f"sqlite:///{path}"
    from data.db import create, is_empty

    eng = create(url)
    if is_empty(eng):
        from data.demo import build_demo

        print("building the full demo database (once)…", flush=True)
        build_demo(eng)
    from services import store

    t0 = time.perf_counter()
    n = store.precompute(eng)
    print(f"result store ready for {n} months ({time.perf_counter() - t0:.1f} s)", flush=True)
    eng.dispose()
    return url


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", help="DATABASE_URL (default: full demo in var/bench_demo.db)")
    ap.add_argument("--repeat", type=int, default=3, help="warm visits per page")
    a = ap.parse_args()
    db = ensure_db(a.db)

    from playwright.sync_api import sync_playwright

    env = dict(os.environ, DATABASE_URL=db)
    with tempfile.TemporaryDirectory() as tmp:
        base_app = Path(tmp) / "baseline.py"
        base_app.write_text(BASELINE_APP, encoding="utf-8")
        app_proc, app_url = start(ROOT / "app.py", env, ROOT)
        base_proc, base_url = start(base_app, env, Path(tmp))
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
                                            args=CHROMIUM_ARGS)
                # one browser context = one user: its HTTP cache keeps Streamlit's JavaScript between visits,
                # as a real browser would; every visit is a new tab and a new Streamlit session
                context = browser.new_context(viewport={"width": 1366, "height": 768})
                visit(context, base_url)                           # warm the baseline server and the JS cache
                base = [visit(context, base_url) for _ in range(max(a.repeat, 3))]
                baseline = statistics.median(base)
                rows = []
                for name, path in PAGES:
                    cold = visit(context, app_url + path)
                    warm = [visit(context, app_url + path) for _ in range(a.repeat)]
                    rows.append((name, path, cold, statistics.median(warm)))
                nav = nav_round(context, app_url, a.repeat)
                context.close()
                browser.close()
        finally:
            stop(app_proc)
            stop(base_proc)

    print()
    print(f"数据库: {db}")
    print(f"基线（一行文字的Streamlit页面，同次运行测得）: {baseline:.2f} s")
    print("新标签页打开（含加载Streamlit前端）：首次=服务器启动后第一次；再次=中位数")
    print("站内跳转：点击侧栏页面链接到该页脚本运行结束、内容绘制完成（中位数），即用户在系统内切换页面的等待时间")
    print(f"{'页面':<8}{'路径':<18}{'首次(冷)':>10}{'再次(热)':>10}{'站内跳转':>10}{'基线':>8}{'跳转/基线':>10}"
          f"  目标：站内跳转<{TARGET}s")
    bad = 0
    for name, path, cold, warm in rows:
        ok = nav[name] < TARGET
        bad += not ok
        print(f"{name:<8}{path:<18}{cold:>9.2f}s{warm:>9.2f}s{nav[name]:>9.2f}s{baseline:>7.2f}s"
              f"{nav[name] / baseline:>9.1f}×  {'达标' if ok else '超时'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
