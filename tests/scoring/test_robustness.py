"""Monte Carlo robustness annotation (domain.md §4)."""
import numpy as np
import pandas as pd
import pytest

from scoring.catalogue import load_catalogue
from scoring.engine import score_month
from scoring.robustness import monte_carlo, perturbed_targets, rank_interval
from scoring.rules import RuleArrays
from tests.scoring.builders import combine, perfect_site

CAT = load_catalogue()
RA = RuleArrays.from_catalogue(CAT)


def test_perturbed_targets_span_and_value_modes():
    k = {c: i for i, c in enumerate(CAT.codes)}
    T = RA.site_targets(np.array([1]))            # 中型
    f = np.ones((1, len(CAT.codes)))
    f[0, k["E1"]] = 1.1                           # linear(85, 95)
    f[0, k["I3"]] = 0.9                           # linear(0, 10) for 中型
    f[0, k["P2"]] = 1.1                           # threshold 100 (%)
    f[0, k["N1"]] = 1.1                           # linear(80, 100) (%)
    span = perturbed_targets(T, f, RA, "span")[0, 0]
    assert span[k["E1"]] == pytest.approx(96)     # 95 + (95 − 85) × 0.1
    assert span[k["I3"]] == pytest.approx(9)      # floor 0: 10 × 0.9
    assert span[k["P2"]] == 100                   # 110 capped at 100 %
    assert span[k["N1"]] == 100                   # 102 capped at 100 %
    assert span[k["S1"]] == 90                    # factor 1: unchanged, bit for bit
    value = perturbed_targets(T, f, RA, "value")[0, 0]
    assert value[k["E1"]] == 100                  # 104.5 capped
    f2 = np.ones((1, len(CAT.codes)))
    f2[0, k["E1"]] = 0.9
    assert perturbed_targets(T, f2, RA, "value")[0, 0, k["E1"]] == pytest.approx(85.5)
    assert perturbed_targets(T, f2, RA, "span")[0, 0, k["E1"]] == pytest.approx(94)
    assert np.isnan(span[k["N4"]])                # deduct: no target


def test_equal_totals_split_by_weights():
    # A loses 5 points in 产业 (linkage 0), B loses 5 in 精神 (S1 4 × … : satisfaction 73.33 → −5)
    a = perfect_site("A", reported_overrides=dict(linkage_pct=0))
    b = perfect_site("B", reported_overrides=dict(inspection_problems=4, civic_pct=70))  # 融入 −4, 精神 −1
    sc = score_month(combine(parts=[a, b]), CAT)
    assert sc.sites["total"].tolist() == [95, 95] and sc.sites["rank"].tolist() == [1, 1]
    mc = monte_carlo(sc, CAT, target_spread=0.0)   # weights only
    # each is sometimes first and sometimes second
    assert mc["rank_p05"].tolist() == [1, 1] and mc["rank_p95"].tolist() == [2, 2]
    assert mc.attrs["draws"] == 1000 and mc.attrs["seed"] == CAT.monte_carlo.seed


def test_perfect_site_stays_qualified_and_borderline_site_wavers():
    perfect = perfect_site("P")
    # exactly 85 with dimensions 15, 20, 20, 14, 16: 达标 officially, but not robustly
    border = perfect_site("B", reported_overrides=dict(satisfaction_pct=70, inspection_problems=4, linkage_pct=0))
    sc = score_month(combine(parts=[perfect, border]), CAT)
    assert sc.sites.set_index("site_code")["total"].to_dict() == {"B": 85, "P": 100}
    assert sc.sites["qualified"].all()
    mc = monte_carlo(sc, CAT).set_index("site_code")
    assert mc.loc["P", "qualified_prob"] == 1.0
    assert 0.0 < mc.loc["B", "qualified_prob"] < 1.0
    assert mc.loc["P", "median_rank"] == 1 and mc.loc["B", "median_rank"] == 2


def test_fixed_seed_is_reproducible_and_seed_matters():
    # close totals (I4 +0.5 i, S1 −0.6 i) with different profiles: the ranks move with the weights
    parts = [perfect_site(f"S{i}", reported_overrides=dict(linkage_pct=30 + 6 * i, satisfaction_pct=88 - 2 * i))
             for i in range(6)]
    sc = score_month(combine(parts=parts), CAT)
    a, b = monte_carlo(sc, CAT), monte_carlo(sc, CAT)
    pd.testing.assert_frame_equal(a, b)
    _, ranks1 = monte_carlo(sc, CAT, seed=1, return_draws=True)
    _, ranks2 = monte_carlo(sc, CAT, seed=2, return_draws=True)
    assert ranks1.shape == (1000, 6) and not np.array_equal(ranks1, ranks2)


def test_chunking_does_not_change_results(monkeypatch):
    import scoring.robustness as rob
    parts = [perfect_site(f"S{i}", reported_overrides=dict(satisfaction_pct=72 + 2 * i, linkage_pct=20 + 7 * i))
             for i in range(5)]
    sc = score_month(combine(parts=parts), CAT)
    whole = monte_carlo(sc, CAT, draws=97)
    monkeypatch.setattr(rob, "CHUNK_ELEMENTS", 5 * 22 * 7)   # 7 draws per chunk
    pd.testing.assert_frame_equal(whole, monte_carlo(sc, CAT, draws=97))


def test_rank_interval_text():
    assert rank_interval(3, 7) == "3–7"
    assert rank_interval(4, 4) == "4"


def test_span_fast_path_equals_general_path(monkeypatch):
    import scoring.robustness as rob
    rng = np.random.default_rng(5)
    parts = []
    for i in range(25):
        parts.append(perfect_site(f"S{i:02d}", population=int(rng.choice([500, 1500, 5000, 15000])),
                                  reported_overrides=dict(satisfaction_pct=rng.uniform(70, 95),
                                                          linkage_pct=rng.uniform(20, 70),
                                                          civic_pct=rng.uniform(40, 90),
                                                          carriers=rng.uniform(0.5, 3.5),
                                                          night_school=rng.uniform(1, 7),
                                                          dispute_pct=rng.uniform(80, 99),
                                                          inspection_problems=int(rng.integers(0, 3)))))
        if i % 4 == 0:
            parts[-1]["households"][0]["R11"] = "未落实"       # P3 0 %, N2 below target: linear with cap
        if i % 5 == 0:
            parts[-1]["reported"]["satisfaction_pct"] = None   # 缺报
    sc = score_month(combine(parts=parts), CAT)
    fast, rf = monte_carlo(sc, CAT, draws=300, return_draws=True)
    monkeypatch.setattr(rob, "USE_SPAN_KERNEL", False)
    slow, rs = monte_carlo(sc, CAT, draws=300, return_draws=True)
    assert np.array_equal(rf, rs)
    pd.testing.assert_frame_equal(fast, slow)
