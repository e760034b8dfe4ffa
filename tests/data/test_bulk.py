"""data.bulk: the one bulk writer of the demo and the ledger import, on SQLite and a real PostgreSQL."""
import datetime as dt

import pytest
from sqlalchemy import select

from data import models as m
from data.bulk import BulkWriter, pg_type


def _settings(engine):
    with engine.connect() as c:
        return dict(c.execute(select(m.Setting.key, m.Setting.value)).all())


def test_insert_and_upsert(engine):
    with engine.begin() as conn:
        w = BulkWriter(conn)
        w.insert("settings", ["key", "value"], [("a", "1"), ("b", "2")])
        w.insert_dicts(m.Setting.__table__, [dict(key="c", value="3")])
        w.upsert("settings", ["key", "value"], [("b", "二"), ("d", "4")], ["key"])
        assert w.rows == {"settings": 5}
    assert _settings(engine) == {"a": "1", "b": "二", "c": "3", "d": "4"}


def test_types_binary_copy_and_text_fallback(engine):
    """Dates, floats, small ints and booleans (binary COPY on PostgreSQL) and a DateTime column (no binary type:
    text COPY) arrive unchanged."""
    assert pg_type(m.AuditLog.__table__.c.at.type) is None
    at = dt.datetime(2026, 10, 31, 8, 30)
    with engine.begin() as conn:
        w = BulkWriter(conn)
        w.insert("counties", ["code", "name", "city_code", "sort_order"], [("522301", "兴义市", "522300", 1)])
        w.insert("audit_log", ["at", "username", "action", "detail"], [(at, "admin", "导入", "测试")])
        w.insert("rectifications", ["code", "valid_from", "county_code", "site_code", "source", "description",
                                    "unit", "found_date", "deadline", "status", "closed_date"],
                 [("ZG1", "2026-09", "522301", None, "督导督查", "问题", "单位", dt.date(2026, 9, 1),
                   dt.date(2026, 10, 1), "整改中", None)])
    with engine.connect() as c:
        assert c.execute(select(m.AuditLog.at, m.AuditLog.detail)).one() == (at, "测试")
        assert c.execute(select(m.Rectification.found_date, m.Rectification.closed_date)).one() == \
            (dt.date(2026, 9, 1), None)


def test_nothing_is_left_when_the_transaction_fails(engine):
    with pytest.raises(RuntimeError):
        with engine.begin() as conn:
            BulkWriter(conn).insert("settings", ["key", "value"], [("x", "1")])
            raise RuntimeError("later step failed")
    assert _settings(engine) == {}


def test_sqlite_cache_is_restored(sqlite_engine):
    with sqlite_engine.begin() as conn:
        before = conn.exec_driver_sql("PRAGMA cache_size").scalar()
        w = BulkWriter(conn)
        with w.large_cache():
            assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -262144
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == before
