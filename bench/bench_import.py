"""Benchmark of the ledger import: read-only time (python-calamine) versus a full import (validate + write).

    python bench/bench_import.py [--households 100000] [--labour] [--pg URL] [--repeat 2]

Generates a workbook with 68 sites and N households (optionally ~2 labourers per household) into a temp file,
then prints the time to merely read it with calamine, the time of `import_workbook` into a fresh SQLite
database (and PostgreSQL when reachable), and the ratio. Target: import < 2 x read.
"""
from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from data.workbook import spec as S  # noqa: E402

WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
COUNTIES = [(f"5201{i:02d}", f"测试{i}县") for i in range(1, 9)]


def ids(n: int, rng, start: int = 0) -> list[str]:
    """n distinct valid resident ID numbers."""
    seq = np.arange(start, start + n)
    days = rng.integers(0, 365 * 50, n)
    births = (np.datetime64("1960-01-01") + days.astype("timedelta64[D]")).astype(str)
    out = []
    for k, b in zip(seq, births):
        body = f"52{k // 1000:04d}{b.replace('-', '')}{k % 1000:03d}"  # unique: area and sequence from k
        out.append(body + "10X98765432"[int(np.dot([int(c) for c in body], WEIGHTS)) % 11])
    return out


def generate(path: Path, households: int, labour: bool, seed: int = 7) -> dict[str, int]:
    import openpyxl

    rng = np.random.default_rng(seed)
    wb = openpyxl.Workbook(write_only=True)
    sites = [(f"S{i:03d}", COUNTIES[i % len(COUNTIES)][1]) for i in range(68)]
    ws = wb.create_sheet("安置点")
    ws.append([c.title for c in S.SITES.columns])
    per_site = np.bincount(np.arange(households) % len(sites), minlength=len(sites))
    for (code, county), n in zip(sites, per_site):
        ws.append([code, f"{code}安置区", county, "某镇", S.SITE_TYPES[int(code[1:]) % 2], 104.5 + rng.random(),
                   25.0 + rng.random(), int(n), int(n) * 4, 2026 + int(code[1:]) % 3, 2018])
    ws = wb.create_sheet("搬迁户")
    ws.append(["某县易地扶贫搬迁户台账"])
    ws.append([c.title for c in S.HOUSEHOLDS.columns])
    head_ids = ids(households, rng)
    fam = rng.integers(1, 8, households)
    lab = np.minimum(rng.integers(0, 4, households), fam)
    statuses = np.array(["已落实", "已落实", "已落实", "未落实", "不适用", None], dtype=object)
    rights = statuses[rng.integers(0, len(statuses), (households, 15))]
    inc_prev = np.round(rng.normal(9000, 2000, households), 1)
    inc_curr = np.round(inc_prev * rng.normal(1.06, 0.05, households), 1)
    for i in range(households):
        ws.append([f"H{i:07d}", sites[i % len(sites)][0], "张三", head_ids[i], int(fam[i]), int(lab[i]), "某县",
                   "某乡", "某村", "是" if i % 3 else "否", "否", float(inc_prev[i]), float(inc_curr[i]),
                   *rights[i].tolist()])
    counts = {"安置点": len(sites), "搬迁户": households}
    if labour:
        ws = wb.create_sheet("劳动力")
        ws.append([c.title for c in S.LABOUR.columns])
        n = int(lab.sum())
        pids = ids(n, rng, start=households)
        forms = np.array(S.EMPLOYMENT_FORMS, dtype=object)
        k = 0
        for i in range(households):
            for _ in range(int(lab[i])):
                emp = rng.random() < 0.9
                ws.append([pids[k], "李四", f"H{i:07d}", "男" if int(pids[k][16]) % 2 else "女",
                           "是" if rng.random() < 0.7 else "否", "否", "已就业" if emp else "未就业",
                           forms[k % len(forms)] if emp else None, 3000.0 if emp else None])
                k += 1
        counts["劳动力"] = n
    wb.save(path)
    return counts


class Clock:
    """Wall and CPU time of a block."""

    def __enter__(self):
        self.w, self.c = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.w, time.process_time() - self.c


def read_only(path: Path) -> Clock:
    """Merely read every sheet with python-calamine (the importer's reader), garbage collector paused as during
    an import."""
    import gc

    import python_calamine as pc

    gc.disable()
    try:
        with Clock() as clock:
            book = pc.CalamineWorkbook.from_filelike(io.BytesIO(path.read_bytes()))
            for name in book.sheet_names:
                book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    finally:
        gc.enable()
    return clock


