"""domain.md §11 rules, each worked out by hand: rounding, zero denominators, 零就业家庭, praise, 摘牌预警,
completeness and rectification versions."""
import datetime as dt
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from scoring.catalogue import load_catalogue
from scoring.engine import score_month
from scoring.progress import county_progress, rectification_state
from scoring.rights import employment_metrics, zero_employment_households
from scoring.robustness import monte_carlo
from scoring.rules import cents, exact, half_up_cents, pct_cents
from tests.scoring.builders import combine, perfect_site, rect

CAT = load_catalogue()


def site_row(ms, code):
    return ms.sites.set_index("site_code").loc[code]


def ind(ms, code, indicator):
    i = ms.indicators
    return i[(i["site_code"] == code) & (i["code"] == indicator)].iloc[0]


def run(months):
    """[(month, parts, rects)] → list of CountyMonth, each month scored against the previous."""
    pairs, prev = [], None
    for month, parts, rects in months:
        md = combine(month, parts, rects=rects)
        sc = score_month(md, CAT, prev)
        pairs.append((md, sc))
        prev = sc
    return county_progress(pairs, CAT)


# ------------------------------------------------------------------------------------------------ rounding
def test_half_up_on_exact_values_not_floats():
    # the float nearest 84.925 is 84.92499999999999715…; half-to-even or a float rint would print 84.92
    assert exact(84.925) == Fraction(84925, 1000)
    assert half_up_cents(exact(84.925)) == 8493 and half_up_cents(exact(73.025)) == 7303
    assert half_up_cents(Fraction(1, 8)) == 13                     # 0.125 → 0.13 (half-to-even: 0.12)
    assert half_up_cents(Fraction(-1, 200)) == -1                  # −0.005 → −0.01 (half away from zero)
    assert pct_cents([1, 43, 30], [8, 49, 31]).tolist() == [1250, 8776, 9677]   # 12.5, 87.755…, 96.774…


def site_84925(code="A", county="K1", **kw):
    # S1 satisfaction 70 → 0 (−6), N4 4 problems → 0 (−4), I4 linkage 0 → 0 (−5),
    # S2 civic 79.25 → 4 × (79.25 − 40)/40 = 3.925 (−0.075): total 100 − 15.075 = 84.925 exactly
    return perfect_site(code, county=county, reported_overrides=dict(
        satisfaction_pct=70, inspection_problems=4, linkage_pct=0, civic_pct=79.25), **kw)


def site_73025(code="B", county="K1"):
    # as above with S2 civic 40 → 0 (−4): 81; S4 dispute 85.0625 → 6 × 5.0625/15 = 2.025 (−3.975);
    # I3 collective income 2 of 10 (中型) → 1 (−4): total 100 − 26.975 = 73.025 exactly
    return perfect_site(code, county=county, reported_overrides=dict(
        satisfaction_pct=70, inspection_problems=4, linkage_pct=0, civic_pct=40, dispute_pct=85.0625,
        collective_income=2))


def test_exact_total_x_xx5_is_printed_rounded_up():
    ms = score_month(combine(parts=[site_84925(), site_73025()]), CAT)
    a, b = site_row(ms, "A"), site_row(ms, "B")
    # the float sum of the same points is 84.92499999… and 73.02499999…: rint would give 84.92 / 73.02
    assert float(sum([5, 5, 0, 0, 6, 4, 4, 3, 3, 5, 4, 4, 3, 4, 0, 3.925, 4, 6, 6, 5, 5, 0])) < 84.925
    assert a.total == 84.93 and b.total == 73.03
    # S2's points 3.925 → 3.93; the 精神 dimension is its exact sum 0 + 3.925 + 4 + 6 = 13.925 → 13.93, once
    assert ind(ms, "A", "S2").points == 3.93 and a.dim_spirit == 13.93
    assert ind(ms, "B", "S4").points == 2.03 and b.dim_spirit == 6.03
    # judged on printed figures: 84.93 < 85 → not 达标, 良好; B 合格; ranks by printed totals
    assert (a.grade, bool(a.qualified), b.grade) == ("良好", False, "合格")
    assert (a["rank"], b["rank"]) == (1, 2)


