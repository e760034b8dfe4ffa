"""The one benchmark command (issue 13): builds what it needs, starts the app on 127.0.0.1, prints one table.

    python bench/run.py                                   # everything (province build: minutes, cached)
    python bench/run.py --quick                           # smoke run: city, 5 sessions × 1 cycle, small import
    python bench/run.py --scale city --sessions 20 --processes 1,2 --skip import,scoring
    python bench/run.py --rebuild                         # rebuild the cached demo databases and workbook

Rows (each beside a baseline measured in the same run, with the 1-minute load average at the end of the row):
  import     import_workbook of a 100,000-household ledger into SQLite  vs  merely reading it (python-calamine)
  scoring    score_month for 68 sites and ~1,000 sites / 450k households  vs  the minimal pandas aggregation
  page       each page for one user, first visit after start and warm (new tab = new Streamlit session; median)
             vs  the trivial three-line page bench/trivial_app.py on its own server (first / warm)
  load       p50/p95 page time, 20 websocket sessions cycling 总览→排名→地图→安置点画像→权益缺口 (in-app navigation,
             3 cycles, after opening 总览 as a new tab), one process or N behind nginx (sticky by cookie)
             vs  the trivial page driven the same way over the same topology, measured right before
             vs  a page of as many plain text elements as the app's pages send (bench/elements_app.py): Streamlit's
             own cost for a page of that size, under the app's settings
  memory     peak RSS (VmHWM) per app process after one user / after the load  vs  the trivial page's process
Demo databases: var/bench/demo-<scale>-<fingerprint of data/, scoring/, services/, domain/>.db (python -m data init
--demo [--scale province]). Sessions are driven through Streamlit's websocket protocol (bench/wsdriver.py); a
page ends at the script_finished message. All traffic stays on 127.0.0.1; every load run is bounded by --cycles
and a hard time cap (--cap) and stops by itself.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT)]

import dbcache  # noqa: E402
import spy  # noqa: E402  (bench/spy.py: py-spy sampling)
from servers import App, Proxy  # noqa: E402
from wsdriver import PageError, Session, route_cookie  # noqa: E402

LOAD_CYCLE = [("总览", "/"), ("排名", "/ranking"), ("地图", "/map"), ("安置点画像", "/site?site={site}"),
              ("权益缺口", "/gaps")]
ONE_USER = [("总览", "/"), ("数据大屏", "/wall?rotate=0"), ("排名", "/ranking"), ("地图", "/map"),
            ("安置点画像", "/site?site={site}"), ("县区画像", "/county?county={county}"), ("权益缺口", "/gaps")]
TRIVIAL = HERE / "trivial_app.py"
ELEMENTS = HERE / "elements_app.py"


def load1() -> float:
    return os.getloadavg()[0]


def machine() -> str:
    model = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                  if ln.startswith("model name")), platform.processor())
    mem = next(int(ln.split()[1]) for ln in Path("/proc/meminfo").read_text().splitlines()
               if ln.startswith("MemTotal")) / 1024 ** 2
    import streamlit
    return (f"nproc {os.cpu_count()}, {mem:.1f} GiB RAM, {model}; Python {platform.python_version()}, "
            f"streamlit {streamlit.__version__}; load average at start {'/'.join(f'{x:.2f}' for x in os.getloadavg())}")


class Table:
    def __init__(self):
        self.rows: list[tuple] = []

    def add(self, what: str, scale: str, procs: str, figure: str, base: str, ratio: float | None, note: str = ""):
        row = (what, scale, procs, figure, base, "" if ratio is None else f"×{ratio:.1f}", f"{load1():.1f}", note)
        self.rows.append(row)
        print("  | " + " | ".join(row), flush=True)

    def markdown(self) -> str:
        head = ("measurement", "scale", "procs", "figure", "baseline (same run)", "ratio", "load1", "note")
        out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        out += ["| " + " | ".join(r) + " |" for r in self.rows]
        return "\n".join(out)


# ---------------------------------------------------------------- import and scoring (reuse the bench_* scripts)

def bench_import(t: Table, households: int, rebuild: bool) -> None:
    import bench_import as bi
    path = dbcache.CACHE / f"import-{households}.xlsx"
    dbcache.CACHE.mkdir(parents=True, exist_ok=True)
    if rebuild or not path.exists():
        t0 = time.perf_counter()
        tmp = path.with_suffix(".tmp.xlsx")
        bi.generate(tmp, households, labour=False)
        tmp.rename(path)
        print(f"generated {path.name} in {time.perf_counter() - t0:.0f} s", flush=True)
    data = path.read_bytes()
    read = min(bi.read_only(path).wall for _ in range(2))
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        clock, res = bi.import_once(f"sqlite:///{tmp}/import.db", data)
    t.add(f"import {households:,} households (SQLite)", "-", "-", f"{clock.wall:.1f} s",
          f"read only {read:.1f} s", clock.wall / read, "target < 2×")


def bench_scoring(t: Table, quick: bool) -> None:
    import bench_scoring as bs
    from scoring.catalogue import load_catalogue
    from scoring.engine import score_month
    cat = load_catalogue()
    cases = [("city", bs.synthetic_month(68, 68 * 1100, seed=1, n_counties=9, object_strings=True))]
    if not quick:
        cases.append(("province", bs.synthetic_month(1000, 450_000, seed=2, n_counties=88, object_strings=True)))
    for scale, md in cases:
        s = bs.best_of(lambda: score_month(md, cat), 2)
        b = bs.best_of(lambda: bs.baseline_aggregation(md), 2)
        t.add(f"score one month ({len(md.sites):,} sites, {len(md.households):,} hh)", scale, "-", f"{s:.2f} s",
              f"pandas aggregation {b:.2f} s", s / b, "synthetic month, object columns as load_month returns")


# ---------------------------------------------------------------- pages

def codes(db_url: str) -> dict[str, str]:
    """A site and a county of the database for the profile pages (first by code / sort order)."""
    from sqlalchemy import create_engine, text
    eng = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with eng.connect() as c:
            site = c.execute(text("SELECT code FROM sites ORDER BY code LIMIT 1")).scalar_one()
            county = c.execute(text("SELECT code FROM counties ORDER BY sort_order, code LIMIT 1")).scalar_one()
    finally:
        eng.dispose()
    return {"site": site, "county": county}


async def visit_new_tab(base: str, path: str, timeout: float) -> float:
    s = Session(base, timeout=timeout)
    try:
        v = await s.open(path)
        if v.exceptions:
            raise PageError(f"{path}: the page shows an exception")
        return v.seconds
    finally:
        await s.close()


def one_user(t: Table, scale: str, app: App, triv: App, fill: dict, warm_n: int, timeout: float) -> None:
    """First visit after the server started, then the median of warm_n more new-tab visits, per page; the trivial
    page's warm figure is measured beside each page (interleaved, same minute), its first visit once."""
    tc = asyncio.run(visit_new_tab(triv.base, "/", timeout))
    for name, path in ONE_USER:
        p = path.format(**fill)
        cold = asyncio.run(visit_new_tab(app.base, p, timeout))
        warm, tw = [], []
        for _ in range(max(warm_n, 2)):
            warm.append(asyncio.run(visit_new_tab(app.base, p, timeout)))
            tw.append(asyncio.run(visit_new_tab(triv.base, "/", timeout)))
        warm_s, tw_s = statistics.median(warm[:warm_n]), statistics.median(tw)
        t.add(f"one user: {name} {p}", scale, "1", f"first {cold:.2f} s / warm {warm_s:.2f} s",
              f"trivial first {tc:.2f} / warm {tw_s:.2f} s", warm_s / tw_s,
              "ratio = warm / trivial warm" + ("; first page after start includes imports" if path == "/" else ""))


