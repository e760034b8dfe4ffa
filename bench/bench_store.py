"""The versioned ledger store on the full demo city: database size and first start (build + score every month).

    python bench/bench_store.py [--months 24] [--keep PATH]

Prints, beside a baseline measured in the same run (generating the same monthly ledgers in memory, no database):
the first start end to end (writing the versions and scoring every month, as the app's first start does), the
database size, and how many rows the versions take compared with a copy of every month. Targets (issue 8): the
demo database under 250 MB, the first start under 60 s on a 2-core machine.
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from data.db import create  # noqa: E402
from data.demo import build_demo  # noqa: E402
from data.demo.build import month_list  # noqa: E402
from data.demo.calibration import DEFAULT_CITY, DEFAULT_SEED  # noqa: E402
from data.demo.ledger import household_rows, labour_rows  # noqa: E402
from data.demo.people import make_people  # noqa: E402
from data.demo.plan import make_plan  # noqa: E402
from data.demo.story import make_story  # noqa: E402
from data import repository as repo  # noqa: E402
from services import results, store  # noqa: E402


def generate_only(months: list[str]) -> tuple[float, int, int]:
    """Baseline: the demo's monthly household and labour ledgers generated in memory (what any store must at
    least do). Returns (seconds, household rows, labour rows) of the copies."""
    t0 = time.perf_counter()
    years = sorted({int(x[:4]) for x in months})
    years = list(range(years[0] - 1, years[-1] + 1))
    seeds = np.random.default_rng(DEFAULT_SEED).integers(0, 2**31 - 1, 8)
    plan = make_plan(np.random.default_rng(seeds[0]), DEFAULT_CITY, "city")
    pp = make_people(np.random.default_rng(seeds[1]), plan, 1.0, years)
    st = make_story(np.random.default_rng(seeds[2]), plan, months)
    static = dict(hh_code=pp.hh_code, hh_site_code=[plan.site_code[s] for s in pp.hh_site.tolist()],
                  family=pp.family.tolist(), labour=pp.labour.tolist(),
                  lab_hh_code=[pp.hh_code[h] for h in pp.lab_hh.tolist()],
                  month_index={x: i for i, x in enumerate(months)})
    static["lab_site_code"] = [static["hh_site_code"][h] for h in pp.lab_hh.tolist()]
    nh = nl = 0
    for t, month in enumerate(months):
        nh += len(list(zip(*household_rows(t, month, plan, pp, st, years, static))))
        nl += len(list(zip(*labour_rows(t, month, plan, pp, st, static))))
    return time.perf_counter() - t0, nh, nl


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--months", type=int, default=24)
    ap.add_argument("--end", default="2026-10")
    ap.add_argument("--keep", help="keep the database at this path")
    ap.add_argument("--cli", action="store_true",
                    help="also time the README's first start end to end: `python -m data init --city 522300 --demo` "
                         "in a fresh process, then the first page's figures (12 months from the store)")
    a = ap.parse_args()
    months = month_list(a.end, a.months)
    c0 = time.process_time()
    base_s, copies_h, copies_l = generate_only(months)
    base_c = time.process_time() - c0

    tmp = tempfile.mkdtemp()
    path = Path(a.keep) if a.keep else Path(tmp) / "demo.db"
    if path.exists():
        path.unlink()
    url = f"sqlite:///{path}"
    t0, c0 = time.perf_counter(), time.process_time()
    eng = create(url)
    res = build_demo(eng, months=a.months, end_month=a.end)
    t_build, c_build = time.perf_counter() - t0, time.process_time() - c0
    store.precompute(eng)
    t_total, c_total = time.perf_counter() - t0, time.process_time() - c0
    with eng.connect() as c:
        c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    eng.dispose()
    size = sum(os.path.getsize(p) for p in (path, Path(f"{path}-wal")) if p.exists()) / 1e6
    load = os.getloadavg()[0]
    print(f"{'figure':<44}{'value':>12}{'baseline':>12}{'ratio':>8}  target")
    print(f"{'generate ledgers in memory (baseline) s':<44}{base_s:>12.1f}{'':>12}{'':>8}")
    print(f"{'build (write versions) s':<44}{t_build:>12.1f}{base_s:>12.1f}{t_build / base_s:>8.2f}")
    print(f"{'first start: build + score all months s':<44}{t_total:>12.1f}{base_s:>12.1f}{t_total / base_s:>8.2f}"
          f"  < 60 s {'ok' if t_total < 60 else 'MISSED'}")
    print(f"{'  the same in CPU seconds of this process':<44}{c_total:>12.1f}{base_c:>12.1f}{c_total / base_c:>8.2f}"
          f"  (build {c_build:.1f}, score {c_total - c_build:.1f}; wall = CPU on an idle machine)")
    print(f"{'database size MB':<44}{size:>12.1f}{'':>12}{'':>8}  < 250 MB {'ok' if size < 250 else 'MISSED'}")
    print(f"{'household rows: versions vs monthly copies':<44}{res.rows.get('households', 0):>12,}"
          f"{copies_h:>12,}{res.rows.get('households', 0) / copies_h:>8.2f}")
    print(f"{'labour rows: versions vs monthly copies':<44}{res.rows.get('labourers', 0):>12,}"
          f"{copies_l:>12,}{res.rows.get('labourers', 0) / copies_l:>8.2f}")
    if a.cli:
        cli_path = Path(tmp) / "cli.db"
        env = dict(os.environ, DATABASE_URL=f"sqlite:///{cli_path}")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "data", "init", "--city", "522300", "--demo"], cwd=ROOT, env=env,
                       check=True, stdout=subprocess.DEVNULL)
        t_cli = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        c_cli = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        eng = create(f"sqlite:///{cli_path}")
        t0 = time.perf_counter()
        latest = repo.latest_month(eng)
        page = results.history(eng, latest, 12)
        t_page = time.perf_counter() - t0
        assert len(page) == 12 and all(len(v.sites) for v in page.values())
        eng.dispose()
        print(f"{'python -m data init --demo (end to end) s':<44}{t_cli:>12.1f}{base_s:>12.1f}{t_cli / base_s:>8.2f}"
              f"  CPU {c_cli:.1f} s")
        print(f"{'  + first page figures (12 months, stored) s':<44}{t_cli + t_page:>12.1f}{base_s:>12.1f}"
              f"{(t_cli + t_page) / base_s:>8.2f}  < 60 s {'ok' if t_cli + t_page < 60 else 'MISSED'}")
    print(f"load average (1 min) during the run: {load:.2f} now {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
