"""Export links in real headless Chromium against `streamlit run app.py` on a non-demo database (issue 9).

Streamlit serves a built download at /media/<id>, id = BLAKE2b-128 of bytes + mime type + file name, and its media
route checks no session. A signed-in supervisor clicks 导出CSV on the ranking; then, from fresh browser contexts
without any cookie:
(a) the link an attacker computes offline from the exact same bytes, mime type and file name is 404 (the mime type
    carries a random nonce per render, components/export_links.py) — before, it served the file;
(b) the captured link itself works while the session lives (what remains) and is 404 once the session signs out;
and the export is audited exactly once. Through the documented nginx configuration (docs/deploy/nginx.conf, its
upstream pointed at the test server) the live link is refused without the ydbq_session cookie and served with one
(nginx checks presence only: what remains). Waits are on page conditions, never pauses."""
from __future__ import annotations

import re
import shutil
import subprocess
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from streamlit.runtime.memory_media_file_storage import _calculate_file_id

from data import audit, models as m
from data.db import create
from tests.ui.conftest import ROOT, copy_db, free_port, start_server, wait_done
from tests.ui.test_auth_browser import sign_in, wait_signed_in


@pytest.fixture(scope="module")
def db(login_db, tmp_path_factory) -> str:
    return copy_db(login_db, tmp_path_factory.mktemp("export_links") / "links.db")


@pytest.fixture(scope="module")
def server(db, tmp_path_factory):
    srv = start_server(db, "export_links", tmp_path_factory)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def proxy(server, tmp_path_factory):
    """The documented nginx.conf, verbatim but for its listen port and upstream servers."""
    exe = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(exe).exists():
        pytest.fail("nginx not found: install Debian's nginx (bash .ci/run does)")
    d = tmp_path_factory.mktemp("nginx")
    port = free_port()
    conf = (ROOT / "docs" / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    conf = conf.replace("listen 80;", f"listen 127.0.0.1:{port};")
    conf = re.sub(r"server 127\.0\.0\.1:850\d max_fails=0;\n(\s+server 127\.0\.0\.1:850\d max_fails=0;\n)*",
                  f"server 127.0.0.1:{server.port};\n", conf)
    temps = " ".join(f"{k}_temp_path {d};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (d / "nginx.conf").write_text(f"pid {d}/nginx.pid;\nerror_log {d}/error.log;\nevents {{}}\n"
                                  f"http {{ access_log off; {temps}\n{conf}\n}}\n", encoding="utf-8")
    proc = subprocess.Popen([exe, "-p", str(d), "-c", str(d / "nginx.conf"), "-g", "daemon off;"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):                        # until nginx answers (or has died)
        try:
            urllib.request.urlopen(base + "/_stcore/health", timeout=1)
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail((d / "error.log").read_text())
            try:
                proc.wait(timeout=0.05)
            except subprocess.TimeoutExpired:
                pass
    else:
        proc.terminate()
        pytest.fail("nginx did not answer")
    yield base
    proc.terminate()
    proc.wait(15)


def exports(db: str) -> list[str]:
    eng = create(db)
    with Session(eng) as s:
        rows = s.execute(select(m.AuditLog.detail).where(m.AuditLog.username == "supervisor",
                                                         m.AuditLog.action == audit.EXPORT)).scalars().all()
    eng.dispose()
    return [d for d in rows if "安置点排名CSV" in d]


def fetch_status(browser, url: str, cookie: str | None = None) -> int:
    ctx = browser.new_context()                 # a stranger: no st_route, no ydbq_session cookie
    try:
        headers = {"Cookie": cookie} if cookie else None
        return ctx.request.get(url, headers=headers, fail_on_status_code=False).status
    finally:
        ctx.close()


def test_export_link_is_unguessable_and_dies_with_sign_out(server, proxy, browser, db):
    assert exports(db) == []
    ctx = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True)
    page = ctx.new_page()
    try:
        page.goto(server.base + "/ranking")
        sign_in(page)
        wait_signed_in(page)
        page.reload()                           # signed in by cookie; no sign-in rerun racing the click
        wait_signed_in(page)
        page.get_by_text("导出CSV").wait_for()
        with page.expect_download(timeout=60_000) as dl:
            page.get_by_text("导出CSV").click()
        url, name = dl.value.url, dl.value.suggested_filename
        data = open(dl.value.path(), "rb").read()
        assert urlparse(url).path.startswith("/media/") and name.endswith(".csv")
        assert data.startswith(b"\xef\xbb\xbf") and len(data.decode("utf-8-sig").splitlines()) > 1
        wait_done(page)

        # (a) the id Streamlit would give these exact bytes without the nonce: not served
        guessed = _calculate_file_id(data, "text/csv", name)
        assert guessed not in url
        for path in (f"/media/{guessed}.csv", f"/media/{guessed}"):
            assert fetch_status(browser, server.base + path) == 404, path

        # what remains: the captured link itself, while its session lives, needs no cookie from Streamlit
        assert fetch_status(browser, url) == 200
        # the documented nginx: no ydbq_session cookie, no file; any cookie of that name passes (presence only)
        via_proxy = proxy + urlparse(url).path
        assert fetch_status(browser, via_proxy) == 404
        assert fetch_status(browser, via_proxy, cookie="ydbq_session=anything") == 200

        # (b) after 退出登录 the captured link is gone
        page.locator("[data-testid='stSidebar'] button", has_text="退出登录").click()
        page.get_by_text("已退出登录。").wait_for(timeout=30_000)
        assert fetch_status(browser, url) == 404
    finally:
        ctx.close()
    assert len(exports(db)) == 1
