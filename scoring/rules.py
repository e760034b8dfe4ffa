"""Vectorised rule kernel shared by the official scoring (engine) and the Monte Carlo (robustness).

Both paths call the same functions with the same operation order, so with zero perturbation they produce
bit-identical totals and therefore identical ranks.

Shapes: ``S`` sites, ``K`` indicators (catalogue order), optional leading draw axis ``D``.
Status codes: ``OK`` (value present), ``MISSING`` (缺报: 0 points), ``NA`` (不涉及: full points).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

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


CENTS_TOLERANCE = 1e-6   # in hundredths: absorbs the binary error of a float sum that is exactly x.xx5


def cents(x: np.ndarray) -> np.ndarray:
    """Float → integer hundredths rounded half-up (away from zero), NaN → −1. For float kernels (the Monte Carlo)
    and for values that already have 2 decimals; official figures use ``half_up_cents`` on exact values. A sum
    within ``CENTS_TOLERANCE`` of a half-cent counts as the half-cent, so with zero perturbation the Monte Carlo
    rounds as the exact official figures do."""
    x = np.asarray(x, dtype=float)
    y = np.nan_to_num(x) * 100.0
    r = np.sign(y) * np.floor(np.abs(y) + 0.5 + CENTS_TOLERANCE)
    return np.where(np.isnan(x), -1, r).astype(np.int64)


def cents_nonneg(x: np.ndarray) -> np.ndarray:
    """``cents`` for finite values ≥ 0 (Monte Carlo totals and dimensions), without the sign and NaN handling."""
    return np.floor(np.asarray(x, dtype=float) * 100.0 + (0.5 + CENTS_TOLERANCE)).astype(np.int64)


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
    if span <= 16 * n and R * (span + 1) <= 50_000_000:
        # counting (values close together): rank = 1 + number of values in the row that are strictly greater
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


# ------------------------------------------------------------------------------------------------ exact arithmetic
# Official figures (domain.md §11 "Rounding") are computed on exact values and rounded half-up once, so 84.925
# prints 84.93 and 73.025 prints 73.03 — never half-to-even, never a binary-float artefact. A number enters as
# the decimal it was written as (a float via its shortest repr: 0.1 → 1/10); counts stay integers; ratios of
# counts stay fractions. The float kernel above remains the Monte Carlo's (an annotation, not an official figure).

def exact(x) -> Fraction | None:
    """Exact value of a number as written: int/Fraction as is, a float via its shortest decimal repr (the value
    that was typed or stored as text), Decimal exactly. None / NaN / ±inf → None."""
    if x is None:
        return None
    if isinstance(x, Fraction):
        return x
    if isinstance(x, (bool, np.bool_)):
        return Fraction(int(x))
    if isinstance(x, (int, np.integer)):
        return Fraction(int(x))
    if isinstance(x, Decimal):
        return Fraction(x) if x.is_finite() else None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    if math.isnan(f) or math.isinf(f):
        return None
    if f.is_integer():
        return Fraction(int(f))
    return Fraction(repr(f))                             # the shortest decimal that reads back as f


def half_up_cents(x: Fraction | int) -> int:
    """Exact value → integer hundredths, rounded half away from zero (四舍五入): 84.925 → 8493, −0.005 → −1."""
    if isinstance(x, int):
        return x * 100
    n, d = x.numerator * 100, x.denominator              # integer arithmetic: (2n + d) // 2d = ⌊n/d + ½⌋
    return (2 * n + d) // (2 * d) if n >= 0 else -((-2 * n + d) // (2 * d))


def pct_cents(num, den) -> np.ndarray:
    """Integer hundredths of num/den × 100 rounded half-up, exactly, for integer counts (vectorised); −1 where
    den ≤ 0. E.g. 1/8 → 12.5 % → 1250; 1/3 → 33.33 % → 3333; 2/3 → 6667."""
    num = np.asarray(num, dtype=np.int64)
    den = np.asarray(den, dtype=np.int64)
    d = np.where(den > 0, den, 1)
    return np.where(den > 0, (2 * num * 10_000 + d) // (2 * d), -1).astype(np.int64)


def pct_round(num, den) -> np.ndarray:
    """Rates in % with 2 decimals (half-up on the exact ratio of counts); NaN where den ≤ 0."""
    c = pct_cents(num, den)
    return np.where(c >= 0, c / 100.0, np.nan)


@dataclass(frozen=True)
class ExactRules:
    """The catalogue's rule parameters as exact fractions (None where a rule has no such parameter)."""
    kind: tuple[int, ...]
    up: tuple[bool, ...]
    floor: tuple[Fraction | None, ...]
    targets: tuple[tuple[Fraction | None, ...], ...]      # [size class][indicator]
    per: tuple[Fraction | None, ...]
    deduct_from: tuple[Fraction | None, ...]
    maxp: tuple[Fraction, ...]
    dim_cols: tuple[tuple[int, ...], ...]

    @classmethod
    def from_catalogue(cls, cat: Catalogue) -> "ExactRules":
        inds = cat.indicators
        ra = RuleArrays.from_catalogue(cat)
        return cls(
            kind=tuple(int(k) for k in ra.kind), up=tuple(bool(u) for u in ra.up),
            floor=tuple(exact(i.floor) for i in inds),
            targets=tuple(tuple(exact(i.targets[s]) if i.targets is not None else None for i in inds)
                          for s in range(len(cat.size_classes))),
            per=tuple(exact(i.per) for i in inds),
            deduct_from=tuple(exact(i.deduct_from) for i in inds),
            maxp=tuple(exact(i.points) for i in inds),
            dim_cols=tuple(tuple(int(c) for c in cols) for cols in ra.dim_cols),
        )


def exact_points(X: np.ndarray, status: np.ndarray, size_index: np.ndarray, er: ExactRules) -> np.ndarray:
    """(S, K) object array of exact points (Fractions): the rules of ``points`` on exact values."""
    S, K = status.shape
    out = np.empty((S, K), dtype=object)
    zero, one = Fraction(0), Fraction(1)
    for s in range(S):
        tg = er.targets[int(size_index[s])]
        for k in range(K):
            st, mx = status[s, k], er.maxp[k]
            if st == MISSING:
                out[s, k] = zero
                continue
            if st == NA:
                out[s, k] = mx
                continue
            v, kind = X[s, k], er.kind[k]
            if kind == LINEAR:
                f = er.floor[k]
                ratio = (v - f) / (tg[k] - f)
                out[s, k] = mx * min(max(ratio, zero), one)
            elif kind == THRESHOLD:
                met = v >= tg[k] if er.up[k] else v <= tg[k]
                out[s, k] = mx if met else zero
            else:
                count = v if er.deduct_from[k] is None else er.deduct_from[k] - v
                out[s, k] = min(max(mx - er.per[k] * count, zero), mx)
    return out


def exact_dimensions(P: np.ndarray, er: ExactRules) -> np.ndarray:
    """(S, K) exact points → (S, n_dims) exact dimension sums."""
    S = P.shape[0]
    out = np.empty((S, len(er.dim_cols)), dtype=object)
    for s in range(S):
        for d, cols in enumerate(er.dim_cols):
            out[s, d] = sum((P[s, c] for c in cols), Fraction(0))
    return out


def cents_of(a: np.ndarray) -> np.ndarray:
    """Object array of exact values → int64 hundredths, each rounded half-up once."""
    flat = [half_up_cents(x) for x in np.asarray(a, dtype=object).reshape(-1)]
    return np.array(flat, dtype=np.int64).reshape(np.shape(a))
