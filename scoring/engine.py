"""Five-good scoring of one month: ``score_month(md, catalogue, previous=None) -> MonthScores``.

``MonthScores.sites`` — one row per site (site-code order), columns (see ``SITE_COLUMNS``):

=====================  ==================================================================================
month                  ``YYYY-MM``
site_code, site_name, county_code, county_name, site_type
population             搬迁人数 from the 安置点 sheet (drives the size class)
batch_year             创建批次
size_class             小型 / 中型 / 大型 / 特大型 (§11: 800 is 中型, 3000 大型, 10000 特大型)
dim_<key>              dimension points, one column per catalogue dimension, ASCII keys:
                       dim_industry 产业带动好, dim_employment 就业帮扶好, dim_service 公共服务好,
                       dim_spirit 精神状态好, dim_integration 融入环境好
                       (mapping: ``Catalogue.dimension_columns`` / ``MonthScores.dimension_columns``);
                       rounded to 2 decimals
total                  total points rounded to 2 decimals (as displayed; rounded from the unrounded sum)
grade                  等次: 优秀 ≥ 90, 良好 ≥ 80, 合格 ≥ 60, else 不合格; a veto makes it 不合格
qualified              五好达标: total ≥ 85, every dimension ≥ 14, no veto (bool)
veto                   bool; veto_reason: Chinese reasons joined by "；" ("" when none)
reported_count         indicators not 缺报 (不涉及 counts as reported); indicator_count (22)
completeness           reported_count / indicator_count (0–1); missing_codes: 缺报 codes joined by "、"
rank, class_rank       competition ranks on ``total`` (1, 2, 2, 4) overall and within size class
prev_total, prev_rank, prev_class_rank   previous month's values (NaN / <NA> when no previous or new site)
delta_total            total − prev_total; delta_rank = prev_rank − rank (positive = moved up);
                       delta_class_rank likewise
is_new                 True when a previous month was given but the site is not in it
weakest_key, weakest   短板: dimension with the lowest points relative to its maximum (ties → first in
                       catalogue order); key and Chinese name
=====================  ==================================================================================

``MonthScores.indicators`` — one row per (site, indicator), site-code order then catalogue order:
site_code, code, dimension_key, dimension, name, unit, source, value, status (ok/缺报/不涉及), points,
max_points, lost_points, full_value (value that earns full points: the site's target; for deduct 0, or 3 for
P1 whose value is the number of platforms), rule (Chinese description for the site's size class), veto (bool,
this indicator's veto triggered), veto_value.

Rounding (§11): indicator points, dimension scores and the total are computed on exact values (fractions; see
``scoring.rules.exact``) and each rounded half-up once to 2 decimals — a dimension score and the total are each
the exact sum of the exact indicator points, not sums of rounded figures (so 84.925 prints 84.93). Grades, 达标,
ranks and 短板 compare those rounded (printed) values, so a printed 85.00 is 达标. ``delta_total`` is the
difference of two printed totals (exact in hundredths).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import pandas as pd

from .catalogue import Catalogue, Indicator
from .frames import MonthData
from .indicators import compute_wide
from .rules import (MISSING, NA, OK, STATUS_LABELS, ExactRules, RuleArrays, cents_of, competition_rank,
                    exact_dimensions, exact_points, group_competition_rank)

_OPS = {">": np.greater, "<": np.less, ">=": np.greater_equal, "<=": np.less_equal}


@dataclass
class MonthScores:
    month: str
    catalogue_version: str
    sites: pd.DataFrame
    indicators: pd.DataFrame
    dimension_columns: dict[str, str] = field(default_factory=dict)   # dim_<key> -> Chinese name


def size_class_index(population: np.ndarray, cat: Catalogue) -> np.ndarray:
    """Index into ``cat.size_classes``; lower bounds inclusive (800 → 中型). NaN population → 0 (小型)."""
    pop = np.nan_to_num(np.asarray(population, dtype=float), nan=0.0)
    return np.searchsorted(np.asarray(cat.size_bounds, dtype=float), pop, side="right").astype(np.int64)


def veto_matrix(values: np.ndarray, status: np.ndarray, veto_values: np.ndarray, cat: Catalogue) -> np.ndarray:
    """(S, K) bool: indicator veto triggered. 不涉及 / unknown input never vetoes."""
    out = np.zeros(values.shape, dtype=bool)
    for k, ind in enumerate(cat.indicators):
        if ind.veto is None:
            continue
        x = veto_values[:, k]
        with np.errstate(invalid="ignore"):
            trig = _OPS[ind.veto.op](x, ind.veto.threshold) & ~np.isnan(x)
        if ind.veto.on == "value":
            trig &= status[:, k] == OK
        out[:, k] = trig
    return out


def veto_reason(ind: Indicator, x: float) -> str:
    try:
        return ind.veto.reason.format(value=x)
    except (KeyError, ValueError, IndexError):
        return ind.veto.reason


def grade_labels(total_cents: np.ndarray, veto: np.ndarray, cat: Catalogue) -> np.ndarray:
    out = np.full(total_cents.shape, cat.grade_default, dtype=object)
    # grades are best first: assign from the lowest up so higher grades overwrite
    for name, mn in reversed(cat.grades):
        out[total_cents >= int(round(mn * 100))] = name
    out[veto] = cat.grade_default
    return out


def qualified_mask(total_cents: np.ndarray, dim_cents: np.ndarray, veto: np.ndarray, cat: Catalogue) -> np.ndarray:
    """五好达标 on displayed (2-decimal) values; works with a leading draw axis."""
    return ((total_cents >= int(round(cat.min_total * 100)))
            & (dim_cents >= int(round(cat.min_dimension * 100))).all(axis=-1)
            & ~veto)


def score_month(md: MonthData, catalogue: Catalogue, previous: MonthScores | None = None) -> MonthScores:
    cat = catalogue
    site_idx, V, ST, VETO, X = compute_wide(md, cat, exact_values=True)
    S, K = V.shape
    ra = RuleArrays.from_catalogue(cat)

    sites = md.sites.drop_duplicates("site_code", keep="last").set_index("site_code").reindex(site_idx)
    population = pd.to_numeric(sites["population"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    size_idx = size_class_index(population, cat)

    # exact points; each official figure is its exact sum rounded half-up once (§11 "Rounding")
    er = ExactRules.from_catalogue(cat)
    PX = exact_points(X, ST, size_idx, er)
    DX = exact_dimensions(PX, er)
    TX = np.array([sum(row, Fraction(0)) for row in PX], dtype=object)   # the exact sum of the exact points
    pc = cents_of(PX).reshape(S, K)
    dc = cents_of(DX).reshape(S, len(cat.dimensions))
    tc = cents_of(TX).reshape(S)

    vm = veto_matrix(V, ST, VETO, cat)
    veto = vm.any(axis=1)
    reasons = [""] * S
    for s, k in zip(*np.nonzero(vm)):
        r = veto_reason(cat.indicators[k], VETO[s, k])
        reasons[s] = r if not reasons[s] else reasons[s] + "；" + r
    grade = grade_labels(tc, veto, cat)
    qualified = qualified_mask(tc, dc, veto, cat)

    rank = competition_rank(tc)
    class_rank = group_competition_rank(tc, size_idx)

    missing = ST == MISSING
    codes = np.array(cat.codes, dtype=object)
    missing_codes = ["、".join(codes[row]) for row in missing]
    reported = K - missing.sum(axis=1)

    ratio = np.round(dc / 100.0 / ra.dim_max, 9)
    weakest_i = np.argmin(ratio, axis=1) if S else np.zeros(0, dtype=np.int64)
    dkeys = np.array([d.key for d in cat.dimensions], dtype=object)
    dnames = np.array([d.name for d in cat.dimensions], dtype=object)

    def col(name, default=None):
        return sites[name].to_numpy(dtype=object) if name in sites else np.full(S, default, dtype=object)

    cols: dict[str, object] = {
        "month": np.full(S, md.month, dtype=object),
        "site_code": site_idx.to_numpy(dtype=object),
        "site_name": col("site_name"),
        "county_code": col("county_code"),
        "county_name": col("county_name"),
        "site_type": col("site_type"),
        "population": population,
        "batch_year": pd.array(pd.to_numeric(sites["batch_year"], errors="coerce")
                               .to_numpy(dtype=float, na_value=np.nan),
                               dtype="Float64").astype("Int64"),
        "size_class": np.array(cat.size_classes, dtype=object)[size_idx],
    }
    for k, d in enumerate(cat.dimensions):
        cols[f"dim_{d.key}"] = dc[:, k] / 100.0
    cols.update({
        "total": tc / 100.0,
        "grade": grade,
        "qualified": qualified,
        "veto": veto,
        "veto_reason": np.array(reasons, dtype=object),
        "reported_count": reported.astype(np.int64),
        "indicator_count": np.full(S, K, dtype=np.int64),
        "completeness": reported / K if K else np.zeros(S),
        "missing_codes": np.array(missing_codes, dtype=object),
        "rank": rank,
        "class_rank": class_rank,
    })
    cols.update(_deltas(site_idx.to_numpy(dtype=object), tc / 100.0, rank, class_rank, previous))
    cols["weakest_key"] = dkeys[weakest_i]
    cols["weakest"] = dnames[weakest_i]
    out = pd.DataFrame(cols)

    # ---- indicator frame
    labels = np.array([STATUS_LABELS[OK], STATUS_LABELS[MISSING], STATUS_LABELS[NA]], dtype=object)
    full = np.array([[ind.full_value(s) for ind in cat.indicators] for s in range(len(cat.size_classes))])
    rules = np.array([[ind.describe(s) for ind in cat.indicators] for s in range(len(cat.size_classes))],
                     dtype=object)
    maxp = np.broadcast_to(ra.maxp, (S, K))
    inds = cat.indicators
    ind_df = pd.DataFrame({
        "site_code": np.repeat(site_idx.to_numpy(dtype=object), K),
        "code": np.tile(codes, S),
        "dimension_key": np.tile(np.array([i.dimension for i in inds], dtype=object), S),
        "dimension": np.tile(np.array([cat.dimension_names[i.dimension] for i in inds], dtype=object), S),
        "name": np.tile(np.array([i.name for i in inds], dtype=object), S),
        "unit": np.tile(np.array([i.unit for i in inds], dtype=object), S),
        "source": np.tile(np.array([i.source for i in inds], dtype=object), S),
        "value": V.reshape(-1),
        "status": labels[ST.reshape(-1)],
        "points": (pc / 100.0).reshape(-1),
        "max_points": maxp.reshape(-1),
        "lost_points": ((np.rint(maxp * 100) - pc) / 100.0).reshape(-1),
        "full_value": full[size_idx].reshape(-1),
        "rule": rules[size_idx].reshape(-1),
        "veto": vm.reshape(-1),
        "veto_value": VETO.reshape(-1),
    })
    return MonthScores(month=md.month, catalogue_version=cat.version, sites=out, indicators=ind_df,
                       dimension_columns=dict(cat.dimension_columns))


def _deltas(codes: np.ndarray, total: np.ndarray, rank: np.ndarray, class_rank: np.ndarray,
            previous: MonthScores | None) -> dict[str, object]:
    S = len(codes)

    def na_int(a):
        return pd.array(a, dtype="Float64").astype("Int64")

    if previous is None or previous.sites is None:
        nan = np.full(S, np.nan)
        return {"prev_total": nan, "delta_total": nan.copy(), "prev_rank": na_int(nan), "delta_rank": na_int(nan),
                "prev_class_rank": na_int(nan), "delta_class_rank": na_int(nan), "is_new": np.zeros(S, dtype=bool)}
    prev = previous.sites.drop_duplicates("site_code").set_index("site_code")
    pi = prev.index.get_indexer(codes) if len(prev) else np.full(S, -1)
    found = pi >= 0
    safe = np.clip(pi, 0, None)

    def take(colname):
        if len(prev) == 0:
            return np.full(S, np.nan)
        return np.where(found, prev[colname].to_numpy(dtype=float, na_value=np.nan)[safe], np.nan)

    pt, pr, pcr = take("total"), take("rank"), take("class_rank")
    delta = (np.rint(total * 100) - np.rint(pt * 100)) / 100.0      # difference of two printed totals
    return {"prev_total": pt, "delta_total": delta, "prev_rank": na_int(pr),
            "delta_rank": na_int(pr - rank), "prev_class_rank": na_int(pcr),
            "delta_class_rank": na_int(pcr - class_rank), "is_new": ~found}


SITE_COLUMNS_FIXED = ["month", "site_code", "site_name", "county_code", "county_name", "site_type", "population",
                      "batch_year", "size_class"]
SITE_COLUMNS_AFTER_DIMS = ["total", "grade", "qualified", "veto", "veto_reason", "reported_count",
                           "indicator_count", "completeness", "missing_codes", "rank", "class_rank", "prev_total",
                           "delta_total", "prev_rank", "delta_rank", "prev_class_rank", "delta_class_rank", "is_new",
                           "weakest_key", "weakest"]


def site_columns(cat: Catalogue) -> list[str]:
    """Column order of MonthScores.sites for a catalogue."""
    return SITE_COLUMNS_FIXED + list(cat.dimension_columns) + SITE_COLUMNS_AFTER_DIMS
