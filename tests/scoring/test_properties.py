"""Property tests (hypothesis): bounds, monotonicity, ranking validity, zero-perturbation Monte Carlo."""
import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from scoring.catalogue import load_catalogue
from scoring.engine import score_month
from scoring.robustness import monte_carlo
from scoring.rules import MISSING, NA, OK, RuleArrays, competition_rank, dimension_points, points, total_points
from tests.scoring.builders import combine, perfect_site

CAT = load_catalogue()
RA = RuleArrays.from_catalogue(CAT)
K = len(CAT.indicators)

values = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False, allow_infinity=False)


@st.composite
def matrices(draw, max_sites=6):
    S = draw(st.integers(1, max_sites))
    V = draw(hnp.arrays(float, (S, K), elements=values))
    ST = draw(hnp.arrays(np.int8, (S, K), elements=st.sampled_from([OK, OK, OK, MISSING, NA])))
    size = draw(hnp.arrays(np.int64, (S,), elements=st.integers(0, 3)))
    return V, ST, size


@given(matrices())
def test_points_within_bounds(m):
    V, ST, size = m
    P = points(V, ST, RA.site_targets(size), RA)
    assert np.all(P >= 0) and np.all(P <= RA.maxp + 1e-12)
    assert np.all(P[ST == MISSING] == 0)
    assert np.all(P[ST == NA] == np.broadcast_to(RA.maxp, P.shape)[ST == NA])
    tot = total_points(dimension_points(P, RA))
    assert np.all(tot >= 0) and np.all(tot <= 100 + 1e-9)


@given(matrices(max_sites=3), st.integers(0, K - 1), st.floats(min_value=0, max_value=1e3, allow_nan=False))
def test_improving_an_indicator_never_lowers_points(m, k, delta):
    V, ST, size = m
    ST = np.full_like(ST, OK)
    T = RA.site_targets(size)
    before = points(V, ST, T, RA)
    V2 = V.copy()
    V2[:, k] += delta if RA.up[k] else -delta
    after = points(V2, ST, T, RA)
    assert np.all(after[:, k] >= before[:, k] - 1e-12)
    assert np.array_equal(np.delete(after, k, axis=1), np.delete(before, k, axis=1))
    assert np.all(total_points(dimension_points(after, RA)) >= total_points(dimension_points(before, RA)) - 1e-9)


REPORTED_UP = {"carriers": (0, 5), "collective_income": (0, 80), "linkage_pct": (0, 100),
               "satisfaction_pct": (50, 100), "civic_pct": (0, 100), "night_school": (0, 10),
               "dispute_pct": (50, 100)}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(REPORTED_UP)), st.floats(0, 1), st.floats(0, 1),
       st.sampled_from([500, 800, 2999, 3000, 12000]))
def test_improving_a_reported_value_never_lowers_the_total(field, a, b, population):
    lo, hi = REPORTED_UP[field]
    x, y = sorted([lo + a * (hi - lo), lo + b * (hi - lo)])
    t = [score_month(combine(parts=[perfect_site("A", population=population, reported_overrides={field: v})]),
                     CAT).sites["total"].iloc[0] for v in (x, y)]
    assert t[1] >= t[0]
    # and fewer inspection problems never lower it either
    t = [score_month(combine(parts=[perfect_site("A", reported_overrides={"inspection_problems": v})]),
                     CAT).sites["total"].iloc[0] for v in (round(y * 6), round(x * 6))]
    assert t[1] >= t[0]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.sampled_from(["已落实", "未落实", "不适用", None]), min_size=15, max_size=15),
       st.integers(0, 14))
def test_fulfilling_a_right_never_lowers_the_total(statuses, k):
    def total(sts):
        p = perfect_site("A", n_households=2)
        for i, s in enumerate(sts):
            p["households"][0][f"R{i + 1:02d}"] = s
        return score_month(combine(parts=[p]), CAT).sites["total"].iloc[0]
    improved = list(statuses)
    improved[k] = "已落实"
    assert total(improved) >= total(statuses)


@given(hnp.arrays(np.int64, st.integers(1, 40), elements=st.integers(0, 20)))
def test_competition_rank_is_valid(c):
    r = competition_rank(c)
    # rank = 1 + number of strictly better values
    assert np.array_equal(r, 1 + (c[None, :] > c[:, None]).sum(axis=1))
    # sorted, the ranks form a competition sequence: 1, then each rank equals its position or repeats
    rs = np.sort(r)
    assert rs[0] == 1
    for i in range(1, len(rs)):
        assert rs[i] == rs[i - 1] or rs[i] == i + 1
    # equal values share a rank; better values rank strictly better
    for i in range(len(c)):
        for j in range(len(c)):
            assert (c[i] == c[j]) == (r[i] == r[j])
            assert (c[i] > c[j]) == (r[i] < r[j])


@given(hnp.arrays(np.int64, st.tuples(st.integers(1, 5), st.integers(1, 12)), elements=st.integers(-1, 10000)))
def test_row_wise_rank_equals_one_dimensional(c):
    r = competition_rank(c)
    for row, rr in zip(c, r):
        assert np.array_equal(competition_rank(row), rr)


@st.composite
def months(draw):
    n = draw(st.integers(1, 7))
    parts = []
    for i in range(n):
        rep = {f: draw(st.sampled_from([lo, (lo + hi) / 2, hi, lo + (hi - lo) / 3]))
               for f, (lo, hi) in REPORTED_UP.items()}
        rep["inspection_problems"] = draw(st.integers(0, 5))
        rep["mass_incidents"] = draw(st.sampled_from([0, 0, 0, 1]))
        parts.append(perfect_site(f"S{i}", population=draw(st.sampled_from([300, 800, 3000, 10000])),
                                  reported_overrides=rep))
    return combine(parts=parts)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(months())
def test_zero_perturbation_median_rank_is_official_rank(md):
    sc = score_month(md, CAT)
    mc = monte_carlo(sc, CAT, draws=7, weight_low=1.0, weight_high=1.0, target_spread=0.0)
    assert np.array_equal(mc["median_rank"].to_numpy(), sc.sites["rank"].to_numpy())
    assert np.array_equal(mc["rank_p05"].to_numpy(), sc.sites["rank"].to_numpy())
    assert np.array_equal(mc["rank_p95"].to_numpy(), sc.sites["rank"].to_numpy())
    assert np.array_equal(mc["qualified_prob"].to_numpy() == 1.0, sc.sites["qualified"].to_numpy())


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(months())
def test_monte_carlo_intervals_are_ordered(md):
    sc = score_month(md, CAT)
    mc = monte_carlo(sc, CAT, draws=60)
    assert (mc["rank_p05"] <= mc["median_rank"]).all() and (mc["median_rank"] <= mc["rank_p95"]).all()
    assert mc["qualified_prob"].between(0, 1).all()
    assert (mc.loc[sc.sites["veto"].to_numpy(), "qualified_prob"] == 0).all()
    pd.testing.assert_frame_equal(mc, monte_carlo(sc, CAT, draws=60))
