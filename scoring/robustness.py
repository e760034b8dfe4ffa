"""Robustness annotation of the ranking (domain.md §4): Monte Carlo over weights and targets.

``monte_carlo(scores, catalogue, ...) -> DataFrame`` — one row per site (order of ``scores.sites``):

* ``site_code``, ``rank`` (official, unchanged), ``median_rank``, ``rank_p05``, ``rank_p95`` (ranks over the draws;
  quantiles use the "inverted CDF" method so each is a rank that actually occurred), ``qualified_prob``
  (share of draws in which the site is 五好达标), ``frame.attrs`` holds draws / seed / settings.

Each draw (fixed seed, numpy ``default_rng``; all draws generated up front in a fixed order):

* dimension weights: each dimension's points (20) × U[weight_low, weight_high], renormalised so the weights
  sum to the catalogue total (100); a dimension's points are multiplied by weight / dimension max;
* targets: one factor f ~ U[1 − spread, 1 + spread] per indicator per draw (the same for all sites):
  - ``target_mode = "span"`` (default): target' = target + (target − floor) × (f − 1), i.e. the distance from the
    floor is scaled by f (floor 0: exactly target × f); threshold targets are scaled as target × f;
  - ``"value"``: target' = target × f (a linear target is kept above its floor);
  - percentage targets of "up" indicators are capped at 100; deduct rules have no target and are unchanged;
* total, ranks (competition ranking on totals rounded to 2 decimals, as official) and 达标 (thresholds 85/14 and
  vetoes unchanged; the dimension check uses the unweighted dimension points) are recomputed.

The draw kernel repeats the operations of ``engine.score_month`` (``scoring.rules``) in the same order, so with
zero perturbation (weight_low = weight_high = 1, spread = 0) every draw reproduces the official totals bit for bit
and the median rank equals the official rank. For the default "span" mode a faster equivalent kernel
(``_SpanKernel``: per-site ratios computed once, divided by each draw's factor) is used; the general path
(perturbed targets + ``rules.points``) serves "value" mode. Draws are processed in chunks to bound memory.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .catalogue import Catalogue
from .engine import MonthScores, qualified_mask
from .rules import (LINEAR, OK, STATUS_CODES, THRESHOLD, RuleArrays, cents, cents_nonneg, competition_rank,
                    dimension_points,                     points, total_points)

CHUNK_ELEMENTS = 4_000_000
USE_SPAN_KERNEL = True   # the fast path for target_mode "span"; tests compare it with the general path


def score_matrices(scores: MonthScores, cat: Catalogue):
    """Rebuild (values, status codes, size-class index, veto) arrays from a MonthScores."""
    sites = scores.sites
    S, K = len(sites), len(cat.indicators)
    ind = scores.indicators
    codes = np.array(cat.codes, dtype=object)
    site_codes = sites["site_code"].to_numpy(dtype=object)
    layout_ok = (len(ind) == S * K
                 and (ind["code"].to_numpy(dtype=object) == np.tile(codes, S)).all()
                 and (ind["site_code"].to_numpy(dtype=object) == np.repeat(site_codes, K)).all())
    if not layout_ok:
        ind = (ind.set_index(["site_code", "code"])
               .reindex(pd.MultiIndex.from_product([sites["site_code"], codes], names=["site_code", "code"]))
               .reset_index())
        ind["status"] = ind["status"].fillna("缺报")
    V = ind["value"].to_numpy(dtype=float, na_value=np.nan).reshape(S, K)
    ST = ind["status"].map(STATUS_CODES).to_numpy(dtype=np.int8).reshape(S, K)
    size_idx = pd.Index(cat.size_classes).get_indexer(sites["size_class"].astype(object))
    size_idx = np.where(size_idx < 0, 0, size_idx)
    veto = sites["veto"].to_numpy(dtype=bool)
    return V, ST, size_idx, veto


def perturbed_targets(T: np.ndarray, f: np.ndarray, ra: RuleArrays, mode: str) -> np.ndarray:
    """T (S, K) base targets, f (C, K) factors -> (C, S, K)."""
    fl = np.where(np.isnan(ra.floor), 0.0, ra.floor)
    if mode == "span":
        Td = T[None, :, :] + (T - fl)[None, :, :] * (f[:, None, :] - 1.0)
    else:
        Td = T[None, :, :] * f[:, None, :]
        lin = ra.kind == 0
        eps = 1e-9 * np.maximum(1.0, np.abs(fl))
        Td = np.where(lin & ra.up, np.maximum(Td, fl + eps), Td)
        Td = np.where(lin & ~ra.up, np.minimum(Td, fl - eps), Td)
    cap = ra.percent & ra.up
    if cap.any():
        Td = np.where(cap & (T <= 100.0), np.minimum(Td, 100.0), Td)
    return Td


class _SpanKernel:
    """Points of a chunk of draws for target_mode "span", indicator-major layout (K, C, S).

    With the span rule target' − floor = (target − floor) × f, so a linear ratio is r0 / f where
    r0 = (value − floor)/(target − floor) is computed once per site — the same expression as the official
    kernel, hence bit-identical for f = 1. A cap of the target at 100 % becomes max(r0 / f, (value − floor)/(100 −
    floor)). Deduct rules and 缺报 / 不涉及 cells do not depend on the draw and keep their official points.
    """

    def __init__(self, V: np.ndarray, ST: np.ndarray, T: np.ndarray, ra: RuleArrays):
        self.ra = ra
        self.P0T = np.ascontiguousarray(points(V, ST, T, ra).T)          # (K, S) official points
        ok = ST == OK
        v = np.where(ok, V, 0.0)
        self.lin = np.flatnonzero(ra.kind == LINEAR)
        self.thr = np.flatnonzero(ra.kind == THRESHOLD)
        with np.errstate(invalid="ignore", divide="ignore"):
            F = ra.floor[self.lin]
            vl, tl = v[:, self.lin], T[:, self.lin]
            self.r0T = ((vl - F) / (tl - F)).T                            # (Kl, S)
            capped = (ra.percent & ra.up)[self.lin] & (tl <= 100.0)
            self.rcapT = np.where(capped, (vl - F) / (100.0 - F), -np.inf).T
        self.has_cap = capped.any(axis=0)
        self.ok_lin = ok[:, self.lin].T
        self.all_ok_lin = self.ok_lin.all(axis=1)
        self.v_thr = v[:, self.thr].T
        self.t_thr = T[:, self.thr].T
        self.cap_thr = ((ra.percent & ra.up)[self.thr][None, :] & (T[:, self.thr] <= 100.0)).T
        self.ok_thr = ok[:, self.thr].T

    def chunk(self, f: np.ndarray) -> np.ndarray:
        ra = self.ra
        C = f.shape[0]
        K, S = self.P0T.shape
        PT = np.empty((K, C, S))
        PT[:] = self.P0T[:, None, :]
        with np.errstate(invalid="ignore", divide="ignore"):
            for j, k in enumerate(self.lin):
                ratio = self.r0T[j][None, :] / f[:, k][:, None]
                if self.has_cap[j]:
                    np.maximum(ratio, self.rcapT[j][None, :], out=ratio)
                pts = np.clip(ratio, 0.0, 1.0) * ra.maxp[k]
                PT[k] = pts if self.all_ok_lin[j] else np.where(self.ok_lin[j][None, :], pts, PT[k])
            for j, k in enumerate(self.thr):
                t = self.t_thr[j][None, :] + self.t_thr[j][None, :] * (f[:, k][:, None] - 1.0)
                t = np.where(self.cap_thr[j][None, :], np.minimum(t, 100.0), t)
                met = self.v_thr[j][None, :] >= t if ra.up[k] else self.v_thr[j][None, :] <= t
                PT[k] = np.where(self.ok_thr[j][None, :], np.where(met, ra.maxp[k], 0.0), PT[k])
        return PT


def _dims_totals_T(PT: np.ndarray, ra: RuleArrays, factors: np.ndarray):
    """(K, C, S) points -> dims (nd, C, S) and totals (C, S), same operation order as rules.dimension_points /
    rules.total_points."""
    dims = np.empty((len(ra.dim_cols),) + PT.shape[1:])
    for d, cols in enumerate(ra.dim_cols):
        acc = PT[cols[0]].copy()
        for c in cols[1:]:
            acc += PT[c]
        dims[d] = acc
    total = dims[0] * factors[:, 0:1]
    for d in range(1, len(dims)):
        total = total + dims[d] * factors[:, d:d + 1]
    return dims, total


def monte_carlo(scores: MonthScores, catalogue: Catalogue, *, draws: int | None = None, seed: int | None = None,
                weight_low: float | None = None, weight_high: float | None = None,
                target_spread: float | None = None, target_mode: str | None = None,
                return_draws: bool = False):
    """Per-site rank distribution and 达标 probability. With ``return_draws`` also returns the (D, S) ranks."""
    cat = catalogue
    mc = cat.monte_carlo
    D = int(draws if draws is not None else mc.draws)
    seed = int(seed if seed is not None else mc.seed)
    wl = float(weight_low if weight_low is not None else mc.weight_low)
    wh = float(weight_high if weight_high is not None else mc.weight_high)
    spread = float(target_spread if target_spread is not None else mc.target_spread)
    mode = target_mode or mc.target_mode

    ra = RuleArrays.from_catalogue(cat)
    V, ST, size_idx, veto = score_matrices(scores, cat)
    S, K = V.shape
    nd = len(ra.dim_max)

    rng = np.random.default_rng(seed)
    u = rng.uniform(wl, wh, size=(D, nd))
    f = rng.uniform(1.0 - spread, 1.0 + spread, size=(D, K))
    w = ra.dim_max * u
    weights = w * (cat.total_points / w.sum(axis=1, keepdims=True))
    factors = weights / ra.dim_max                       # (D, nd); exactly 1.0 without perturbation

    T = ra.site_targets(size_idx)
    ranks = np.empty((D, S), dtype=np.int64)
    qual = np.zeros(S, dtype=np.int64)
    chunk = max(1, CHUNK_ELEMENTS // max(1, S * K))
    kernel = _SpanKernel(V, ST, T, ra) if USE_SPAN_KERNEL and mode == "span" and S else None
    min_total = int(round(cat.min_total * 100))
    min_dim = int(round(cat.min_dimension * 100))
    for a in range(0, D, chunk):
        b = min(D, a + chunk)
        if kernel is not None:
            dims, total = _dims_totals_T(kernel.chunk(f[a:b]), ra, factors[a:b])
            tc = cents_nonneg(total)                       # half-up, as the official figures
            dims_ok = (cents_nonneg(dims) >= min_dim).all(axis=0)
            qual += ((tc >= min_total) & dims_ok & ~veto[None, :]).sum(axis=0)
        else:
            Td = perturbed_targets(T, f[a:b], ra, mode)
            Dm = dimension_points(points(V, ST, Td, ra), ra)
            tc = cents(total_points(Dm, factors[a:b]))
            qual += qualified_mask(tc, cents(Dm), veto[None, :], cat).sum(axis=0)
        ranks[a:b] = competition_rank(tc) if S else ranks[a:b]

    if S and D:
        q = np.quantile(ranks, [0.5, 0.05, 0.95], axis=0, method="inverted_cdf").astype(np.int64)
    else:
        q = np.zeros((3, S), dtype=np.int64)
    out = pd.DataFrame({
        "site_code": scores.sites["site_code"].to_numpy(dtype=object),
        "rank": scores.sites["rank"].to_numpy(dtype=np.int64),
        "median_rank": q[0],
        "rank_p05": q[1],
        "rank_p95": q[2],
        "qualified_prob": qual / D if D else np.zeros(S),
    })
    out.attrs.update(draws=D, seed=seed, weight_low=wl, weight_high=wh, target_spread=spread, target_mode=mode,
                     catalogue_version=cat.version, month=scores.month)
    return (out, ranks) if return_draws else out


def rank_interval(p05: int, p95: int) -> str:
    """Display form of a rank interval: "3–7" (or "3" when both ends agree)."""
    return f"{int(p05)}" if int(p05) == int(p95) else f"{int(p05)}–{int(p95)}"
