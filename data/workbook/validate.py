"""Validation of a read workbook: the checks each sheet's declarations drive (`data.workbook.columns`), then,
sheet by sheet in the order of `spec.SHEETS`, the checks that need the database and the other sheets of the
file (known counties, sites and households; the user's scope; moves between sites; month-over-month warnings).

Produces typed tables (keyed by the spec's column keys plus `row`, the Excel row number) and the list of
messages. Nothing is written here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from data import models as m
from data.workbook import spec as S
from data.workbook.collect import Collector, Table
from data.workbook.columns import apply_formula_cells, apply_row_checks, check_duplicates, parse_table
from data.workbook.dbcontext import DbContext
from data.workbook.messages import ERROR, WARNING
from data.workbook.plausibility import boundary_warnings, jump_warnings, labour_count_warnings
from data.workbook.reader import SheetFrame
from domain.calendar import MONTH_RE
from domain.roles import IMPORT, ROLE_ADMIN, ROLE_COUNTY, ROLE_LEADER, ROLE_SUPERVISOR, county_only, roles_with

# Roles the import accepts (the web upload and the command line), from the roles' actions.
IMPORT_ROLES = tuple(roles_with(IMPORT))
# Re-exported for data.workbook.importer and data.workbook's public names.
__all__ = ["IMPORT_ROLES", "MONTH_RE", "ROLE_ADMIN", "ROLE_COUNTY", "ROLE_LEADER", "ROLE_SUPERVISOR", "Collector",
           "DbContext", "ImportUser", "Table", "Validated", "apply_formula_cells", "validate"]

UNKNOWN_SITE = "安置点编码不存在（本文件「安置点」工作表和系统中都没有）"


@dataclass
class ImportUser:
    username: str
    role: str = ROLE_ADMIN
    county_code: str | None = None


@dataclass
class Validated:
    tables: dict[str, Table]               # spec sheet name -> parsed table (typed values by column key)
    moved_households: list[str] = field(default_factory=list)   # codes to delete from other sites (same month)
    moved_labour: list[str] = field(default_factory=list)
    labour_sites: set[str] = field(default_factory=set)          # sites whose labour snapshot is replaced
    household_sites: set[str] = field(default_factory=set)
    months: set[str] = field(default_factory=set)
    static: bool = False


class _Run:
    """One validation: the user's scope, the codes the file itself defines, and the reference checks."""

    def __init__(self, tables: dict[str, Table], month: str | None, user: ImportUser, db: DbContext,
                 out: Collector, point_in_county):
        self.tables, self.month, self.db, self.out = tables, month, db, out
        self.point_in_county = point_in_county
        self.scope = user.county_code if county_only(user.role) else None
        self.scope_name = db.county_name(self.scope)
        self.scope_reason = f"不在您的管辖范围：您只能导入「{self.scope_name}」的数据"
        names = "、".join(r.name for r in db.counties.values())
        self.county_names = names[:200] + "…" if len(names) > 200 else names
        self.file_sites: dict[str, str | None] = {}
        self.file_households: dict[str, str] = {}
        self.res = Validated(tables=tables)

    def out_of_scope(self, county_codes: np.ndarray) -> np.ndarray:
        if self.scope is None:
            return np.zeros(len(county_codes), dtype=bool)
        return pd.notna(county_codes) & (county_codes != self.scope)

    def resolve_county(self, t: Table) -> np.ndarray:
        """County code of each row's 所属县 (None when unknown, reported)."""
        vals = t.values["county"]
        codes = np.array([self.db.county_lookup.get(v) if v is not None else None for v in vals], dtype=object)
        unknown = pd.notna(vals) & pd.isna(codes)
        self.out.cells(t, "county", unknown,
                       f"系统中没有该县（市、区），应为：{self.county_names or '（尚未初始化县区）'}")
        return codes

    def site_county(self, code):
        if code in self.file_sites:
            return self.file_sites[code]
        return self.db.sites.get(code)

    def check_sites(self, t: Table, key: str = "site_code") -> np.ndarray:
        """County code of each row's site (None when unknown); reports unknown codes and scope."""
        codes = t.values[key]
        idx, uniq = pd.factorize(codes, use_na_sentinel=True)
        u_county = np.array([self.site_county(c) for c in uniq] + [None], dtype=object)
        u_known = np.array([c in self.file_sites or c in self.db.sites for c in uniq] + [True], dtype=bool)
        county = u_county[idx]  # idx -1 (None) picks the trailing sentinel
        self.out.cells(t, key, ~u_known[idx], UNKNOWN_SITE)
        self.out.cells(t, key, self.out_of_scope(county),
                       lambda i: f"该安置点属于「{self.db.county_name(county[i])}」，"
                                 f"不在您的管辖范围：您只能导入「{self.scope_name}」的数据")
        return county

    def county_rows(self, t: Table) -> None:
        """Rows naming a county and optionally one of its sites (问题整改, 跟进记录)."""
        codes = self.resolve_county(t)
        t.values["county_code"] = codes
        self.out.cells(t, "county", self.out_of_scope(codes), self.scope_reason)
        sites = t.values["site_code"]
        known = np.array([s is None or s in self.file_sites or s in self.db.sites for s in sites], dtype=bool)
        self.out.cells(t, "site_code", ~known, UNKNOWN_SITE)
        wrong = np.array([s is not None and k and c is not None and self.site_county(s) != c
                          for s, k, c in zip(sites, known, codes)], dtype=bool)
        self.out.cells(t, "site_code", wrong,
                       lambda i: f"该安置点属于「{self.db.county_name(self.site_county(sites[i]))}」，与所填县不一致")

    def moved(self, t: Table, key: str, where: dict[str, str], now: Callable[[int], str], outside: Callable,
              moving: Callable, moved: list[str]) -> None:
        """Rows whose key the month already holds on another site: an error outside the user's scope, else a
        warning (the row moves) and the key is listed in `moved`."""
        bad, warn, rb, rw = [], [], [], []
        for i, k in enumerate(t.values[key]):
            if k in where:
                old = where[k]
                oc = self.db.sites.get(old)
                if self.scope is not None and oc != self.scope:
                    bad.append(i)
                    rb.append(outside(self.db.county_name(oc), old))
                else:
                    warn.append(i)
                    rw.append(moving(old, now(i)))
                    moved.append(k)
        self.out.cells_list(t, key, bad, rb, ERROR)
        self.out.cells_list(t, key, warn, rw, WARNING)


