"""The versioned ledger store (domain.md §3, §11 "History is frozen").

Every ledger entity is kept as versions, each holding from month ``valid_from`` until ``valid_to`` (exclusive;
NULL = still holding). Reading month m takes the versions holding at m (:func:`holding`). The import of month m
writes only what changed:

* a row equal to the version holding at m writes nothing;
* a changed row closes the version holding at m and opens a new one from m — until the next month whose import
  stated the same scope again (recorded in ``ledger_snapshots``) or the next version of the key, whichever comes
  first, so a correction of month m never overrides what a later month's import stated;
* a key of a stated scope (a site's households) that the import no longer lists ends at m (the same bound
  applies: the version resumes at the next month that stated it).

Months before m are never touched. Rectification items are kept as recorded versions instead (the latest version
at or before a month holds, :func:`write_rectifications`).
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Sequence

from sqlalchemy import Table, delete, func, select
from sqlalchemy.engine import Connection

from data import models as m
from data.bulk import BulkWriter, chunks
from data.repository import holding  # noqa: F401  (re-exported: the read rule beside the write rule)

SITES, HOUSEHOLDS, LABOUR, ORGANISATION = "sites", "households", "labour", "organisation"


@dataclass(frozen=True)
class VersionedKind:
    """How one ledger entity is versioned."""
    kind: str                     # ledger_snapshots.kind
    model: type
    key: str                      # the entity's key column
    scope: str                    # column whose values an import states as a whole (a snapshot's scope)
    tombstones: bool              # keys of a stated scope missing from the import end at its month
    extra: tuple[str, ...] = ("import_id", "source_row")   # written but never compared

    @property
    def table(self) -> Table:
        return self.model.__table__

    def payload(self, columns: Sequence[str]) -> list[str]:
        return [c for c in columns if c not in self.extra and c not in ("valid_from", "valid_to")]


KINDS = {
    SITES: VersionedKind(SITES, m.Site, "code", "code", tombstones=False),
    HOUSEHOLDS: VersionedKind(HOUSEHOLDS, m.Household, "household_code", "site_code", tombstones=True),
    LABOUR: VersionedKind(LABOUR, m.Labourer, "person_id", "site_code", tombstones=True),
    ORGANISATION: VersionedKind(ORGANISATION, m.SiteOrganisation, "site_code", "site_code", tombstones=True),
}


def _earlier(a: str | None, b: str | None) -> str | None:
    """The earlier of two bounds, None meaning open."""
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


@dataclass
class Changes:
    """What an import of one month did to one entity."""
    opened: int = 0            # new versions from the month
    closed: int = 0            # versions ended or split at the month
    stated_scopes: set = field(default_factory=set)

    @property
    def any(self) -> bool:
        return bool(self.opened or self.closed)


def _next_statements(conn: Connection, kind: str, scopes: set, month: str) -> dict:
    """For each scope, the first later month whose import stated it again."""
    out: dict = {}
    sn = m.LedgerSnapshot
    for chunk in chunks(sorted(scopes), 500):
        stmt = (select(sn.scope, func.min(sn.month)).where(sn.kind == kind, sn.month > month, sn.scope.in_(chunk))
                .group_by(sn.scope))
        out.update({s: mo for s, mo in conn.execute(stmt)})
    return out


def _existing(conn: Connection, vk: VersionedKind, columns: list[str], keys: set, scopes: set) -> dict:
    """Every stored version of the given keys and of every key of the given scopes: key -> [row dicts]."""
    tb = vk.table
    cols = [tb.c.id, tb.c.valid_from, tb.c.valid_to, *[tb.c[c] for c in columns]]
    found: dict = defaultdict(list)
    seen: set = set()

    def take(stmt):
        for r in conn.execute(stmt):
            d = r._asdict()
            if d["id"] not in seen:
                seen.add(d["id"])
                found[d[vk.key]].append(d)

    if vk.tombstones:
        for chunk in chunks(sorted(scopes), 500):
            take(select(*cols).where(tb.c[vk.scope].in_(chunk)))
    missing = sorted(k for k in keys if k not in found)
    for chunk in chunks(missing, 500):
        take(select(*cols).where(tb.c[vk.key].in_(chunk)))
    for versions in found.values():
        versions.sort(key=lambda d: d["valid_from"])
    return found


def plan_month(conn: Connection, vk: VersionedKind, month: str, columns: list[str], rows: list[tuple],
               scopes: set | None = None) -> tuple[list[int], list[dict], Changes]:
    """What writing `rows` (tuples in `columns` order, extra columns included) as month `month` changes:
    (ids of versions to delete, version rows to insert, counts). Reads only."""
    payload = vk.payload(columns)
    pidx = [columns.index(c) for c in payload]
    kidx, sidx = columns.index(vk.key), columns.index(vk.scope)
    new = {r[kidx]: r for r in rows}
    stated = set(scopes or ()) | {r[sidx] for r in rows}
    existing = _existing(conn, vk, columns, set(new), stated)
    later = _next_statements(conn, vk.kind, stated | {v[vk.scope] for vs in existing.values() for v in vs}, month)
    deletes: list[int] = []
    inserts: list[dict] = []
    ch = Changes(stated_scopes=stated)

    def copy(v: dict, start: str, end: str | None) -> dict:
        d = {c: v[c] for c in columns}
        d["valid_from"], d["valid_to"] = start, end
        return d

    for key in set(new) | set(existing):
        versions = existing.get(key, [])
        row = new.get(key)
        v = next((x for x in versions if x["valid_from"] <= month and (x["valid_to"] is None or x["valid_to"] > month)),
                 None)
        if row is None:
            if v is None or not vk.tombstones or v[vk.scope] not in stated:
                continue                                     # not stated by this import
        elif v is not None and tuple(v[c] for c in payload) == tuple(row[i] for i in pidx):
            continue                                         # unchanged: nothing to write
        scope = row[sidx] if row is not None else v[vk.scope]
        end = later.get(scope)
        if v is not None:
            end = _earlier(end, v["valid_to"])
            if v[vk.scope] != scope:
                end = _earlier(end, later.get(v[vk.scope]))
            deletes.append(v["id"])
            ch.closed += 1
            if v["valid_from"] < month:
                inserts.append(copy(v, v["valid_from"], month))
            if end is not None and (v["valid_to"] is None or end < v["valid_to"]):
                inserts.append(copy(v, end, v["valid_to"]))  # a later month stated the old version
        else:
            nxt = next((x["valid_from"] for x in versions if x["valid_from"] > month), None)
            end = _earlier(end, nxt)
        if row is not None:
            d = dict(zip(columns, row))
            d["valid_from"], d["valid_to"] = month, end
            inserts.append(d)
            ch.opened += 1
    return deletes, inserts, ch


def apply(writer: BulkWriter, vk: VersionedKind, month: str, deletes: list[int], inserts: list[dict],
          stated: set) -> None:
    """Write a plan from :func:`plan_month` and record which scopes the month stated."""
    tb = vk.table
    for chunk in chunks(sorted(deletes), 500):
        writer.conn.execute(delete(tb).where(tb.c.id.in_(chunk)))
    if inserts:
        cols = list(inserts[0])
        k, f = cols.index(vk.key), cols.index("valid_from")
        rows = sorted((tuple(d[c] for c in cols) for d in inserts), key=lambda r: (r[k], r[f]))
        writer.insert(tb, cols, rows)
    record_statements(writer, vk.kind, month, stated)


def record_statements(writer: BulkWriter, kind: str, month: str, scopes: set) -> None:
    """Record that the import of `month` stated these scopes of `kind` as a whole."""
    new = unstated(writer.conn, kind, month, scopes)
    writer.insert(m.LedgerSnapshot.__table__, ["kind", "scope", "month"], [(kind, s, month) for s in sorted(new)])


# ------------------------------------------------------------------------------------------- rectifications

RECT_PAYLOAD = ["county_code", "site_code", "source", "description", "unit", "found_date", "deadline", "status",
                "closed_date"]


def plan_rectifications(conn: Connection, month: str, columns: list[str], rows: list[tuple]) -> tuple[list, list]:
    """Recorded versions of rectification items as of `month`: an item equal to its latest version at or before
    `month` writes nothing; otherwise a version from `month` is recorded (replacing one recorded for the same
    month). Later months' versions are untouched. Returns (ids to delete, rows to insert)."""
    r = m.Rectification
    kidx = columns.index("code")
    pidx = [columns.index(c) for c in RECT_PAYLOAD]
    codes = sorted({row[kidx] for row in rows})
    latest: dict = {}
    for chunk in chunks(codes, 500):
        stmt = (select(r.id, r.code, r.valid_from, *[getattr(r, c) for c in RECT_PAYLOAD])
                .where(r.code.in_(chunk), r.valid_from <= month).order_by(r.code, r.valid_from))
        for x in conn.execute(stmt):
            latest[x.code] = x
    deletes, inserts = [], []
    for row in rows:
        v = latest.get(row[kidx])
        if v is not None and tuple(getattr(v, c) for c in RECT_PAYLOAD) == tuple(row[i] for i in pidx):
            continue
        if v is not None and v.valid_from == month:
            deletes.append(v.id)
        d = dict(zip(columns, row))
        d["valid_from"] = month
        inserts.append(d)
    return deletes, inserts


