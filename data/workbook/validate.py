"""Validation of a read workbook: per-column parsing, row checks, duplicates and the checks that need the
database (known counties, sites and households; the user's scope; month-over-month comparisons).

Produces typed tables (pandas DataFrames keyed by the spec's column keys plus `row`, the Excel row number)
and the list of messages. Nothing is written here.
"""
from __future__ import annotations

import collections
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select

from data import models as m
from data.workbook import spec as S
from data.workbook.messages import ERROR, WARNING, Message, display_value
from data.workbook.parse import Parsed, id_gender, parse, parse_choice_block
from data.workbook.reader import SheetFrame
from domain.calendar import MONTH_RE, previous_month  # noqa: F401 (MONTH_RE re-exported for the importer)
from domain.followup import RECT_CLOSED
from domain.roles import (IMPORT, ROLE_ADMIN, ROLE_COUNTY, ROLE_LEADER, ROLE_SUPERVISOR,  # noqa: F401 (re-exported)
                          county_only, roles_with)

# Roles the import accepts (the web upload and the command line), from the roles' actions.
IMPORT_ROLES = tuple(roles_with(IMPORT))
JUMP_RATIO = 0.5


@dataclass
class ImportUser:
    username: str
    role: str = ROLE_ADMIN
    county_code: str | None = None


@dataclass
class Table:
    """Parsed sheet: `values[key]` typed arrays aligned with `rows` (Excel row numbers)."""
    frame: SheetFrame
    values: dict[str, np.ndarray] = field(default_factory=dict)
    raw: dict[str, np.ndarray] = field(default_factory=dict)
    bad: np.ndarray | None = None
    empty: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def spec(self) -> S.Sheet:
        return self.frame.spec

    @property
    def rows(self) -> np.ndarray:
        return self.frame.rows

    @property
    def n(self) -> int:
        return len(self.frame.rows)

    def frame_df(self) -> pd.DataFrame:
        df = pd.DataFrame({k: v for k, v in self.values.items()}, copy=False)
        df["row"] = self.rows
        return df


class Collector:
    def __init__(self):
        self.messages: list[Message] = []

    def add(self, message: Message) -> None:
        self.messages.append(message)

    def sheet(self, name: str | None, reason: str, level: str = ERROR, row: int | None = None,
              column: str | None = None) -> None:
        self.messages.append(Message(name, row, column, None, reason, level))

    def cells(self, t: Table, key: str, where, reason, level: str = ERROR, value=None) -> None:
        """One message per selected row. `where`: bool mask or index array; `reason`: str, per-row array or a
        function of the row index (evaluated for the selected rows only)."""
        idx = np.flatnonzero(where) if getattr(where, "dtype", None) == bool else np.asarray(where, dtype=int)
        if len(idx) == 0:
            return
        col = t.frame.col_of(key)
        header = t.frame.header_of(key)
        raw = t.raw.get(key)
        for i in idx:
            if level != ERROR and t.bad is not None and t.bad[i]:
                continue  # a row with an error gets no further warnings
            r = reason if isinstance(reason, str) else (reason(i) if callable(reason) else reason[i])
            v = value[i] if value is not None else (raw[i] if raw is not None else None)
            self.messages.append(Message(t.frame.name, int(t.rows[i]), header, display_value(v), r, level, col))
            if level == ERROR and t.bad is not None:
                t.bad[i] = True

    @property
    def has_errors(self) -> bool:
        return any(m.level == ERROR for m in self.messages)


# ---- database context ----

