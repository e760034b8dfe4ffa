"""Demo databases for the benchmark, cached under var/bench/ keyed by a fingerprint of the code that builds them.

    python bench/dbcache.py city|province [--rebuild]     # build (or reuse) one, print its URL
"""
from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "bench"
# the code that decides what a demo database contains (schema, demo generator, scoring, stored results)
FINGERPRINT_DIRS = ("data", "scoring", "services", "domain")
CITY = "522300"


def fingerprint(root: Path = ROOT) -> str:
    h = hashlib.sha256()
    for d in FINGERPRINT_DIRS:
        base = root / d
        if not base.is_dir():
            continue
        for p in sorted(base.rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc",):
                h.update(str(p.relative_to(root)).encode())
                h.update(p.read_bytes())
    return h.hexdigest()[:12]


def db_path(scale: str, fp: str | None = None) -> Path:
    return CACHE / f"demo-{scale}-{fp or fingerprint()}.db"


def ensure(scale: str, rebuild: bool = False, log=print) -> tuple[str, float | None]:
    """URL of a demo database of the given scale built by the current code; (url, build seconds or None if reused)."""
    path = db_path(scale)
    if path.exists() and not rebuild:
        return f"sqlite:///{path}", None
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".building")
    for p in (tmp, Path(str(tmp) + "-wal"), Path(str(tmp) + "-shm")):
        p.unlink(missing_ok=True)
    log(f"building the {scale} demo database into {path.name} (python -m data init --demo --scale {scale}) …")
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp}")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "data", "init", "--city", CITY, "--demo", "--scale", scale],
                   cwd=ROOT, env=env, check=True)
    took = time.perf_counter() - t0
    # fold the WAL into the main file so the cached database is one self-contained file
    import sqlite3
    con = sqlite3.connect(tmp)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    for p in (Path(str(tmp) + "-wal"), Path(str(tmp) + "-shm")):
        p.unlink(missing_ok=True)
    tmp.rename(path)
    log(f"built {path.name} in {took:.0f} s")
    return f"sqlite:///{path}", took


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scale", choices=["city", "province"])
    ap.add_argument("--rebuild", action="store_true")
    a = ap.parse_args()
    url, _ = ensure(a.scale, a.rebuild)
    print(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
