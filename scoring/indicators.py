"""Indicator values per site and month (domain.md §4 derived definitions and §11 precise definitions).

``compute_values(md, catalogue=None)`` returns a long frame, one row per (site, indicator) in site-code order and
catalogue order, with columns:

* ``site_code``, ``code``
* ``value``   float; NaN unless status is ``ok``. Percentages 0–100.
* ``status``  ``"ok"`` / ``"缺报"`` (missing: 0 points) / ``"不涉及"`` (not applicable: full points, no veto)
* ``veto_value`` float: the input of the indicator's veto rule (its own value, or e.g. S4's 重大群体性事件数);
  NaN when the indicator has no veto or the input is unknown.

Ledger derivations (source L):

* Labour rows belong to the site of their household (``household_code`` → ``households.site_code``); a row whose
  household is not in the month's household ledger falls back to the labour row's own ``site_code``.
* I2 = labourers whose 就业形式 is 帮扶车间 or 园区企业 / labourers; E1 = employed / labourers;
  E3 = trained / labourers; E4 = certified / labourers (all labourers of the site, §11).
  Status: ok when the site lists labourers in 劳动力; otherwise 缺报 (§11 "Zero denominators": nothing to divide
  by is 缺报, 0 points — never 不涉及, whatever the households declare).
* E2 = households with 劳动力人数 ≥ 1 and no employed labourer in the labour ledger. 缺报 when the site lists no
  labourer (or has no households); a 缺报 E2 never triggers its veto.
* E5 = Σ(本年人均纯收入 × 家庭人口) / Σ(上年人均纯收入 × 家庭人口) − 1 (in %), over households having both incomes
  and a family size; 缺报 when there is none (or the previous-year sum is 0).
* P2/P3/P4 = pooled coverage of R10/R11/R13: 已落实 / (pairs not 不适用); blank counts in the denominator.
  All 不适用 → 不涉及. P5 = households with R14 or R15 = 未落实 (blank is not 应保未保).
* N2/N3 = pooled coverage of all destination-/origin-side (household, item) pairs; R01 is 迁入地 when
  ``hukou_moved`` is True, else 迁出地 (blank → 迁出地). All 不适用 → 不涉及.
* Household-derived indicators (P2–P5, N2, N3, E5, E2) are 缺报 for a site with no households this month.
* P1 = platforms marked True (of 3), N1 = Σ min(已设, 应设) / Σ 应设 over the ten posts; both 缺报 when the site
  has no organisation row (or P1's three flags are all blank / every 应设 blank); N1 with Σ 应设 = 0 is 缺报 too
  (§11: only rights items can be 不涉及).
* A site with no household and no labour row for the month has not reported its ledgers: **all** its L indicators
  are 缺报 (P1 and N1 too, even if an organisation row exists).
* Reported indicators (source R) read the catalogue's ``field`` of ``md.reported``; a missing row or NaN → 缺报.

Exact values (§11 "Rounding"): ``compute_wide(..., exact_values=True)`` also returns an (S, K) object array of
``fractions.Fraction`` (None unless ok): ratios of counts as fractions (2 of 3 labourers → 200/3 %), numbers as
written (a float via its shortest repr), E5 from exact income sums. The float ``value`` is the nearest float.
"""
from __future__ import annotations

import functools
from fractions import Fraction

import numpy as np
import pandas as pd

try:  # pyarrow backs pandas' default string dtype; used only as a fast path
    import pyarrow as pa
    import pyarrow.compute as pc
except ImportError:  # pragma: no cover
    pa = pc = None

from domain.labour import WORKSHOP_FORMS
from domain.organisation import PLATFORMS, POSTS
from domain.rights import (ASSISTANCE_ITEMS, DEST, EDUCATION_ITEM, HUKOU_ITEM, MEDICAL_ITEM, ORIGIN, PENSION_ITEM,
                           RIGHT_DONE, RIGHT_NA, RIGHT_OPEN, RIGHTS, RIGHTS_CODES)