def test_total_is_the_exact_sum_not_the_sum_of_rounded_dimensions():
    # I4 linkage 0.1 → 5 × 0.1/60 = 1/120 = 0.00833 (printed 0.01); S2 civic 40.05 → 4 × 0.05/40 = 0.005 (printed
    # 0.01); the rest as in site_84925 without I4/S2 losses: 100 − 6 − 4 − (5 − 1/120) − (4 − 0.005) = 81.01333…
    # → 81.01. Summing the printed dimensions (产业 15.01 + 精神 10.01 + …) would give 81.02.
    p = perfect_site("A", reported_overrides=dict(satisfaction_pct=70, inspection_problems=4, linkage_pct=0.1,
                                                   civic_pct=40.05))
    r = site_row(score_month(combine(parts=[p]), CAT), "A")
    assert (r.dim_industry, r.dim_spirit) == (15.01, 10.01)
    assert r.total == 81.01


def test_printed_85_00_with_printed_14_00_is_qualified():
    # S2 civic 79.95 → 3.995; total 84.995 → printed 85.00, 精神 13.995 → printed 14.00: 达标 (§11), 良好
    p = perfect_site("A", reported_overrides=dict(satisfaction_pct=70, inspection_problems=4, linkage_pct=0,
                                                   civic_pct=79.95))
    r = site_row(score_month(combine(parts=[p]), CAT), "A")
    assert (r.total, r.dim_spirit, bool(r.qualified), r.grade) == (85.0, 14.0, True, "良好")


def test_county_score_mean_of_printed_totals_half_up_and_delta():
    # K1: sites 84.92 (civic 79.2 → S2 3.92) and 84.93 (civic 79.3 → 3.93): mean 84.925 → 84.93.
    # K2: sites losing only S2: civic 40.2 → 96.02 and 40.3 → 96.03: mean 96.025 → 96.03 (the float mean is
    # 96.02499999… and np.round printed 96.02). May: each county's two sites at the lower figure; Δ +0.01 each.
    def s(code, county, civic, **rep):
        return perfect_site(code, county=county, batch_year=2027, reported_overrides=dict(civic_pct=civic, **rep))
    lose = dict(satisfaction_pct=70, inspection_problems=4, linkage_pct=0)
    may, june = run([("2026-05", [s("A", "K1", 79.2, **lose), s("B", "K1", 79.2, **lose),
                                  s("C", "K2", 40.2), s("D", "K2", 40.2)], []),
                     ("2026-06", [s("A", "K1", 79.2, **lose), s("B", "K1", 79.3, **lose),
                                  s("C", "K2", 40.2), s("D", "K2", 40.3)], [])])
    assert np.round((96.02 + 96.03) / 2, 2) == 96.02                # what the float code printed
    assert may.counties["score"].tolist() == [84.92, 96.02]
    assert june.counties["score"].tolist() == [84.93, 96.03]
    assert june.counties["delta_score"].tolist() == [0.01, 0.01]


def test_monte_carlo_at_zero_perturbation_rounds_like_the_official_figures():
    # A 84.925 → 84.93 and C 84.93 share rank 1 officially; the float kernel must not split them
    c = perfect_site("C", reported_overrides=dict(satisfaction_pct=70, inspection_problems=4, linkage_pct=0,
                                                   civic_pct=79.3))
    ms = score_month(combine(parts=[site_84925(), c]), CAT)
    assert ms.sites["total"].tolist() == [84.93, 84.93] and ms.sites["rank"].tolist() == [1, 1]
    mc = monte_carlo(ms, CAT, draws=5, weight_low=1.0, weight_high=1.0, target_spread=0.0)
    assert mc["median_rank"].tolist() == [1, 1] and mc["rank_p95"].tolist() == [1, 1]
    assert cents(np.array([84.925, 73.025])).tolist() == [8493, 7303]


