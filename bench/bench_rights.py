"""Province-scale rights benchmark: ~450 000 households × 15 items (synthetic frame, fixed seed).

Prints the time to compute the 权益保障 matrix (scoring.rights_matrix: counts per site × hukou × item × status,
then the side-filtered matrix) and to select one page of a filtered household list (site × item gap, 50 rows),
beside a bare pandas group-by of the same data measured in the same run. Target: under 1 s each.
Run: python bench/bench_rights.py [households]
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from domain.rights import RIGHTS_CODES  # noqa: E402
from scoring.rights_matrix import counts_from_households, matrix  # noqa: E402


def frame(n: int, sites: int = 1500, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"household_code": np.char.add("H", np.arange(n).astype(str)),
                       "site_code": np.char.add("S", rng.integers(0, sites, n).astype(str)),
                       "hukou_moved": rng.random(n) < 0.7})
    for c in RIGHTS_CODES:   # stored codes: 1 done, 0 open, 9 n/a, NaN blank
        df[c] = rng.choice([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 9.0, np.nan], n)
    return df


def best(fn, k: int = 3) -> float:
    t = []
    for _ in range(k):
        t0 = time.perf_counter()
        fn()
        t.append(time.perf_counter() - t0)
    return min(t)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 450_000
    df = frame(n)
    site = df["site_code"].iloc[0]

    def ours_matrix():
        return matrix(counts_from_households(df), side="迁入地")

    def bare_groupby():
        return {c: df.groupby(["site_code", c], dropna=False).size() for c in RIGHTS_CODES}

    def ours_list():
        m = (df["site_code"].to_numpy() == site) & (df["R05"].isna() | (df["R05"] == 0)).to_numpy()
        return df.loc[m].sort_values("household_code").iloc[0:50]

    def bare_filter():
        return df[df["site_code"] == site]

    mx = ours_matrix()
    assert int(mx["applicable"].sum()) > 0
    t_m, t_g, t_l, t_f = best(ours_matrix), best(bare_groupby), best(ours_list), best(bare_filter)
    print(f"households: {n:,} × {len(RIGHTS_CODES)} items, sites: {df['site_code'].nunique()}")
    print(f"matrix (counts + side filter): {t_m:.3f} s   bare pandas group-by of the same data: {t_g:.3f} s   "
          f"ratio {t_m / t_g:.2f}   target < 1 s: {'OK' if t_m < 1 else 'MISSED'}")
    print(f"filtered household list (site × item gap, page of 50): {t_l:.3f} s   bare pandas filter: {t_f:.3f} s   "
          f"ratio {t_l / t_f:.2f}   target < 1 s: {'OK' if t_l < 1 else 'MISSED'}")


if __name__ == "__main__":
    main()
