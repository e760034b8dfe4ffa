"""权益保障 matrix (pure): per group (site or county) × rights item, the counts of 已落实 / 未落实 / 不适用 / blank
(漏项) and coverage = 已落实 / (all but 不适用) (domain.md §7, §11), optionally limited to one side (迁出地/迁入地) or
one service platform. R01's side follows the household's 户籍是否迁入 (blank → 迁出地).

Input is a *counts* frame — one row per (group, hukou_moved, item, stored status) with ``n`` — which the database
aggregates in SQL (data.households.rights_counts) and ``counts_from_households`` builds from a households frame.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from domain.rights import BLANK, DEST, DONE, NOT_APPLICABLE, OPEN, ORIGIN, RIGHTS, RIGHTS_CODES, SIDE_PLATFORM

COUNT_COLUMNS = ["group", "moved", "item", "status", "n"]
MATRIX_COLUMNS = ["group", "item", "done", "open", "blank", "not_applicable", "applicable", "gaps", "coverage"]
_STORED = {DONE.label: DONE.stored, OPEN.label: OPEN.stored, NOT_APPLICABLE.label: NOT_APPLICABLE.stored}


def counts_from_households(hh: pd.DataFrame, group: str = "site_code") -> pd.DataFrame:
    """Counts frame from a households frame whose R01..R15 hold labels (已落实/未落实/不适用/None) or stored ints."""
    moved = hh["hukou_moved"].eq(True).to_numpy() if len(hh) else np.zeros(0, bool)
    gi, groups = pd.factorize(hh[group], sort=False)
    key = gi.astype(np.int64) * 2 + moved
    stored = np.array([DONE.stored, OPEN.stored, NOT_APPLICABLE.stored, -1], dtype=np.int64)
    size = max(1, len(groups) * 2)
    parts = []
    for code in RIGHTS_CODES:
        col = hh[code]
        if not pd.api.types.is_numeric_dtype(col):
            col = col.astype(object).map(_STORED)
        v = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
        st = np.full(len(v), 3, dtype=np.int64)
        st[v == DONE.stored] = 0
        st[v == OPEN.stored] = 1
        st[v == NOT_APPLICABLE.stored] = 2
        cnt = np.bincount(key * 4 + st, minlength=size * 4)
        nz = np.flatnonzero(cnt)
        parts.append(pd.DataFrame({"group": groups.to_numpy()[nz // 8], "moved": (nz // 4) % 2 == 1,
                                   "item": code, "status": stored[nz % 4], "n": cnt[nz]}))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=COUNT_COLUMNS)
    return _normalise(out)


def _normalise(c: pd.DataFrame) -> pd.DataFrame:
    c = c.copy()
    c["status"] = pd.to_numeric(c["status"], errors="coerce").fillna(-1).astype(np.int64)
    c["moved"] = c["moved"].eq(True)
    return c[COUNT_COLUMNS]


def item_side(code: str, moved: np.ndarray) -> np.ndarray:
    """The responsible side of item ``code`` for each household (array of 迁入地/迁出地)."""
    it = next(r for r in RIGHTS if r.code == code)
    if it.side is not None:
        return np.full(len(moved), it.side, dtype=object)
    return np.where(moved, DEST, ORIGIN).astype(object)


def item_platform(code: str, moved: np.ndarray) -> np.ndarray:
    it = next(r for r in RIGHTS if r.code == code)
    if it.platform is not None:
        return np.full(len(moved), it.platform.label, dtype=object)
    return np.array([SIDE_PLATFORM[s].label for s in item_side(code, moved)], dtype=object)


def matrix(counts: pd.DataFrame, *, side: str | None = None, platform: str | None = None) -> pd.DataFrame:
    """One row per (group, item) holding any household in the chosen side/platform (MATRIX_COLUMNS)."""
    c = _normalise(counts)
    if len(c) and (side or platform):
        keep = np.ones(len(c), bool)
        moved = c["moved"].to_numpy()
        items = c["item"].to_numpy()
        for code in RIGHTS_CODES:
            rows = items == code
            if not rows.any():
                continue
            if side:
                keep[rows] &= item_side(code, moved[rows]) == side
            if platform:
                keep[rows] &= item_platform(code, moved[rows]) == platform
        c = c[keep]
    st = c["status"].to_numpy()
    n = c["n"].to_numpy(dtype=np.int64)
    f = pd.DataFrame({"group": c["group"].to_numpy(), "item": c["item"].to_numpy(),
                      "done": np.where(st == DONE.stored, n, 0), "open": np.where(st == OPEN.stored, n, 0),
                      "blank": np.where(st == -1, n, 0),
                      "not_applicable": np.where(st == NOT_APPLICABLE.stored, n, 0)})
    out = f.groupby(["group", "item"], sort=True).sum().reset_index()
    out["applicable"] = out["done"] + out["open"] + out["blank"]
    out["gaps"] = out["open"] + out["blank"]
    appl = out["applicable"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["coverage"] = np.where(appl > 0, out["done"].to_numpy() / np.where(appl > 0, appl, 1) * 100.0, np.nan)
    return out[MATRIX_COLUMNS]


def wide(mx: pd.DataFrame, value: str) -> pd.DataFrame:
    """group × R01..R15 of one value column (items absent for the side are NaN)."""
    if not len(mx):
        return pd.DataFrame(columns=RIGHTS_CODES)
    return mx.pivot(index="group", columns="item", values=value).reindex(columns=RIGHTS_CODES)


assert BLANK.stored is None  # blank is NULL in the store, -1 in a counts frame