async def drive(base: str, cycle: list[str], sessions: int, cycles: int, cap: float, timeout: float,
                sticky: bool) -> dict:
    """`sessions` concurrent users: open cycle[0] as a new tab, then navigate in-app through the cycle `cycles`
    times. Bounded by cap seconds overall; returns the page times and counts."""
    times: list[float] = []
    messages: list[int] = []
    by_page: dict[str, list[float]] = {}
    errors: list[str] = []

    async def user(i: int) -> None:
        await asyncio.sleep(i * 0.05)                      # a 1-second ramp for 20 sessions, not a single burst
        s = Session(base, cookie=route_cookie() if sticky else "", timeout=timeout)
        try:
            v = await s.open(cycle[0])
            times.append(v.seconds)
            messages.append(v.messages)
            by_page.setdefault(cycle[0], []).append(v.seconds)
            order = cycle[1:] + cycle[:1]
            for _ in range(cycles):
                for p in order:
                    v = await s.goto(p)
                    if v.exceptions:
                        errors.append(f"{p}: exception shown")
                    times.append(v.seconds)
                    messages.append(v.messages)
                    by_page.setdefault(p, []).append(v.seconds)
        except (PageError, OSError, asyncio.TimeoutError) as e:
            errors.append(f"{type(e).__name__}: {e}")
        finally:
            await s.close()

    t0 = time.perf_counter()
    tasks = [asyncio.create_task(user(i)) for i in range(sessions)]
    done, pending = await asyncio.wait(tasks, timeout=cap)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    wall = time.perf_counter() - t0
    expected = sessions * (1 + cycles * len(cycle))
    return {"times": times, "messages": messages, "by_page": by_page, "errors": errors, "wall": wall,
            "capped": bool(pending), "expected": expected}


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = min(len(xs) - 1, max(0, int(round(q * (len(xs) - 1)))))
    return xs[k]