# ------------------------------------------------------------------------------------------------ zero denominators
def test_no_labourers_listed_is_missing_and_never_vetoed():
    # households declare labourers (劳动力人数 1) but 劳动力 lists none: I2/E1/E2/E3/E4 are 缺报, 0 points; the
    # households are not 零就业家庭 (E2 has nothing to count from), so no veto. Total 100 − 5 − 6 − 4 − 4 − 3 = 78.
    p = perfect_site("A", n_households=3)
    p["labour"] = []
    ms = score_month(combine(parts=[p]), CAT)
    r = site_row(ms, "A")
    for code in ("I2", "E1", "E2", "E3", "E4"):
        assert (ind(ms, "A", code).status, ind(ms, "A", code).points) == ("缺报", 0)
    assert not r.veto and r.veto_reason == "" and r.total == 78 and r.grade == "合格"
    assert r.missing_codes == "I2、E1、E2、E3、E4" and r.reported_count == 17


def test_households_declaring_no_labour_are_missing_not_free_points():
    # every household says 劳动力人数 0 and none is listed: formerly 不涉及 (+22 free points); now 缺报 (§11)
    p = perfect_site("A", n_households=2)
    for h in p["households"]:
        h["labour_count"] = 0
    p["labour"] = []
    ms = score_month(combine(parts=[p]), CAT)
    assert {ind(ms, "A", c).status for c in ("I2", "E1", "E2", "E3", "E4")} == {"缺报"}
    assert site_row(ms, "A").total == 78


def test_E5_without_any_household_having_both_incomes_is_missing():
    p = perfect_site("A", n_households=2)
    p["households"][0]["income_prev"] = None
    p["households"][1]["income_curr"] = None
    ms = score_month(combine(parts=[p]), CAT)
    assert (ind(ms, "A", "E5").status, ind(ms, "A", "E5").points) == ("缺报", 0)
    assert site_row(ms, "A").total == 97


def test_E5_is_exact_on_incomes_as_written():
    # (10000.1 × 3) / (10000 × 3) − 1 = 0.001 % → 3 × 0.001/8 = 0.000375 points (printed 0.00); value exact
    p = perfect_site("A")
    p["households"][0].update(family_size=3, income_prev=10000, income_curr=10000.1)
    ms = score_month(combine(parts=[p]), CAT)
    assert ind(ms, "A", "E5").value == pytest.approx(0.001, abs=1e-12)
    assert ind(ms, "A", "E5").points == 0 and site_row(ms, "A").total == 97


# ------------------------------------------------------------------------------------------------ 零就业家庭
def test_county_zero_employment_is_the_sum_of_scored_E2():
    # K1: A has 1 zero-employment household (E2 = 1, scored); B's households declare labourers but B lists none
    # (E2 缺报): B adds nothing. The county shows 1, F3 says 1, and the work list names the one household of A.
    a = perfect_site("A", county="K1", batch_year=2027, n_households=2)
    a["labour"][0]["employed"] = False
    b = perfect_site("B", county="K1", batch_year=2027, n_households=3)
    b["labour"] = []
    cm = run([("2026-06", [a, b], [])])[0]
    c = cm.counties.iloc[0]
    assert c.zero_emp == 1 and c.reasons == ["存在零就业家庭1户"]
    md = combine("2026-06", [a, b])
    assert employment_metrics(md, "county")["zero_emp"].tolist() == [1]
    assert employment_metrics(md, "site").set_index("site_code")["zero_emp"].to_dict() == {"A": 1, "B": 0}
    assert zero_employment_households(md)["household_code"].tolist() == ["A-H0"]


