"""Vectorised rule kernel shared by the official scoring (engine) and the Monte Carlo (robustness).

Both paths call the same functions with the same operation order, so with zero perturbation they produce
bit-identical totals and therefore identical ranks.

Shapes: ``S`` sites, ``K`` indicators (catalogue order), optional leading draw axis ``D``.
Status codes: ``OK`` (value present), ``MISSING`` (缺报: 0 points), ``NA`` (不涉及: full points).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .catalogue import Catalogue

OK, MISSING, NA = 0, 1, 2
STATUS_LABELS = {OK: "ok", MISSING: "缺报", NA: "不涉及"}
STATUS_CODES = {v: k for k, v in STATUS_LABELS.items()}

LINEAR, THRESHOLD, DEDUCT = 0, 1, 2
_RULE_CODES = {"linear": LINEAR, "threshold": THRESHOLD, "deduct": DEDUCT}


@dataclass(frozen=True)
class RuleArrays:
    """Per-indicator parameters of a catalogue as numpy arrays (length K)."""
    kind: np.ndarray          # int: LINEAR / THRESHOLD / DEDUCT
    up: np.ndarray            # bool
    floor: np.ndarray         # float (NaN unless linear)
    targets: np.ndarray       # (n_size_classes, K) float (NaN for deduct)
    per: np.ndarray           # float (NaN unless deduct)
    deduct_from: np.ndarray   # float (NaN: count = value)
    maxp: np.ndarray          # float
    percent: np.ndarray       # bool: unit is %
    dim_index: np.ndarray     # int: dimension of each indicator
    dim_max: np.ndarray       # (n_dims,) float
    dim_cols: tuple[np.ndarray, ...]  # indicator columns of each dimension, in catalogue order

    @classmethod
    def from_catalogue(cls, cat: Catalogue) -> "RuleArrays":
        inds = cat.indicators
        nan = np.nan
        dkeys = [d.key for d in cat.dimensions]
        dim_index = np.array([dkeys.index(i.dimension) for i in inds], dtype=np.int64)
        targets = np.array([[i.targets[s] if i.targets is not None else nan for i in inds]
                            for s in range(len(cat.size_classes))], dtype=float)
        return cls(
            kind=np.array([_RULE_CODES[i.rule] for i in inds], dtype=np.int64),
            up=np.array([i.direction == "up" for i in inds], dtype=bool),
            floor=np.array([i.floor if i.floor is not None else nan for i in inds], dtype=float),
            targets=targets,
            per=np.array([i.per if i.per is not None else nan for i in inds], dtype=float),
            deduct_from=np.array([i.deduct_from if i.deduct_from is not None else nan for i in inds], dtype=float),
            maxp=np.array([i.points for i in inds], dtype=float),
            percent=np.array([i.unit == "%" for i in inds], dtype=bool),
            dim_index=dim_index,
            dim_max=np.array([d.points for d in cat.dimensions], dtype=float),
            dim_cols=tuple(np.flatnonzero(dim_index == k) for k in range(len(dkeys))),
        )

    def site_targets(self, size_index: np.ndarray) -> np.ndarray:
        """(S, K) targets for sites of the given size-class indices."""
        return self.targets[np.asarray(size_index, dtype=np.int64)]


def points(values: np.ndarray, status: np.ndarray, targets: np.ndarray, ra: RuleArrays) -> np.ndarray:
    """Points of every (site, indicator), optionally with a leading draw axis on ``targets``.

    values, status: (S, K); targets: (S, K) or (D, S, K). Returns the broadcast shape.
    """
    values = np.asarray(values, dtype=float)
    shape = np.broadcast_shapes(values.shape, targets.shape)
    out = np.empty(shape, dtype=float)
    v = np.where(status == OK, values, 0.0)          # avoid NaN warnings; masked below anyway
    with np.errstate(invalid="ignore", divide="ignore"):
        lin = np.flatnonzero(ra.kind == LINEAR)
        if lin.size:
            f = ra.floor[lin]
            ratio = (v[..., lin] - f) / (targets[..., lin] - f)
            out[..., lin] = np.clip(ratio, 0.0, 1.0) * ra.maxp[lin]
        thr = np.flatnonzero(ra.kind == THRESHOLD)
        if thr.size:
            vv, tt = v[..., thr], targets[..., thr]
            met = np.where(ra.up[thr], vv >= tt, vv <= tt)
            out[..., thr] = np.where(met, ra.maxp[thr], 0.0)
        ded = np.flatnonzero(ra.kind == DEDUCT)
        if ded.size:
            df = ra.deduct_from[ded]
            count = np.where(np.isnan(df), v[..., ded], df - v[..., ded])
            out[..., ded] = np.clip(ra.maxp[ded] - ra.per[ded] * count, 0.0, ra.maxp[ded])
    out = np.where(status == MISSING, 0.0, out)
    out = np.where(status == NA, ra.maxp, out)
    return out


def dimension_points(pts: np.ndarray, ra: RuleArrays) -> np.ndarray:
    """(..., S, K) -> (..., S, n_dims): indicator points summed left to right within each dimension."""
    dims = np.empty(pts.shape[:-1] + (len(ra.dim_cols),), dtype=float)
    for k, cols in enumerate(ra.dim_cols):
        acc = pts[..., cols[0]].copy()
        for c in cols[1:]:
            acc += pts[..., c]
        dims[..., k] = acc
    return dims


def total_points(dims: np.ndarray, factors: np.ndarray | None = None) -> np.ndarray:
    """(..., S, n_dims) -> (..., S). ``factors`` (..., n_dims) multiply each dimension (weights / dim max)."""
    n = dims.shape[-1]
    if factors is None:
        factors = np.ones(n)
    factors = np.asarray(factors, dtype=float)
    acc = dims[..., 0] * factors[..., 0:1] if factors.ndim > 1 else dims[..., 0] * factors[0]
    for k in range(1, n):
        acc = acc + (dims[..., k] * (factors[..., k:k + 1] if factors.ndim > 1 else factors[k]))
    return acc


def cents(x: np.ndarray) -> np.ndarray:
    """Round to 2 decimals as integer hundredths (the displayed value); NaN -> -1."""
    x = np.asarray(x, dtype=float)
    return np.where(np.isnan(x), -1, np.rint(np.nan_to_num(x) * 100.0)).astype(np.int64)


def competition_rank(c: np.ndarray) -> np.ndarray:
    """Rank 1 = highest value; equal values share the best rank (1, 2, 2, 4). Works on the last axis."""
    c = np.asarray(c)
    if c.shape[-1] == 0:
        return np.zeros(c.shape, dtype=np.int64)
    if c.ndim == 1:
        s = np.sort(-c)
        return np.searchsorted(s, -c, side="left").astype(np.int64) + 1
    c2 = c.reshape(-1, c.shape[-1]).astype(np.int64)
    lo, hi = int(c2.min()), int(c2.max())
    span = hi - lo + 1
    R, n = c2.shape
    if span <= 50_000 and R * (span + 1) <= 50_000_000:
        # counting: rank = 1 + number of values in the row that are strictly greater
        idx = c2 - lo
        rows = np.arange(R, dtype=np.int64)[:, None]
        counts = np.bincount((rows * (span + 1) + idx).reshape(-1), minlength=R * (span + 1)).reshape(R, span + 1)
        suffix = np.cumsum(counts[:, ::-1], axis=1)[:, ::-1]          # suffix[r, x] = #values ≥ lo + x
        r = np.take_along_axis(suffix, idx + 1, axis=1) + 1
    else:
        # offset each row so one flat searchsorted ranks all rows at once (integers: exact)
        rows = np.arange(R, dtype=np.int64)[:, None]
        key = rows * span + (hi - c2)                  # ascending key = descending value within a row
        flat = np.sort(key, axis=None)
        r = np.searchsorted(flat, key, side="left") - rows * n + 1
    return r.reshape(c.shape).astype(np.int64)


def group_competition_rank(c: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Competition rank within each group (last axis), e.g. rank within size class."""
    c = np.asarray(c, dtype=np.int64)
    groups = np.asarray(groups, dtype=np.int64)
    out = np.zeros(c.shape, dtype=np.int64)
    for g in np.unique(groups):
        m = groups == g
        out[..., m] = competition_rank(c[..., m])
    return out
