"""`import_workbook`: read, validate and (all or nothing) write a ledger workbook, with an audit record."""
from __future__ import annotations

import collections
import itertools
import gc
import hashlib
import json
import logging
import threading
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import Engine, delete, select, tuple_
from sqlalchemy.orm import Session

from data import audit
from data import models as m
from data import versions
from data.bulk import BulkWriter, chunks
from data.geo import point_in_county
from data.repository import bump_data_version
from data.workbook import spec as S
from data.workbook import marked
from data.workbook.messages import ERROR, WARNING, Message, listed
from data.workbook.reader import (DEFAULT_MAX_BYTES, FileRejected, check_container, formula_cells_without_value,
                                  open_calamine, read_sheet, sheet_parts)
from data.workbook.validate import (IMPORT_ROLES, MONTH_RE, ROLE_COUNTY, ROLE_LEADER, Collector, DbContext,
                                    ImportUser, Validated, apply_formula_cells, validate)

SUCCESS, FAILED, UNCHANGED = "成功", "失败", "无变化"
log = logging.getLogger(__name__)


@dataclass
class ImportResult:
    ok: bool
    result: str                                  # 成功 / 失败 / 无变化
    messages: list[Message]
    rows: dict[str, int]
    import_id: int | None
    file_name: str = ""
    month: str | None = None
    sha256: str = ""
    file_bytes: bytes = field(default=b"", repr=False)

    @property
    def errors(self) -> list[Message]:
        return [x for x in self.messages if x.level == ERROR]

    @property
    def warnings(self) -> list[Message]:
        return [x for x in self.messages if x.level == WARNING]

    @property
    def marked_copy(self) -> bytes | None:
        """The workbook with bad cells filled red (warnings yellow), a comment on each and a 错误清单 sheet;
        None when there is nothing to mark or the file is not an .xlsx workbook. Cached per instance, not with
        functools.cached_property: on Python < 3.12 its lock is shared by every instance, so one session's
        marked copy would block every other session's."""
        if "_marked" not in self.__dict__:
            if not self.messages or not self.file_bytes:
                return None
            self.__dict__["_marked"] = marked.mark_workbook(self.file_bytes, self.messages)
        return self.__dict__["_marked"]

    def summary(self) -> str:
        rows = "、".join(f"{k}{v}行" for k, v in self.rows.items())
        parts = [f"导入{self.result}"]
        if rows:
            parts.append(rows)
        if self.errors:
            parts.append(f"{len(self.errors)}个错误")
        if self.warnings:
            parts.append(f"{len(self.warnings)}条警告")
        return "，".join(parts)


# ---- public entry point ----

