"""components/routing.py: the legacy router's page list is built once per process, each run gets its own copies,
and every page still opens by its file's URL path, as with Streamlit's own router."""
from __future__ import annotations

import streamlit as st
from streamlit.testing.v1 import AppTest

from components import routing

MAIN = """
import streamlit as st
from components import routing
routing.install()
st.text("main:" + ("installed" if routing.installed() else "original"))
"""


def tiny_app(tmp_path):
    (tmp_path / "pages").mkdir()
    (tmp_path / "app.py").write_text(MAIN)
    (tmp_path / "pages" / "2_second.py").write_text('import streamlit as st\nst.text("second")\n')
    (tmp_path / "pages" / "1_first.py").write_text('import streamlit as st\nst.text("first")\n')
    (tmp_path / "pages" / "__init__.py").write_text("")
    (tmp_path / "pages" / ".hidden.py").write_text('import streamlit as st\nst.text("hidden")\n')
    return tmp_path / "app.py"


def texts(at: AppTest) -> list[str]:
    return [t.value for t in at.text]


def test_pages_open_through_the_list_built_once_and_each_run_gets_fresh_copies(tmp_path, monkeypatch):
    main = tiny_app(tmp_path)
    built, handed = [], []
    real_build, real_nav = routing.build_pages, routing._navigation
    monkeypatch.setattr(routing, "build_pages", lambda path: built.append(path) or real_build(path))
    monkeypatch.setattr(routing, "_navigation", lambda pages, **kw: handed.append(pages) or real_nav(pages, **kw))

    at = AppTest.from_file(str(main)).run()
    assert texts(at) == ["main:installed"]
    for page, text in [("pages/2_second.py", "second"), ("pages/1_first.py", "first"), ("app.py", "main:installed")]:
        at.switch_page(page).run()
        assert not at.exception
        assert texts(at) == [text]
    assert len(built) == 1                        # the folder was read once, not on every run
    assert len(handed) >= 3
    cached = routing._PAGES[built[0]]
    # the same pages, in the same order, as Streamlit's router lists them: main first, then pages/ by sort key,
    # without __init__.py and hidden files
    assert [(p.title, p.url_path) for p in cached] == [("app", ""), ("first", "first"), ("second", "second")]
    for pages in handed:                          # every run got its own objects (the router marks the one it runs)
        assert [(p.title, p.url_path, p._script_hash) for p in pages] == \
            [(p.title, p.url_path, p._script_hash) for p in cached]
        assert all(a is not b for a, b in zip(pages, cached))
    assert len({id(p) for pages in handed for p in pages}) == sum(len(pages) for pages in handed)
    st.cache_data.clear()


def test_install_is_idempotent():
    routing.install()
    routing.install()
    assert routing.installed()
    assert routing._mpa_v1._ydbq_original.__name__ == "_mpa_v1"