class DbContext:
    """What validation needs from the database, loaded lazily."""

    def __init__(self, engine: Engine):
        self.engine = engine
        with engine.connect() as c:
            self.counties = {r.code: r for r in c.execute(
                select(m.County.code, m.County.name, m.County.boundary_geojson, m.County.sort_order)
                .order_by(m.County.sort_order, m.County.code))}
            self.sites = {r.code: r.county_code for r in c.execute(select(m.Site.code, m.Site.county_code))}
        self.county_lookup: dict[str, str] = {}
        for code, r in self.counties.items():
            self.county_lookup[re.sub(r"\s+", "", S.nfkc(r.name))] = code
            self.county_lookup.setdefault(code, code)

    def county_name(self, code: str | None) -> str:
        r = self.counties.get(code) if code else None
        return r.name if r else (code or "")

    def _rows(self, stmt, columns: list[str]) -> pd.DataFrame:
        with self.engine.connect() as c:
            rows = c.execute(stmt).all()
        return pd.DataFrame([tuple(r) for r in rows], columns=columns) if rows else \
            pd.DataFrame({k: pd.Series(dtype=object) for k in columns})

    def _in_chunks(self, base, column, values, columns: list[str]) -> pd.DataFrame:
        values = sorted(values)
        parts = [self._rows(base.where(column.in_(values[i:i + 1000])), columns)
                 for i in range(0, len(values), 1000)]
        return pd.concat(parts, ignore_index=True) if parts else self._rows(base.where(False), columns)

    def households_outside(self, month: str, sites: set[str]) -> pd.DataFrame:
        """household_code, site_code of the month's households on sites other than `sites`."""
        h = m.Household
        stmt = select(h.household_code, h.site_code).where(h.month == month)
        if sites:
            stmt = stmt.where(h.site_code.not_in(sorted(sites)))
        return self._rows(stmt, ["household_code", "site_code"])

    def households_by_code(self, month: str, codes: set[str]) -> pd.DataFrame:
        """household_code, site_code, labour_count of the month's households with these codes."""
        h = m.Household
        cols = ["household_code", "site_code", "labour_count"]
        base = select(h.household_code, h.site_code, h.labour_count).where(h.month == month)
        if len(codes) > 5000:  # many codes: one scan of the month is cheaper than IN lists
            df = self._rows(base, cols)
            return df[df["household_code"].isin(codes)]
        return self._in_chunks(base, h.household_code, codes, cols)

    def labour_outside(self, month: str, sites: set[str]) -> pd.DataFrame:
        """person_id, site_code of the month's labourers on sites other than `sites`."""
        lab = m.Labourer
        stmt = select(lab.person_id, lab.site_code).where(lab.month == month)
        if sites:
            stmt = stmt.where(lab.site_code.not_in(sorted(sites)))
        return self._rows(stmt, ["person_id", "site_code"])

    def reported(self, month: str) -> pd.DataFrame:
        r = m.ReportedIndicator
        cols = [c.key for c in S.REPORTED.columns if c.key not in ("site_code", "month")]
        with self.engine.connect() as c:
            res = c.execute(select(r.site_code, *[getattr(r, k) for k in cols]).where(r.month == month))
            return pd.DataFrame(res.fetchall(), columns=["site_code", *cols])


# ---- per-sheet parsing ----

def parse_table(frame: SheetFrame, out: Collector) -> Table:
    t = Table(frame)
    n = len(frame)
    t.bad = np.zeros(n, dtype=bool)
    # columns sharing one list of allowed values (the 15 rights items, 是/否 columns) are parsed as a block
    groups: dict[tuple, list[S.Column]] = {}
    for col in frame.spec.columns:
        if col.kind in (S.ENUM, S.BOOL, S.RIGHT) and col.key in frame.cells and col.key != "employed":
            groups.setdefault((col.kind, col.choices), []).append(col)
    pre: dict[str, Parsed] = {}
    for cols in groups.values():
        if len(cols) > 1:
            pre.update(parse_choice_block(cols, [frame.cells[c.key] for c in cols]))
    for col in frame.spec.columns:
        raw = frame.cells.get(col.key)
        if raw is None:  # column not in the file
            if col.kind in (S.INT, S.FLOAT, S.PCT):
                t.values[col.key] = np.full(n, np.nan)
            else:
                t.values[col.key] = np.full(n, None, dtype=object)
            continue
        t.raw[col.key] = raw
        p: Parsed = pre.get(col.key) or parse(col, raw)
        t.values[col.key] = p.values
        t.empty[col.key] = p.empty
        err = pd.notna(p.errors)
        if err.any():
            out.cells(t, col.key, err, p.errors)
        if col.required and not (frame.spec is S.REPORTED and col.key == "month"):
            out.cells(t, col.key, p.empty, "必填项不能为空")
        if p.warnings is not None:
            w = pd.notna(p.warnings)
            out.cells(t, col.key, w, p.warnings, WARNING)
    return t


