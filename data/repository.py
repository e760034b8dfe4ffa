"""Queries that take an engine and return pandas frames (the month-frame contract of scoring.frames)."""
from __future__ import annotations

import contextlib
import datetime as dt
import functools

import numpy as np
import pandas as pd
from sqlalchemy import Engine, and_, func, or_, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from data import models as m
from scoring.frames import (COUNTY_COLUMNS, FOLLOWUP_COLUMNS, HOUSEHOLD_COLUMNS, LABOUR_COLUMNS,
                            ORGANISATION_COLUMNS, RECTIFICATION_COLUMNS, REPORTED_COLUMNS, RIGHTS_CODES,
                            SITE_COLUMNS, MonthData, period_end)

STATIC = "static"  # data_versions key for what holds in every month (counties and their boundaries)


def holding(model, month: str):
    """SQL condition: the version of `model` (a versioned ledger table, data.versions) holds at `month`."""
    return and_(model.valid_from <= month, or_(model.valid_to.is_(None), model.valid_to > month))


def _fetch(engine: Engine, stmt, raw: bool = False) -> tuple[list[str], list[tuple]]:
    """Run `stmt`: (column names, one tuple of values per column). raw=True reads the DBAPI cursor directly (no
    per-value type processing: the caller converts booleans), which is several times faster for large tables."""
    with engine.connect() as conn:
        result = conn.execute(stmt)
        keys = list(result.keys())
        rows = result.cursor.fetchall() if raw else result.fetchall()
    # column-wise: much faster than handing pandas a list of Row objects
    return keys, (list(zip(*rows)) if rows else [()] * len(keys))


def _build(keys: list[str], cols: list, columns: list[str]) -> pd.DataFrame:
    """A frame from column values as fetched, every value's type inferred, in the contract's `columns`."""
    df = pd.DataFrame({k: pd.Series(list(v), dtype="object") for k, v in zip(keys, cols)})
    df = df.infer_objects()
    for c in columns:
        if c not in df.columns:
            df[c] = pd.Series(dtype="object")
    return df[columns]


def _frame(engine: Engine, stmt, columns: list[str], raw: bool = False) -> pd.DataFrame:
    """Run `stmt` into a frame (see _fetch for raw)."""
    return _build(*_fetch(engine, stmt, raw), columns)


def counties(engine: Engine) -> pd.DataFrame:
    stmt = select(m.County.code.label("county_code"), m.County.name.label("county_name"),
                  m.County.sort_order).order_by(m.County.sort_order, m.County.code)
    return _frame(engine, stmt, COUNTY_COLUMNS)


def sites(engine: Engine, month: str | None = None) -> pd.DataFrame:
    """The sites existing in `month` with the attributes holding then (domain.md §11 "History is frozen"); without
    a month, every site with its latest attributes."""
    s, c = m.Site, m.County
    stmt = (select(s.code.label("site_code"), s.name.label("site_name"), s.county_code,
                   c.name.label("county_name"), s.town, s.site_type, s.lon, s.lat, s.households, s.population,
                   s.batch_year, s.built_year)
            .join(c, c.code == s.county_code).order_by(c.sort_order, s.code))
    stmt = stmt.where(holding(s, month) if month else s.valid_to.is_(None))
    df = _frame(engine, stmt, SITE_COLUMNS)
    df["built_year"] = df["built_year"].astype("Int64")
    return df


# Columns scoring needs; `slim=True` reads only these (names, ID numbers and places stay None), which roughly
# halves the time to load a month of a large city.
SCORING_HOUSEHOLD = {"household_code", "site_code", "family_size", "labour_count", "hukou_moved", "income_prev",
                     "income_curr", *RIGHTS_CODES}
SCORING_LABOUR = {"person_id", "household_code", "site_code", "trained", "certified", "employed", "employment_form"}


def _household_select(slim: bool):
    h = m.Household
    cols = [getattr(h, c) for c in HOUSEHOLD_COLUMNS
            if c not in RIGHTS_CODES and (not slim or c in SCORING_HOUSEHOLD)]
    return select(*cols, *[getattr(h, c.lower()).label(c) for c in RIGHTS_CODES])


# columns whose type each reader sets itself (whatever values a month holds)
_HOUSEHOLD_TYPED = {"hukou_moved", "monitored", "income_prev", "income_curr", *RIGHTS_CODES}
_LABOUR_TYPED = {"trained", "certified", "employed", "monthly_income"}


_RIGHTS_DTYPE = pd.CategoricalDtype(list(m.RIGHT_CODES.values()))


