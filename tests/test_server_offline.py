"""The real Streamlit server, started headless with the repository's .streamlit/config.toml (no address given on
the command line), contacts nothing but the loopback interface — neither at start (Streamlit's external-IP
lookup) nor while a browser opens pages — and listens on 127.0.0.1 only.

The server process itself is watched two ways: an audit hook inside it records every name lookup and
connection attempt Python makes (socket.getaddrinfo / connect / sendto, http.client, urllib), and a watcher
outside polls the process's own sockets (/proc/<pid>/fd -> /proc/<pid>/net/{tcp,tcp6,udp,udp6}) for any
remote address that is not loopback."""
from __future__ import annotations

import ipaddress
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from tests.ui.conftest import free_port

ROOT = Path(__file__).resolve().parents[1]

# Runs as the server process: install the audit hook, then hand over to `streamlit run` in the same process.
SERVER = r'''
import json, os, sys
_fd = os.open(os.environ["NET_AUDIT_LOG"], os.O_WRONLY | os.O_CREAT | os.O_APPEND)
_LOOPBACK_NAMES = {"localhost", "ip6-localhost", "ip6-loopback"}

def _outside(host):
    if host is None:
        return False
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).strip("[]")
    if host in ("", "0.0.0.0", "::") or host.lower() in _LOOPBACK_NAMES or host.lower().endswith(".localhost"):
        return False
    import ipaddress
    try:
        return not ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return True  # a name to resolve

def _hook(event, args):
    try:
        host = None
        if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
            addr = args[1] if len(args) > 1 else None
            host = addr[0] if isinstance(addr, tuple) else None
        elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex",
                       "socket.gethostbyaddr", "http.client.connect"):
            host = args[1] if event == "http.client.connect" else args[0]
        elif event == "urllib.Request":
            from urllib.parse import urlparse
            host = urlparse(args[0]).hostname
        else:
            return
        if _outside(host):
            os.write(_fd, (json.dumps({"event": event, "host": str(host)}) + "\n").encode())
    except Exception:
        pass

sys.addaudithook(_hook)
sys.argv = ["streamlit", "run", "app.py", "--server.port", os.environ["TEST_PORT"],
            "--server.fileWatcherType", "none"]
from streamlit.web.cli import main
main()
'''


def _proc_sockets(pid: int) -> list[tuple[str, str, str, int]]:
    """(table, local, remote, state) of the sockets the process holds."""
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        return []
    out = []
    for table in ("tcp", "tcp6", "udp", "udp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            if len(f) > 9 and f[9] in inodes:
                out.append((table, _addr(f[1]), _addr(f[2]), int(f[3], 16)))
    return out


def _addr(hexaddr: str) -> str:
    host, port = hexaddr.split(":")
    raw = bytes.fromhex(host)
    if len(raw) == 4:
        ip = ipaddress.IPv4Address(raw[::-1])
    else:  # four little-endian 32-bit words
        ip = ipaddress.IPv6Address(b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4)))
        if ip.ipv4_mapped:
            ip = ip.ipv4_mapped
    return f"{ip}:{int(port, 16)}"


def _is_loopback_or_unset(address: str) -> bool:
    ip = ipaddress.ip_address(address.rsplit(":", 1)[0])
    return ip.is_loopback or ip.is_unspecified


class Watcher(threading.Thread):
    """Polls the server process's own sockets until stopped."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.stop_flag = pid, threading.Event()
        self.remote: set[tuple[str, str]] = set()
        self.listening: set[str] = set()
        self.polls = 0

    def run(self):
        while not self.stop_flag.is_set():
            for table, local, remote, state in _proc_sockets(self.pid):
                if table.startswith("tcp") and state == 0x0A:  # LISTEN
                    self.listening.add(local)
                elif not _is_loopback_or_unset(remote):
                    self.remote.add((table, remote))
            self.polls += 1
            time.sleep(0.005)


@pytest.fixture
def server(tmp_path):
    port = free_port()
    log = tmp_path / "net_audit.jsonl"
    log.touch()
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'offline.db'}", NET_AUDIT_LOG=str(log),
               TEST_PORT=str(port))
    out = open(tmp_path / "server.log", "w")
    proc = subprocess.Popen([sys.executable, "-c", SERVER], cwd=ROOT, env=env, stdout=out,
                            stderr=subprocess.STDOUT, start_new_session=True)
    watcher = Watcher(proc.pid)
    watcher.start()  # from the first moment: the lookup happened at start
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while True:
        try:
            with urllib.request.urlopen(base + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                out.close()
                pytest.fail("server did not start:\n" + (tmp_path / "server.log").read_text()[-3000:])
            time.sleep(0.2)
    try:
        yield base, watcher, log, tmp_path / "server.log"
    finally:
        watcher.stop_flag.set()
        watcher.join(5)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        out.close()


def test_server_contacts_only_loopback_and_listens_on_loopback(server, browser):
    base, watcher, log, server_log = server
    page = browser.new_page()
    try:
        for path in ("/", "/upload", "/"):
            page.goto(base + path)
            page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=90_000)
            page.wait_for_selector("[data-testid='stMainBlockContainer'] [data-testid='stElementContainer']",
                                   timeout=90_000)
    finally:
        page.close()
    lookups = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    assert watcher.polls > 10 and watcher.listening, "the watcher saw the server's sockets"
    assert lookups == [], f"the server looked up or contacted outside addresses: {lookups}"
    assert watcher.remote == set(), f"the server held connections to outside addresses: {watcher.remote}"
    # listening on the loopback interface only
    assert all(ipaddress.ip_address(a.rsplit(":", 1)[0]).is_loopback for a in watcher.listening), watcher.listening
    text = server_log.read_text()
    assert "External URL" not in text and "Network URL" not in text


def test_the_hook_sees_an_outside_lookup(tmp_path):
    """The audit hook itself works: a lookup of an outside name in a process with the hook is recorded
    (no packet needs to leave the machine: the name is reserved and never resolves)."""
    log = tmp_path / "a.jsonl"
    code = SERVER.split("sys.addaudithook(_hook)")[0] + (
        "sys.addaudithook(_hook)\nimport socket\ntry:\n    socket.getaddrinfo('offline-check.invalid', 80)\n"
        "except OSError:\n    pass\n")
    subprocess.run([sys.executable, "-c", code], env=dict(os.environ, NET_AUDIT_LOG=str(log)), check=True,
                   timeout=60)
    assert [json.loads(x)["host"] for x in log.read_text().splitlines()] == ["offline-check.invalid"]