FORMULA_REASON = "公式没有计算结果（缓存值），请在 Excel 或 WPS 中打开并保存后再上传，或将公式改为数值"


def apply_formula_cells(frames: dict[str, SheetFrame], found: dict[str, set[tuple[int, int]]],
                        out: Collector) -> None:
    """Report formula cells without a cached value (0-based (row, col) per sheet) that lie in an imported
    column below the header; other messages about those cells (they read as empty) are dropped."""
    marked: set[tuple[str, int, int]] = set()
    for spec_name, cells in found.items():
        frame = frames.get(spec_name)
        if frame is None or not cells:
            continue
        key_of = {c: k for k, c in frame.columns.items()}
        for r0, c0 in sorted(cells):
            row = r0 + 1
            key = key_of.get(c0)
            if key is None or row <= frame.header_row:
                continue
            marked.add((frame.name, row, c0))
            out.add(Message(frame.name, row, frame.header_of(key), None, FORMULA_REASON, ERROR, c0))
    if marked:
        out.messages = [x for x in out.messages
                        if x.reason == FORMULA_REASON or (x.sheet, x.row, x.col_index) not in marked]


def check_duplicates(t: Table, out: Collector) -> None:
    keys = t.spec.keys
    if any(k not in t.values for k in keys):
        return
    df = pd.DataFrame({k: t.values[k] for k in keys}, dtype=object)
    valid = df.notna().all(axis=1).to_numpy()
    if not valid.any():
        return
    sub = df[valid]
    dup = sub.duplicated(keep=False).to_numpy()
    if not dup.any():
        return
    idx = np.flatnonzero(valid)[dup]
    firsts: dict[tuple, int] = {}
    key_col = keys[0] if len(keys) == 1 else keys[-1]
    if t.spec is S.FOLLOWUPS:
        key_col = "title"
    names = "、".join(t.spec.column(k).header for k in keys)
    key_values = df.to_numpy(dtype=object)
    for i in idx:
        k = tuple(key_values[i])
        if k not in firsts:
            firsts[k] = i
            continue
        first_row = int(t.rows[firsts[k]])
        what = f"「{names}」" if len(keys) > 1 else ""
        out.cells(t, key_col, [i], f"{what}与第{first_row}行重复")


# ---- the whole workbook ----

@dataclass
class Validated:
    tables: dict[str, Table]               # spec sheet name -> parsed table (typed values by column key)
    moved_households: list[str] = field(default_factory=list)   # codes to delete from other sites (same month)
    moved_labour: list[str] = field(default_factory=list)
    labour_sites: set[str] = field(default_factory=set)          # sites whose labour snapshot is replaced
    household_sites: set[str] = field(default_factory=set)
    months: set[str] = field(default_factory=set)
    static: bool = False