# ------------------------------------------------------------------------------------------------ sheets
def _sites(run: _Run, t: Table) -> None:
    v, db, out = t.values, run.db, run.out
    codes = run.resolve_county(t)
    v["county_code"] = codes
    out.cells(t, "county", run.out_of_scope(codes), run.scope_reason)
    existing = np.array([db.sites.get(c) if c else None for c in v["code"]], dtype=object)
    moved = run.out_of_scope(existing)
    if moved.any():
        out.cells(t, "code", moved, lambda i: f"该安置点已登记在「{db.county_name(existing[i])}」，不在您的管辖范围")
    apply_row_checks(t, out)
    for code, cc in zip(v["code"], codes):
        if code is not None:
            run.file_sites.setdefault(code, cc)
    boundary_warnings(t, db, out, run.point_in_county)
    run.res.static = True


def _households(run: _Run, t: Table) -> None:
    v, res, month = t.values, run.res, run.month
    run.check_sites(t)
    apply_row_checks(t, run.out)
    for code, site in zip(v["household_code"], v["site_code"]):
        if code is not None and site is not None:
            run.file_households.setdefault(code, site)
    res.household_sites = {s for s in v["site_code"] if s is not None}
    if month is None:
        return
    res.months.add(month)
    other = run.db.households_outside(month, res.household_sites)
    if len(other):
        clash = other[other["household_code"].isin(run.file_households.keys())]
        if len(clash):
            run.moved(t, "household_code", dict(zip(clash["household_code"], clash["site_code"])),
                      lambda i: v["site_code"][i],
                      lambda county, old: f"该户本月已登记在「{county}」的安置点「{old}」，不在您的管辖范围",
                      lambda old, new: f"该户本月原登记在安置点「{old}」，导入后改为「{new}」", res.moved_households)