def _household_types(df: pd.DataFrame, rights_categorical: bool = False) -> pd.DataFrame:
    """Types of the household columns; the rights statuses as text (None when blank), or, with
    `rights_categorical`, as a categorical of the same texts (LedgerHistory: cheap to slice and to code)."""
    for c in ("hukou_moved", "monitored"):  # SQLite gives 0/1, PostgreSQL bool; NULL stays None
        df[c] = pd.Series([None if v is None or v != v else bool(v) for v in df[c].to_numpy(dtype=object)],
                          index=df.index, dtype="object")
    for c in RIGHTS_CODES:
        if rights_categorical:
            df[c] = df[c].map(m.RIGHT_CODES).astype(_RIGHTS_DTYPE)
        else:
            df[c] = df[c].map(m.RIGHT_CODES).astype("object").where(df[c].notna(), None)
    for c in ("income_prev", "income_curr"):
        df[c] = df[c].astype("float64")
    return df


def _labour_select(slim: bool):
    lab = m.Labourer
    return select(*[getattr(lab, c) for c in LABOUR_COLUMNS if not slim or c in SCORING_LABOUR])


def _labour_types(df: pd.DataFrame) -> pd.DataFrame:
    for c in ("trained", "certified", "employed"):
        df[c] = df[c].astype(bool)
    df["monthly_income"] = df["monthly_income"].astype("float64")
    return df


def households(engine: Engine, month: str, site_codes: list[str] | None = None, slim: bool = False) -> pd.DataFrame:
    h = m.Household
    stmt = _household_select(slim).where(holding(h, month)).order_by(h.household_code)
    if site_codes is not None:
        stmt = stmt.where(h.site_code.in_(site_codes))
    return _household_types(_frame(engine, stmt, HOUSEHOLD_COLUMNS, raw=True))


def labour(engine: Engine, month: str, site_codes: list[str] | None = None, slim: bool = False) -> pd.DataFrame:
    lab = m.Labourer
    stmt = _labour_select(slim).where(holding(lab, month)).order_by(lab.person_id)
    if site_codes is not None:
        stmt = stmt.where(lab.site_code.in_(site_codes))
    return _labour_types(_frame(engine, stmt, LABOUR_COLUMNS, raw=True))


def organisation(engine: Engine, month: str) -> pd.DataFrame:
    o = m.SiteOrganisation
    stmt = (select(*[getattr(o, c) for c in ORGANISATION_COLUMNS]).where(holding(o, month))
            .order_by(o.site_code))
    return _frame(engine, stmt, ORGANISATION_COLUMNS)


def reported(engine: Engine, month: str) -> pd.DataFrame:
    r = m.ReportedIndicator
    stmt = select(*[getattr(r, c) for c in REPORTED_COLUMNS]).where(r.month == month).order_by(r.site_code)
    df = _frame(engine, stmt, REPORTED_COLUMNS)
    for c in REPORTED_COLUMNS[1:]:
        df[c] = df[c].astype("float64")
    return df


def rectifications(engine: Engine, month: str | None = None) -> pd.DataFrame:
    """Every item found by the end of `month` in the version holding then: its latest version recorded at or
    before `month` (domain.md §11 "Rectification items"); without a month, every item's latest version."""
    r = m.Rectification
    latest = select(r.code, func.max(r.valid_from).label("vf")).group_by(r.code)
    if month:
        latest = latest.where(r.valid_from <= month)
    latest = latest.subquery()
    stmt = (select(r.code.label("item_code"), *[getattr(r, c) for c in RECTIFICATION_COLUMNS[1:]])
            .join(latest, and_(latest.c.code == r.code, latest.c.vf == r.valid_from)).order_by(r.code))
    if month:
        stmt = stmt.where(r.found_date <= period_end(month))
    return _frame(engine, stmt, RECTIFICATION_COLUMNS)


def followups(engine: Engine, month: str | None = None) -> pd.DataFrame:
    """Follow-up records dated by the end of `month` and recorded by an import of `month` or earlier."""
    f = m.FollowUp
    stmt = select(*[getattr(f, c) for c in FOLLOWUP_COLUMNS]).order_by(f.date, f.id)
    if month:
        stmt = stmt.where(f.date <= period_end(month), or_(f.valid_from.is_(None), f.valid_from <= month))
    return _frame(engine, stmt, FOLLOWUP_COLUMNS)


def county_boundaries(engine: Engine) -> dict[str, str | None]:
    """county_code -> boundary GeoJSON text (None where no boundary is stored)."""
    with engine.connect() as conn:
        return {c: g for c, g in conn.execute(select(m.County.code, m.County.boundary_geojson))}


