"""The validation the sheet declarations of `spec.py` drive on their own: each column parsed by its kind
(columns sharing one list of allowed values as a block), required cells, blanks stored as a declared value,
duplicate keys, formula cells without a cached value, and the row rules each sheet declares (`Sheet.checks`).
"""
from __future__ import annotations

import operator

import numpy as np
import pandas as pd

from data.workbook import spec as S
from data.workbook.collect import Collector, Table
from data.workbook.messages import ERROR, WARNING, Message
from data.workbook.parse import Parsed, id_gender, parse, parse_choice_block
from data.workbook.reader import SheetFrame

REQUIRED_REASON = "必填项不能为空"
FORMULA_REASON = "公式没有计算结果（缓存值），请在 Excel 或 WPS 中打开并保存后再上传，或将公式改为数值"
# Values a `Derived` row rule may compare a column with, by name.
DERIVATIONS = {"id_gender": id_gender}
_CHOICE_KINDS = (S.ENUM, S.BOOL, S.RIGHT)


def parse_table(frame: SheetFrame, out: Collector) -> Table:
    """Typed values of every declared column (a column missing from the file reads as blank), with a message
    for each unparseable or missing required cell and each parser warning."""
    t = Table(frame)
    n = len(frame)
    t.bad = np.zeros(n, dtype=bool)
    pre = _choice_blocks(frame)
    for col in frame.spec.columns:
        raw = frame.cells.get(col.key)
        if raw is None:  # column not in the file
            if col.kind in (S.INT, S.FLOAT, S.PCT):
                t.values[col.key] = np.full(n, np.nan)
            else:
                t.values[col.key] = np.full(n, None, dtype=object)
        else:
            t.raw[col.key] = raw
            p: Parsed = pre.get(col.key) or parse(col, raw)
            t.values[col.key] = p.values
            t.empty[col.key] = p.empty
            err = pd.notna(p.errors)
            if err.any():
                out.cells(t, col.key, err, p.errors)
            if col.required and not col.import_month:
                out.cells(t, col.key, p.empty, REQUIRED_REASON)
            if p.warnings is not None:
                w = pd.notna(p.warnings)
                out.cells(t, col.key, w, p.warnings, WARNING)
        if col.blank_as is not None:
            arr = t.values[col.key]
            t.values[col.key] = np.where(np.isnan(arr), col.blank_as, arr)
    return t


def _choice_blocks(frame: SheetFrame) -> dict[str, Parsed]:
    """Columns sharing one list of allowed values and stored values (the 15 rights items, 是/否 columns) are
    parsed together."""
    groups: dict[tuple, list[S.Column]] = {}
    for col in frame.spec.columns:
        if col.kind in _CHOICE_KINDS and col.key in frame.cells:
            groups.setdefault((col.kind, col.choices, col.mapping), []).append(col)
    pre: dict[str, Parsed] = {}
    for cols in groups.values():
        if len(cols) > 1:
            pre.update(parse_choice_block(cols, [frame.cells[c.key] for c in cols]))
    return pre


def check_duplicates(t: Table, out: Collector) -> None:
    """A row repeating the key of an earlier row names that row (on the last key column)."""
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
    key_col = keys[-1]
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


def apply_row_checks(t: Table, out: Collector) -> None:
    """The sheet's declared row rules, in declaration order."""
    v = t.values
    for rule in t.spec.checks:
        if isinstance(rule, S.Compare):
            hit = _compare(v[rule.column], v[rule.other], rule.op)
        elif isinstance(rule, S.Conflict):
            cond = [(x is not None and x != rule.if_value) if rule.if_not else (x == rule.if_value)
                    for x in v[rule.if_column]]
            filled = pd.notna(v[rule.cell])
            hit = np.array(cond, dtype=bool) & (filled if rule.filled else ~filled)
        else:
            derived = DERIVATIONS[rule.derive](v[rule.source])
            cell = v[rule.column]
            hit = pd.notna(derived) & pd.notna(cell) & (derived != cell)
        out.cells(t, rule.column, np.asarray(hit, dtype=bool), rule.reason, rule.level)


def _compare(a: np.ndarray, b: np.ndarray, op: str) -> np.ndarray:
    if a.dtype.kind == "f" and b.dtype.kind == "f":
        return ((a < b) if op == "<" else (a > b)) & ~np.isnan(a) & ~np.isnan(b)
    f = operator.lt if op == "<" else operator.gt
    return np.array([x is not None and y is not None and f(x, y) for x, y in zip(a, b)], dtype=bool)


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
