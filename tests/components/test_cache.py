"""components.cache keys a database by a hash of its URL: the URL (and a password in it) is never a cache key."""
from __future__ import annotations

import inspect

from sqlalchemy import create_engine
from streamlit.runtime.caching.cache_utils import CachedFunc

from components import cache

SECRET = "s3cret-pw"


def test_db_key_hides_the_url_and_its_password():
    a = create_engine(f"postgresql+psycopg://app:{SECRET}@db.example:5432/city")
    b = create_engine("postgresql+psycopg://app:other-pw@db.example:5432/city")
    key = cache.db_key(a)
    assert SECRET not in key and "db.example" not in key and "postgresql" not in key
    assert key == cache.db_key(create_engine(f"postgresql+psycopg://app:{SECRET}@db.example:5432/city"))
    assert key != cache.db_key(b)                  # other credentials, other cached entries


def test_cached_functions_take_the_key_not_a_url(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'k.db'}")
    eng = cache.engine()
    assert cache.engine_for(cache.db_key(eng)) is eng
    cached = {name: f for name, f in vars(cache).items() if isinstance(f, CachedFunc)}
    assert len(cached) >= 10
    for name, f in cached.items():
        params = list(inspect.signature(f).parameters)
        assert params and params[0] == "key" and "url" not in params, name


def test_a_chart_is_built_once_per_month_scope_and_data_version(tmp_path, monkeypatch):
    from domain.scope import Scope
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'c.db'}")
    eng = cache.engine()
    version = {"fp": "v1"}
    monkeypatch.setattr(cache, "fingerprint", lambda e: version["fp"])
    built = []

    def build(tag):
        built.append(tag)
        return {"figure": tag}

    cache.clear()
    a = cache.prepared(eng, "2026-10", Scope.city(), "overview.trend", (), lambda: build("a"))
    assert cache.prepared(eng, "2026-10", Scope.city(), "overview.trend", (), lambda: build("again")) is a
    assert built == ["a"]                                             # the second view only reuses it
    cache.prepared(eng, "2026-10", Scope.county("522301"), "overview.trend", (), lambda: build("county"))
    cache.prepared(eng, "2026-09", Scope.city(), "overview.trend", (), lambda: build("september"))
    cache.prepared(eng, "2026-10", Scope.city(), "site.radar", ("522301001",), lambda: build("radar"))
    assert built == ["a", "county", "september", "radar"]           # other scope, month or figure: its own
    version["fp"] = "v2"                                              # an import: the next view builds anew
    assert cache.prepared(eng, "2026-10", Scope.city(), "overview.trend", (), lambda: build("b")) == {"figure": "b"}
    cache.clear()


PIN_APP = """
import streamlit as st
from components import cache
eng = cache.engine()
first = cache.pin_fingerprint(eng)
st.session_state.setdefault("seen", []).append(first)
cache.settings.fingerprint = lambda e: "changed-during-the-run"   # an import lands half-way through the run
cache._FPS.clear()
st.write("same" if cache.fingerprint(eng) == first else "mixed")
"""


def test_one_run_reads_one_data_version(tmp_path, monkeypatch):
    """shell.page pins the fingerprint: every cached view of the run uses it, even if an import lands meanwhile;
    the next run reads the new one."""
    from streamlit.testing.v1 import AppTest

    from services import settings
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.db'}")
    monkeypatch.setattr(settings, "fingerprint", lambda e: "before")
    cache._FPS.clear()
    at = AppTest.from_string(PIN_APP).run(timeout=30)
    assert not at.exception and at.markdown[0].value == "same"
    at.run(timeout=30)
    assert at.session_state["seen"] == ["before", "changed-during-the-run"]
    cache._FPS.clear()