from .catalogue import Catalogue, load_catalogue
from .frames import MonthData
from .rules import MISSING, NA, OK, STATUS_LABELS, exact

# Side of each rights item (domain.md §7); None: by hukou_moved (R01).
ITEM_SIDE = {r.code: r.side for r in RIGHTS}


# ------------------------------------------------------------------------------------------------ helpers
def truthy(s: pd.Series) -> np.ndarray:
    """Boolean array: True only where the cell is True (None/NaN/False → False)."""
    if len(s) == 0:
        return np.zeros(0, dtype=bool)
    if s.dtype == bool:
        return s.to_numpy()
    if s.dtype == object:
        return np.asarray(s.to_numpy() == True, dtype=bool)  # noqa: E712 (elementwise, None → False)
    return s.eq(True).to_numpy(dtype=bool, na_value=False)


def numeric(s: pd.Series) -> np.ndarray:
    """Float array (NaN for missing or non-numeric)."""
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        return s.to_numpy(dtype=float, na_value=np.nan)
    return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _arrow(values) -> "pa.Array | None":
    """The pyarrow array behind an arrow-backed string Series/Index, else None."""
    if pa is None:
        return None
    arr = getattr(values, "array", values)
    if hasattr(arr, "__arrow_array__"):
        try:
            a = pa.array(arr)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
            return None
        if pa.types.is_string(a.type) or pa.types.is_large_string(a.type):
            return a
    return None


