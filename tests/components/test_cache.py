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