def read_pandas(path: Path) -> float:
    import pandas as pd

    t = time.perf_counter()
    pd.read_excel(path, sheet_name=None, engine="calamine", header=None)
    return time.perf_counter() - t


def seed(engine) -> None:
    from sqlalchemy.orm import Session

    from data import models as m
    with Session(engine) as s, s.begin():
        for i, (code, name) in enumerate(COUNTIES):
            s.add(m.County(code=code, name=name, city_code="520100", sort_order=i))


def import_once(url: str, data: bytes) -> tuple[Clock, object]:
    from data.db import create
    from data.workbook import ImportUser, import_workbook

    engine = create(url)
    seed(engine)
    with Clock() as elapsed:
        res = import_workbook(engine, data, "bench.xlsx", "2026-09", ImportUser("bench", "管理员"))
    engine.dispose()
    if not res.ok:
        raise SystemExit("导入失败：\n" + "\n".join(str(x) for x in res.errors[:20]))
    return elapsed, res


def pg_database(base_url: str):
    """A fresh PostgreSQL database next to base_url (None when the server is unreachable)."""
    from sqlalchemy import create_engine, text
    try:
        admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
        name = f"bench_import_{os.getpid()}_{time.time_ns() % 10**6}"
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception:
        return None, None
    url = base_url.rsplit("/", 1)[0] + "/" + name

    def drop():
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return url, drop


def main() -> int:
    ap = argparse.ArgumentParser(description="台账导入性能基准")
    ap.add_argument("--households", type=int, default=100_000)
    ap.add_argument("--labour", action="store_true", help="同时生成劳动力工作表（约每户1.5人）")
    ap.add_argument("--pg", default=os.environ.get("TEST_POSTGRES_URL",
                                                    "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    ap.add_argument("--no-pg", action="store_true")
    ap.add_argument("--repeat", type=int, default=2, help="每项测量取最好成绩的次数")
    ap.add_argument("--profile", action="store_true", help="对一次 SQLite 导入做 cProfile")
    ap.add_argument("--file", type=Path, help="使用已有的工作簿（不存在时生成并保存到该路径）")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path = args.file or Path(tmp) / "bench.xlsx"
        if not path.exists():
            t = time.perf_counter()
            counts = generate(path, args.households, args.labour)
            print(f"生成工作簿：{counts}，{path.stat().st_size / 1e6:.1f} MB，用时 {time.perf_counter() - t:.1f} s")
        data = path.read_bytes()
        reads = [read_only(path) for _ in range(args.repeat)]
        read = min(r.wall for r in reads)
        read_cpu = min(r.cpu for r in reads)
        print(f"仅读取（python-calamine，全部工作表）：{read:.2f} s（CPU {read_cpu:.2f} s）")
        print(f"仅读取（pandas.read_excel engine=calamine，参考）：{read_pandas(path):.2f} s")

        if args.profile:
            import cProfile
            import pstats
            cProfile.runctx("import_once(f'sqlite:///{tmp}/prof.db', data)", globals(), locals(), f"{tmp}/prof")
            pstats.Stats(f"{tmp}/prof").sort_stats("cumulative").print_stats(30)

        results = {}
        runs = []
        for k in range(args.repeat):
            clock, res = import_once(f"sqlite:///{tmp}/bench_{k}.db", data)
            runs.append(clock)
        wall, cpu = min(r.wall for r in runs), min(r.cpu for r in runs)
        results["SQLite"] = wall / read
        print(f"导入（校验 + 写入 SQLite）：{wall:.2f} s（CPU {cpu:.2f} s），比值 {wall / read:.2f}×"
              f"（CPU 比值 {cpu / read_cpu:.2f}×；目标 < 2×）；{res.summary()}")
        if not args.no_pg:
            runs = []
            for _ in range(args.repeat):
                url, drop = pg_database(args.pg)
                if url is None:
                    print("PostgreSQL 不可达，跳过")
                    break
                try:
                    clock, res = import_once(url, data)
                    runs.append(clock)
                finally:
                    drop()
            if runs:
                wall = min(r.wall for r in runs)
                results["PostgreSQL"] = wall / read
                print(f"导入（校验 + 写入 PostgreSQL，COPY）：{wall:.2f} s，比值 {wall / read:.2f}×")
        import resource
        print(f"本进程内存峰值：{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
              f"（含生成与读取；上传限制与拒绝时的内存见 bench/bench_upload_limits.py）")
        worst = max(results.values())
        print(("达标" if worst < 2 else "未达标") + f"：最大比值 {worst:.2f}×（导入耗时 / 仅读取耗时）")
        return 0 if worst < 2 else 1


if __name__ == "__main__":
    sys.exit(main())
