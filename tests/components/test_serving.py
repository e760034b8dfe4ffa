"""components/serving.py: a script run's events reach the event loop in batches, in order, none lost.

The unit tests drive the patched AppSession method with a recording stand-in for the session; the server test runs
a real Streamlit server with the patch and 12 concurrent websocket sessions, each running a page of 300 elements
three times, and checks every element arrives in order on every run."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime.app_session import AppSession
from websockets.sync.client import connect

from components import serving
from tests.ui.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


class Recorder:
    """The two AppSession members the patch uses: scheduling on the loop, and handling an event there."""

    def __init__(self):
        self.scheduled: list = []
        self.handled: list = []

    def _call_soon_on_event_loop(self, cb):
        self.scheduled.append(cb)

    def _handle_scriptrunner_event_on_event_loop(self, sender, event, **kwargs):
        self.handled.append((sender, event, kwargs.get("forward_msg")))


def send(rec: Recorder, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        serving._on_scriptrunner_event(rec, "runner", "ENQUEUE_FORWARD_MSG", forward_msg=i)


def run_scheduled(rec: Recorder) -> None:
    while rec.scheduled:
        rec.scheduled.pop(0)()


def test_events_sent_before_the_loop_runs_wake_it_once_and_are_handled_in_order():
    rec = Recorder()
    send(rec, 100)
    assert len(rec.scheduled) == 1                      # one wake-up for the 100 events, not 100
    run_scheduled(rec)
    assert [m for _, _, m in rec.handled] == list(range(100))
    send(rec, 5, start=100)                            # after the loop drained: a new batch, a new wake-up
    assert len(rec.scheduled) == 1
    run_scheduled(rec)
    assert [m for _, _, m in rec.handled] == list(range(105))


def test_events_arriving_while_the_loop_drains_are_neither_lost_nor_reordered():
    rec = Recorder()
    original = rec._handle_scriptrunner_event_on_event_loop
    sent_during = []

    def handle(sender, event, **kwargs):               # a script thread keeps sending while the loop handles
        original(sender, event, **kwargs)
        if kwargs["forward_msg"] == 0:
            t = threading.Thread(target=send, args=(rec, 50, 1000))
            t.start()
            t.join()
            sent_during.append(True)

    rec._handle_scriptrunner_event_on_event_loop = handle
    send(rec, 10)
    run_scheduled(rec)
    assert sent_during == [True]
    assert [m for _, _, m in rec.handled] == list(range(10)) + list(range(1000, 1050))
    assert rec.scheduled == []


def test_an_event_that_fails_does_not_take_the_rest_of_its_batch_with_it(caplog):
    rec = Recorder()
    original = rec._handle_scriptrunner_event_on_event_loop

    def handle(sender, event, **kwargs):
        if kwargs["forward_msg"] == 3:
            raise RuntimeError("broken event")
        original(sender, event, **kwargs)

    rec._handle_scriptrunner_event_on_event_loop = handle
    send(rec, 6)
    run_scheduled(rec)
    assert [m for _, _, m in rec.handled] == [0, 1, 2, 4, 5]
    assert "broken event" in caplog.text


def test_events_from_several_threads_each_keep_their_own_order():
    rec = Recorder()
    threads = [threading.Thread(target=send, args=(rec, 2000, k * 10_000)) for k in range(4)]
    stop = threading.Event()

    def loop():                                         # the event loop, running batches as they are scheduled
        while not stop.is_set() or rec.scheduled:
            if rec.scheduled:
                rec.scheduled.pop(0)()
            else:
                time.sleep(0.0005)

    lt = threading.Thread(target=loop)
    lt.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    lt.join()
    got = [m for _, _, m in rec.handled]
    assert sorted(got) == sorted(k * 10_000 + i for k in range(4) for i in range(2000))
    for k in range(4):
        assert [m for m in got if k * 10_000 <= m < (k + 1) * 10_000] == [k * 10_000 + i for i in range(2000)]


def test_install_is_idempotent():
    serving.install()
    serving.install()
    assert serving.installed()
    assert AppSession._on_scriptrunner_event is serving._on_scriptrunner_event
    assert serving._on_scriptrunner_event._ydbq_original.__qualname__ == "AppSession._on_scriptrunner_event"


APP = """
import streamlit as st
from components import serving
serving.install()
st.text("installed" if serving.installed() else "original")
for i in range(300):
    st.text(f"line {i}")
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    d = tmp_path_factory.mktemp("serving")
    (d / "app.py").write_text(APP)
    port = free_port()
    log = open(d / "server.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(d / "app.py"), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--server.fileWatcherType", "none",
         "--browser.gatherUsageStats", "false"],
        cwd=d, env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)
    base = f"127.0.0.1:{port}"
    deadline = time.time() + 90
    while True:
        try:
            with urllib.request.urlopen(f"http://{base}/_stcore/health", timeout=2):
                break
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                os.killpg(proc.pid, signal.SIGKILL)
                pytest.fail(f"streamlit did not start: {(d / 'server.log').read_text()}")
            time.sleep(0.2)
    yield base
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(15)
    log.close()


def one_session(base: str, runs: int, out: list, errors: list) -> None:
    try:
        with connect(f"ws://{base}/_stcore/stream", subprotocols=["streamlit"], max_size=None,
                     origin=f"http://{base}", open_timeout=60) as ws:
            for _ in range(runs):
                msg = BackMsg()
                msg.rerun_script.query_string = ""
                msg.rerun_script.page_script_hash = ""
                ws.send(msg.SerializeToString())
                texts = []
                while True:
                    fm = ForwardMsg()
                    fm.ParseFromString(ws.recv(timeout=120))
                    kind = fm.WhichOneof("type")
                    if kind == "delta" and fm.delta.new_element.WhichOneof("type") == "text":
                        texts.append(fm.delta.new_element.text.body)
                    elif kind == "script_finished" and fm.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
                        break
                out.append(texts)
    except Exception as exc:  # noqa: BLE001 - reported by the test
        errors.append(repr(exc))


def test_a_real_server_delivers_every_element_in_order_to_many_sessions(server):
    out: list = []
    errors: list = []
    threads = [threading.Thread(target=one_session, args=(server, 3, out, errors)) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(out) == 36
    expected = ["installed"] + [f"line {i}" for i in range(300)]
    assert all(texts == expected for texts in out)