def import_workbook(engine: Engine, file_bytes: bytes, file_name: str, month: str | None, user: ImportUser,
                    *, max_bytes: int = DEFAULT_MAX_BYTES) -> ImportResult:
    """Validate the workbook and, when it has no error, write it in one transaction (see `_import`).

    The cyclic garbage collector is paused meanwhile: reading creates millions of small objects and its
    repeated passes would otherwise cost more than the validation itself."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _import(engine, file_bytes, file_name, month, user, max_bytes)
    except Exception as e:  # an unexpected failure: nothing was written; record it and say so
        data = bytes(file_bytes or b"")
        sha = hashlib.sha256(data).hexdigest()
        messages = [Message(None, None, None, None, f"导入时发生系统错误，未导入任何数据，请联系管理员："
                                                    f"{type(e).__name__}: {str(e)[:300]}")]
        iid = _record(engine, user, file_name, sha, month, {}, FAILED, messages, None)
        return ImportResult(False, FAILED, messages, {}, iid, file_name=file_name, month=month, sha256=sha,
                            file_bytes=data)
    finally:
        if enabled:
            gc.enable()


def _import(engine: Engine, file_bytes: bytes, file_name: str, month: str | None, user: ImportUser,
            max_bytes: int) -> ImportResult:
    """Validate the workbook and, when it has no error, write it in one transaction.

    安置点, 搬迁户, 劳动力 and 组织建设 are written as versions from the import's month (data.versions: only what
    changed; a snapshot sheet states its sites as a whole); 问题整改 items as recorded versions; 月度指标 and
    跟进记录 are upserted by key. Months before the import's month are never changed. Every attempt is recorded
    in `imports` and `audit_log`.
    """
    data = bytes(file_bytes or b"")
    sha = hashlib.sha256(data).hexdigest()
    out = Collector()
    month = month.strip() if isinstance(month, str) and month.strip() else None
    base = dict(file_name=file_name, month=month, sha256=sha)

    def fail(rows: dict[str, int] | None = None, keep_file: bool = True) -> ImportResult:
        rows = rows or {}
        # the original file is kept for successful imports only
        iid = _record(engine, user, file_name, sha, month, rows, FAILED, out.messages, None)
        return ImportResult(False, FAILED, out.messages, rows, iid, file_bytes=data, **base)

    if user.role not in IMPORT_ROLES:
        out.sheet(None, f"「{user.role}」角色无导入权限" if user.role == ROLE_LEADER
                  else f"未知角色「{user.role}」，无导入权限")
    if user.role == ROLE_COUNTY and not user.county_code:
        out.sheet(None, "县级填报员账号未设置所属县，无法导入，请联系管理员")
    check_month = month
    if month is not None and not MONTH_RE.match(month):
        out.sheet(None, f"导入月份「{month}」格式不正确，应为 YYYY-MM（如 2026-09）")
        check_month = None  # validate the rest without a month, and do not repeat that it is missing
    try:
        zf = check_container(data, max_bytes)
        book = open_calamine(data)
        names = list(book.sheet_names)
    except FileRejected as e:
        out.sheet(None, e.reason)
        return fail(keep_file=len(data) <= max_bytes)

    # which sheets are known
    chosen: dict[str, str] = {}
    for name in names:
        sheet = S.match_sheet_name(name)
        if sheet is None:
            if S.norm_bare(name) not in S.IGNORED_SHEETS:
                out.sheet(name, "未识别的工作表，已忽略（可导入的工作表：" + "、".join(S.SHEET_NAMES) + "）", WARNING)
            continue
        if sheet.name in chosen:
            out.sheet(name, f"与工作表「{chosen[sheet.name]}」重复，请只保留一个「{sheet.name}」工作表")
            continue
        chosen[sheet.name] = name
    if not chosen:
        out.sheet(None, "文件中没有可导入的工作表，工作表名称应为：" + "、".join(S.SHEET_NAMES))
        return fail()

    parts = sheet_parts(zf)
    frames = {}
    for spec_name, name in chosen.items():
        frame, msgs = read_sheet(book, name, S.BY_NAME[spec_name])
        for x in msgs:
            out.add(x)
        if frame is not None and len(frame):
            frames[spec_name] = frame
    # formulas without a cached value: scan the sheet XML in a thread (zlib inflates without the GIL) while
    # the main thread validates
    scan = _FormulaScan(zf, {k: parts.get(chosen[k]) for k in frames})
    rows = {k: len(v) for k, v in frames.items()}

    if not frames:  # every known sheet failed to read or has no data rows (each reported)
        if not out.has_errors:
            out.sheet(None, "文件中没有可导入的数据")
        return fail(rows)
    db = DbContext(engine)
    res = validate(frames, check_month, user, db, out, point_in_county)
    apply_formula_cells(frames, scan.result(), out)
    if check_month != month:
        out.messages = [x for x in out.messages if not x.reason.startswith("未指定导入月份")]
    if out.has_errors:
        return fail(rows)

    # the month the file's versions hold from: the import's month, else the earliest month its rows name
    vmonth = month or (min(res.months) if res.months else None)
    if vmonth is None:
        out.sheet(None, "未指定导入月份：安置点、问题整改和跟进记录按月保留历史版本，请指定导入月份（YYYY-MM）后再导入")
        return fail(rows)
    plan = _plan(res, month)
    try:
        iid = _write(engine, user, file_name, sha, month, vmonth, rows, out.messages, data, plan, res)
    except Exception:  # a database error: nothing was written (the transaction rolled back)
        log.exception("import of %r failed while writing", file_name)
        out.sheet(None, "写入数据库失败，未导入任何数据。请稍后重试；如仍失败，请联系管理员查看系统日志。")
        return fail(rows)
    if iid is None:  # nothing changed; the original is kept by the import that wrote the data
        iid = _record(engine, user, file_name, sha, month, rows, UNCHANGED, out.messages, None)
        return ImportResult(True, UNCHANGED, out.messages, rows, iid, file_bytes=data, **base)
    return ImportResult(True, SUCCESS, out.messages, rows, iid, file_bytes=data, **base)


class _FormulaScan:
    """Background search of the sheets' XML for formula cells without a cached value."""

    def __init__(self, zf, members: dict[str, str | None]):
        self._found: dict[str, set[tuple[int, int]]] = {}
        self._thread = threading.Thread(target=self._run, args=(zf, members), daemon=True)
        self._thread.start()

    def _run(self, zf, members) -> None:
        for key, member in members.items():
            try:
                self._found[key] = formula_cells_without_value(zf, member) if member else set()
            except Exception:  # an unreadable part is reported by the reader already
                self._found[key] = set()

    def result(self) -> dict[str, set[tuple[int, int]]]:
        self._thread.join()
        return self._found


