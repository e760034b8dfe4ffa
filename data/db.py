"""Engine creation and schema upgrade (Alembic). `DATABASE_URL` selects the database."""
from __future__ import annotations

import os
import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect, select, text
from sqlalchemy.orm import Session

from data.models import County, Setting

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE = ROOT / "var" / "dashboard.db"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"

_lock = threading.RLock()
_engines: dict[str, Engine] = {}


def database_url(url: str | None = None) -> str:
    url = url or os.environ.get("DATABASE_URL")
    if not url:
        DEFAULT_SQLITE.parent.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{DEFAULT_SQLITE}"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _sqlite_pragmas(dbapi_conn, _record):
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def create(url: str | None = None, upgrade: bool = True) -> Engine:
    """A new engine for `url` (or DATABASE_URL / the default SQLite file), upgraded to the newest schema."""
    url = database_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    if upgrade:
        upgrade_schema(engine)
    return engine


def get_engine(url: str | None = None) -> Engine:
    """Process-wide engine per URL (created and upgraded once)."""
    key = database_url(url)
    with _lock:
        if key not in _engines:
            _engines[key] = create(key)
        return _engines[key]


def alembic_config(engine: Engine):
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade_schema(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (never drops or recreates)."""
    with _lock:
        command.upgrade(alembic_config(engine), "head")


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("select version_num from alembic_version")).scalar()


def get_setting(engine: Engine, key: str, default: str | None = None) -> str | None:
    with Session(engine) as s:
        row = s.get(Setting, key)
        return row.value if row else default


def set_setting(engine: Engine, key: str, value: str) -> None:
    with Session(engine) as s, s.begin():
        row = s.get(Setting, key)
        if row:
            row.value = value
        else:
            s.add(Setting(key=key, value=value))


def is_empty(engine: Engine) -> bool:
    with Session(engine) as s:
        return s.execute(select(County.code).limit(1)).first() is None