class ConcurrentWrite(RuntimeError):
    """Another session recorded the item's version of the same month while this write was under way; nothing of
    this write is kept (the caller's transaction rolls back)."""


def write_rectification_version(writer: BulkWriter, month: str, item: dict, *, user: str | None = None,
                                note: str | None = None) -> bool:
    """Record one edited item (from the browser) as a version from `month`; False when nothing changed.
    ConcurrentWrite when the month's version it replaces was replaced by another session meanwhile (its stored
    values no longer those read first; a version of the month written meanwhile where there was none is refused
    by the unique code + valid_from)."""
    cols = ["code", *RECT_PAYLOAD]
    row = tuple(item.get(c) for c in cols)
    r = m.Rectification.__table__
    seen = {x[0]: x[1:] for x in writer.conn.execute(select(r.c.id, *[r.c[c] for c in RECT_PAYLOAD])
                                                     .where(r.c.code == item.get("code"), r.c.valid_from == month))}
    deletes, inserts = plan_rectifications(writer.conn, month, cols, [row])
    if not inserts:
        return False
    for i in deletes:        # only the version read first, unchanged (a reused id holds another's version)
        if i not in seen or writer.conn.execute(delete(r).where(r.c.id == i, *[
                r.c[c].is_not_distinct_from(v) for c, v in zip(RECT_PAYLOAD, seen[i])])).rowcount != 1:
            raise ConcurrentWrite(item.get("code"))
    d = inserts[0]
    d.update(note=note, recorded_by=user, recorded_at=dt.datetime.now().replace(microsecond=0))
    writer.insert_dicts(r, [d])
    return True


