"""The page list of the legacy multipage router, read from the disk once per process instead of on every run.

Why: with a folder named pages/ next to app.py, Streamlit 1.67 runs every script run through
`script_runner._mpa_v1`, which lists pages/ and builds a Page for each of the 17 files, resolving every path on
the disk (`Path.resolve`: an lstat per path component). Under 20 sessions that was about a tenth of the server's
samples (`_joinrealpath` alone 8.8 %, bench/RESULTS.md "After (5)").

How: `install()` replaces `_mpa_v1` with one that builds the Page objects the first time, exactly as the original
does, and on each run hands `st.navigation` shallow copies of them (the router marks the page it returns as
runnable on that object, so sessions must not share it). The pages of a deployment do not change while it runs: a
deployment restarts its processes (docs/deploy/README.md), and the file watcher is off in production.
tests/components/test_routing.py checks the copies equal what the original builds and that every page opens.
"""
from __future__ import annotations

import copy
import threading
from pathlib import Path

from streamlit import config
from streamlit.commands.navigation import _navigation
from streamlit.navigation.page import _create_page
from streamlit.runtime.scriptrunner import script_runner as _script_runner

_ORIGINAL = getattr(_script_runner._mpa_v1, "_ydbq_original", _script_runner._mpa_v1)
_PAGES: dict[str, list] = {}
_LOCK = threading.Lock()


def build_pages(main_script_path: str) -> list:
    """The Page objects the original `_mpa_v1` builds: the main script (default) and pages/*.py in its order."""
    main = Path(main_script_path).resolve()
    folder = main.parent / "pages"
    files = sorted((p for p in folder.glob("*.py") if not p.name.startswith(".") and p.name != "__init__.py"),
                   key=_script_runner.page_sort_key)
    return [_create_page(main, default=True)] + [_create_page(folder / p.name) for p in files]


def _mpa_v1(main_script_path: str) -> None:
    pages = _PAGES.get(main_script_path)
    if pages is None:
        with _LOCK:
            pages = _PAGES.get(main_script_path)
            if pages is None:
                pages = _PAGES[main_script_path] = build_pages(main_script_path)
    position = "hidden" if config.get_option("client.showSidebarNavigation") is False else "sidebar"
    page = _navigation([copy.copy(p) for p in pages], position=position, expanded=False)
    page.run()


_mpa_v1._ydbq_original = _ORIGINAL      # type: ignore[attr-defined]


def install() -> None:
    """Route the legacy multipage router through the page list built once (idempotent, process-wide)."""
    if _script_runner._mpa_v1 is not _mpa_v1:
        with _LOCK:
            _script_runner._mpa_v1 = _mpa_v1


def installed() -> bool:
    return _script_runner._mpa_v1 is _mpa_v1
