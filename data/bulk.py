"""The one bulk writer, shared by the ledger import and the demo generator.

Rows go in on the connection's driver inside the caller's transaction (so a failure leaves nothing behind):

* PostgreSQL: ``COPY … FROM STDIN`` — binary when every column's type is known (faster), text otherwise;
* SQLite: ``executemany`` on the sqlite3 cursor;
* any other database: SQLAlchemy ``insert`` with a list of parameter dicts.

``upsert`` writes rows keyed by a unique key (``INSERT … ON CONFLICT … DO UPDATE`` on PostgreSQL and SQLite,
delete-then-insert elsewhere). ``large_cache()`` gives SQLite a large page cache while big indexes grow.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterable, Iterator, Sequence

from sqlalchemy import (Boolean, Connection, Date, Float, Integer, LargeBinary, SmallInteger, String, Table, Text,
                        delete)

from data.models import Base
from data.repository import upsert_statement

# SQLAlchemy type -> PostgreSQL type name for binary COPY (order matters: SmallInteger is an Integer)
_PG_TYPES = ((SmallInteger, "int2"), (Integer, "int4"), (Float, "float8"), (Boolean, "bool"), (Date, "date"),
             (Text, "text"), (String, "text"), (LargeBinary, "bytea"))
SQLITE_BULK_CACHE_KIB = 262144


def pg_type(sa_type) -> str | None:
    """PostgreSQL type name for binary COPY (None: the column needs text COPY)."""
    for cls, name in _PG_TYPES:
        if isinstance(sa_type, cls):
            return name
    return None


def chunks(seq: Iterable, n: int = 500) -> Iterator[list]:
    seq = list(seq)
    for i in range(0, len(seq), n):
        yield seq[i:i + n]


def _table(table: str | Table) -> Table:
    return Base.metadata.tables[table] if isinstance(table, str) else table


class BulkWriter:
    """Bulk inserts and upserts on one connection; ``rows`` counts the rows written per table."""

    def __init__(self, conn: Connection):
        self.conn = conn
        self.dialect = conn.dialect.name
        self.rows: dict[str, int] = {}

    @property
    def _raw(self):
        return self.conn.connection.driver_connection

    @contextmanager
    def large_cache(self) -> Iterator[None]:
        """SQLite: a large page cache while the big indexes grow (restored afterwards)."""
        if self.dialect != "sqlite":
            yield
            return
        cur = self._raw.cursor()
        old = cur.execute("PRAGMA cache_size").fetchone()[0]
        cur.execute(f"PRAGMA cache_size=-{SQLITE_BULK_CACHE_KIB}")
        cur.close()
        try:
            yield
        finally:
            cur = self._raw.cursor()
            cur.execute(f"PRAGMA cache_size={int(old)}")
            cur.close()

    def _count(self, table: Table, n: int) -> None:
        self.rows[table.name] = self.rows.get(table.name, 0) + n

    def insert(self, table: str | Table, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
        """Insert `rows` (tuples in `columns` order) into `table` (a Table or a table name)."""
        rows = rows if isinstance(rows, list) else list(rows)
        if not rows:
            return
        tb = _table(table)
        self._count(tb, len(rows))
        names = ", ".join(columns)
        if self.dialect == "postgresql":
            types = [pg_type(tb.c[c].type) for c in columns]
            binary = all(types)
            with self._raw.cursor() as cur:
                with cur.copy(f"COPY {tb.name} ({names}) FROM STDIN{' (FORMAT BINARY)' if binary else ''}") as cp:
                    if binary:
                        cp.set_types(types)
                    for r in rows:
                        cp.write_row(r)
        elif self.dialect == "sqlite":
            cur = self._raw.cursor()
            try:
                cur.executemany(f"INSERT INTO {tb.name} ({names}) VALUES ({', '.join('?' * len(columns))})", rows)
            finally:
                cur.close()
        else:
            self.conn.execute(tb.insert(), [dict(zip(columns, r)) for r in rows])

    def insert_dicts(self, table: str | Table, dicts: list[dict]) -> None:
        """Insert rows given as dicts (all with the keys of the first, in its order)."""
        if dicts:
            cols = list(dicts[0])
            self.insert(table, cols, [tuple(d[c] for c in cols) for d in dicts])

    def upsert(self, table: str | Table, columns: Sequence[str], rows: Iterable[Sequence],
               key_cols: Sequence[str]) -> None:
        """Insert or update `rows` by the unique key `key_cols`."""
        tb = _table(table)
        dicts = [dict(zip(columns, r)) for r in rows]
        if not dicts:
            return
        self._count(tb, len(dicts))
        if self.dialect in ("postgresql", "sqlite"):
            per = max(1, 30000 // max(1, len(columns)) // 2)
            for chunk in chunks(dicts, min(per, 1000)):
                self.conn.execute(upsert_statement(self.dialect, tb, chunk, list(key_cols)))
        else:  # generic: delete then insert
            for d in dicts:
                self.conn.execute(delete(tb).where(*[tb.c[k] == d[k] for k in key_cols]))
            self.conn.execute(tb.insert(), dicts)