# ------------------------------------------------------------------------------------------------ praise
def test_a_praised_county_is_never_a_flagged_one():
    # One site per county, two employed labourers each. May: K1 loses S1 (satisfaction 70: −6), N4 (4 problems:
    # −4), S2 (civic 40: −4), I4 (linkage 0: −5) → 81; K2–K5 lose N4 and S2 → 92.
    # June: K1 perfect but one household without work: E1 50 % → 0 (−6), E2 = 1 → 0 (−4) and veto → 90, Δ +9,
    # F3. K2 N4 2 problems → 98 (+6); K3 4 problems → 96 (+4); K4 4 problems + civic 60 (S2 2: −2) → 94 (+2);
    # K5 4 problems + civic 50 (−3) → 93 (+1).
    # F2: the two lowest are K1 (90) and K5 (93); median Δ = 4; K5's +1 < 4 → F2; K1's +9 is not below it.
    # Praise = the three largest Δ among unflagged counties with Δ > 0: K2, K3, K4 — not K1 (+9, flagged).
    def site(county, zero=False, **rep):
        p = perfect_site(f"S{county}", county=county, batch_year=2027, n_households=2, reported_overrides=rep)
        if zero:
            p["labour"][1]["employed"] = False
        return p
    may = [site("K1", satisfaction_pct=70, inspection_problems=4, civic_pct=40, linkage_pct=0)] + \
        [site(k, inspection_problems=4, civic_pct=40) for k in ("K2", "K3", "K4", "K5")]
    june = [site("K1", zero=True), site("K2", inspection_problems=2), site("K3", inspection_problems=4),
            site("K4", inspection_problems=4, civic_pct=60), site("K5", inspection_problems=4, civic_pct=50)]
    cms = run([("2026-05", may, []), ("2026-06", june, [])])
    c = cms[1].counties.set_index("county_code")
    assert c["score"].to_dict() == {"K1": 90, "K2": 98, "K3": 96, "K4": 94, "K5": 93}
    assert c["delta_score"].to_dict() == {"K1": 9, "K2": 6, "K3": 4, "K4": 2, "K5": 1}
    assert c["flag_codes"].to_dict() == {"K1": "F3", "K2": "", "K3": "", "K4": "", "K5": "F2"}
    assert cms[1].praise_codes == ["K2", "K3", "K4"]
    assert not (c["praise"] & c["flagged"]).any()


# ------------------------------------------------------------------------------------------------ 摘牌预警
def qualified_site(code, batch_year):
    return perfect_site(code, county="K1", batch_year=batch_year)


def unqualified_site(code, batch_year):
    """Total 86 but 精神状态好 6 < 14 → not 达标."""
    return perfect_site(code, county="K1", batch_year=batch_year,
                        reported_overrides=dict(satisfaction_pct=70, civic_pct=40, night_school=0))


def test_delisting_warning_for_any_named_site_after_two_months_below():
    # X (batch 2028, not due until Dec 2028): 达标 in March → named then, whatever its batch year.
    #   Apr ✗ May ✗ → 摘牌预警 in May; Jun ✓; Jul ✗ (one month) no; Aug ✗ → 摘牌预警 again.
    # Y: ✓ ✗ ✓ ✗ ✓ ✗ — never two months in a row → never warned.  Z: never 达标 → never named, never warned.
    plan = {"X": "✓✗✗✓✗✗", "Y": "✓✗✓✗✓✗", "Z": "✗✗✗✗✗✗"}
    months = ["2026-03", "2026-04", "2026-05", "2026-06", "2026-07", "2026-08"]
    cms = run([(m, [qualified_site(c, 2028) if plan[c][i] == "✓" else unqualified_site(c, 2028) for c in plan], [])
               for i, m in enumerate(months)])
    warned = {c: [bool(cm.sites.set_index("site_code").loc[c, "warning"]) for cm in cms] for c in plan}
    assert warned == {"X": [False, False, True, False, False, True], "Y": [False] * 6, "Z": [False] * 6}
    assert [bool(cm.sites.set_index("site_code").loc["Z", "named"]) for cm in cms] == [False] * 6
    assert cms[2].warnings["warning_text"].tolist() == ["安置点X连续2个月未达到五好社区标准，予以摘牌预警"]