# ---- rows to write ----

def _floats(a) -> list:
    return [None if x != x else x for x in np.asarray(a, dtype=np.float64).tolist()]


def _ints(a) -> list:
    return [None if x != x else int(x) for x in np.asarray(a, dtype=np.float64).tolist()]


def _objs(a) -> list:
    return a.tolist() if isinstance(a, np.ndarray) else list(a)


@dataclass
class TablePlan:
    table: object                  # sqlalchemy Table
    columns: list[str]             # business columns (written and compared)
    data: list[list]               # one list of Python values per business column
    source_rows: list[int]
    mode: str                      # "versions" (data.versions kinds), "rect", "upsert" or "followups"
    key_cols: list[str]
    kind: str | None = None        # data.versions kind for mode "versions"
    scopes: set = field(default_factory=set)    # what a snapshot sheet states as a whole (its sites)
    sheet: str = ""

    @property
    def rows(self) -> list[tuple]:
        """Business values per row (for comparison with what is stored); cached per instance (see
        ImportResult.marked_copy on cached_property's shared lock)."""
        if "_rows" not in self.__dict__:
            self.__dict__["_rows"] = list(zip(*self.data)) if self.source_rows else []
        return self.__dict__["_rows"]

    def write_rows(self, import_id: int) -> list[tuple]:
        """Rows for insertion: business columns, then import_id and source_row."""
        return list(zip(*self.data, itertools.repeat(import_id), self.source_rows))


def _column_values(t, key: str, kind: str, model_float: bool = False) -> list:
    v = t.values[key]
    if kind == S.INT:
        return _floats(v) if model_float else _ints(v)
    if kind in (S.FLOAT, S.PCT):
        return _floats(v)
    return _objs(v)