def _labour(run: _Run, t: Table) -> None:
    v, res, month, db, out = t.values, run.res, run.month, run.db, run.out
    if month is None:
        v["site_code"] = np.full(t.n, None, dtype=object)
        return
    codes = v["household_code"]
    sites = pd.Series(codes, dtype=object).map(run.file_households).to_numpy(dtype=object)
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
    county = np.array([run.site_county(x) for x in suniq] + [None], dtype=object)[sidx]
    out.cells(t, "household_code", run.out_of_scope(county),
              lambda i: f"该户所在安置点属于「{db.county_name(county[i])}」，不在您的管辖范围")
    v["site_code"] = sites
    apply_row_checks(t, out)
    res.labour_sites = {x for x in suniq if x is not None} | res.household_sites
    res.months.add(month)
    other = db.labour_outside(month, res.labour_sites)
    if len(other):
        clash = other[other["person_id"].isin(v["person_id"])]
        if len(clash):
            run.moved(t, "person_id", dict(zip(clash["person_id"], clash["site_code"])), lambda i: sites[i],
                      lambda county, old: f"该身份证号本月已登记在「{county}」的安置点「{old}」的劳动力台账中，"
                                          f"不在您的管辖范围",
                      lambda old, new: f"该劳动力本月原登记在安置点「{old}」，导入后改为「{new}」", res.moved_labour)
    labour_count_warnings(run.tables, db, month, out)


def _organisation(run: _Run, t: Table) -> None:
    run.check_sites(t)
    apply_row_checks(t, run.out)
    if run.month is not None:
        run.res.months.add(run.month)


def _reported(run: _Run, t: Table) -> None:
    run.check_sites(t)
    apply_row_checks(t, run.out)
    for col in t.spec.columns:
        if col.import_month:
            _import_month_column(run, t, col)
    run.res.months.update(x for x in t.values["month"] if x is not None)
    jump_warnings(t, run.db, run.out)


def _import_month_column(run: _Run, t: Table, col: S.Column) -> None:
    """A month column whose blank cells take the import's month (and which is required without one)."""
    month, out = run.month, run.out
    if col.key not in t.frame.columns:
        if month is None:
            out.sheet(t.frame.name, "未指定导入月份，且缺少「月份」列：请在导入时指定月份，或在本表填写「月份」列",
                      row=t.frame.header_row, column=col.header)
        else:
            t.values[col.key] = np.full(t.n, month, dtype=object)
        return
    blank = t.empty[col.key]
    if month is None:
        out.cells(t, col.key, blank, "必填项不能为空（未指定导入月份时须逐行填写月份）")
    else:
        mv = np.where(blank, month, t.values[col.key])
        t.values[col.key] = mv
        out.cells(t, col.key, pd.notna(mv) & (mv != month), f"月份与导入月份 {month} 不一致")


def _rectifications(run: _Run, t: Table) -> None:
    run.county_rows(t)
    existing = run.db.existing_county(m.Rectification, m.Rectification.code, t.values["item_code"])
    run.out.cells(t, "item_code", run.out_of_scope(existing),
                  lambda i: f"该问题编号已登记在「{run.db.county_name(existing[i])}」，不在您的管辖范围")
    apply_row_checks(t, run.out)
    run.res.static = True


def _followups(run: _Run, t: Table) -> None:
    run.county_rows(t)
    apply_row_checks(t, run.out)
    run.res.static = True


SHEET_CHECKS: dict[str, Callable[[_Run, Table], None]] = {
    S.SITES.name: _sites, S.HOUSEHOLDS.name: _households, S.LABOUR.name: _labour,
    S.ORGANISATION.name: _organisation, S.REPORTED.name: _reported, S.RECTIFICATIONS.name: _rectifications,
    S.FOLLOWUPS.name: _followups,
}
assert set(SHEET_CHECKS) == set(S.SHEET_NAMES)


def validate(frames: dict[str, SheetFrame], month: str | None, user: ImportUser, db: DbContext,
             out: Collector, point_in_county=None) -> Validated:
    tables = {name: parse_table(fr, out) for name, fr in frames.items()}
    for t in tables.values():
        check_duplicates(t, out)
    run = _Run(tables, month, user, db, out, point_in_county)
    if month is None:
        for t in tables.values():
            if t.spec.needs_import_month:
                out.sheet(t.frame.name,
                          f"未指定导入月份：「{t.spec.name}」是月度台账，请指定导入月份（YYYY-MM）后再导入")
    for sheet in S.SHEETS:
        t = tables.get(sheet.name)
        if t is not None:
            SHEET_CHECKS[sheet.name](run, t)
    return run.res
