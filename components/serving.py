"""How a page's messages travel from its script thread to the server's event loop: one wake-up per batch.

Why: Streamlit 1.67 hands every event of a script run (each element drawn is one) to the server's event loop with
`loop.call_soon_threadsafe`, one call per event; each call writes a byte to the loop's self-pipe. Under 20 sessions
that hand-over was the largest single entry of the script threads (`AppSession._on_scriptrunner_event`, py-spy
--gil, bench/RESULTS.md "After (5)").

What `install()` changes (process-wide, idempotent), without changing what is sent or its order: a session's
script-runner events are queued per session, and the loop is woken once for all the events queued since it last
ran them, not once per event. tests/components/test_serving.py drives it with concurrent threads and through a real
server with many sessions, and checks order and delivery.
"""
from __future__ import annotations

import logging
import threading
from collections import deque

from streamlit.runtime import app_session as _app_session

_AppSession = _app_session.AppSession
_LOCK = threading.Lock()
_LOG = logging.getLogger("dashboard.serving")
_ORIGINAL = getattr(_AppSession._on_scriptrunner_event, "_ydbq_original", _AppSession._on_scriptrunner_event)


def _pending(session) -> tuple[threading.Lock, deque]:
    state = session.__dict__.get("_ydbq_events")
    if state is None:
        with _LOCK:
            state = session.__dict__.setdefault("_ydbq_events", (threading.Lock(), deque()))
    return state


def _on_scriptrunner_event(self, sender, event, **kwargs) -> None:
    """On the script thread: queue the event; the first event of a batch schedules `_drain` on the loop."""
    lock, queue = _pending(self)
    with lock:
        queue.append((sender, event, kwargs))
        if len(queue) > 1:
            return              # a drain is scheduled and has not yet taken this batch
    self._call_soon_on_event_loop(lambda: _drain(self))


def _drain(session) -> None:
    """On the event loop: handle the queued events in the order they were sent."""
    lock, queue = _pending(session)
    while True:
        with lock:
            if not queue:
                return
            batch = list(queue)
            queue.clear()
        for sender, event, kwargs in batch:
            try:
                session._handle_scriptrunner_event_on_event_loop(sender, event, **kwargs)
            except Exception:  # noqa: BLE001 - as the loop does for a failing callback: log it, go on with the rest
                _LOG.exception("script runner event %s failed", event)


_on_scriptrunner_event._ydbq_original = _ORIGINAL      # type: ignore[attr-defined]


def install() -> None:
    """Batch the event-loop wake-ups of script runs (idempotent, process-wide). A script runner connected before
    this keeps the original path for its run."""
    if _AppSession._on_scriptrunner_event is not _on_scriptrunner_event:
        with _LOCK:
            _AppSession._on_scriptrunner_event = _on_scriptrunner_event


def installed() -> bool:
    return _AppSession._on_scriptrunner_event is _on_scriptrunner_event