def _plan(res: Validated, month: str | None) -> list[TablePlan]:
    plans: list[TablePlan] = []
    T = res.tables

    def build(sheet: S.Sheet, fields: list[tuple[str, str, str]], float_model: bool = False):
        """fields: (db column, table key, kind)."""
        t = T[sheet.name]
        cols = [f[0] for f in fields]
        data = [(_column_values(t, key, kind, float_model) if key else [month] * t.n) for _, key, kind in fields]
        return cols, data, t.rows.tolist()

    if S.SITES.name in T:
        f = [("code", "code", S.CODE), ("name", "name", S.TEXT), ("county_code", "county_code", S.CODE),
             ("town", "town", S.TEXT), ("site_type", "site_type", S.ENUM), ("lon", "lon", S.FLOAT),
             ("lat", "lat", S.FLOAT), ("households", "households", S.INT), ("population", "population", S.INT),
             ("batch_year", "batch_year", S.INT), ("built_year", "built_year", S.INT)]
        cols, rows, src = build(S.SITES, f)
        plans.append(TablePlan(m.Site.__table__, cols, rows, src, "versions", ["code"], versions.SITES,
                               {x for x in rows[0] if x is not None}, S.SITES.name))
    if S.HOUSEHOLDS.name in T:
        f = [(c.key.lower() if c.kind == S.RIGHT else c.key, c.key, c.kind) for c in S.HOUSEHOLDS.columns]
        cols, rows, src = build(S.HOUSEHOLDS, f)
        plans.append(TablePlan(m.Household.__table__, cols, rows, src, "versions", ["household_code"],
                               versions.HOUSEHOLDS, set(res.household_sites), S.HOUSEHOLDS.name))
    if S.LABOUR.name in T:
        f = [(c.key, c.key, c.kind) for c in S.LABOUR.columns] + [("site_code", "site_code", S.CODE)]
        cols, rows, src = build(S.LABOUR, f)
        plans.append(TablePlan(m.Labourer.__table__, cols, rows, src, "versions", ["person_id"], versions.LABOUR,
                               set(res.labour_sites), S.LABOUR.name))
    if S.ORGANISATION.name in T:
        f = [(c.key, c.key, c.kind) for c in S.ORGANISATION.columns if c.key != "month"]
        cols, rows, src = build(S.ORGANISATION, f)
        plans.append(TablePlan(m.SiteOrganisation.__table__, cols, rows, src, "versions", ["site_code"],
                               versions.ORGANISATION, set(), S.ORGANISATION.name))
    if S.REPORTED.name in T:
        f = [(c.key, c.key, c.kind) for c in S.REPORTED.columns]
        cols, rows, src = build(S.REPORTED, f, float_model=True)
        plans.append(TablePlan(m.ReportedIndicator.__table__, cols, rows, src, "upsert", ["month", "site_code"],
                               sheet=S.REPORTED.name))
    if S.RECTIFICATIONS.name in T:
        f = [("code", "item_code", S.CODE), ("county_code", "county_code", S.CODE),
             ("site_code", "site_code", S.CODE), ("source", "source", S.ENUM),
             ("description", "description", S.TEXT), ("unit", "unit", S.TEXT),
             ("found_date", "found_date", S.DATE), ("deadline", "deadline", S.DATE),
             ("status", "status", S.ENUM), ("closed_date", "closed_date", S.DATE)]
        cols, rows, src = build(S.RECTIFICATIONS, f)
        plans.append(TablePlan(m.Rectification.__table__, cols, rows, src, "rect", ["code"],
                               sheet=S.RECTIFICATIONS.name))
    if S.FOLLOWUPS.name in T:
        f = [("kind", "kind", S.ENUM), ("date", "date", S.DATE), ("county_code", "county_code", S.CODE),
             ("site_code", "site_code", S.CODE), ("title", "title", S.TEXT), ("content", "content", S.TEXT)]
        cols, rows, src = build(S.FOLLOWUPS, f)
        plans.append(TablePlan(m.FollowUp.__table__, cols, rows, src, "followups",
                               ["kind", "date", "county_code", "title"], sheet=S.FOLLOWUPS.name))
    return plans


# ---- comparing with what is stored ----

def _stored_rows(conn, plan: TablePlan, columns: list[str]) -> list[tuple]:
    """The stored rows with the plan's keys (columns in `columns` order)."""
    tb = plan.table
    cols = [tb.c[c] for c in columns]
    out: list[tuple] = []
    keys = sorted({tuple(r[plan.columns.index(k)] for k in plan.key_cols) for r in plan.rows}, key=repr)
    key_cols = [tb.c[k] for k in plan.key_cols]
    for chunk in chunks(keys, 200):
        if len(key_cols) == 1:
            stmt = select(*cols).where(key_cols[0].in_([k[0] for k in chunk]))
        else:
            stmt = select(*cols).where(tuple_(*key_cols).in_(chunk))
        out.extend(tuple(r) for r in conn.execute(stmt))
    return out


class _NothingChanged(Exception):
    """Raised inside the write transaction to roll it back when the file changes nothing."""


# ---- writing ----