def validate(frames: dict[str, SheetFrame], month: str | None, user: ImportUser, db: DbContext,
             out: Collector, point_in_county=None) -> Validated:
    tables = {name: parse_table(fr, out) for name, fr in frames.items()}
    for t in tables.values():
        check_duplicates(t, out)
    scope = user.county_code if county_only(user.role) else None
    scope_name = db.county_name(scope)

    def out_of_scope(county_codes: np.ndarray) -> np.ndarray:
        if scope is None:
            return np.zeros(len(county_codes), dtype=bool)
        return pd.notna(county_codes) & (county_codes != scope)

    scope_reason = f"不在您的管辖范围：您只能导入「{scope_name}」的数据"
    county_names = "、".join(r.name for r in db.counties.values())
    if len(county_names) > 200:
        county_names = county_names[:200] + "…"

    def resolve_county(t: Table) -> np.ndarray:
        vals = t.values["county"]
        codes = np.array([db.county_lookup.get(v) if v is not None else None for v in vals], dtype=object)
        unknown = pd.notna(vals) & pd.isna(codes)
        out.cells(t, "county", unknown, f"系统中没有该县（市、区），应为：{county_names or '（尚未初始化县区）'}")
        return codes

    res = Validated(tables=tables)
    month_needed = [t for name, t in tables.items() if name in (S.HOUSEHOLDS.name, S.LABOUR.name, S.ORGANISATION.name)]
    if month is None:
        for t in month_needed:
            out.sheet(t.frame.name, f"未指定导入月份：「{t.spec.name}」是月度台账，请指定导入月份（YYYY-MM）后再导入")

    # ---- sites ----
    file_sites: dict[str, str | None] = {}
    t = tables.get(S.SITES.name)
    if t is not None:
        v = t.values
        codes = resolve_county(t)
        v["county_code"] = codes
        out.cells(t, "county", out_of_scope(codes), scope_reason)
        existing = np.array([db.sites.get(c) if c else None for c in v["code"]], dtype=object)
        moved = out_of_scope(existing)
        if moved.any():
            out.cells(t, "code", moved, lambda i: f"该安置点已登记在「{db.county_name(existing[i])}」，不在您的管辖范围")
        pop, hh = v["population"], v["households"]
        out.cells(t, "population", (pop < hh) & ~np.isnan(pop) & ~np.isnan(hh), "搬迁人数少于搬迁户数，请核对")
        for code, cc in zip(v["code"], codes):
            if code is not None:
                file_sites.setdefault(code, cc)
        _boundary_warnings(t, db, out, point_in_county)
        res.static = True

    def site_county(code):
        if code in file_sites:
            return file_sites[code]
        return db.sites.get(code)

    def check_sites(t: Table, key: str = "site_code") -> np.ndarray:
        """County code of each row's site (None when unknown); reports unknown codes and scope."""
        codes = t.values[key]
        idx, uniq = pd.factorize(codes, use_na_sentinel=True)
        u_county = np.array([site_county(c) for c in uniq] + [None], dtype=object)
        u_known = np.array([c in file_sites or c in db.sites for c in uniq] + [True], dtype=bool)
        county = u_county[idx]  # idx -1 (None) picks the trailing sentinel
        out.cells(t, key, ~u_known[idx], "安置点编码不存在（本文件「安置点」工作表和系统中都没有）")
        out.cells(t, key, out_of_scope(county), lambda i: f"该安置点属于「{db.county_name(county[i])}」，"
                                                          f"不在您的管辖范围：您只能导入「{scope_name}」的数据")
        return county

    # ---- households ----
    file_households: dict[str, str] = {}
    t = tables.get(S.HOUSEHOLDS.name)
    if t is not None:
        v = t.values
        check_sites(t)
        fs, lc = v["family_size"], v["labour_count"]
        out.cells(t, "labour_count", (lc > fs) & ~np.isnan(lc) & ~np.isnan(fs), "劳动力人数大于家庭人口，请核对")
        for code, site in zip(v["household_code"], v["site_code"]):
            if code is not None and site is not None:
                file_households.setdefault(code, site)
        res.household_sites = {s for s in v["site_code"] if s is not None}
        if month is not None:
            res.months.add(month)
            other = db.households_outside(month, res.household_sites)
            if len(other):
                clash = other[other["household_code"].isin(file_households.keys())]
                if len(clash):
                    where = dict(zip(clash["household_code"], clash["site_code"]))
                    idx_bad, idx_warn, reasons_bad, reasons_warn = [], [], [], []
                    for i, code in enumerate(v["household_code"]):
                        if code in where:
                            old = where[code]
                            oc = db.sites.get(old)
                            if scope is not None and oc != scope:
                                idx_bad.append(i)
                                reasons_bad.append(f"该户本月已登记在「{db.county_name(oc)}」的安置点「{old}」，"
                                                   f"不在您的管辖范围")
                            else:
                                idx_warn.append(i)
                                reasons_warn.append(f"该户本月原登记在安置点「{old}」，导入后改为「{v['site_code'][i]}」")
                                res.moved_households.append(code)
                    _cells_list(out, t, "household_code", idx_bad, reasons_bad, ERROR)
                    _cells_list(out, t, "household_code", idx_warn, reasons_warn, WARNING)

    # ---- labour ----
    t = tables.get(S.LABOUR.name)
    if t is not None and month is not None:
        v = t.values
        codes = v["household_code"]
        sites = pd.Series(codes, dtype=object).map(file_households).to_numpy(dtype=object)
        missing_mask = pd.notna(codes) & pd.isna(sites)
        if missing_mask.any():
            dbh = db.households_by_code(month, set(codes[missing_mask]))
            if len(dbh):
                db_map = dict(zip(dbh["household_code"], dbh["site_code"]))
                sites[missing_mask] = pd.Series(codes[missing_mask], dtype=object).map(db_map).to_numpy(dtype=object)
        sites = np.where(pd.isna(sites), None, sites).astype(object)
        unknown = pd.notna(codes) & pd.isna(sites)
        out.cells(t, "household_code", unknown, f"户编码在 {month} 的搬迁户台账中不存在（本文件和系统中都没有）")
        sidx, suniq = pd.factorize(sites, use_na_sentinel=True)
        county = np.array([site_county(x) for x in suniq] + [None], dtype=object)[sidx]
        out.cells(t, "household_code", out_of_scope(county),
                  lambda i: f"该户所在安置点属于「{db.county_name(county[i])}」，不在您的管辖范围")
        v["site_code"] = sites
        # gender vs ID, employment form consistency (warnings)
        g = id_gender(v["person_id"])
        mism = pd.notna(g) & pd.notna(v["gender"]) & (g != v["gender"])
        out.cells(t, "gender", mism, "性别与身份证号不一致，请核对", WARNING)
        emp, form = v["employed"], v["employment_form"]
        out.cells(t, "employment_form", (emp == False) & pd.notna(form),  # noqa: E712 (object array)
                  "未就业人员填写了就业形式，请核对", WARNING)
        res.labour_sites = {x for x in suniq if x is not None} | res.household_sites
        res.months.add(month)
        other = db.labour_outside(month, res.labour_sites)
        if len(other):
            clash = other[other["person_id"].isin(v["person_id"])]
            if len(clash):
                where = dict(zip(clash["person_id"], clash["site_code"]))
                bad, warn, rb, rw = [], [], [], []
                for i, p in enumerate(v["person_id"]):
                    if p in where:
                        oc = db.sites.get(where[p])
                        if scope is not None and oc != scope:
                            bad.append(i)
                            rb.append(f"该身份证号本月已登记在「{db.county_name(oc)}」的安置点「{where[p]}」的劳动力台账中，"
                                      f"不在您的管辖范围")
                        else:
                            warn.append(i)
                            rw.append(f"该劳动力本月原登记在安置点「{where[p]}」，导入后改为「{sites[i]}」")
                            res.moved_labour.append(p)
                _cells_list(out, t, "person_id", bad, rb, ERROR)
                _cells_list(out, t, "person_id", warn, rw, WARNING)
        _labour_count_warnings(tables, db, month, out)
    elif t is not None:
        t.values["site_code"] = np.full(t.n, None, dtype=object)

    # ---- organisation ----
    t = tables.get(S.ORGANISATION.name)
    if t is not None:
        check_sites(t)
        for post, _ in S.POSTS:
            for kind in ("required", "actual"):
                arr = t.values[f"{post}_{kind}"]
                t.values[f"{post}_{kind}"] = np.where(np.isnan(arr), 0.0, arr)
        if month is not None:
            res.months.add(month)

    # ---- monthly indicators ----
    t = tables.get(S.REPORTED.name)
    if t is not None:
        check_sites(t)
        mv = t.values["month"]
        has_col = "month" in t.frame.columns
        if not has_col:
            if month is None:
                out.sheet(t.frame.name, "未指定导入月份，且缺少「月份」列：请在导入时指定月份，或在本表填写「月份」列",
                          row=t.frame.header_row, column=S.REPORTED.column("month").header)
            else:
                t.values["month"] = np.full(t.n, month, dtype=object)
        else:
            blank = t.empty["month"]
            if month is None:
                out.cells(t, "month", blank, "必填项不能为空（未指定导入月份时须逐行填写月份）")
            else:
                mv = np.where(blank, month, mv)
                t.values["month"] = mv
                diff = pd.notna(mv) & (mv != month)
                out.cells(t, "month", diff, f"月份与导入月份 {month} 不一致")
        res.months.update(x for x in t.values["month"] if x is not None)
        _jump_warnings(t, db, out)

    # ---- rectifications ----
    t = tables.get(S.RECTIFICATIONS.name)
    if t is not None:
        _county_rows(t, resolve_county, out_of_scope, scope_reason, site_county, db, file_sites, out)
        v = t.values
        existing = _existing_county(db, m.Rectification, m.Rectification.code, v["item_code"])
        out.cells(t, "item_code", out_of_scope(existing),
                  lambda i: f"该问题编号已登记在「{db.county_name(existing[i])}」，不在您的管辖范围")
        fd, dl, cd, st = v["found_date"], v["deadline"], v["closed_date"], v["status"]
        out.cells(t, "deadline", _lt(dl, fd), "整改时限早于发现日期，请核对")
        out.cells(t, "closed_date", _lt(cd, fd), "销号日期早于发现日期，请核对")
        out.cells(t, "closed_date", np.array([s == RECT_CLOSED and c is None for s, c in zip(st, cd)], bool),
                  f"整改状态为{RECT_CLOSED}，但未填写销号日期", WARNING)
        out.cells(t, "status", np.array([s is not None and s != RECT_CLOSED and c is not None for s, c in zip(st, cd)],
                                        bool), f"填写了销号日期，但整改状态不是{RECT_CLOSED}", WARNING)
        res.static = True

    # ---- follow-ups ----
    t = tables.get(S.FOLLOWUPS.name)
    if t is not None:
        _county_rows(t, resolve_county, out_of_scope, scope_reason, site_county, db, file_sites, out)
        res.static = True

    return res


