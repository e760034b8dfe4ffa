"""Creation plan (domain.md §5), county month figures, flags F1–F5 and escalation (§6), 摘牌预警.

API and history
---------------
``county_month(md, scores, history=(), catalogue=None) -> CountyMonth``
    One month. ``history`` is the sequence of earlier ``CountyMonth`` results, oldest first (only the last one
    is read, and only if it is the immediately preceding calendar month; it carries the running counters, so
    passing the whole list or just the last element gives the same result). A gap in the months restarts
    Δ score, the escalation count and the 摘牌 streak.
``county_progress(months, catalogue=None) -> list[CountyMonth]``
    Folds ``county_month`` over ``[(md, scores), ...]`` in month order (each month's MonthScores should have been
    computed with the previous month's as ``previous``, but only its totals / 达标 are used here).
``creation_plan(sites, month) -> DataFrame``
    §5 per county: expected (序时进度), its floor, plan_year (sites with batch ≤ Y), achieved, lag.

Definitions
-----------
* expected = n(batch < Y) + n(batch = Y) × m / 12 for month m of year Y; ``expected_floor`` = ⌊expected⌋ computed
  in integers ((12·n_before + m·n_this) // 12); the county lags (F1) when achieved (its sites 五好达标 this
  month, any batch) < expected_floor.
* county score = the exact mean of its sites' printed totals, rounded half-up once to 2 decimals (§11: 84.92 and
  84.93 → 84.93); county rank = competition rank of the printed score (1 = best); Δ score = printed score −
  previous month's printed score (exact in hundredths).
* rates (employment_rate, training_rate, certified_rate, coverage_in/out/coverage) are exact ratios of counts
  rounded half-up to 2 decimals (``rules.pct_round``); the counts sit beside them (labour, employed, trained,
  certified). Rights coverage per side = pooled over the county's households (same pooling as N2/N3); F5 judges
  each side's printed rate.
* zero_emp (零就业家庭) = Σ of the county's sites' E2 as scored; a site whose E2 is 缺报 adds nothing (§11).
* rectifications: ``md.rectifications`` may hold several versions of an item (``valid_from`` 'YYYY-MM' or
  ``recorded_at`` date); the month uses the latest version at or before its end (``rectification_held``), so a
  later edit never changes an earlier month. Among the held items found on or before the period end: closed at
  the period end when its status
  is 已销号 **and** its closed_date is on or before the period end; otherwise it is open. Overdue = open and
  deadline < period end ("past the deadline at the period's end"; a deadline on the last day is not overdue).
  Also counted: found in the month and closed in the month.
* F1 creation behind; F2 score among the ``lowest_n`` (2) lowest — fewer than 2 counties have a strictly lower
  score — **and** Δ score below the median Δ of all counties with a Δ; F3 零就业家庭 > 0; F4 overdue > 0;
  F5 coverage of either side < ``coverage_min`` (90 %). A flag carries its code and its sentence apart:
  ``flag_codes`` "F1、F3", ``reasons`` the sentences only ("存在零就业家庭3户"), ``flag_list`` [(code, sentence)],
  and the long ``CountyMonth.flags`` frame.
* escalation: ``consecutive`` = number of consecutive months up to this one in which the county was flagged
  (any flag); 2 → 建议约谈, ≥ 3 → 建议约谈主要负责人 (thresholds from the catalogue's ``[county]``).
* praise (争先进位): among the counties **not flagged** this month, the ``praise_n`` (3) with the largest Δ score
  above ``praise_min_delta`` (0), ties by county order — a county is never praised and flagged in one month.
* 摘牌预警 (per site): the site is named (已命名) from the first month it was 五好达标, whatever its batch year;
  a site named in an earlier month that is not 达标 in this month nor in the immediately preceding month gets a
  warning. ``fail_streak`` counts the consecutive months below 达标 up to this one. 达标 is judged on the
  printed figures (engine).

``CountyMonth.counties`` columns: county_code, county_name, sort_order, sites, population, households, labour,
employed, trained, certified, employment_rate, training_rate, certified_rate, zero_emp, coverage_in, coverage_out,
coverage, qualified, expected, expected_floor, plan_year, creation_lag, score, prev_score, delta_score, rank,
open_items, overdue, found_in_month, closed_in_month, flag_codes ("F1、F3"), reasons (list of sentences), flag_list
(list of (code, sentence)), flagged, level
(进度滞后 / 正常), consecutive, escalation ("" / 建议约谈 / 建议约谈主要负责人), praise (bool).
``CountyMonth.flags`` (long): county_code, county_name, flag, sentence. ``CountyMonth.sites``: site_code,
site_name, county_code, batch_year, qualified, named, fail_streak, warning (bool), warning_text.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Sequence

import numpy as np
import pandas as pd

from domain.calendar import period_end, previous_month
from domain.designation import change_text
from domain.followup import RECT_CLOSED, RECT_IN_PROGRESS
from domain.rights import DEST, ORIGIN

from .catalogue import Catalogue, load_catalogue
from .engine import MonthScores
from .frames import MonthData
from .rights import _county_index, county_names, county_side_coverage, employment_metrics
from .rules import STATUS_LABELS, OK, competition_rank, half_up_cents, pct_round

INTERVIEW, HEAD_INTERVIEW = "建议约谈", "建议约谈主要负责人"
LAGGING, NORMAL = "进度滞后", "正常"


@dataclass
class CountyMonth:
    month: str
    counties: pd.DataFrame
    flags: pd.DataFrame
    sites: pd.DataFrame
    praise: list[str] = field(default_factory=list)        # county names, best first
    praise_codes: list[str] = field(default_factory=list)

    @property
    def warnings(self) -> pd.DataFrame:
        """摘牌预警 sites of the month."""
        return self.sites[self.sites["warning"]].reset_index(drop=True)


# ------------------------------------------------------------------------------------------------ plan

def whole_sites(expected) -> int:
    """A 序时进度 in whole sites, as §5 compares it and as every screen and circular prints it: ⌊expected⌋ (the
    tolerance absorbs float sums of twelfths: 21.0 summed as 20.9999999 is 21)."""
    return int(math.floor(float(expected) + 1e-9))

def creation_plan(sites: pd.DataFrame, month: str, qualified: pd.Series | None = None) -> pd.DataFrame:
    """§5 per county. ``sites`` needs county_code, batch_year (and ``qualified`` unless given separately)."""
    y, m = int(month[:4]), int(month[5:7])
    s = sites.copy()
    if qualified is not None:
        s["qualified"] = np.asarray(qualified, dtype=bool)
    batch = pd.to_numeric(s["batch_year"], errors="coerce")
    s["_before"] = (batch < y).to_numpy(dtype=bool, na_value=False)
    s["_this"] = (batch == y).to_numpy(dtype=bool, na_value=False)
    s["_q"] = s["qualified"].to_numpy(dtype=bool) if "qualified" in s else False
    g = s.groupby("county_code", sort=False)
    out = pd.DataFrame({"n_before": g["_before"].sum(), "n_this": g["_this"].sum(), "qualified": g["_q"].sum()})
    out = out.astype(np.int64)
    out["expected"] = out["n_before"] + out["n_this"] * m / 12
    out["expected_floor"] = (12 * out["n_before"] + m * out["n_this"]) // 12
    out["plan_year"] = out["n_before"] + out["n_this"]
    out["creation_lag"] = out["qualified"] < out["expected_floor"]
    return out.reset_index()


# ------------------------------------------------------------------------------------------------ helpers
def _dates(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s, errors="coerce")


VERSION_COLUMNS = ("valid_from", "recorded_at")   # a rectification row is a version recorded at this month/date


def _version_time(v: pd.Series) -> pd.Series:
    """'YYYY-MM' (the first day of that month), a date or a timestamp → Timestamp (NaT when blank)."""
    text = v.astype(object).map(lambda x: f"{x}-01" if isinstance(x, str) and len(x.strip()) == 7 else x)
    return pd.to_datetime(text, errors="coerce")


def rectification_held(rect: pd.DataFrame, month: str) -> np.ndarray:
    """Bool per row: this row is the version of its item that holds at the end of ``month`` — the latest recorded
    version at or before the month's end (§11 "Rectification items"). ``rect`` may carry several versions of an
    item (same item_code) with a version column ``valid_from`` ('YYYY-MM' or a date) or ``recorded_at``; among
    versions recorded at the same time the later row wins. A version recorded after the month's end never
    counts for the month, so a later edit (deadline, status) cannot change an earlier month. Without a version
    column every row holds (one version per item)."""
    n = len(rect)
    col = next((c for c in VERSION_COLUMNS if c in rect.columns), None)
    if col is None or n == 0:
        return np.ones(n, dtype=bool)
    end = pd.Timestamp(period_end(month))
    t = _version_time(rect[col])
    ok = (t.isna() | (t <= end)).to_numpy(dtype=bool)     # an unversioned row holds from the start
    key = t.fillna(pd.Timestamp.min).to_numpy()
    pos = np.flatnonzero(ok)
    order = pos[np.argsort(key[pos], kind="stable")]       # oldest first; equal times keep row order
    items = rect["item_code"].astype(object).to_numpy()[order]
    last = ~pd.Series(items).duplicated(keep="last").to_numpy()
    held = np.zeros(n, dtype=bool)
    held[order[last]] = True
    return held


def rectification_at(rect: pd.DataFrame, month: str) -> pd.DataFrame:
    """The version of every item holding at the end of ``month`` (see ``rectification_held``)."""
    return rect[rectification_held(rect, month)]


def rectification_state(rect: pd.DataFrame, month: str) -> pd.DataFrame:
    """Per row, its state at the end of `month` (the one definition used by county flags, pages and circulars):
    held (the version of its item holding then, see ``rectification_held``; other versions are out of scope),
    in_scope (held and found on or before the period end), closed (已销号 with a closed_date on or before the period
    end), open (in scope and not closed), overdue (open and deadline < period end), and status_at_end (the status
    as of the period end: an item closed later still shows 整改中 then)."""
    end = pd.Timestamp(period_end(month))
    held = rectification_held(rect, month)
    found = _dates(rect["found_date"])
    closed_date = _dates(rect["closed_date"])
    deadline = _dates(rect["deadline"])
    in_scope = (found.isna() | (found <= end)).to_numpy(dtype=bool) & held
    closed = (rect["status"].eq(RECT_CLOSED) & closed_date.notna() & (closed_date <= end)).to_numpy(
        dtype=bool, na_value=False) & in_scope
    opn = in_scope & ~closed
    overdue = opn & (deadline < end).to_numpy(dtype=bool, na_value=False)
    status = np.where(closed, RECT_CLOSED,
                      np.where(rect["status"].eq(RECT_CLOSED).to_numpy(dtype=bool, na_value=False), RECT_IN_PROGRESS,
                               rect["status"].to_numpy(dtype=object)))
    return pd.DataFrame({"held": held, "in_scope": in_scope, "closed": closed, "open": opn, "overdue": overdue,
                         "status_at_end": status}, index=rect.index)


def rectification_counts(md: MonthData, counties: pd.Index) -> pd.DataFrame:
    """open_items / overdue at the period end, found_in_month, closed_in_month per county."""
    r = rectification_at(md.rectifications, md.month)
    end = pd.Timestamp(md.period_end)
    start = pd.Timestamp(f"{md.month}-01")
    found = _dates(r["found_date"])
    closed_date = _dates(r["closed_date"])
    state = rectification_state(r, md.month)
    closed, opn, overdue = (state[c].to_numpy(dtype=bool) for c in ("closed", "open", "overdue"))
    found_m = ((found >= start) & (found <= end)).to_numpy(dtype=bool, na_value=False)
    closed_m = closed & ((closed_date >= start) & (closed_date <= end)).to_numpy(dtype=bool, na_value=False)
    ci = counties.get_indexer(r["county_code"].astype(object)) if len(r) else np.zeros(0, dtype=np.int64)
    C = len(counties)
    ok = ci >= 0

    def count(mask):
        return np.bincount(ci[ok & mask], minlength=C).astype(np.int64) if C else np.zeros(0, dtype=np.int64)

    return pd.DataFrame({"open_items": count(opn), "overdue": count(overdue), "found_in_month": count(found_m),
                         "closed_in_month": count(closed_m)})


def _signed2(c: float) -> str:
    """Hundredths (possibly a half, e.g. a median) → '+1.23' rounded half-up (never half-to-even)."""
    v = half_up_cents(Fraction(c) / 100)
    return ("+" if v >= 0 else "-") + f"{abs(v) // 100}.{abs(v) % 100:02d}"


def _pct_text(x: float, threshold: float) -> str:
    s = f"{x:.1f}"
    if float(s) >= threshold:  # never print "90.0%" for a value below 90
        s = f"{math.floor(x * 100) / 100:.2f}"
    return s + "%"


# ------------------------------------------------------------------------------------------------ main
def county_month(md: MonthData, scores: MonthScores, history: Sequence[CountyMonth] = (),
                 catalogue: Catalogue | None = None) -> CountyMonth:
    cat = catalogue or load_catalogue(scores.catalogue_version)
    cs = cat.county
    month = md.month
    y = int(month[:4])
    prev = history[-1] if history and history[-1].month == previous_month(month) else None

    sites = scores.sites
    sf = md.sites.drop_duplicates("site_code", keep="last")
    counties = _county_index(md, pd.DataFrame({"county_code": pd.concat(
        [sites["county_code"].astype(object), sf["county_code"].astype(object)], ignore_index=True)}))
    C = len(counties)
    names = county_names(md, counties)
    order = md.counties.set_index("county_code")["sort_order"] if len(md.counties) else pd.Series(dtype=float)
    sort_order = pd.to_numeric(order.reindex(counties), errors="coerce").to_numpy(dtype=float, na_value=np.nan)

    # -- sites, people, 达标, plan
    plan = creation_plan(sites[["county_code", "batch_year", "qualified"]], month) if len(sites) else \
        pd.DataFrame(columns=["county_code", "n_before", "n_this", "qualified", "expected", "expected_floor",
                              "plan_year", "creation_lag"])
    plan = plan.set_index("county_code").reindex(counties)
    g = sites.groupby("county_code")
    n_sites = g.size().reindex(counties).fillna(0).to_numpy(dtype=np.int64)
    population = g["population"].sum(min_count=1).reindex(counties).to_numpy(dtype=float, na_value=np.nan)
    # county score = mean of the printed site totals, exact, rounded half-up once (§11): 84.92 and 84.93 → 84.93
    tc = pd.Series(np.rint(sites["total"].to_numpy(dtype=float) * 100), index=sites.index)
    tsum = tc.groupby(sites["county_code"]).sum().reindex(counties)
    tn = tc.groupby(sites["county_code"]).count().reindex(counties)
    score_c = np.array([half_up_cents(Fraction(int(a), 100 * int(n))) if n == n and n > 0 else -1
                        for a, n in zip(tsum.fillna(0), tn.fillna(0))], dtype=np.int64)
    has = score_c >= 0
    score = np.where(has, score_c / 100.0, np.nan)

    emp = employment_metrics(md, "county").set_index("county_code").reindex(counties)
    cov = county_side_coverage(md).set_index("county_code").reindex(counties)
    rect = rectification_counts(md, counties)

    t = pd.DataFrame({"county_code": counties.to_numpy(dtype=object), "county_name": names,
                      "sort_order": sort_order, "sites": n_sites, "population": population})
    t["households"] = emp["households"].fillna(0).to_numpy(dtype=np.int64)
    for c in ("labour", "employed", "trained", "certified"):
        t[c] = emp[c].fillna(0).to_numpy(dtype=np.int64)
    # rates: exact ratios of counts, half-up to 2 decimals (§11); F5 judges the printed coverage
    for rate, c in (("employment_rate", "employed"), ("training_rate", "trained"), ("certified_rate", "certified")):
        t[rate] = pct_round(t[c].to_numpy(), t["labour"].to_numpy())
    t["zero_emp"] = _zero_employment_as_scored(scores, counties)
    for c, side in (("coverage_in", "in"), ("coverage_out", "out"), ("coverage", "all")):
        t[c] = pct_round(cov[f"done_{side}"].fillna(0).to_numpy(dtype=np.int64),
                         cov[f"applicable_{side}"].fillna(0).to_numpy(dtype=np.int64))
    t["qualified"] = plan["qualified"].fillna(0).to_numpy(dtype=np.int64)
    t["expected"] = plan["expected"].to_numpy(dtype=float, na_value=0.0)
    t["expected_floor"] = plan["expected_floor"].fillna(0).to_numpy(dtype=np.int64)
    t["plan_year"] = plan["plan_year"].fillna(0).to_numpy(dtype=np.int64)
    t["creation_lag"] = t["qualified"] < t["expected_floor"]
    t["score"] = score
    if prev is not None:
        ps = prev.counties.set_index("county_code")["score"].reindex(counties).to_numpy(dtype=float, na_value=np.nan)
    else:
        ps = np.full(C, np.nan)
    t["prev_score"] = ps
    # Δ = difference of the two printed county scores (exact in hundredths)
    t["delta_score"] = (np.rint(score * 100) - np.rint(ps * 100)) / 100.0
    rank = np.full(C, np.nan)
    rank[has] = competition_rank(score_c[has])
    t["rank"] = pd.array(rank, dtype="Float64").astype("Int64")
    for c in rect.columns:
        t[c] = rect[c].to_numpy()

    # -- flags (judged on the printed figures)
    sc = score_c
    deltas = t["delta_score"].to_numpy(dtype=float)
    finite = ~np.isnan(deltas)
    dcents = np.where(finite, np.rint(np.nan_to_num(deltas) * 100), 0)
    med_c = float(np.median(dcents[finite])) if finite.any() else np.nan    # may be a half-hundredth
    rows: list[dict] = []
    flags_col, reasons_col, pairs_col = [], [], []
    for i in range(C):
        fl: list[tuple[str, str]] = []
        r = t.iloc[i]
        if r.creation_lag:
            fl.append(("F1", f"五好社区创建进度滞后：达标{int(r.qualified)}个，低于序时进度{int(r.expected_floor)}个"))
        if has[i]:
            lower = int((sc[has] < sc[i]).sum())
            if lower < cs.lowest_n and finite[i] and dcents[i] < med_c:
                fl.append(("F2", f"县均得分{score[i]:.2f}分，居全市倒数第{lower + 1}位，"
                                 f"较上月{change_text(deltas[i])}，"
                                 f"低于各县变化中位数（{_signed2(med_c)}分）"))
        if r.zero_emp > 0:
            fl.append(("F3", f"存在零就业家庭{int(r.zero_emp)}户"))
        if r.overdue > 0:
            fl.append(("F4", f"问题整改逾期{int(r.overdue)}项"))
        low = [(lbl, v) for lbl, v in ((DEST, r.coverage_in), (ORIGIN, r.coverage_out))
               if not pd.isna(v) and v < cs.coverage_min]
        if low:
            parts = "、".join(f"{lbl}权益落实率{_pct_text(v, cs.coverage_min)}" for lbl, v in low)
            fl.append(("F5", f"{parts}，低于{cs.coverage_min:g}%"))
        flags_col.append("、".join(f for f, _ in fl))
        reasons_col.append([s for _, s in fl])
        pairs_col.append(list(fl))
        for f, s in fl:
            rows.append(dict(county_code=r.county_code, county_name=r.county_name, flag=f, sentence=s))
    t["flag_codes"] = np.array(flags_col, dtype=object)
    t["reasons"] = pd.Series(reasons_col, dtype=object).to_numpy()
    t["flag_list"] = pd.Series(pairs_col, dtype=object).to_numpy()
    flagged = np.array([bool(f) for f in flags_col], dtype=bool)
    t["flagged"] = flagged
    t["level"] = np.where(flagged, LAGGING, NORMAL).astype(object)
    if prev is not None:
        pc = prev.counties.set_index("county_code")["consecutive"].reindex(counties).fillna(0).to_numpy(dtype=np.int64)
    else:
        pc = np.zeros(C, dtype=np.int64)
    consecutive = np.where(flagged, pc + 1, 0).astype(np.int64)
    t["consecutive"] = consecutive
    t["escalation"] = np.where(consecutive >= cs.head_interview_months, HEAD_INTERVIEW,
                               np.where(consecutive >= cs.interview_months, INTERVIEW, "")).astype(object)

    # -- praise: the largest Δ among counties NOT flagged this month, Δ > 0 (§11); never praised and flagged
    cand = [i for i in range(C) if finite[i] and not flagged[i] and dcents[i] > round(cs.praise_min_delta * 100)]
    cand.sort(key=lambda i: (-dcents[i], np.nan_to_num(sort_order[i], nan=np.inf), str(counties[i])))
    top = cand[:cs.praise_n]
    t["praise"] = np.isin(np.arange(C), top)

    flags = pd.DataFrame(rows, columns=["county_code", "county_name", "flag", "sentence"])
    site_status = _site_status(md, scores, prev, y)
    return CountyMonth(month=month, counties=t, flags=flags, sites=site_status,
                       praise=[str(names[i]) for i in top], praise_codes=[str(counties[i]) for i in top])


def _zero_employment_as_scored(scores: MonthScores, counties: pd.Index) -> np.ndarray:
    """零就业家庭 per county = Σ of its sites' E2 as scored (§11): a site whose E2 is 缺报 adds nothing."""
    ind = scores.indicators
    e2 = ind[(ind["code"] == "E2") & (ind["status"] == STATUS_LABELS[OK])]
    county_of = scores.sites.set_index("site_code")["county_code"]
    per = pd.Series(e2["value"].to_numpy(dtype=float), index=county_of.reindex(e2["site_code"]).to_numpy())
    return per.groupby(level=0).sum().reindex(counties).fillna(0).round().to_numpy(dtype=np.int64)