def unstated(conn: Connection, kind: str, month: str, scopes: set) -> set:
    """The scopes that no import of `month` has stated yet."""
    sn = m.LedgerSnapshot
    have: set = set()
    for chunk in chunks(sorted(scopes), 500):
        have |= set(conn.execute(select(sn.scope).where(sn.kind == kind, sn.month == month,
                                                        sn.scope.in_(chunk))).scalars())
    return set(scopes) - have


class MonthlyVersions:
    """Versions built from whole snapshots given month by month in order (the demo generator): a key whose row
    is unchanged from the previous month keeps its version; a changed row opens a new one; a missing key ends."""

    def __init__(self, key_index: int):
        self.key_index = key_index
        self.open: dict = {}            # key -> (valid_from, row)
        self.closed: list[tuple] = []   # (*row, valid_from, valid_to)

    def add(self, month: str, rows: list[tuple]) -> None:
        k = self.key_index
        seen = set()
        for r in rows:
            key = r[k]
            seen.add(key)
            cur = self.open.get(key)
            if cur is not None and cur[1] == r:
                continue
            if cur is not None:
                self.closed.append((*cur[1], cur[0], month))
            self.open[key] = (month, r)
        for key in [x for x in self.open if x not in seen]:
            start, row = self.open.pop(key)
            self.closed.append((*row, start, month))

    def rows(self) -> list[tuple]:
        """Every version, (*row, valid_from, valid_to), in key and month order."""
        out = self.closed + [(*r, start, None) for start, r in self.open.values()]
        k = self.key_index
        out.sort(key=lambda r: (r[k], r[-2]))
        return out