def against(t: Table, a, scale: str, nproc: int, p95: float, what: str, label: str, r: dict, note: str) -> None:
    """A row: the app's p95 beside another page's p50 / p95, driven the same way (`r` from drive())."""
    b50, b95 = pct(r["times"], .5), pct(r["times"], .95)
    t.add(f"{a.sessions} sessions p95, against {what}", scale, str(nproc), f"{p95:.2f} s",
          f"{label} {b50:.2f} / {b95:.2f} s", p95 / b95,
          f"{note}; {len(r['times'])} pages in {r['wall']:.0f} s ({len(r['times']) / r['wall']:.2f}/s)")


def load_row(t: Table, scale: str, nproc: int, app_base: str, triv_base: str, fill: dict, a, sticky: bool,
             cpu_note, default_base: str | None = None, floor_base: str | None = None) -> None:
    cycle = [p.format(**fill) for _, p in LOAD_CYCLE]
    rd = (asyncio.run(drive(default_base, ["/"] * len(cycle), a.sessions, a.cycles, a.cap, a.timeout, sticky))
          if default_base else None)
    rt = asyncio.run(drive(triv_base, ["/"] * len(cycle), a.sessions, a.cycles, a.cap, a.timeout, sticky))
    l_triv = load1()
    cpu0 = cpu_note()
    ra = asyncio.run(drive(app_base, cycle, a.sessions, a.cycles, a.cap, a.timeout, sticky))
    cpu1 = cpu_note()
    p50, p95, b50, b95 = pct(ra["times"], .5), pct(ra["times"], .95), pct(rt["times"], .5), pct(rt["times"], .95)
    thr, bthr = len(ra["times"]) / ra["wall"], len(rt["times"]) / rt["wall"]
    note = (f"{len(ra['times'])}/{ra['expected']} pages in {ra['wall']:.0f} s ({thr:.2f}/s vs trivial {bthr:.2f}/s)"
            f"{', CAPPED' if ra['capped'] else ''}{', errors: ' + str(len(ra['errors'])) if ra['errors'] else ''}"
            f"; trivial load1 {l_triv:.1f}")
    names = {p.format(**fill): n for n, p in LOAD_CYCLE}
    note += "; p95 by page " + ", ".join(f"{names.get(p, p)} {pct(v, .95):.1f}" for p, v in ra["by_page"].items())
    if nproc > 1:
        note += "; CPU s per process " + "/".join(f"{b - a_:.0f}" for a_, b in zip(cpu0, cpu1))
    t.add(f"{a.sessions} sessions p50 / p95", scale, str(nproc), f"{p50:.2f} / {p95:.2f} s",
          f"trivial {b50:.2f} / {b95:.2f} s", p95 / b95, note + "; ratio = p95 / trivial p95")
    if rd is not None:
        against(t, a, scale, nproc, p95, "the trivial page under Streamlit's defaults", "trivial (defaults)", rd,
                "the baseline as the issue measured it: the trivial page without the app's .streamlit/config.toml "
                "(so with a full garbage collection after every run)")
    rf = None
    if floor_base and ra["messages"] and rt["messages"]:
        # the same number of messages per page as the app sent on average: trivial's messages minus its 2 elements
        # are the protocol's own (new_session, navigation, status, script_finished ...)
        n_el = max(2, round(statistics.mean(ra["messages"]) - statistics.mean(rt["messages"])) + 2)
        rf = asyncio.run(drive(floor_base, [f"/?n={n_el}"] * len(cycle), a.sessions, a.cycles, a.cap, a.timeout,
                               sticky))
        against(t, a, scale, nproc, p95, "a page of as many plain elements", f"{n_el} elements", rf,
                f"Streamlit's own floor for a page of that size: bench/elements_app.py, {n_el} text elements and "
                f"nothing else (the app's pages averaged {statistics.mean(ra['messages']):.0f} messages)")
    for e in ra["errors"][:3] + rt["errors"][:3] + (rd["errors"][:3] if rd else []) + (rf["errors"][:3] if rf else []):
        print("    error:", e, flush=True)