def lookup(keys: pd.Series, universe) -> np.ndarray:
    """Position of each key in ``universe`` (first occurrence), −1 when absent. Fast path for arrow strings."""
    if len(keys) == 0:
        return np.zeros(0, dtype=np.int64)
    if len(universe) == 0:
        return np.full(len(keys), -1, dtype=np.int64)
    ka, ua = _arrow(keys), _arrow(universe)
    if ka is not None:
        if ua is None:
            try:
                ua = pa.array(pd.Index(universe).to_numpy(dtype=object), from_pandas=True)
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
                ua = None
        if ua is not None and ua.type != ka.type:
            try:
                ua = ua.cast(ka.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                ua = None
        if ua is not None:
            return pc.index_in(ka, value_set=ua).fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    uni = pd.Index(universe)
    if uni.is_unique:
        return uni.get_indexer(keys).astype(np.int64)
    first = ~uni.duplicated(keep="first")
    pos = np.flatnonzero(first)
    r = uni[first].get_indexer(keys)
    return np.where(r >= 0, pos[np.clip(r, 0, None)], -1).astype(np.int64)


DONE, OPEN, NOT_APPLICABLE, BLANK = 0, 1, 2, 3
_STATUS_VALUES = [RIGHT_DONE, RIGHT_OPEN, RIGHT_NA]


def status_codes(s: pd.Series) -> np.ndarray:
    """Rights column -> int8 codes DONE/OPEN/NOT_APPLICABLE/BLANK (anything unknown counts as blank = 漏项)."""
    n = len(s)
    if n == 0:
        return np.zeros(0, dtype=np.int8)
    if isinstance(s.dtype, pd.CategoricalDtype):       # one code per category; a missing value is blank
        lut = [_STATUS_VALUES.index(c) if isinstance(c, str) and c in _STATUS_VALUES else BLANK
               for c in s.cat.categories]
        return np.array([*lut, BLANK], dtype=np.int8)[s.cat.codes.to_numpy()]
    a = _arrow(s)
    if a is not None:
        c = pc.index_in(a, value_set=pa.array(_STATUS_VALUES, type=a.type)).fill_null(BLANK)
        return c.to_numpy(zero_copy_only=False).astype(np.int8)
    # object column: elementwise comparisons (≈ 1 ns·10 per cell); the rarer values only on the remaining
    # cells when few remain
    v = s.to_numpy(dtype=object)
    done = v == RIGHT_DONE
    out = np.full(n, BLANK, dtype=np.int8)
    out[done] = DONE
    rest = np.flatnonzero(~done)
    if 0 < rest.size <= n // 8:
        r = v[rest]
        out[rest[r == RIGHT_OPEN]] = OPEN
        out[rest[r == RIGHT_NA]] = NOT_APPLICABLE
    elif rest.size:
        out[v == RIGHT_OPEN] = OPEN
        out[v == RIGHT_NA] = NOT_APPLICABLE
    return out


def dedupe(df: pd.DataFrame, key: str) -> pd.DataFrame:
    if df[key].is_unique:
        return df
    return df.drop_duplicates(key, keep="last")


def site_order(md: MonthData) -> pd.Index:
    """Canonical site order: by site_code."""
    codes = md.sites["site_code"].astype(object).drop_duplicates()
    return pd.Index(sorted(codes.tolist()), dtype=object, name="site_code")


class _Ledger:
    """Integer-indexed view of a month's ledgers for fast per-site aggregation."""

    def __init__(self, md: MonthData, sites: pd.Index):
        self.md = md
        self.sites = sites
        self.S = S = len(sites)
        hh = dedupe(md.households, "household_code")
        hs = lookup(hh["site_code"], sites)
        if not (hs >= 0).all():
            keep = hs >= 0
            hh, hs = hh[keep], hs[keep]
        self.hh = hh
        self.hh_site = hs.astype(np.int64)
        self.n_hh = np.bincount(self.hh_site, minlength=S)
        lab = md.labour
        hidx = lookup(lab["household_code"], self.hh["household_code"])
        ls = self.hh_site[np.clip(hidx, 0, None)] if len(self.hh) else np.full(len(lab), -1, dtype=np.int64)
        orphan = hidx < 0
        if orphan.any():  # household not in this month's ledger: fall back to the labour row's own site_code
            ls = ls.copy()
            ls[orphan] = lookup(lab["site_code"][orphan], sites)
        keep = ls >= 0
        self.lab = lab if keep.all() else lab[keep]
        self.lab_site = ls[keep].astype(np.int64)
        self.lab_hh = hidx[keep].astype(np.int64)
        self.n_lab = np.bincount(self.lab_site, minlength=S).astype(float)

    def site_sum(self, idx: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(idx, weights=weights, minlength=self.S).astype(float)

    @functools.cached_property
    def codes(self) -> np.ndarray:
        """(households, 15) int8 status codes of the rights items R01–R15 (status_codes), computed once."""
        codes = np.empty((len(self.hh), len(RIGHTS_CODES)), dtype=np.int8)
        for k, c in enumerate(RIGHTS_CODES):
            codes[:, k] = status_codes(self.hh[c])
        codes.flags.writeable = False
        return codes


def month_ledger(md: MonthData, sites: pd.Index) -> _Ledger:
    """The month's _Ledger over `sites`, built once per MonthData: the site scores, the rights and employment
    figures and the county figures of one month all read the same ledger (its indices and rights codes), so it is
    kept on the MonthData beside the very frames and sites it was built from; replacing a frame or asking for
    other sites builds it afresh. Scoring never changes its input frames, so the kept ledger stays theirs."""
    key = (md.households, md.labour, tuple(sites))
    kept = md.__dict__.get("_ledger")
    if kept is not None and kept[0][0] is key[0] and kept[0][1] is key[1] and kept[0][2] == key[2]:
        return kept[1]
    ledger = _Ledger(md, sites)
    md.__dict__["_ledger"] = (key, ledger)
    return ledger


def _pct_exact(num: np.ndarray, den: np.ndarray) -> list:
    """Exact num/den × 100 per element for integer-valued counts (None where den ≤ 0)."""
    return [Fraction(100 * int(n), int(d)) if d > 0 else None for n, d in zip(num, den)]


def _weighted_sums_exact(x: np.ndarray, w: np.ndarray, ok: np.ndarray, idx: np.ndarray, S: int) -> list:
    """Exact Σ x·w per site over rows ``ok`` (x, w as written). Fast integer path for amounts with ≤ 2 decimals
    and integer weights (the usual ledger); any other row is added as an exact fraction."""
    with np.errstate(invalid="ignore", over="ignore"):
        c = np.rint(x * 100.0)
        wi = np.rint(w)
        fast = ok & (np.abs(c) < 2.0 ** 31) & (c / 100.0 == x) & (np.abs(wi) < 2.0 ** 10) & (wi == w)
    acc = np.zeros(S, dtype=np.int64)
    if fast.any():
        np.add.at(acc, idx[fast], c[fast].astype(np.int64) * wi[fast].astype(np.int64))
    out = [Fraction(int(a), 100) for a in acc]
    for i in np.flatnonzero(ok & ~fast):
        out[idx[i]] += exact(x[i]) * exact(w[i])
    return out


def _pct(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0) * 100.0, np.nan)


def rights_counts(hh: pd.DataFrame, group: np.ndarray, n_groups: int,
                  codes: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Pooled rights counts per group (e.g. site or county index of each household).

    Returns for each item ``<R>`` an (n_groups, 4) count matrix by status code (DONE, OPEN, NOT_APPLICABLE,
    BLANK), and for each side ``迁入地`` / ``迁出地`` the same matrix pooled over that side's (household, item)
    pairs (R01 by hukou_moved: True → 迁入地, else 迁出地), plus ``P5`` = households with R14 or R15 未落实.
    """
    group = np.asarray(group, dtype=np.int64)
    n, m = len(hh), len(RIGHTS_CODES)
    if codes is None:        # (the status codes of hh's rights columns, when the caller has them already)
        codes = np.empty((n, m), dtype=np.int8)
        for k, code in enumerate(RIGHTS_CODES):
            codes[:, k] = status_codes(hh[code])
    counts = np.empty((n_groups, m, 4))
    g4 = group * 4
    for k in range(m):
        counts[:, k, :] = np.bincount(g4 + codes[:, k], minlength=n_groups * 4).reshape(n_groups, 4)
    out: dict[str, np.ndarray] = {code: counts[:, k, :] for k, code in enumerate(RIGHTS_CODES)}
    dest_items = [k for k, c in enumerate(RIGHTS_CODES) if ITEM_SIDE[c] == DEST]
    origin_items = [k for k, c in enumerate(RIGHTS_CODES) if ITEM_SIDE[c] == ORIGIN]
    r01 = RIGHTS_CODES.index(HUKOU_ITEM)
    moved = truthy(hh["hukou_moved"])
    r01_dest = np.bincount(group[moved] * 4 + codes[moved, r01], minlength=n_groups * 4).reshape(n_groups, 4)
    out[DEST] = counts[:, dest_items, :].sum(axis=1) + r01_dest
    out[ORIGIN] = counts[:, origin_items, :].sum(axis=1) + (counts[:, r01, :] - r01_dest)
    i14, i15 = (RIGHTS_CODES.index(c) for c in ASSISTANCE_ITEMS)
    open_14_15 = (codes[:, i14] == OPEN) | (codes[:, i15] == OPEN)
    out["P5"] = np.bincount(group, weights=open_14_15.astype(float), minlength=n_groups)
    return out


def coverage_pct(counts: np.ndarray) -> np.ndarray:
    """Pooled coverage in % from an (n, 4) status-count matrix: 已落实 / (all − 不适用); NaN when none applies."""
    return _pct(counts[:, DONE], counts.sum(axis=1) - counts[:, NOT_APPLICABLE])


# ------------------------------------------------------------------------------------------------ main
def compute_wide(md: MonthData, catalogue: Catalogue | None = None, *, exact_values: bool = False):
    """Wide form: (sites Index, values (S,K), status codes (S,K) int8, veto_values (S,K)), catalogue order;
    with ``exact_values`` a fifth element, the (S, K) object array of exact values (Fraction, None unless ok)."""
    cat = catalogue or load_catalogue()
    sites = site_order(md)
    S = len(sites)
    L = month_ledger(md, sites)
    vals: dict[str, np.ndarray] = {}
    stat: dict[str, np.ndarray] = {}
    xv: dict[str, list] = {}      # exact values of the ledger-derived indicators

    has_hh = L.n_hh > 0
    hh = L.hh

    # --- labour rates
    lab = L.lab
    lab_status = np.where(L.n_lab > 0, OK, MISSING)      # no labourer listed: nothing to divide by → 缺报
    employed = truthy(lab["employed"])
    forms = lab["employment_form"].isin(WORKSHOP_FORMS).to_numpy(dtype=bool, na_value=False)
    for code, flags in (("I2", forms), ("E1", employed), ("E3", truthy(lab["trained"])),
                        ("E4", truthy(lab["certified"]))):
        n = L.site_sum(L.lab_site, flags.astype(float))
        vals[code] = _pct(n, L.n_lab)
        xv[code] = _pct_exact(n, L.n_lab)
        stat[code] = lab_status

    # --- E2 zero-employment households
    hh_emp = np.bincount(L.lab_hh[(L.lab_hh >= 0) & employed], minlength=len(hh)) if len(hh) else np.zeros(0)
    lc = numeric(hh["labour_count"])
    zero = (np.nan_to_num(lc) >= 1) & (hh_emp == 0)
    vals["E2"] = L.site_sum(L.hh_site, zero.astype(float))
    stat["E2"] = np.where(has_hh & (L.n_lab > 0), OK, MISSING)

    # --- E5 income growth, pooled by family size
    prev, curr, fs = numeric(hh["income_prev"]), numeric(hh["income_curr"]), numeric(hh["family_size"])
    ok = ~np.isnan(prev) & ~np.isnan(curr) & ~np.isnan(fs)
    num_x = _weighted_sums_exact(curr, fs, ok, L.hh_site, S)
    den_x = _weighted_sums_exact(prev, fs, ok, L.hh_site, S)
    xv["E5"] = [(n / d - 1) * 100 if d > 0 else None for n, d in zip(num_x, den_x)]
    den = np.array([float(d) for d in den_x], dtype=float)
    vals["E5"] = np.array([float(x) if x is not None else np.nan for x in xv["E5"]], dtype=float)
    stat["E5"] = np.where(has_hh & (den > 0), OK, MISSING)

    # --- rights: P2 P3 P4 P5 N2 N3
    rc = rights_counts(hh, L.hh_site, S, codes=L.codes)
    for code, key in (("P2", EDUCATION_ITEM), ("P3", MEDICAL_ITEM), ("P4", PENSION_ITEM), ("N2", DEST),
                      ("N3", ORIGIN)):
        m = rc[key]
        applicable = m.sum(axis=1) - m[:, NOT_APPLICABLE]
        vals[code] = coverage_pct(m)
        xv[code] = _pct_exact(m[:, DONE], applicable)
        stat[code] = np.where(~has_hh, MISSING, np.where(applicable > 0, OK, NA))
    vals["P5"] = rc["P5"]
    stat["P5"] = np.where(has_hh, OK, MISSING)

    # --- organisation: P1, N1
    org = dedupe(md.organisation, "site_code")
    oi = lookup(org["site_code"], sites)
    org = org[oi >= 0]
    oi = oi[oi >= 0]
    p1 = np.full(S, np.nan)
    p1_stat = np.full(S, MISSING)
    if len(org):
        flags = np.column_stack([truthy(org[c]) for c, _ in PLATFORMS])
        known = np.column_stack([org[c].notna().to_numpy() for c, _ in PLATFORMS]).any(axis=1)
        p1[oi] = flags.sum(axis=1)
        p1_stat[oi] = np.where(known, OK, MISSING)
    vals["P1"], stat["P1"] = p1, p1_stat
    n1 = np.full(S, np.nan)
    n1_stat = np.full(S, MISSING)
    n1_x: list = [None] * S
    if len(org):
        req = np.column_stack([numeric(org[f"{c}_required"]) for c, _ in POSTS])
        act = np.column_stack([numeric(org[f"{c}_actual"]) for c, _ in POSTS])
        any_req = (~np.isnan(req)).any(axis=1)
        req0 = np.clip(np.nan_to_num(req), 0, None)
        act0 = np.clip(np.nan_to_num(act), 0, None)
        filled = np.minimum(act0, req0).sum(axis=1)
        rsum = req0.sum(axis=1)
        n1[oi] = _pct(filled, rsum)
        # Σ 应设 = 0 (or all blank): nothing to divide by → 缺报 (§11)
        n1_stat[oi] = np.where(any_req & (rsum > 0), OK, MISSING)
        for r, s in enumerate(oi):
            rs = sum((exact(x) for x in req0[r]), Fraction(0))
            fs = sum((min(exact(a), exact(q)) for a, q in zip(act0[r], req0[r])), Fraction(0))
            n1_x[s] = fs / rs * 100 if rs > 0 else None
    vals["N1"], stat["N1"] = n1, n1_stat
    xv["N1"] = n1_x

    # --- reported indicators
    rep = dedupe(md.reported, "site_code")
    ri = lookup(rep["site_code"], sites)
    rep = rep[ri >= 0]
    ri = ri[ri >= 0]

    def reported_field(field: str) -> np.ndarray:
        a = np.full(S, np.nan)
        if len(rep):
            a[ri] = numeric(rep[field])
        return a

    # a site without any household or labour row this month has not reported its ledgers: every L indicator
    # (also P1 / N1 from the organisation sheet) is 缺报
    no_ledgers = (L.n_hh == 0) & (L.n_lab == 0)
    K = len(cat.indicators)
    V = np.full((S, K), np.nan)
    ST = np.full((S, K), MISSING, dtype=np.int8)
    VETO = np.full((S, K), np.nan)
    X = np.full((S, K), None, dtype=object)
    for k, ind in enumerate(cat.indicators):
        if ind.source == "R":
            v = reported_field(ind.field)
            st = np.where(np.isnan(v), MISSING, OK)
            x = None
        else:
            v, st = vals[ind.code], np.where(no_ledgers, MISSING, stat[ind.code])
            x = xv.get(ind.code)
        st = np.asarray(st, dtype=np.int8)
        v = np.where(st == OK, v, np.nan)
        st = np.where((st == OK) & np.isnan(v), MISSING, st).astype(np.int8)
        if exact_values:
            for s in np.flatnonzero(st == OK):
                X[s, k] = x[s] if x is not None and x[s] is not None else exact(v[s])
                v[s] = float(X[s, k])          # the float is the nearest float of the exact value
        V[:, k] = v
        ST[:, k] = st
        if ind.veto is not None:
            VETO[:, k] = v if ind.veto.on == "value" else reported_field(ind.veto.on)
    if exact_values:
        return sites, V, ST, VETO, X
    return sites, V, ST, VETO


def compute_values(md: MonthData, catalogue: Catalogue | None = None) -> pd.DataFrame:
    """Long frame (site_code, code, value, status, veto_value) for every site and catalogue indicator."""
    cat = catalogue or load_catalogue()
    sites, V, ST, VETO = compute_wide(md, cat)
    S, K = V.shape
    labels = np.array([STATUS_LABELS[OK], STATUS_LABELS[MISSING], STATUS_LABELS[NA]], dtype=object)
    return pd.DataFrame({
        "site_code": np.repeat(sites.to_numpy(dtype=object), K),
        "code": np.tile(np.array(cat.codes, dtype=object), S),
        "value": V.reshape(-1),
        "status": labels[ST.reshape(-1)],
        "veto_value": VETO.reshape(-1),
    })