def _cells_list(out: Collector, t: Table, key: str, idx: list[int], reasons: list[str], level: str) -> None:
    if idx:
        arr = np.full(t.n, None, dtype=object)
        arr[idx] = reasons
        out.cells(t, key, np.asarray(idx, dtype=int), arr, level)


def _lt(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.array([x is not None and y is not None and x < y for x, y in zip(a, b)], dtype=bool)


def _existing_county(db: DbContext, model, key_col, codes) -> np.ndarray:
    wanted = sorted({c for c in codes if c is not None})
    found: dict[str, str] = {}
    with db.engine.connect() as c:
        for i in range(0, len(wanted), 500):
            for code, cc in c.execute(select(key_col, model.county_code).where(key_col.in_(wanted[i:i + 500]))):
                found[code] = cc
    return np.array([found.get(c) if c is not None else None for c in codes], dtype=object)


def _county_rows(t: Table, resolve_county, out_of_scope, scope_reason, site_county, db, file_sites, out) -> None:
    codes = resolve_county(t)
    t.values["county_code"] = codes
    out.cells(t, "county", out_of_scope(codes), scope_reason)
    sites = t.values["site_code"]
    known = np.array([s is None or s in file_sites or s in db.sites for s in sites], dtype=bool)
    out.cells(t, "site_code", ~known, "安置点编码不存在（本文件「安置点」工作表和系统中都没有）")
    wrong = np.array([s is not None and k and c is not None and site_county(s) != c
                      for s, k, c in zip(sites, known, codes)], dtype=bool)
    out.cells(t, "site_code", wrong, lambda i: f"该安置点属于「{db.county_name(site_county(sites[i]))}」，与所填县不一致")


def _boundary_warnings(t: Table, db: DbContext, out: Collector, point_in_county) -> None:
    if point_in_county is None:
        return
    v = t.values
    for i in range(t.n):
        cc, lon, lat = v["county_code"][i], v["lon"][i], v["lat"][i]
        if cc is None or np.isnan(lon) or np.isnan(lat):
            continue
        geo = db.counties[cc].boundary_geojson
        if not geo:
            continue
        try:
            inside = point_in_county(float(lon), float(lat), geo)
        except Exception:
            continue
        if inside is False:
            out.cells(t, "lon", [i], f"坐标不在「{db.county_name(cc)}」的行政区域内，请核对经纬度", WARNING,
                      value=np.array([f"{lon}, {lat}"] * t.n, dtype=object))


def _labour_count_warnings(tables: dict[str, Table], db: DbContext, month: str, out: Collector) -> None:
    """Labour rows per household versus 劳动力人数 (both in the file, or one side from the database)."""
    lt = tables[S.LABOUR.name]
    ht = tables.get(S.HOUSEHOLDS.name)
    counts = collections.Counter(c for c in lt.values["household_code"] if c is not None)
    if ht is not None:
        codes = ht.values["household_code"]
        expected = ht.values["labour_count"]
        got = np.fromiter((counts.get(c, 0) for c in codes), dtype=np.float64, count=len(codes))
        diff = ~np.isnan(expected) & pd.notna(codes) & (got != expected)
        if diff.any():
            out.cells(ht, "labour_count", diff,
                      lambda i: f"劳动力台账中该户有{int(got[i])}人，与劳动力人数{int(expected[i])}不一致", WARNING)
    # households of the database referenced by labour rows
    in_file = set(ht.values["household_code"]) if ht is not None else set()
    wanted = counts.keys() - in_file
    if wanted:
        sub = db.households_by_code(month, wanted)
        if len(sub):
            expected = dict(zip(sub["household_code"], sub["labour_count"]))
            codes = lt.values["household_code"]
            seen: set[str] = set()
            idx, reasons = [], []
            for i, c in enumerate(codes):
                if c in expected and c not in seen:
                    seen.add(c)
                    if int(counts[c]) != int(expected[c]):
                        idx.append(i)
                        reasons.append(f"本文件中该户有{int(counts[c])}名劳动力，与本月搬迁户台账的劳动力人数"
                                       f"{int(expected[c])}不一致")
            _cells_list(out, lt, "household_code", idx, reasons, WARNING)


def _jump_warnings(t: Table, db: DbContext, out: Collector) -> None:
    cols = [c for c in S.REPORTED.columns if c.key not in ("site_code", "month")]
    months = t.values["month"]
    sites = t.values["site_code"]
    df = pd.DataFrame({"site_code": sites, "month": months, **{c.key: t.values[c.key] for c in cols}})
    prev_cache: dict[str, pd.DataFrame] = {}
    for mo in sorted({x for x in months if x is not None}):
        pm = previous_month(mo)
        prev = db.reported(pm).set_index("site_code")
        # a previous month in the same file wins over the database
        in_file = df[df["month"] == pm].set_index("site_code")
        if len(in_file):
            prev = pd.concat([prev[~prev.index.isin(in_file.index)], in_file[prev.columns.intersection(in_file.columns)]])
        prev_cache[mo] = prev
    for c in cols:
        cur = t.values[c.key]
        idx, reasons = [], []
        for i in range(t.n):
            x, s, mo = cur[i], sites[i], months[i]
            if s is None or mo is None or np.isnan(x):
                continue
            prev = prev_cache.get(mo)
            if prev is None or s not in prev.index:
                continue
            p = prev.at[s, c.key]
            if isinstance(p, pd.Series):
                p = p.iloc[0]
            if p is None or pd.isna(p) or p == 0:
                continue
            change = (x - p) / abs(p)
            if abs(change) > JUMP_RATIO:
                idx.append(i)
                reasons.append(f"较上月（{_fmt(p)}）变化{change * 100:+.0f}%，变化较大，请核对")
        _cells_list(out, t, c.key, idx, reasons, WARNING)


def _fmt(x) -> str:
    x = float(x)
    return str(int(x)) if x.is_integer() else f"{x:g}"
