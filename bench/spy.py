"""py-spy sampling of the app processes during a load run (`python bench/run.py --profile`), and a summary of
where the time goes: the share of samples in which a function is on the stack (inclusive), project code first.

    python bench/spy.py var/bench/profiles/*.txt      # summarise collapsed stacks written earlier
"""
from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

PROJECT = ("/app.py", "/pages/", "/components/", "/services/", "/data/", "/scoring/", "/domain/")
FRAME = re.compile(r"^(?P<fn>.*) \((?P<file>.*?)(?::\d+)?\)$")


def start(pid: int, out: Path, rate: int = 20) -> subprocess.Popen | None:
    exe = shutil.which("py-spy")
    if not exe:
        print("py-spy not installed (pip install py-spy): no profile", flush=True)
        return None
    out.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen([exe, "record", "--pid", str(pid), "--rate", str(rate), "--format", "raw",
                             "--full-filenames",
                             "--output", str(out), "--nonblocking"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(proc: subprocess.Popen | None) -> None:
    if proc and proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()


def _project_files(root: Path) -> set[str]:
    names = {"app.py"}
    for d in ("pages", "components", "services", "data", "scoring", "domain"):
        names |= {p.name for p in (root / d).rglob("*.py")} if (root / d).is_dir() else set()
    return names


def summary(paths: list[Path], top: int = 15) -> str:
    """Inclusive share (function on the stack) for project code and for libraries, and self share (leaf)."""
    incl: Counter = Counter()
    leaf: Counter = Counter()
    total = 0
    for path in paths:
        if not path.exists():
            continue
        for line in path.read_text(errors="replace").splitlines():
            stack, _, n = line.rpartition(" ")
            if not n.isdigit():
                continue
            n = int(n)
            total += n
            seen = set()
            key = None
            for fr in stack.split(";"):
                m = FRAME.match(fr)
                key = (m["fn"], m["file"]) if m else (fr, "")
                if key not in seen:
                    seen.add(key)
                    incl[key] += n
            if key:
                leaf[key] += n
    if not total:
        return "no samples"
    root = Path(__file__).resolve().parent.parent
    names = _project_files(root)

    def is_project(file: str) -> bool:
        if "/" in file:
            return str(root) in file and any(p in file for p in PROJECT)
        return file in names and "site-packages" not in file

    def short(file: str) -> str:
        return file.replace(str(root) + "/", "").split("site-packages/")[-1]

    rows = []
    proj = [(k, v) for k, v in incl.items() if is_project(k[1])]
    libs = [(k, v) for k, v in incl.items() if not is_project(k[1]) and v / total < 0.75]
    for title, items in (("project code (inclusive)", proj), ("libraries below the script runner (inclusive)", libs),
                         ("self time (leaf frames)", list(leaf.items()))):
        rows.append(f"{title}, share of {total} samples:")
        for (fn, file), v in sorted(items, key=lambda kv: -kv[1])[:top]:
            rows.append(f"  {100 * v / total:5.1f} %  {fn}  ({short(file)})")
    return "\n".join(rows)


if __name__ == "__main__":
    print(summary([Path(p) for p in sys.argv[1:]]))
