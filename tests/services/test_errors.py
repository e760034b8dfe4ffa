"""Database failures are told in Chinese by what happened (services.errors), on pages and on the command line —
each provoked for real on SQLite (and a refused PostgreSQL connection), never by a hand-made message."""
from __future__ import annotations

import errno
import sqlite3

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from cli import data_main, scoring_main
from services import errors
from services.errors import user_message


def _raised(fn) -> BaseException:
    with pytest.raises((SQLAlchemyError, sqlite3.Error, OSError)) as e:
        fn()
    return e.value


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'e.db'}"
    eng = create_engine(url, connect_args={"timeout": 0.1})
    with eng.begin() as c:
        c.execute(text("PRAGMA foreign_keys=ON"))
        c.execute(text("CREATE TABLE county (code TEXT PRIMARY KEY)"))
        c.execute(text("CREATE TABLE site (code TEXT UNIQUE, county TEXT NOT NULL REFERENCES county(code))"))
        c.execute(text("INSERT INTO county VALUES ('522301')"))
        c.execute(text("INSERT INTO site VALUES ('S1', '522301')"))
    yield eng, tmp_path / "e.db"
    eng.dispose()


def _write(eng, sql: str):
    def run():
        with eng.begin() as c:
            c.execute(text("PRAGMA foreign_keys=ON"))
            c.execute(text(sql))
    return run


def test_integrity_errors(db):
    eng, _ = db
    assert user_message(_raised(_write(eng, "INSERT INTO site VALUES ('S1', '522301')"))) == errors.DUPLICATE
    assert user_message(_raised(_write(eng, "INSERT INTO site VALUES ('S2', '999999')"))) == errors.BAD_REFERENCE
    assert user_message(_raised(_write(eng, "INSERT INTO site VALUES ('S3', NULL)"))) == errors.MISSING_VALUE


def test_locked_read_only_full_damaged_unreachable(db, tmp_path):
    eng, path = db
    holder = sqlite3.connect(path)
    holder.execute("BEGIN IMMEDIATE")                      # another process is writing
    try:
        assert user_message(_raised(_write(eng, "INSERT INTO county VALUES ('522302')"))) == errors.BUSY
    finally:
        holder.rollback()
        holder.close()
    ro = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    assert user_message(_raised(_write(ro, "INSERT INTO county VALUES ('522303')"))) == errors.READ_ONLY
    ro.dispose()
    full = create_engine(f"sqlite:///{tmp_path / 'full.db'}")

    def fill():
        with full.begin() as c:
            c.execute(text("CREATE TABLE t (x TEXT)"))
        with full.begin() as c:
            c.execute(text("PRAGMA max_page_count = 8"))      # a disk that holds 8 pages
            c.execute(text("INSERT INTO t SELECT hex(randomblob(2000)) FROM (WITH RECURSIVE n(i) AS "
                           "(SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200) SELECT i FROM n)"))
    assert user_message(_raised(fill)) == errors.DISK_FULL
    full.dispose()
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not a database file" * 100)
    broken = create_engine(f"sqlite:///{bad}")
    read = lambda: broken.connect().execute(text("SELECT * FROM sqlite_master"))  # noqa: E731
    assert user_message(_raised(read)) == errors.DAMAGED
    gone = create_engine(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}")
    assert user_message(_raised(lambda: gone.connect())) == errors.UNREACHABLE
    pg = create_engine("postgresql+psycopg://postgres@127.0.0.1:1/x", connect_args={"connect_timeout": 2})
    assert user_message(_raised(lambda: pg.connect())) == errors.UNREACHABLE
    assert user_message(OSError(errno.ENOSPC, "No space left on device")) == errors.DISK_FULL
    # not a database error: unchanged
    assert errors.db_message(ValueError("x")) is None and user_message(RuntimeError("SELECT secret")) == "系统内部错误"


def test_command_line_says_it_in_chinese(tmp_path, capsys, monkeypatch):
    url = f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}"
    monkeypatch.setattr("data.db.Path.mkdir", lambda *a, **k: None)    # the directory cannot be made
    assert scoring_main(["rank", "--month", "2026-10", "--out", str(tmp_path / "r.csv"), "--database", url]) == 1
    err = capsys.readouterr().err
    assert errors.UNREACHABLE in err and "Traceback" not in err
    monkeypatch.setenv("DATABASE_URL", url)
    assert data_main(["list-users"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("数据库错误：" + errors.UNREACHABLE) and "DATABASE_URL" in err
