"""Benchmark of the scoring engine against bare numpy/pandas baselines measured in the same run.

    python bench/bench_scoring.py            # full run (city 68 sites, province ~1000 sites, MC 1000 × 1000)
    python bench/bench_scoring.py --quick    # smaller province for a smoke run

Cases and targets:
  * city:      68 sites of realistic sizes              score_month < 0.1 s
  * province:  ~1000 sites / 450,000 households / ~1M labourers   score_month < 2 s
  * MC:        1000 draws × 1000 sites                  monte_carlo < 2 s

Baselines (same frames / same array sizes, same run):
  * score_month baseline: the minimum pandas aggregation any implementation needs — labour groupby(site) mean of
    employed/trained/certified plus households groupby(site) sum of (Rxx == 已落实) over the 15 rights columns.
  * MC baseline: a plain numpy linear-rule matrix of the same size (D × S × K): clip((v − floor)/(t·f − floor)),
    sum per site, then an argsort-based rank per draw.
Each timing is the best of a few repeats (after one warm-up).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scoring.catalogue import load_catalogue  # noqa: E402
from scoring.engine import score_month  # noqa: E402
from scoring.frames import POSTS, PLATFORMS, RIGHTS_CODES, MonthData  # noqa: E402
from scoring.robustness import monte_carlo  # noqa: E402

FORMS = np.array(["帮扶车间", "园区企业", "公益性岗位", "县内务工", "省内县外务工", "省外务工", "自主创业", "灵活就业"],
                 dtype=object)
STATUSES = np.array(["已落实", "未落实", "不适用", None], dtype=object)


def synthetic_month(n_sites: int, n_households: int, seed: int = 1, month: str = "2026-06",
                    n_counties: int | None = None, object_strings: bool = False) -> MonthData:
    """Synthetic MonthData built with numpy (not timed).

    Text columns get pandas' default ``str`` dtype (pyarrow-backed in pandas 3); with ``object_strings`` the rights
    and hukou columns are plain ``object`` columns as ``data.repository.load_month`` returns them."""
    rng = np.random.default_rng(seed)
    n_counties = n_counties or max(1, n_sites // 8)
    # site sizes: lognormal populations, households proportional, scaled to n_households
    w = rng.lognormal(mean=0.0, sigma=0.9, size=n_sites)
    hh_per_site = np.maximum(5, np.floor(w / w.sum() * n_households)).astype(np.int64)
    hh_per_site[np.argmax(hh_per_site)] += max(0, n_households - hh_per_site.sum())
    n_hh = int(hh_per_site.sum())
    site_codes = np.array([f"S{i:05d}" for i in range(n_sites)], dtype=object)
    county_of_site = rng.integers(0, n_counties, size=n_sites)
    sites = pd.DataFrame({
        "site_code": site_codes,
        "site_name": [f"安置点{i}" for i in range(n_sites)],
        "county_code": [f"C{c:03d}" for c in county_of_site],
        "county_name": [f"县{c}" for c in county_of_site],
        "town": "某镇",
        "site_type": np.where(rng.random(n_sites) < 0.7, "城镇集中安置区", "农村集中安置点"),
        "lon": 105 + rng.random(n_sites), "lat": 26 + rng.random(n_sites),
        "households": hh_per_site,
        "population": np.round(hh_per_site * rng.uniform(3.8, 4.6, n_sites)).astype(np.int64),
        "batch_year": rng.choice([2026, 2027, 2028], size=n_sites),
        "built_year": 2018,
    })
    counties = pd.DataFrame({"county_code": [f"C{c:03d}" for c in range(n_counties)],
                             "county_name": [f"县{c}" for c in range(n_counties)], "sort_order": range(n_counties)})
    hh_site = np.repeat(np.arange(n_sites), hh_per_site)
    family = rng.integers(1, 8, size=n_hh)
    labour_count = np.minimum(family, rng.choice([0, 1, 2, 3, 4], p=[0.02, 0.13, 0.38, 0.30, 0.17], size=n_hh))
    hh_codes = np.char.add("H", np.arange(n_hh).astype(str)).astype(object)
    prev = rng.uniform(6000, 16000, n_hh)
    hh = {
        "household_code": hh_codes, "site_code": site_codes[hh_site], "head_name": "张三",
        "head_id": "522301199001011234", "family_size": family, "labour_count": labour_count,
        "origin_county": "某县", "origin_town": "某乡", "origin_village": "某村",
        "hukou_moved": rng.random(n_hh) < 0.8, "monitored": rng.random(n_hh) < 0.1,
        # amounts in 元 to the fen, as a ledger holds them (full-precision random floats would each take scoring's
        # exact-fraction path for amounts of more than two decimals, which no ledger produces)
        "income_prev": np.round(prev, 2), "income_curr": np.round(prev * rng.uniform(0.98, 1.15, n_hh), 2),
    }
    p = [0.93, 0.03, 0.03, 0.01]
    for c in RIGHTS_CODES:
        hh[c] = STATUSES[rng.choice(4, p=p, size=n_hh)]
    households = pd.DataFrame(hh)
    if object_strings:
        for c in [*RIGHTS_CODES, "hukou_moved", "monitored"]:
            households[c] = households[c].astype(object)
    # labour: labour_count rows per household
    lab_hh = np.repeat(np.arange(n_hh), labour_count)
    n_lab = len(lab_hh)
    employed = rng.random(n_lab) < 0.93
    labour = pd.DataFrame({
        "person_id": np.char.add("P", np.arange(n_lab).astype(str)).astype(object),
        "name": "李四", "household_code": hh_codes[lab_hh], "site_code": site_codes[hh_site[lab_hh]],
        "gender": np.where(rng.random(n_lab) < 0.5, "男", "女"),
        "trained": rng.random(n_lab) < 0.8, "certified": rng.random(n_lab) < 0.45, "employed": employed,
        "employment_form": np.where(employed, FORMS[rng.integers(0, len(FORMS), n_lab)], None),
        "monthly_income": np.round(rng.uniform(1500, 6000, n_lab), 2),
    })
    org = {"site_code": site_codes}
    for c, _ in PLATFORMS:
        org[c] = rng.random(n_sites) < 0.95
    for c, _ in POSTS:
        req = rng.integers(1, 6, n_sites)
        org[f"{c}_required"] = req
        org[f"{c}_actual"] = np.minimum(req, req - (rng.random(n_sites) < 0.1))
    organisation = pd.DataFrame(org)

    def maybe(x, p_missing=0.03):
        x = x.astype(float)
        x[rng.random(n_sites) < p_missing] = np.nan
        return x

    reported = pd.DataFrame({
        "site_code": site_codes, "carriers": maybe(rng.integers(0, 5, n_sites)),
        "collective_income": maybe(rng.uniform(0, 60, n_sites)), "linkage_pct": maybe(rng.uniform(30, 80, n_sites)),
        "satisfaction_pct": maybe(rng.uniform(70, 99, n_sites)), "civic_pct": maybe(rng.uniform(30, 90, n_sites)),
        "night_school": maybe(rng.integers(0, 8, n_sites)), "dispute_pct": maybe(rng.uniform(80, 100, n_sites)),
        "mass_incidents": maybe((rng.random(n_sites) < 0.01).astype(int)),
        "inspection_problems": maybe(rng.integers(0, 5, n_sites)),
    })
    return MonthData(month=month, sites=sites, counties=counties, households=households, labour=labour,
                     organisation=organisation, reported=reported)


def best_of(fn, repeats: int = 3) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def baseline_aggregation(md: MonthData):
    lab = md.labour.groupby("site_code")[["employed", "trained", "certified"]].mean()
    hh = md.households
    done = pd.DataFrame({c: hh[c].eq("已落实") for c in RIGHTS_CODES})
    done["site_code"] = hh["site_code"]
    cov = done.groupby("site_code").sum()
    return lab, cov


def baseline_mc(S: int, K: int = 22, D: int = 1000, seed: int = 0, chunk: int = 180):
    rng = np.random.default_rng(seed)
    V = rng.uniform(0, 100, (S, K))
    F = np.full(K, 10.0)
    T = rng.uniform(50, 100, (S, K))
    M = np.full(K, 100.0 / K)
    f = rng.uniform(0.9, 1.1, (D, K))
    ranks = np.empty((D, S), dtype=np.int64)
    for a in range(0, D, chunk):
        b = min(D, a + chunk)
        P = np.clip((V - F) / (T[None] * f[a:b, None, :] - F), 0.0, 1.0) * M
        tot = P.sum(axis=2)
        order = np.argsort(-tot, axis=1)
        r = np.empty_like(order)
        np.put_along_axis(r, order, np.arange(S)[None, :].repeat(b - a, axis=0), axis=1)
        ranks[a:b] = r + 1
    return np.median(ranks, axis=0)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller province (100 sites / 45,000 households)")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    cat = load_catalogue()

    t0 = time.perf_counter()
    city = synthetic_month(68, 68 * 1100, seed=1, n_counties=9)
    city_obj = synthetic_month(68, 68 * 1100, seed=1, n_counties=9, object_strings=True)
    prov = synthetic_month(100 if args.quick else 1000, 45_000 if args.quick else 450_000, seed=2, n_counties=88)
    gen = time.perf_counter() - t0
    print(f"synthetic data built in {gen:.1f} s (not timed below)")

    rows = []
    for label, md, target in (("score_month 市 (city)", city, 0.1),
                              ("score_month 市, object cols", city_obj, None),
                              ("score_month 省 (province)", prov, 2.0)):
        t = best_of(lambda: score_month(md, cat), args.repeats)
        b = best_of(lambda: baseline_aggregation(md), args.repeats)
        rows.append((label, len(md.sites), len(md.households), len(md.labour), t, b, target))

    scores = score_month(prov, cat)
    S = len(scores.sites)
    D = cat.monte_carlo.draws
    t = best_of(lambda: monte_carlo(scores, cat), args.repeats)
    b = best_of(lambda: baseline_mc(S, len(cat.indicators), D), args.repeats)
    rows.append((f"monte_carlo {D} draws", S, None, None, t, b, 2.0))

    head = (f"{'case':<28}{'sites':>7}{'households':>12}{'labour':>10}{'time s':>9}{'baseline s':>12}{'ratio':>8}"
            f"{'target s':>10}  ok")
    print(head)
    print("-" * len(head))
    ok_all = True
    for label, s, h, lab, t, b, target in rows:
        ok = target is None or t < target
        ok_all &= ok
        hs = f"{h:,}" if h is not None else "-"
        ls = f"{lab:,}" if lab is not None else "-"
        ts = f"{target:>10.1f}" if target is not None else f"{'-':>10}"
        verdict = ("yes" if ok else "NO") if target is not None else "(info)"
        print(f"{label:<28}{s:>7,}{hs:>12}{ls:>10}{t:>9.3f}{b:>12.3f}{t / b:>8.1f}{ts}  {verdict}")
    print("baseline: score_month → pandas groupby of labour rates + 15 rights columns on the same frames;"
          " monte_carlo → plain numpy linear-rule matrix D×S×K + argsort ranks of the same size.")
    print("'object cols': rights/hukou as object columns, the dtype data.repository.load_month returns today"
          " (no target; string comparisons on Python objects dominate).")
    print(f"timings: best of {args.repeats} after a warm-up; the machine may be shared, compare the ratios.")
    return 0 if ok_all else 1


if __name__ == "__main__":
    raise SystemExit(main())
