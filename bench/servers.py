"""Streamlit app processes and the sticky reverse proxy (nginx) for the benchmark; everything on 127.0.0.1."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NGINX_TEMPLATE = Path(__file__).resolve().parent / "nginx.bench.conf"
ROUTE_COOKIE = "st_route"


_TAKEN: set[int] = set()


def free_port() -> int:
    """A free loopback port: from BENCH_PORTS ("first-last", for a machine where port ranges are assigned),
    else any the system offers."""
    lo, _, hi = os.environ.get("BENCH_PORTS", "").partition("-")
    ports = list(range(int(lo), int(hi) + 1)) if lo and hi else []
    if ports and _TAKEN >= set(ports):
        _TAKEN.clear()          # all handed out once: reuse those free again (stopped servers)
    for port in ports:
        if port in _TAKEN:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _TAKEN.add(port)
        return port
    if lo and hi:
        raise RuntimeError(f"no free port in BENCH_PORTS={lo}-{hi}")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float, proc: subprocess.Popen | None = None) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited ({proc.returncode}) before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS / VmHWM (peak RSS) in bytes, and CPU seconds (utime+stime) of a process, from /proc."""
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k] = int(v.split()[0]) * 1024
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        out["cpu"] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        pass
    return out


@dataclass
class App:
    """One `streamlit run` process on loopback with the file watcher off."""
    script: Path
    env: dict
    cwd: Path
    port: int = 0
    proc: subprocess.Popen | None = None
    log: Path | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 180) -> "App":
        self.port = self.port or free_port()
        logf = open(self.log, "wb") if self.log else subprocess.DEVNULL
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(self.script), "--server.address", "127.0.0.1",
             "--server.port", str(self.port), "--server.headless", "true", "--server.fileWatcherType", "none",
             "--server.runOnSave", "false", "--browser.gatherUsageStats", "false"],
            cwd=self.cwd, env=self.env, stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
        wait_http(self.base + "/_stcore/health", timeout, self.proc)
        return self

    def status(self) -> dict[str, int]:
        return proc_status(self.proc.pid) if self.proc else {}

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.proc = None


@dataclass
class Proxy:
    """nginx in the foreground with its own prefix under var/bench/nginx/<port>/, routing by a cookie
    (hash of the `st_route` cookie; a browser without one gets it set on its first response)."""
    backends: list[int]
    workdir: Path
    port: int = 0
    proc: subprocess.Popen | None = None
    pids: list = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @staticmethod
    def available() -> bool:
        return shutil.which("nginx") is not None or Path("/usr/sbin/nginx").exists()

    def start(self) -> "Proxy":
        self.port = self.port or free_port()
        d = self.workdir / "nginx" / str(self.port)
        (d / "tmp").mkdir(parents=True, exist_ok=True)
        upstream = "\n".join(f"        server 127.0.0.1:{p} max_fails=0;" for p in self.backends)
        conf = NGINX_TEMPLATE.read_text().replace("@DIR@", str(d)).replace("@PORT@", str(self.port)) \
            .replace("@UPSTREAM@", upstream).replace("@COOKIE@", ROUTE_COOKIE)
        (d / "nginx.conf").write_text(conf)
        exe = shutil.which("nginx") or "/usr/sbin/nginx"
        self.proc = subprocess.Popen([exe, "-p", str(d), "-c", str(d / "nginx.conf"), "-e", str(d / "error.log")],
                                     stdout=subprocess.DEVNULL, stderr=open(d / "stderr.log", "wb"),
                                     start_new_session=True)
        wait_http(self.base + "/_stcore/health", 30, self.proc)
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGQUIT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.proc = None