def data_updated_at(engine: Engine, month: str) -> dt.datetime | None:
    """When the month's data last changed (newest import of that month), if known."""
    with engine.connect() as conn:
        row = conn.execute(select(m.ImportRecord.created_at).where(m.ImportRecord.month == month)
                           .order_by(m.ImportRecord.created_at.desc()).limit(1)).first()
    return row[0] if row else None


class _OneConnection:
    """Stands in for an Engine: every `connect()` yields the same open connection (one transaction, one snapshot)."""

    def __init__(self, conn):
        self.conn, self.dialect, self.url = conn, conn.dialect, conn.engine.url

    def connect(self):
        return contextlib.nullcontext(self.conn)


def _one_snapshot(fn):
    """Run a reader of several queries within one transaction, REPEATABLE READ on PostgreSQL, an explicit BEGIN on
    SQLite (WAL: the snapshot of the first read holds until the end): an import committing meanwhile is seen
    entirely or not at all (never the new households beside the old organisation)."""
    @functools.wraps(fn)
    def wrapper(engine, *args, **kwargs):
        if isinstance(engine, _OneConnection):
            return fn(engine, *args, **kwargs)
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                if conn.dialect.name == "sqlite":    # pysqlite opens no transaction for reads: the snapshot needs one
                    conn.exec_driver_sql("BEGIN")
                return fn(_OneConnection(conn), *args, **kwargs)
    return wrapper


@_one_snapshot
def load_month(engine: Engine, month: str, slim: bool = False) -> MonthData:
    """Everything scoring needs for one month, as of that month (history is kept, so a past month reloads
    exactly as it was). slim=True leaves out names, ID numbers and places of households and labourers."""
    return MonthData(month=month, sites=sites(engine, month), counties=counties(engine),
                     households=households(engine, month, slim=slim), labour=labour(engine, month, slim=slim),
                     organisation=organisation(engine, month), reported=reported(engine, month),
                     rectifications=rectifications(engine, month), followups=followups(engine, month))


class _VersionTable:
    """Every version of one versioned ledger table, read and typed once; `at(month)` is the frame of the versions
    holding at `month`, equal (values, types, order) to the per-month reader's frame: the typed columns are typed
    by the reader whatever the values; the other columns are taken from the whole table's frame unless they hold
    a NULL somewhere (then a month's values decide the inferred type, so they are inferred again per month)."""

    def __init__(self, keys: list[str], cols: list, columns: list[str], typed: set[str], types):
        i, j = keys.index("valid_from"), keys.index("valid_to")
        self.valid_from = np.array(cols[i], dtype="U7")
        self.valid_to = np.array([x or "9999-99" for x in cols[j]], dtype="U7")
        self.keys = [k for n, k in enumerate(keys) if n not in (i, j)]
        data = [v for n, v in enumerate(cols) if n not in (i, j)]
        self.columns, self.types = columns, types
        self.frame = types(_build(self.keys, data, columns))
        self.untyped = {k: np.array(v, dtype=object) for k, v in zip(self.keys, data)
                        if k not in typed and any(x is None for x in v)}

    def at(self, month: str) -> pd.DataFrame:
        idx = np.flatnonzero((self.valid_from <= month) & (self.valid_to > month))
        if not len(idx):
            return self.types(_build(self.keys, [()] * len(self.keys), self.columns))
        df = self.frame.take(idx).reset_index(drop=True)
        for k, v in self.untyped.items():
            if self.frame[k].dtype == "str" and df[k].notna().any():
                continue  # text with gaps: inferred as text whenever a month holds any text
            df[k] = pd.Series(list(v[idx]), dtype="object").infer_objects()
        return df


class LedgerHistory:
    """The household and labour versions of every month, read once (the large tables), for scoring many months:
    `month(m)` equals `load_month(engine, m, slim=True)` — but for the rights columns R01–R15, which hold the same
    statuses as a categorical (scoring codes them per category instead of per household) — and reads only the
    small per-month frames again."""

    def __init__(self, engine: Engine):
        self.engine = engine
        h, lab = m.Household, m.Labourer
        hh = _household_select(True).add_columns(h.valid_from, h.valid_to).order_by(h.household_code, h.valid_from)
        lb = _labour_select(True).add_columns(lab.valid_from, lab.valid_to).order_by(lab.person_id, lab.valid_from)
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                one = _OneConnection(conn)
                self.households = _VersionTable(*_fetch(one, hh, raw=True), HOUSEHOLD_COLUMNS, _HOUSEHOLD_TYPED,
                                                functools.partial(_household_types, rights_categorical=True))
                self.labour = _VersionTable(*_fetch(one, lb, raw=True), LABOUR_COLUMNS, _LABOUR_TYPED, _labour_types)

    def month(self, month: str) -> MonthData:
        return _small_month(self.engine, month, self.households.at(month), self.labour.at(month))