def test_named_by_a_printed_85_00():
    # W's exact total 84.995 prints 85.00 and its 精神 13.995 prints 14.00: 达标 in March → named (§11: judged on
    # the printed figures); two months below in April and May → 摘牌预警 in May.
    w = perfect_site("W", county="K1", batch_year=2026, reported_overrides=dict(
        satisfaction_pct=70, inspection_problems=4, linkage_pct=0, civic_pct=79.95))
    cms = run([("2026-03", [w], []), ("2026-04", [unqualified_site("W", 2026)], []),
               ("2026-05", [unqualified_site("W", 2026)], [])])
    s = [cm.sites.iloc[0] for cm in cms]
    assert [bool(x.qualified) for x in s] == [True, False, False]
    assert [bool(x.warning) for x in s] == [False, False, True]


# ----------------------------------------------------------------------------------------- rectification versions
def versions():
    d = dt.date
    rows = [
        # R1: deadline 05-31 recorded in May; in July the deadline is extended to 08-31
        dict(rect("R1", "K1", deadline=d(2026, 5, 31), status="整改中", found=d(2026, 5, 2)), valid_from="2026-05"),
        dict(rect("R1", "K1", deadline=d(2026, 8, 31), status="整改中", found=d(2026, 5, 2)), valid_from="2026-07"),
        # R2: open in May, closed on 06-20 (recorded in June)
        dict(rect("R2", "K1", deadline=d(2026, 5, 20), status="整改中", found=d(2026, 5, 2)), valid_from="2026-05"),
        dict(rect("R2", "K1", deadline=d(2026, 5, 20), status="已销号", closed=d(2026, 6, 20), found=d(2026, 5, 2)),
             valid_from="2026-06"),
        # R3: first recorded in July (found in May, entered late): not part of May or June
        dict(rect("R3", "K1", deadline=d(2026, 5, 10), found=d(2026, 5, 3)), valid_from="2026-07"),
    ]
    return pd.DataFrame(rows)


def test_rectification_state_uses_the_version_holding_at_the_month_end():
    r = versions()
    may, june, july = (rectification_state(r, m) for m in ("2026-05", "2026-06", "2026-07"))
    # held versions: May R1v1 R2v1; June R1v1 R2v2; July R1v2 R2v2 R3
    assert may["held"].tolist() == [True, False, True, False, False]
    assert june["held"].tolist() == [True, False, False, True, False]
    assert july["held"].tolist() == [False, True, False, True, True]
    # overdue at the end: May R2 (deadline 05-20) — R1 is due on the last day; June R1 (05-31) only, R2 closed;
    # July R3 only (R1's new deadline 08-31 is not past, R2 closed)
    assert [r.loc[st["overdue"], "item_code"].tolist() for st in (may, june, july)] == [["R2"], ["R1"], ["R3"]]
    assert int(june["closed"].sum()) == 1 and int(may["closed"].sum()) == 0


def test_a_later_version_never_changes_an_earlier_months_flag():
    # the July extension of R1's deadline is in the data when June is scored again: June still counts R1 overdue
    def month(m):
        md = combine(m, [perfect_site("A", county="K1", batch_year=2027)])
        md.rectifications = versions()
        return md, score_month(md, CAT)
    cms = county_progress([month("2026-05"), month("2026-06"), month("2026-07")], CAT)
    assert [int(cm.counties.iloc[0].overdue) for cm in cms] == [1, 1, 1]
    assert [cm.counties.iloc[0].reasons for cm in cms] == [["问题整改逾期1项"]] * 3
    assert [int(cm.counties.iloc[0].open_items) for cm in cms] == [2, 1, 2]
    assert [int(cm.counties.iloc[0].closed_in_month) for cm in cms] == [0, 1, 0]
