"""Province-scale rights benchmark: ~450 000 households × 15 items (synthetic frame, fixed seed).

Prints the time to compute the 权益保障 matrix (scoring.rights_matrix: counts per site × hukou × item × status,
then the side-filtered matrix) and to select one page of a filtered household list (site × item gap, 50 rows),
beside a bare pandas group-by of the same data measured in the same run. Target: under 1 s each.

Then the path the 权益保障 page really takes: the same households written to a SQLite database (households table
of the versioned store, 1 500 sites in 9 counties) and read through services.rights — the matrix from counts
aggregated in SQL, one page (LIMIT/OFFSET) of a site × item cell, of a county-scoped list and of a deep page —
beside a bare pandas group-by of the same frame.
Run: python bench/bench_rights.py [households] [--no-sql] [--database URL]   (an empty database, e.g. PostgreSQL;
default a temporary SQLite file)
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from domain.rights import RIGHTS_CODES  # noqa: E402
from scoring.rights_matrix import counts_from_households, matrix  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

from data import models as m  # noqa: E402
from data.db import create  # noqa: E402
from domain.scope import CITY_SCOPE, Scope  # noqa: E402
from services import rights  # noqa: E402

MONTH = "2026-10"


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


def database(df: pd.DataFrame, url: str):
    """The frame written as the month's household versions (and its sites, in 9 counties) to an empty database."""
    eng = create(url)
    sites = sorted(df["site_code"].unique())
    counties = [f"5299{k:02d}" for k in range(9)]
    with eng.begin() as conn:
        conn.execute(insert(m.County), [dict(code=c, name=f"县{k}", city_code="529900", sort_order=k)
                                        for k, c in enumerate(counties)])
        conn.execute(insert(m.Site), [dict(code=s, valid_from="2020-01", name=f"安置点{s}", county_code=counties[i % 9],
                                           site_type="城镇集中安置区", lon=105.0, lat=25.0, households=300,
                                           population=1200, batch_year=2018) for i, s in enumerate(sites)])
        rows = []
        for r in df.itertuples(index=False):
            d = dict(valid_from="2020-01", household_code=r.household_code, site_code=r.site_code, head_name="户主",
                     head_id="522301199001010000", family_size=4, labour_count=2, origin_county="县",
                     origin_town="乡", origin_village="村", hukou_moved=bool(r.hukou_moved))
            for c in RIGHTS_CODES:
                v = getattr(r, c)
                d[c.lower()] = None if v != v else int(v)
            rows.append(d)
            if len(rows) == 20_000:
                conn.execute(insert(m.Household), rows)
                rows = []
        if rows:
            conn.execute(insert(m.Household), rows)
    with eng.begin() as conn:       # planner statistics, as a database in service has them (PostgreSQL
        conn.execute(text("ANALYZE"))   # picked a nested loop for the county filter without them: 7 s, not 0.2 s)
    return eng, counties[0]


def sql_path(df: pd.DataFrame, t_group: float, url: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        eng, county = database(df, url or f"sqlite:///{Path(tmp) / 'rights.db'}")
        print(f"database: {eng.dialect.name}")
        print(f"(database written in {time.perf_counter() - t0:.1f} s)")
        site = df["site_code"].iloc[0]
        scope = Scope.county(county)
        cases = {
            "matrix, city (SQL counts → sites × items)": lambda: rights.rights_matrix(eng, MONTH, CITY_SCOPE),
            "matrix, one county's scope": lambda: rights.rights_matrix(eng, MONTH, scope),
            "list: site × R05 gap, page 1 of 50": lambda: rights.household_list(eng, MONTH, CITY_SCOPE, site=site,
                                                                               item="R05"),
            "list: all gaps in a county's scope, page 1": lambda: rights.household_list(eng, MONTH, scope),
            "list: all gaps city-wide, page 2 000": lambda: rights.household_list(eng, MONTH, CITY_SCOPE,
                                                                                page=2_000),
        }
        for label, fn in cases.items():
            t = best(fn)
            print(f"{label}: {t:.3f} s   ratio to bare pandas group-by {t / t_group:.2f}   "
                  f"target < 1 s: {'OK' if t < 1 else 'MISSED'}")
        eng.dispose()


def main() -> None:
    argv = sys.argv[1:]
    url = argv[argv.index("--database") + 1] if "--database" in argv else None
    args = [a for a in argv if not a.startswith("--") and a != url]
    n = int(args[0]) if args else 450_000
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
    if "--no-sql" not in sys.argv:
        sql_path(df, t_g, url)


if __name__ == "__main__":
    main()
