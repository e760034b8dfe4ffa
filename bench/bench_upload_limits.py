"""Benchmark of the upload limits and of a 100,000-error upload: time and peak memory of each case, every case
in a fresh process whose peak resident memory the kernel reports (os.wait4), against a baseline process that
loads the same modules and imports nothing.

    python bench/bench_upload_limits.py [--rows 100000]

Cases: a valid ledger of N households (the baseline for time), the same rows with an unknown 安置点编码 each (a
wrong county's ledger: N errors, answered with the capped listing and the complete marked copy), a zip bomb
(4 MB -> 4 GB) declared honestly and with lying sizes, 20 million tiny cells (sequential and repeated
references) and a value at row 1,048,576.

Targets: every refusal grows memory by < 300 MB; the N-error upload (validation + marked copy) takes < 3x the
valid upload of the same rows (which writes them to the database).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CASES = {
    "baseline": None,
    "valid": "H.wrong_site_ledger(ROWS, first_good=ROWS)",
    "errors": "H.wrong_site_ledger(ROWS)",
    "zip_bomb": "H.zip_bomb()",
    "zip_bomb_lying": "H.zip_bomb(declared_mib=700)",
    "cells_20m": "H.many_cells(20_000_000)",
    "cells_20m_refs": "H.many_cells(20_000_000, refs=True)",
    "far_cell": "H.far_cell()",
}


def run_case(case: str, rows: int, db: str) -> dict:
    """In the child process: build the file, then time the import (and the marked copy)."""
    from data.db import create
    from data.workbook import ImportUser, import_workbook
    from tests.data import hostile as H  # noqa: F401 - used by eval
    from tests.data.fixtures_workbooks import good_workbook, seed_counties

    engine = create(db)
    seed_counties(engine)
    admin = ImportUser("bench", "管理员")
    assert import_workbook(engine, good_workbook(), "基础.xlsx", "2026-09", admin).ok  # site S001 exists
    if CASES[case] is None:
        return {"ok": None, "seconds": 0.0, "size_mb": 0.0, "what": "仅加载模块"}
    data = eval(CASES[case], {"H": H, "ROWS": rows})  # noqa: S307 - fixed expressions above
    t = time.perf_counter()
    res = import_workbook(engine, data, f"{case}.xlsx", "2026-09", admin)
    marked = res.marked_copy if res.messages else None
    seconds = time.perf_counter() - t
    what = res.summary() if res.ok else (res.errors[0].reason[:60] + ("…" if len(res.errors[0].reason) > 60 else ""))
    return {"ok": res.ok, "seconds": seconds, "size_mb": len(data) / 1e6, "what": what,
            "errors": len(res.errors), "marked_mb": len(marked) / 1e6 if marked else 0.0}


def measure(case: str, rows: int, tmp: str) -> dict:
    """Run one case in a child process; its peak RSS from the kernel."""
    env = dict(os.environ, LEDGER_MAX_RATIO=os.environ.get("BENCH_RATIO", "1000000"))
    proc = subprocess.Popen([sys.executable, __file__, "--child", case, "--rows", str(rows),
                             "--db", f"sqlite:///{tmp}/{case}.db"], stdout=subprocess.PIPE, cwd=ROOT, env=env)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"{case} failed (status {status})")
    result = json.loads(out.decode().strip().splitlines()[-1])
    result["peak_mb"] = usage.ru_maxrss / 1024
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description="上传限制与大量错误的导入：耗时与内存峰值")
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--child")
    ap.add_argument("--db")
    args = ap.parse_args()
    if args.child:
        print(json.dumps(run_case(args.child, args.rows, args.db), ensure_ascii=False))
        return 0
    print("（压缩比限制放宽到 1000000，使内容检查本身起作用；默认限制下这些文件在读取声明大小时即被拒绝）")
    with tempfile.TemporaryDirectory() as tmp:
        results = {case: measure(case, args.rows, tmp) for case in CASES}
    base = results["baseline"]["peak_mb"]
    print(f"{'情形':<16}{'文件':>9}{'耗时':>9}{'内存峰值':>10}{'增长':>9}  结果")
    for case, r in results.items():
        print(f"{case:<16}{r['size_mb']:>7.1f}MB{r['seconds']:>8.2f}s{r['peak_mb']:>8.0f}MB"
              f"{r['peak_mb'] - base:>7.0f}MB  {r['what']}")
    refusals = [c for c in CASES if c not in ("baseline", "valid", "errors")]
    worst = max(results[c]["peak_mb"] - base for c in refusals)
    ratio = results["errors"]["seconds"] / results["valid"]["seconds"]
    ok_mem, ok_time = worst < 300, ratio < 3
    print(f"拒绝时内存增长最大 {worst:.0f} MB（目标 < 300 MB）：{'达标' if ok_mem else '未达标'}")
    print(f"{args.rows}处错误的导入（校验 + 标注副本，{results['errors']['errors']}个错误）耗时 "
          f"{results['errors']['seconds']:.2f} s，为同样行数的成功导入（{results['valid']['seconds']:.2f} s）的 "
          f"{ratio:.2f} 倍（目标 < 3 倍）：{'达标' if ok_time else '未达标'}")
    return 0 if ok_mem and ok_time else 1


if __name__ == "__main__":
    sys.exit(main())
