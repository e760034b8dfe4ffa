"""Check that the websocket driver (bench/wsdriver.py) measures what a real browser waits for.

    python bench/verify_driver.py [--scale city] [--path /ranking] [--repeat 3]

Opens `path` in headless Chromium (Playwright, /usr/bin/chromium) with a script that timestamps, inside the page,
every websocket frame and every change of `data-test-script-state` on the app. For each browser visit it reports
  rerun→script_finished  time from the browser's rerun_script BackMsg to the script_finished ForwardMsg arriving,
  rerun→notRunning       time to the app's DOM state `notRunning` (what the browser tests and users wait for),
and, alternating with the browser visits, the driver's new-tab time for the same path (connect + rerun →
script_finished). The driver is right when its time matches the browser's rerun→script_finished and the DOM
flips to notRunning on that message (the gap is rendering only).
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import os
import statistics
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT)]

import dbcache  # noqa: E402
from servers import App  # noqa: E402
from wsdriver import Session  # noqa: E402

INIT = r"""
(() => {
  window.__ws = []; window.__st = [];
  const W = window.WebSocket;
  const b64 = (buf) => {
    const u = new Uint8Array(buf); let s = '';
    for (let i = 0; i < u.length; i++) s += String.fromCharCode(u[i]);
    return btoa(s);
  };
  window.WebSocket = function (...args) {
    const ws = new W(...args);
    const send = ws.send.bind(ws);
    ws.send = (d) => {
      window.__ws.push({t: performance.now(), dir: 'out', n: d.byteLength || d.length,
                        d: (d.byteLength || 0) < 65536 ? b64(d) : ''});
      return send(d);
    };
    ws.addEventListener('message', (e) => { const d = e.data; const n = d.byteLength || d.size || 0;
      window.__ws.push({t: performance.now(), dir: 'in', n,
                        d: (d instanceof ArrayBuffer && n < 4096) ? b64(d) : ''}); });
    return ws;
  };
  window.WebSocket.prototype = W.prototype;
  Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
  const watch = () => {
    const app = document.querySelector("[data-testid='stApp']");
    if (!app) { requestAnimationFrame(watch); return; }
    const rec = () => window.__st.push({t: performance.now(), s: app.getAttribute('data-test-script-state')});
    rec();
    new MutationObserver(rec).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
  };
  watch();
})();
"""


def browser_visit(context, url: str) -> tuple[float, float, float]:
    """One new tab: (network rerun→script_finished, JS rerun→script_finished, JS rerun→DOM notRunning), seconds.

    Network times come from Chromium's network stack (CDP Network.webSocketFrame*), independent of how busy the
    page's main thread is; JS times from the page's own timestamps (WebSocket wrapper, MutationObserver)."""
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    frames: list[tuple[str, float, str]] = []
    cdp.on("Network.webSocketFrameSent", lambda e: frames.append(("out", e["timestamp"], e["response"]["payloadData"])))
    cdp.on("Network.webSocketFrameReceived",
           lambda e: frames.append(("in", e["timestamp"], e["response"]["payloadData"]
                                    if len(e["response"]["payloadData"]) < 8192 else "")))
    cdp.send("Network.enable")
    try:
        page.goto(url, wait_until="commit")
        page.wait_for_function("() => { const a = document.querySelector(\"[data-testid='stApp']\");"
                               " return a && a.getAttribute('data-test-script-state') === 'notRunning'"
                               " && (window.__st || []).some(x => x.s === 'running'); }", timeout=300_000, polling=20)
        ws = page.evaluate("window.__ws")
        st = page.evaluate("window.__st")
        page.wait_for_timeout(200)            # let the last CDP events arrive
    finally:
        page.close()
    net = _rerun_to_finished([(d, t, p) for d, t, p in frames])
    js = _rerun_to_finished([(m["dir"], m["t"] / 1000, m["d"]) for m in ws])
    t_rerun_js = js[0]
    t_dom = next(x["t"] / 1000 for x in st if x["s"] == "notRunning" and x["t"] / 1000 >= js[1])
    return net[1] - net[0], js[1] - js[0], t_dom - t_rerun_js


def _rerun_to_finished(frames) -> tuple[float, float]:
    """Time of the first rerun_script BackMsg and of the first successful script_finished after it."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    t_rerun = None
    for d, t, payload in frames:
        if not payload:
            continue
        raw = base64.b64decode(payload)
        if d == "out" and t_rerun is None:
            b = BackMsg()
            b.ParseFromString(raw)
            if b.WhichOneof("type") == "rerun_script":
                t_rerun = t
        elif d == "in" and t_rerun is not None:
            f = ForwardMsg()
            f.ParseFromString(raw)
            if f.WhichOneof("type") == "script_finished" and f.script_finished == 0:
                return t_rerun, t
    raise RuntimeError("no rerun_script → script_finished pair seen")