@_one_snapshot
def _small_month(engine: Engine, month: str, hh: pd.DataFrame, lab: pd.DataFrame) -> MonthData:
    return MonthData(month=month, sites=sites(engine, month), counties=counties(engine), households=hh, labour=lab,
                     organisation=organisation(engine, month), reported=reported(engine, month),
                     rectifications=rectifications(engine, month), followups=followups(engine, month))


def _distinct_months(conn, table: str, column: str = "month") -> set[str]:
    """Distinct months of a table by a loose index scan (one index probe per month instead of a scan of every
    row); works on SQLite and PostgreSQL."""
    sql = text(f"""
        WITH RECURSIVE ms(month) AS (
            SELECT MIN({column}) FROM {table}
            UNION ALL
            SELECT (SELECT MIN(t.{column}) FROM {table} t WHERE t.{column} > ms.month) FROM ms
            WHERE ms.month IS NOT NULL
        )
        SELECT month FROM ms WHERE month IS NOT NULL""")
    return {r[0] for r in conn.execute(sql)}


def months(engine: Engine) -> list[str]:
    """Months that have any monthly data (reported indicators, or a household / labour / organisation sheet
    stated by that month's import), ascending."""
    found: set[str] = set()
    with engine.connect() as conn:
        found |= _distinct_months(conn, m.ReportedIndicator.__tablename__)
        found |= set(conn.execute(select(m.LedgerSnapshot.month).distinct()).scalars())
    return sorted(found)


def latest_month(engine: Engine) -> str | None:
    ms = months(engine)
    return ms[-1] if ms else None


# ---- data versions (for result invalidation) ----

def data_versions(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {k: v for k, v in conn.execute(select(m.DataVersion.month, m.DataVersion.version))}


def bump_data_version(session: Session, keys: list[str] | set[str], *, from_month: str | None = None) -> None:
    """Increment the data version of each key (a month or STATIC), inside the caller's transaction. `from_month`:
    also every known month from it on (a version written for a month holds into the later months).

    One atomic upsert per key (INSERT .. ON CONFLICT DO UPDATE SET version = version + 1): two imports of the same
    new month at once both land; a read-then-insert let the second one fail with a duplicate key."""
    keys = set(keys)
    if from_month:
        known = set(session.execute(select(m.DataVersion.month)).scalars())
        keys |= {k for k in known if k != STATIC and k >= from_month}
    dialect = session.get_bind().dialect.name
    table = m.DataVersion.__table__
    for key in sorted(keys):
        ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table).values(month=key, version=1)
        session.execute(ins.on_conflict_do_update(index_elements=[table.c.month],
                                                  set_={"version": table.c.version + 1}))
    session.flush()


def table_counts(engine: Engine) -> dict[str, int]:
    out = {}
    with engine.connect() as conn:
        for table in m.Base.metadata.sorted_tables:
            out[table.name] = conn.execute(select(func.count()).select_from(table)).scalar_one()
    return out


def today() -> dt.date:
    return dt.date.today()


def upsert_statement(engine_or_dialect_name: str, table, rows: list[dict], key_cols: list[str]):
    """INSERT .. ON CONFLICT DO UPDATE for SQLite and PostgreSQL."""
    ins = (postgresql.insert(table) if engine_or_dialect_name == "postgresql" else sqlite.insert(table)).values(rows)
    update_cols = {c.name: ins.excluded[c.name] for c in table.columns
                   if c.name not in key_cols and not c.primary_key}
    return ins.on_conflict_do_update(index_elements=key_cols, set_=update_cols)


def household_county(engine: Engine, household_code: str, month: str | None = None) -> str | None:
    """County code of the site a household lives in (in `month`, else its latest snapshot); None if unknown.
    Used to refuse a deep link to a household outside the user's scope."""
    h, s = m.Household, m.Site
    stmt = select(s.county_code).join(h, h.site_code == s.code).where(h.household_code == household_code)
    if month is not None:
        stmt = stmt.where(holding(h, month), holding(s, month))
    with engine.connect() as conn:
        return conn.execute(stmt.order_by(h.valid_from.desc(), s.valid_from.desc()).limit(1)).scalar()