def mib(b: int | None) -> str:
    return f"{(b or 0) / 2 ** 20:,.0f} MiB"


def run_scale(t: Table, scale: str, a, env_base: dict, logs: Path, profiles: list) -> None:
    url, built = (a.db, None) if a.db else dbcache.ensure(scale, a.rebuild)
    if built:
        t.add(f"build demo database (python -m data init --demo --scale {scale})", scale, "-", f"{built:.0f} s",
              "", None, "once; cached under var/bench/")
    env = dict(env_base, DATABASE_URL=url)
    # bring the schema and the stored monthly results up to date first (both cheap when current), so that no page
    # visit pays for a migration or for recomputing months after a scoring change (a database built by older code)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "data", "upgrade"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    pre = subprocess.run([sys.executable, "-c", "from data.db import create\nfrom services import store\n"
                          "print(store.precompute(create()))"], cwd=ROOT, env=env, capture_output=True, text=True)
    if pre.returncode:
        print(f"note: could not precompute the result store ({pre.stderr.strip().splitlines()[-1:]})", flush=True)
    if time.perf_counter() - t0 > 10:
        print(f"schema upgrade and result store of the {scale} database: {time.perf_counter() - t0:.0f} s",
              flush=True)
    fill = codes(url)
    procs = sorted({int(x) for x in a.processes.split(",")})
    for n in procs:
        apps = [App(ROOT / "app.py", env, ROOT, log=logs / f"app-{scale}-{n}-{i}.log") for i in range(n)]
        # the baseline runs under the app's own .streamlit/config.toml (cwd ROOT): the same server settings
        trivs = [App(TRIVIAL, env_base, ROOT, log=logs / f"trivial-{scale}-{n}-{i}.log") for i in range(n)]
        # and, as the issue measured it, under Streamlit's defaults (cwd bench/: no config file)
        defaults = [App(TRIVIAL, env_base, HERE, log=logs / f"trivial-defaults-{scale}-{n}-{i}.log")
                    for i in range(n)] if "load" not in a.skip else []
        # and a page of as many plain elements as the app's pages send (under the app's settings)
        floors = [App(ELEMENTS, env_base, ROOT, log=logs / f"elements-{scale}-{n}-{i}.log")
                  for i in range(n)] if "load" not in a.skip else []
        proxies: list[Proxy] = []
        default_base = floor_base = None
        try:
            for x in apps + trivs + defaults + floors:
                x.start()
            if n > 1:
                if not Proxy.available():
                    print("nginx not installed (apt-get install -y nginx): skipping", n, "processes")
                    continue
                proxies = [Proxy([x.port for x in apps], dbcache.CACHE).start(),
                           Proxy([x.port for x in trivs], dbcache.CACHE).start()]
                app_base, triv_base = proxies[0].base, proxies[1].base
                if defaults:
                    proxies.append(Proxy([x.port for x in defaults], dbcache.CACHE).start())
                    default_base = proxies[-1].base
                if floors:
                    proxies.append(Proxy([x.port for x in floors], dbcache.CACHE).start())
                    floor_base = proxies[-1].base
            else:
                app_base, triv_base = apps[0].base, trivs[0].base
                default_base = defaults[0].base if defaults else None
                floor_base = floors[0].base if floors else None
            if n > 1 or "pages" in a.skip:   # fresh processes: one visit of each page on each, as a running server has
                for x in apps:
                    for _, path in LOAD_CYCLE:
                        asyncio.run(visit_new_tab(x.base, path.format(**fill), a.timeout))
                for x in trivs + defaults + floors:
                    asyncio.run(visit_new_tab(x.base, "/", a.timeout))
            if n == 1 and "pages" not in a.skip:
                one_user(t, scale, apps[0], trivs[0], fill, a.warm, a.timeout)
                t.add("peak RSS after one user", scale, "1", mib(apps[0].status().get("VmHWM")),
                      f"trivial {mib(trivs[0].status().get('VmHWM'))}",
                      apps[0].status().get("VmHWM", 0) / max(1, trivs[0].status().get("VmHWM", 1)), "VmHWM")
            if "load" not in a.skip:
                spies = [spy.start(x.proc.pid, dbcache.CACHE / "profiles" / f"{scale}-{n}-{i}.txt")
                         for i, x in enumerate(apps)] if a.profile else []
                try:
                    load_row(t, scale, n, app_base, triv_base, fill, a, sticky=n > 1,
                             cpu_note=lambda: [x.status().get("cpu", 0) for x in apps], default_base=default_base,
                             floor_base=floor_base)
                finally:
                    for h in spies:
                        spy.stop(h)
                if spies:
                    profiles.append((f"{scale}, {n} process(es), {a.sessions} sessions",
                                     spy.summary([dbcache.CACHE / "profiles" / f"{scale}-{n}-{i}.txt"
                                                  for i in range(n)])))
                hwm = [x.status().get("VmHWM", 0) for x in apps]
                thwm = max(x.status().get("VmHWM", 0) for x in trivs)
                t.add(f"peak RSS per app process after {a.sessions} sessions", scale, str(n),
                      " / ".join(mib(h) for h in hwm), f"trivial {mib(thwm)}", max(hwm) / max(1, thwm),
                      "VmHWM of each process (includes the one-user run before it)" if n == 1 else "VmHWM")
        finally:
            for p in proxies:
                p.stop()
            for x in apps + trivs + defaults + floors:
                x.stop()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--scale", default="city,province", help="city, province or both (comma-separated)")
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--cycles", type=int, default=3, help="cycles through the five pages per session")
    ap.add_argument("--processes", default="1,2", help="app process counts to measure, e.g. 1 or 1,2")
    ap.add_argument("--warm", type=int, default=2, help="warm new-tab visits per page for one user (median)")
    ap.add_argument("--households", type=int, default=100_000, help="households in the import workbook")
    ap.add_argument("--skip", default="", help="comma-separated parts to skip: import,scoring,pages,load")
    ap.add_argument("--cap", type=float, default=900, help="hard time cap per load run, seconds")
    ap.add_argument("--timeout", type=float, default=300, help="time limit for one page, seconds")
    ap.add_argument("--quick", action="store_true", help="smoke run: city only, 5 sessions × 1 cycle, 10k import")
    ap.add_argument("--db", help="measure this DATABASE_URL (e.g. a PostgreSQL database set up with `python -m "
                                 "data init --demo`) instead of the cached SQLite demo; needs a single --scale")
    ap.add_argument("--rebuild", action="store_true", help="rebuild cached demo databases and the workbook")
    ap.add_argument("--profile", action="store_true",
                    help="sample the app processes with py-spy during the load runs (var/bench/profiles/)")
    ap.add_argument("--out", type=Path, help="also write the markdown table to this file")
    a = ap.parse_args(argv)
    if a.quick:
        a.scale, a.sessions, a.cycles, a.warm, a.households = "city", min(a.sessions, 5), 1, 1, 10_000
        a.cap = min(a.cap, 300)
    a.skip = {s.strip() for s in a.skip.split(",") if s.strip()}
    scales = [s.strip() for s in a.scale.split(",") if s.strip()]
    if not set(scales) <= {"city", "province"}:
        ap.error("--scale: city and/or province")
    if a.db and len(scales) != 1:
        ap.error("--db: give the scale of that database with --scale city or --scale province")

    t = Table()
    profiles: list[tuple[str, str]] = []
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    info = machine()
    print(f"bench/run.py {' '.join(argv if argv is not None else sys.argv[1:])}\n{started}; {info}", flush=True)
    logs = dbcache.CACHE / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    env_base = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    if "import" not in a.skip:
        bench_import(t, a.households, a.rebuild)
    if "scoring" not in a.skip:
        bench_scoring(t, a.quick)
    if not {"pages", "load"} <= a.skip:
        for scale in scales:
            run_scale(t, scale, a, env_base, logs, profiles)
    md = (f"Run {started}: `python bench/run.py {' '.join(argv if argv is not None else sys.argv[1:])}`\n\n"
          f"Machine: {info}\n\n{t.markdown()}\n\nload average at end: "
          f"{'/'.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    for title, text in profiles:
        md += f"\nWhere the time goes under load (py-spy, {title}):\n\n```\n{text}\n```\n"
    print("\n" + md)
    if a.out:
        a.out.write_text(md, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
