"""Shared fixtures. `engine` runs a test on SQLite and on a real PostgreSQL server.

PostgreSQL: `TEST_POSTGRES_URL` (default postgresql://postgres@127.0.0.1:5432/test) must reach a server where the
user may create databases; each test gets a fresh database cloned from a migrated template. When
`REQUIRE_POSTGRES=1` (set by .ci/run) an unreachable server is a failure, never a skip.
"""
from __future__ import annotations

import itertools
import os
import sys
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from data.db import create  # noqa: E402

# Property tests check outcomes, not speed: on a busy 2-core CI machine hypothesis' default 200 ms deadline per
# example fails at random (speed targets live in bench/).
settings.register_profile("project", deadline=None)
settings.load_profile("project")

PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("REQUIRE_POSTGRES") == "1"
_counter = itertools.count()
_TEMPLATE = f"dash_tmpl_{os.getpid()}"


def _pg_available() -> bool:
    try:
        eng = create_engine(PG_URL)
        with eng.connect() as c:
            c.execute(text("select 1"))
        eng.dispose()
        return True
    except Exception:
        return False


PG_AVAILABLE = _pg_available()
if REQUIRE_PG and not PG_AVAILABLE:
    raise RuntimeError(f"REQUIRE_POSTGRES=1 but PostgreSQL at {PG_URL} is not reachable")

DB_PARAMS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql",
                 marks=pytest.mark.skipif(not PG_AVAILABLE,
                                          reason="PostgreSQL not reachable (set REQUIRE_POSTGRES=1 to fail)")),
]


def _admin():
    return create_engine(PG_URL, isolation_level="AUTOCOMMIT")


def _url_for(dbname: str) -> str:
    return PG_URL.rsplit("/", 1)[0] + "/" + dbname


@pytest.fixture(scope="session")
def pg_template():
    admin = _admin()
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{_TEMPLATE}"'))
        c.execute(text(f'CREATE DATABASE "{_TEMPLATE}"'))
    eng = create(_url_for(_TEMPLATE))
    eng.dispose()
    yield _TEMPLATE
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{_TEMPLATE}" WITH (FORCE)'))
    admin.dispose()


def make_engine(kind: str, tmp_path: Path, request):
    """A fresh, migrated, empty database of `kind` ('sqlite' or 'postgresql')."""
    if kind == "sqlite":
        eng = create(f"sqlite:///{tmp_path / f'test_{next(_counter)}.db'}")
        request.addfinalizer(eng.dispose)
        return eng
    template = request.getfixturevalue("pg_template")
    name = f"dash_t_{os.getpid()}_{next(_counter)}"
    admin = _admin()
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    eng = create(_url_for(name))

    def drop():
        eng.dispose()
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    request.addfinalizer(drop)
    return eng


@pytest.fixture(params=DB_PARAMS)
def engine(request, tmp_path):
    """A fresh migrated database, once on SQLite and once on PostgreSQL."""
    return make_engine(request.param, tmp_path, request)


@pytest.fixture
def sqlite_engine(request, tmp_path):
    return make_engine("sqlite", tmp_path, request)


@pytest.fixture(autouse=True)
def _keep_main_module():
    """Streamlit's AppTest leaves sys.modules['__main__'] set to the script it ran, and a process started later with
    multiprocessing's 'spawn' runs the parent's __main__ again on start: a child of tests/test_multiprocess.py ran an
    AppTest script of an earlier test (which replaced the fingerprint function) and never saw an import. The real
    __main__ is put back after every test."""
    main = sys.modules.get("__main__")
    yield
    if main is not None:
        sys.modules["__main__"] = main


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium per test process. Shared by every browser test: a second `sync_playwright()` in the
    same process, while this one runs, finds its asyncio loop and refuses to start."""
    from playwright.sync_api import sync_playwright

    from tests.ui.conftest import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium (bash .ci/run does)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
