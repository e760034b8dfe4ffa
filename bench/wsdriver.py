"""A lightweight Streamlit client: drives `/_stcore/stream` with BackMsg/ForwardMsg protobufs as the browser does.

A page "finishes" at the `script_finished` ForwardMsg (FINISHED_SUCCESSFULLY), which is the moment the browser
flips `data-test-script-state` to `notRunning` (checked against headless Chromium by `bench/verify_driver.py`).

* `Session.open(path)` = a new browser tab on `path` (new websocket, new Streamlit session, first rerun with the
  URL's page name and query string).
* `Session.goto(path)` = in-app navigation, as a click on a page link does: a rerun request on the same session with
  the target page's script hash (from `new_session.app_pages`) and its query string.
Like the browser, the client tells the server which cacheable messages it already holds (`cached_message_hashes`),
so repeated large elements come back as references.
"""
from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

FINISHED_OK = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_SUCCESSFULLY")
FINISHED_RERUN = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_EARLY_FOR_RERUN")
COMPILE_ERROR = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_WITH_COMPILE_ERROR")


class PageError(RuntimeError):
    pass


@dataclass
class Visit:
    path: str
    seconds: float
    messages: int
    bytes: int
    exceptions: int
    kind: str                  # "open" (new tab) or "nav" (in-app navigation)
    started: float = 0.0       # perf_counter at start


@dataclass
class Session:
    base: str                              # http://127.0.0.1:port
    cookie: str = ""                       # e.g. "route=abc" for the proxy's sticky routing
    ws: object = None
    pages: dict = field(default_factory=dict)   # url_pathname -> page_script_hash (new_session / navigation)
    cached: set = field(default_factory=set)
    timeout: float = 300.0

    @staticmethod
    def split(path: str) -> tuple[str, str]:
        u = urlsplit(path)
        return u.path.strip("/"), u.query

    async def open(self, path: str) -> Visit:
        """New tab on `path`: connect and run the page named by the URL."""
        await self.close()
        t0 = time.perf_counter()
        ws_url = self.base.replace("http://", "ws://") + "/_stcore/stream"
        headers = {"Origin": self.base}
        if self.cookie:
            headers["Cookie"] = self.cookie
        self.ws = await websockets.connect(ws_url, subprotocols=["streamlit"], additional_headers=headers,
                                           max_size=None, open_timeout=self.timeout, ping_interval=None,
                                           compression=None)
        name, query = self.split(path)
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = query
        cs.page_name = name
        cs.page_script_hash = ""
        self._context(cs, path)
        return await self._run(msg, path, t0, "open")

    async def goto(self, path: str) -> Visit:
        """In-app navigation on the open session (a click on a page link)."""
        t0 = time.perf_counter()
        name, query = self.split(path)
        h = self.pages.get(name)
        if h is None:
            raise PageError(f"{path}: page not in app_pages {sorted(self.pages)}")
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = query
        cs.page_script_hash = h
        cs.page_name = ""
        cs.cached_message_hashes.extend(sorted(self.cached))
        self._context(cs, path)
        return await self._run(msg, path, t0, "nav")

    def _context(self, cs, path: str) -> None:
        cs.context_info.timezone = "Asia/Shanghai"
        cs.context_info.timezone_offset = -480
        cs.context_info.locale = "zh-CN"
        cs.context_info.url = self.base + (path if path.startswith("/") else "/" + path)

    async def _run(self, msg: BackMsg, path: str, t0: float, kind: str) -> Visit:
        await self.ws.send(msg.SerializeToString())
        n = nbytes = exc = 0
        deadline = t0 + self.timeout
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise PageError(f"{path}: no script_finished within {self.timeout:.0f} s")
            raw = await asyncio.wait_for(self.ws.recv(), timeout=left)
            n += 1
            nbytes += len(raw)
            fm = ForwardMsg()
            fm.ParseFromString(raw)
            if fm.metadata.cacheable and fm.hash:
                self.cached.add(fm.hash)
            kind_ = fm.WhichOneof("type")
            if kind_ == "new_session" and fm.new_session.app_pages:
                self.pages.update({p.url_pathname: p.page_script_hash for p in fm.new_session.app_pages})
            elif kind_ == "navigation":       # the page list (legacy pages/ routing sends it here)
                self.pages.update({p.url_pathname: p.page_script_hash for p in fm.navigation.app_pages})
            elif kind_ == "delta":
                if fm.delta.WhichOneof("type") == "new_element" and \
                        fm.delta.new_element.WhichOneof("type") == "exception":
                    exc += 1
            elif kind_ == "page_not_found":
                raise PageError(f"{path}: page_not_found")
            elif kind_ == "script_finished":
                status = fm.script_finished
                if status == FINISHED_OK:
                    return Visit(path, time.perf_counter() - t0, n, nbytes, exc, kind, t0)
                if status == COMPILE_ERROR:
                    raise PageError(f"{path}: script compile error")
                # FINISHED_EARLY_FOR_RERUN: st.switch_page / st.rerun — the page is not there yet, keep waiting

    async def close(self) -> None:
        if self.ws is not None:
            try:
                await self.ws.close()
            except Exception:
                pass
            self.ws = None


def route_cookie() -> str:
    """A sticky-routing cookie as the proxy would have set on the first HTML response of a browser."""
    return "st_route=" + uuid.uuid4().hex


async def _demo(base: str, paths: list[str]) -> None:  # python bench/wsdriver.py http://127.0.0.1:8501 / /ranking
    s = Session(base)
    v = await s.open(paths[0])
    print(f"open {v.path}: {v.seconds:.2f} s, {v.messages} msgs, {v.bytes / 1e3:.0f} kB, exceptions {v.exceptions}")
    for p in paths[1:]:
        v = await s.goto(p)
        print(f"nav  {v.path}: {v.seconds:.2f} s, {v.messages} msgs, {v.bytes / 1e3:.0f} kB, exceptions {v.exceptions}")
    await s.close()


if __name__ == "__main__":
    import sys
    asyncio.run(_demo(sys.argv[1], sys.argv[2:] or ["/"]))