def descendants_cpu(names=("chrom", "headless_shell")) -> float:
    """CPU seconds used so far by this process's descendants whose name contains one of `names` (the browser)."""
    ppid, comm = {}, {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                head, rest = (d / "stat").read_text().rsplit(")", 1)
                comm[int(d.name)] = head.split("(", 1)[1]
                ppid[int(d.name)] = (int(rest.split()[1]), rest.split())
            except (OSError, IndexError, ValueError):
                pass
    me, total = os.getpid(), 0.0
    for pid, (pp, fields) in ppid.items():
        if not any(n in comm[pid] for n in names):
            continue
        q = pp
        while q and q != me and q in ppid:
            q = ppid[q][0]
        if q == me:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", default="city")
    ap.add_argument("--path", default="/ranking")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    url, _ = dbcache.ensure(a.scale)
    from playwright.sync_api import sync_playwright

    env = dict(os.environ, DATABASE_URL=url)
    app = App(ROOT / "app.py", env, ROOT).start()
    rows = []
    try:
        asyncio.run(Session(app.base).open(a.path))       # first visit after start: not compared
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
                                        args=["--no-sandbox", "--disable-gpu", "--use-gl=swiftshader",
                                              "--enable-unsafe-swiftshader"])
            context = browser.new_context(viewport={"width": 1366, "height": 768})
            context.add_init_script(INIT)
            browser_visit(context, app.base + a.path)      # warms the browser's HTTP cache of Streamlit's JS
            for _ in range(a.repeat):
                s0, b0 = app.status()["cpu"], descendants_cpu()
                net, fin, dom = browser_visit(context, app.base + a.path)
                s1, b1 = app.status()["cpu"], descendants_cpu()

                async def drv():
                    s = Session(app.base)
                    v = await s.open(a.path)
                    await s.close()
                    return v.seconds
                with ThreadPoolExecutor(1) as pool:   # Playwright's sync API owns this thread's event loop
                    d = pool.submit(asyncio.run, drv()).result()
                s2 = app.status()["cpu"]
                rows.append((net, fin, dom, d, s1 - s0, b1 - b0, s2 - s1))
            browser.close()
    finally:
        app.stop()
    print(f"{a.path} ({a.scale}), {len(rows)} alternating visits, load1 {os.getloadavg()[0]:.1f}")
    heads = ("browser: net rerun→finished", "JS rerun→finished", "JS rerun→notRunning", "driver new tab",
             "server CPU (browser)", "Chromium CPU", "server CPU (driver)")
    print("".join(f"{h:>29}" for h in heads))
    for r in rows:
        print("".join(f"{x:>28.2f}s" for x in r))
    med = [statistics.median(c) for c in zip(*rows)]
    print("median" + "".join(f"{x:>28.2f}s" for x in med)[6:])
    print(f"DOM notRunning follows the script_finished message by {1000 * (med[2] - med[1]):.0f} ms (median); "
          f"driver / browser network time = {med[3] / med[0]:.2f}; server CPU per visit: browser "
          f"{med[4]:.2f} s vs driver {med[6]:.2f} s; Chromium used {med[5]:.2f} CPU s per visit on "
          f"{os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