def _apply(writer: BulkWriter, plan: TablePlan, iid: int, vmonth: str) -> bool:
    """Write one sheet's plan for version month `vmonth`; True when anything changed."""
    tb = plan.table
    cols = plan.columns + ["import_id", "source_row"]
    rows = plan.write_rows(iid)
    conn = writer.conn
    if plan.mode == "versions":
        vk = versions.KINDS[plan.kind]
        deletes, inserts, ch = versions.plan_month(conn, vk, vmonth, cols, rows, plan.scopes)
        new_statements = versions.unstated(conn, vk.kind, vmonth, ch.stated_scopes)
        versions.apply(writer, vk, vmonth, deletes, inserts, ch.stated_scopes)
        return ch.any or bool(new_statements)
    if plan.mode == "rect":
        deletes, inserts = versions.plan_rectifications(conn, vmonth, cols, rows)
        for chunk in chunks(deletes, 500):
            conn.execute(delete(tb).where(tb.c.id.in_(chunk)))
        writer.insert_dicts(tb, inserts)
        return bool(inserts)
    stored = collections.Counter(_stored_rows(conn, plan, plan.columns))
    if stored == collections.Counter(plan.rows):
        return False
    if plan.mode == "followups":   # a record keeps the month of the import that first recorded it
        have = {tuple(r[:-1]): r[-1] for r in _stored_rows(conn, plan, [*plan.key_cols, "valid_from"])}
        kidx = [cols.index(k) for k in plan.key_cols]
        cols = cols + ["valid_from"]
        rows = [(*r, have.get(tuple(r[i] for i in kidx)) or vmonth) for r in rows]
    writer.upsert(tb, cols, rows, plan.key_cols)
    return True


def _write(engine, user, file_name, sha, month, vmonth, rows_count, messages, data, plans: list[TablePlan],
           res: Validated) -> int | None:
    """Write every plan in one transaction; None (and nothing written) when the file changes nothing."""
    try:
        with Session(engine) as s, s.begin():
            rec = m.ImportRecord(username=user.username, file_name=file_name[:256], sha256=sha, month=month,
                                 rows_json=json.dumps(rows_count, ensure_ascii=False), result=SUCCESS,
                                 messages_json=_messages_json(messages), file_blob=data)
            s.add(rec)
            s.flush()
            iid = rec.id
            writer = BulkWriter(s.connection())
            changed = False
            for plan in plans:
                changed |= _apply(writer, plan, iid, vmonth)
            if not changed:
                raise _NothingChanged
            bump_data_version(s, set(res.months) | {vmonth}, from_month=vmonth)
            audit.record(s, user=user.username, action=audit.IMPORT,
                         detail=_audit_detail(iid, file_name, month, SUCCESS, rows_count, messages))
        return iid
    except _NothingChanged:
        return None


def _messages_json(messages: list[Message]) -> str:
    """Stored messages: the first ones in detail and a line counting the rest (messages.listed)."""
    return json.dumps([x.to_dict() for x in listed(messages)], ensure_ascii=False)


def _audit_detail(iid, file_name, month, result, rows, messages) -> str:
    text = f"导入文件「{file_name}」（导入编号{iid}，月份{month or '未指定'}）：{result}"
    if rows:
        text += "；" + "、".join(f"{k}{v}行" for k, v in rows.items())
    errors = sum(1 for x in messages if x.level == ERROR)
    warnings = len(messages) - errors
    if errors:
        text += f"；{errors}个错误"
    if warnings:
        text += f"；{warnings}条警告"
    return text


def _record(engine, user, file_name, sha, month, rows, result, messages, data) -> int | None:
    """Record an import that writes no data (failed or unchanged)."""
    try:
        with Session(engine) as s, s.begin():
            rec = m.ImportRecord(username=user.username, file_name=(file_name or "")[:256], sha256=sha,
                                 month=month if (month is None or MONTH_RE.match(month)) else None,
                                 rows_json=json.dumps(rows, ensure_ascii=False), result=result,
                                 messages_json=_messages_json(messages), file_blob=data)
            s.add(rec)
            s.flush()
            iid = rec.id
            audit.record(s, user=user.username, action=audit.IMPORT,
                         detail=_audit_detail(iid, file_name, month, result, rows, messages))
        return iid
    except Exception:  # noqa: BLE001 - the result (with its messages) still reaches the user; the log says why
        log.exception("could not record the import attempt of %r", file_name)
        return None