def _site_status(md: MonthData, scores: MonthScores, prev: CountyMonth | None, year: int) -> pd.DataFrame:
    s = scores.sites
    q = s["qualified"].to_numpy(dtype=bool)
    if prev is not None and len(prev.sites):
        p = prev.sites.set_index("site_code").reindex(s["site_code"])
        prev_named = p["named"].to_numpy(dtype=bool, na_value=False)
        prev_streak = p["fail_streak"].fillna(0).to_numpy(dtype=np.int64)
    else:
        prev_named = np.zeros(len(s), dtype=bool)
        prev_streak = np.zeros(len(s), dtype=np.int64)
    streak = np.where(q, 0, prev_streak + 1).astype(np.int64)
    # named (已命名) from the first month it was 达标, whatever its batch year; not 达标 in m−1 and m → 摘牌预警
    warning = ~q & (streak >= 2) & prev_named
    text = np.where(warning, [f"{n}连续{k}个月未达到五好社区标准，予以摘牌预警"
                              for n, k in zip(s["site_name"].astype(object), streak)], "").astype(object)
    return pd.DataFrame({"site_code": s["site_code"].to_numpy(dtype=object),
                         "site_name": s["site_name"].to_numpy(dtype=object),
                         "county_code": s["county_code"].to_numpy(dtype=object),
                         "batch_year": s["batch_year"].to_numpy(),
                         "qualified": q, "named": prev_named | q, "fail_streak": streak,
                         "warning": warning, "warning_text": text})


def county_progress(months: Sequence[tuple[MonthData, MonthScores]],
                    catalogue: Catalogue | None = None) -> list[CountyMonth]:
    """County results for consecutive months (oldest first), each using the previous one as history."""
    out: list[CountyMonth] = []
    for md, sc in sorted(months, key=lambda x: x[0].month):
        out.append(county_month(md, sc, out, catalogue))
    return out


__all__ = ["CountyMonth", "county_month", "county_progress", "creation_plan", "rectification_counts"]
