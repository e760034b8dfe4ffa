"""score_month end to end on hand-built months: derivations (§4/§11), vetoes, statuses, grades, ranks."""
import numpy as np
import pandas as pd
import pytest

from scoring.catalogue import load_catalogue
from scoring.engine import score_month, site_columns
from scoring.indicators import compute_values
from tests.scoring.builders import combine, household, labourer, month_data, org, perfect_site

CAT = load_catalogue()


def score(*parts, previous=None, month="2026-06"):
    return score_month(combine(month, parts), CAT, previous)


def ind(ms, site_code, code):
    r = ms.indicators[(ms.indicators.site_code == site_code) & (ms.indicators.code == code)]
    assert len(r) == 1
    return r.iloc[0]


def row(ms, site_code):
    return ms.sites.set_index("site_code").loc[site_code]


def with_labour(code, specs, **site_kw):
    """A perfect site whose households/labour follow `specs`: one list of labourer dicts per household."""
    p = perfect_site(code, **site_kw)
    p["households"] = [household(f"{code}-H{h}", code, labour_count=len(lab)) for h, lab in enumerate(specs)]
    p["labour"] = [labourer(f"{code}-H{h}-P{i}", f"{code}-H{h}", code, **kw)
                   for h, lab in enumerate(specs) for i, kw in enumerate(lab)]
    return p


def test_perfect_site_scores_100():
    ms = score(perfect_site("A"))
    r = row(ms, "A")
    assert r.total == 100 and r.grade == "优秀" and bool(r.qualified) and not r.veto
    assert r.completeness == 1.0 and r.missing_codes == "" and r.reported_count == 22
    assert list(ms.sites.columns) == site_columns(CAT)
    assert (ms.indicators.points == ms.indicators.max_points).all()
    assert ms.month == "2026-06" and ms.catalogue_version == "v1"


def test_labour_rates_I2_E1_E3_E4():
    # 10 households × 2 labourers = 20 labourers.
    # employed 18 (households 0 and 1 each have one unemployed) → E1 90 % → 6 × 5/10 = 3
    # workshop/park: 3 (帮扶车间 ×2, 园区企业 ×1), others 县内务工 → I2 15 % → full 5
    # trained 14 → E3 70 % → 4 × 20/40 = 2;  certified 8 → E4 40 % → 3 × 20/30 = 2
    labs = []
    for h in range(10):
        pair = []
        for i in range(2):
            n = 2 * h + i
            kw = dict(form="县内务工", trained=n < 14, certified=n < 8)
            if n in (0, 2):
                kw.update(employed=False)
            elif n in (1, 3):
                kw.update(form="帮扶车间")
            elif n == 5:
                kw.update(form="园区企业")
            pair.append(kw)
        labs.append(pair)
    ms = score(with_labour("A", labs))
    assert ind(ms, "A", "E1").value == pytest.approx(90) and ind(ms, "A", "E1").points == pytest.approx(3)
    assert ind(ms, "A", "I2").value == pytest.approx(15) and ind(ms, "A", "I2").points == 5
    assert ind(ms, "A", "E3").value == pytest.approx(70) and ind(ms, "A", "E3").points == pytest.approx(2)
    assert ind(ms, "A", "E4").value == pytest.approx(40) and ind(ms, "A", "E4").points == pytest.approx(2)
    assert ind(ms, "A", "E2").value == 0 and not row(ms, "A").veto


def test_labour_links_by_household_not_labour_site_code():
    # the labourer row carries a wrong site_code, but its household belongs to A
    p = perfect_site("A")
    p["labour"] = [labourer("A-P0", "A-H0", "B")]
    q = perfect_site("B")
    ms = score(p, q)
    assert ind(ms, "A", "E1").value == 100 and ind(ms, "B", "E1").value == 100
    # B's own labourer only: still one labourer each
    vals = compute_values(combine(parts=[p, q]), CAT)
    assert set(vals.status) == {"ok"}


def test_zero_employment_household_veto_E2():
    # H0: two labourers, one employed → fine; H1: one labourer, unemployed → 零就业家庭
    ms = score(with_labour("A", [[{}, {"employed": False}], [{"employed": False}]]))
    e2 = ind(ms, "A", "E2")
    assert e2.value == 1 and e2.points == 0 and bool(e2.veto)
    r = row(ms, "A")
    assert r.veto and "零就业家庭1户" in r.veto_reason and r.grade == "不合格" and not r.qualified
    # it keeps its points: E1 = 1/3 employed → 0; E2 0 → 100 − 6 − 4
    assert r.total == 90


def test_household_without_labour_is_not_zero_employment():
    p = with_labour("A", [[{}]])
    p["households"].append(household("A-HX", "A", labour_count=0))
    ms = score(p)
    assert ind(ms, "A", "E2").value == 0 and not row(ms, "A").veto


def test_education_veto_P2_pooled():
    # 4 households: R10 已落实, 已落实, 未落实, blank → 2 / 4 = 50 %; blank counts in the denominator
    p = perfect_site("A", n_households=4)
    p["households"][2]["R10"] = "未落实"
    p["households"][3]["R10"] = None
    ms = score(p)
    p2 = ind(ms, "A", "P2")
    assert p2.value == 50 and p2.points == 0 and bool(p2.veto)
    r = row(ms, "A")
    assert r.veto and "入学" in r.veto_reason and r.grade == "不合格"


def test_education_all_not_applicable_is_不涉及():
    p = perfect_site("A", n_households=3)
    for h in p["households"]:
        h["R10"] = "不适用"
    ms = score(p)
    p2 = ind(ms, "A", "P2")
    assert p2.status == "不涉及" and p2.points == 4 and not p2.veto and np.isnan(p2.value)
    r = row(ms, "A")
    assert not r.veto and r.total == 100 and r.completeness == 1.0


def test_not_applicable_excluded_from_denominator():
    # R11: 已落实, 不适用, 未落实 → 1 / 2 = 50 %
    p = perfect_site("A", n_households=3)
    p["households"][1]["R11"] = "不适用"
    p["households"][2]["R11"] = "未落实"
    ms = score(p)
    assert ind(ms, "A", "P3").value == 50


def test_mass_incident_veto_S4():
    ms = score(perfect_site("A", reported_overrides=dict(mass_incidents=2)))
    r = row(ms, "A")
    assert r.veto and "重大群体性事件2起" in r.veto_reason and r.grade == "不合格" and r.total == 100
    assert bool(ind(ms, "A", "S4").veto) and ind(ms, "A", "S4").points == 6


def test_all_three_vetoes_listed():
    p = with_labour("A", [[{"employed": False}]], reported_overrides=dict(mass_incidents=1))
    p["households"][0]["R10"] = "未落实"
    r = row(score(p), "A")
    assert r.veto_reason.count("；") == 2


def test_P5_counts_open_not_blank():
    p = perfect_site("A", n_households=4)
    p["households"][0]["R14"] = "未落实"
    p["households"][1]["R14"] = "未落实"
    p["households"][1]["R15"] = "未落实"   # same household: counted once
    p["households"][2]["R15"] = None        # blank: 漏项, not 应保未保
    ms = score(p)
    assert ind(ms, "A", "P5").value == 2 and ind(ms, "A", "P5").points == 2


def test_N2_N3_pool_pairs_and_R01_side_by_hukou():
    # 2 households. H0 hukou moved (R01 → 迁入地), H1 not (R01 → 迁出地, blank hukou also 迁出地).
    # H0: R01 未落实 → destination pairs: H0 9 (R01,R02,R09..R15) + H1 8 = 17, done 16 → 94.117… %
    # H1: R03 blank, R04 不适用 → origin pairs: H0 6 + H1 R01 + 5 (R04 excluded) = 12, done 11 → 91.66… %
    p = perfect_site("A", n_households=2)
    p["households"][0].update(hukou_moved=True, R01="未落实")
    p["households"][1].update(hukou_moved=None, R03=None, R04="不适用")
    ms = score(p)
    assert ind(ms, "A", "N2").value == pytest.approx(16 / 17 * 100)
    assert ind(ms, "A", "N3").value == pytest.approx(11 / 12 * 100)
    # 5 × (1600/17 − 80) / 15 = 4.70588… points, printed half-up to 2 decimals (§11 "Rounding")
    assert ind(ms, "A", "N2").points == 4.71
    assert ind(ms, "A", "N3").points == 0.83             # 5 × (1100/12 − 90) / 10 = 5/6 = 0.833…
    # the dimension is the exact sum 6 + 80/17 + 5/6 + 4 = 1585/102 = 15.539…, rounded once
    assert row(ms, "A").dim_integration == 15.54


def test_E5_pooled_by_family_size():
    # (12000×2 + 10000×4) / (10000×2 + 10000×4) − 1 = 64000/60000 − 1 = 6.67 %; the household without
    # last year's income is left out of both sums
    p = perfect_site("A", n_households=3)
    p["households"][0].update(family_size=2, income_prev=10000, income_curr=12000)
    p["households"][1].update(family_size=4, income_prev=10000, income_curr=10000)
    p["households"][2].update(family_size=6, income_prev=None, income_curr=50000)
    ms = score(p)
    assert ind(ms, "A", "E5").value == pytest.approx(100 * (64000 / 60000 - 1))
    assert ind(ms, "A", "E5").points == pytest.approx(3 * (100 * (64000 / 60000 - 1)) / 8)


def test_P1_and_N1():
    p = perfect_site("A")
    p["org"] = org("A", platforms=(True, None, False),
                   required={"town_party": 1, "community_party": 1, "general_branch": 2, "branch": 4,
                             "party_group": 0, "town_gov": 1, "residents_committee": 1, "residents_group": 5,
                             "chief_building": 2, "building": 3},
                   actual={"town_party": 1, "community_party": 1, "general_branch": 3, "branch": 2,
                           "party_group": 5, "town_gov": 1, "residents_committee": 1, "residents_group": 5,
                           "chief_building": 2, "building": 0})
    ms = score(p)
    # P1: 1 platform → 5 − 2 × 2 = 1
    assert ind(ms, "A", "P1").value == 1 and ind(ms, "A", "P1").points == 1
    # N1: Σ min(actual, required) = 1+1+2+2+0+1+1+5+2+0 = 15, Σ required = 20 → 75 % → below floor 80 → 0
    assert ind(ms, "A", "N1").value == 75 and ind(ms, "A", "N1").points == 0


def test_missing_reported_row_and_cell():
    a = perfect_site("A")
    a["reported"] = None
    b = perfect_site("B", reported_overrides=dict(satisfaction_pct=None, night_school=np.nan))
    ms = score(a, b)
    ra, rb = row(ms, "A"), row(ms, "B")
    # the 8 reported indicators are 缺报
    assert ra.reported_count == 14 and ra.missing_codes == "I1、I3、I4、S1、S2、S3、S4、N4"
    assert ra.completeness == pytest.approx(14 / 22)
    # lost: I1 5 + I3 5 + I4 5 + S1 6 + S2 4 + S3 4 + S4 6 + N4 4 = 39 → 61
    assert ra.total == 61 and ra.grade == "合格"
    assert ind(ms, "A", "S1").status == "缺报" and ind(ms, "A", "S1").points == 0
    assert rb.missing_codes == "S1、S3" and rb.total == 90


def test_site_without_ledgers_has_L_indicators_missing():
    a = perfect_site("A")
    a["households"], a["labour"], a["org"] = [], [], None
    ms = score(a, perfect_site("B"))
    inds = ms.indicators[ms.indicators.site_code == "A"].set_index("code")
    L = [i.code for i in CAT.indicators if i.source == "L"]
    assert (inds.loc[L, "status"] == "缺报").all() and (inds.loc[L, "points"] == 0).all()
    assert row(ms, "A").reported_count == 8
    assert not row(ms, "A").veto  # unknown is not a veto
    # only reported indicators score: 5+5+5 + 6+4+4+6 + 4 = 39
    assert row(ms, "A").total == 39


def test_site_without_household_or_labour_rows_misses_P1_N1_too():
    a = perfect_site("A")
    a["households"], a["labour"] = [], []          # organisation row still present
    ms = score(a)
    assert ind(ms, "A", "P1").status == "缺报" and ind(ms, "A", "N1").status == "缺报"
    b = perfect_site("B")
    b["org"] = None                                # ledgers present, organisation sheet missing
    ms = score(b)
    assert ind(ms, "B", "P1").status == "缺报" and ind(ms, "B", "N1").status == "缺报"
    assert ind(ms, "B", "E1").status == "ok" and row(ms, "B").total == 89


def test_N1_all_required_zero_is_missing():
    # §11 "Zero denominators": Σ应设 = 0 declares nothing → 缺报, 0 points (was 不涉及 with full 6 points)
    p = perfect_site("A")
    p["org"] = org("A", required=0, actual=0)
    ms = score(p)
    assert ind(ms, "A", "N1").status == "缺报" and ind(ms, "A", "N1").points == 0
    r = row(ms, "A")
    assert r.total == 94 and r.dim_integration == 14 and "N1" in r.missing_codes and r.reported_count == 21


def test_households_without_labour_ledger_are_missing_not_zero_employment():
    a = perfect_site("A")
    a["labour"] = []
    ms = score(a)
    for code in ("I2", "E1", "E2", "E3", "E4"):
        assert ind(ms, "A", code).status == "缺报"
    assert not row(ms, "A").veto


@pytest.mark.parametrize("population,size_class", [
    (0, "小型"), (799, "小型"), (800, "中型"), (2999, "中型"), (3000, "大型"), (9999, "大型"),
    (10000, "特大型"), (25000, "特大型"),
])
def test_size_class_boundaries(population, size_class):
    ms = score(perfect_site("A", population=population, reported_overrides=dict(carriers=1)))
    r = row(ms, "A")
    assert r.size_class == size_class
    expected_full = {"小型": 1, "中型": 1, "大型": 2, "特大型": 3}[size_class]
    assert ind(ms, "A", "I1").full_value == expected_full
    # 5 × 1/3 = 1.666… points for 特大型, printed half-up: 1.67
    assert ind(ms, "A", "I1").points == {1: 5, 2: 2.5, 3: 1.67}[expected_full]


def test_size_class_from_population_not_household_count():
    p = perfect_site("A", population=3000, n_households=2)
    assert row(score(p), "A").size_class == "大型"


def _site_with_total(code, **rep):
    return perfect_site(code, reported_overrides=rep)


@pytest.mark.parametrize("rep,total,grade,qualified", [
    (dict(satisfaction_pct=70, inspection_problems=4), 90, "优秀", True),                 # −6 −4
    (dict(satisfaction_pct=70, inspection_problems=4, linkage_pct=59.88), 89.99, "良好", True),
    (dict(satisfaction_pct=70, inspection_problems=4, linkage_pct=0), 85, "良好", True),  # dims 15,20,20,14,16
    (dict(satisfaction_pct=70, inspection_problems=4, linkage_pct=0, civic_pct=79.8), 84.98, "良好", False),
    (dict(satisfaction_pct=70, civic_pct=40, linkage_pct=0), 85, "良好", False),          # spirit 10 < 14
    (dict(satisfaction_pct=70, civic_pct=40, night_school=0, dispute_pct=80, carriers=0, collective_income=0,
          linkage_pct=0), 65, "合格", False),
    (dict(satisfaction_pct=70, civic_pct=40, night_school=0, dispute_pct=80, carriers=0, collective_income=0,
          linkage_pct=0, inspection_problems=4, mass_incidents=0), 61, "合格", False),
])
def test_grade_and_qualified_boundaries(rep, total, grade, qualified):
    r = row(score(_site_with_total("A", **rep)), "A")
    assert r.total == pytest.approx(total)
    assert r.grade == grade
    assert bool(r.qualified) is qualified


def test_grade_60_and_below():
    # industry 0 (no workshop labour: I2 0; I1 I3 I4 0) and spirit 0 → 100 − 20 − 20 = 60
    base = dict(satisfaction_pct=70, civic_pct=40, night_school=0, dispute_pct=80, carriers=0,
                collective_income=0, linkage_pct=0)
    p = perfect_site("A", reported_overrides=base)
    p["labour"][0]["employment_form"] = "县内务工"
    r = row(score(p), "A")
    assert r.total == 60 and r.grade == "合格"
    q = perfect_site("A", reported_overrides={**base, "inspection_problems": 0.01})
    q["labour"][0]["employment_form"] = "县内务工"
    r = row(score(q), "A")
    assert r.total == pytest.approx(59.99) and r.grade == "不合格"


def test_grade_80_boundary():
    r = row(score(_site_with_total("A", satisfaction_pct=70, civic_pct=40, linkage_pct=0, inspection_problems=4,
                                   night_school=2.25)), "A")
    # −6 −4 −5 −4 −1 (S3: 4 × 2.25/3 = 3) = 80
    assert r.total == 80 and r.grade == "良好"


def test_veto_site_keeps_points_and_rank():
    a = perfect_site("A", reported_overrides=dict(mass_incidents=1))          # 100, vetoed
    b = perfect_site("B", reported_overrides=dict(satisfaction_pct=80))       # 97
    ms = score(a, b)
    assert row(ms, "A")["rank"] == 1 and row(ms, "A").grade == "不合格" and not row(ms, "A").qualified
    assert row(ms, "B")["rank"] == 2 and row(ms, "B").grade == "优秀" and row(ms, "B").qualified


def test_ranks_with_ties_and_class_ranks():
    ms = score(perfect_site("A", population=500),                                        # 100
               perfect_site("B", population=900, reported_overrides=dict(satisfaction_pct=80)),  # 97
               perfect_site("C", population=500, reported_overrides=dict(satisfaction_pct=80)),  # 97
               perfect_site("D", population=900, reported_overrides=dict(inspection_problems=4)),  # 96
               perfect_site("E", population=950, reported_overrides=dict(satisfaction_pct=80)))  # 97
    s = ms.sites.set_index("site_code")
    assert s["total"].to_dict() == {"A": 100, "B": 97, "C": 97, "D": 96, "E": 97}
    assert s["rank"].to_dict() == {"A": 1, "B": 2, "C": 2, "D": 5, "E": 2}
    assert s["class_rank"].to_dict() == {"A": 1, "C": 2, "B": 1, "E": 1, "D": 3}


def test_ranks_compare_rounded_totals():
    # 5 × 59.999/60 = 4.999917 → total 99.9999 → displayed 100.00: ties with the perfect site
    ms = score(perfect_site("A"), perfect_site("B", reported_overrides=dict(linkage_pct=59.999)))
    s = ms.sites.set_index("site_code")
    assert s.loc["B", "total"] == 100 and s["rank"].tolist() == [1, 1]


def test_delta_rank_and_score_vs_previous():
    prev = score(perfect_site("A", reported_overrides=dict(satisfaction_pct=70)),    # 94 → rank 3
                 perfect_site("B"),                                                   # 100 → rank 1
                 perfect_site("C", reported_overrides=dict(satisfaction_pct=80)),     # 97 → rank 2
                 month="2026-05")
    cur = score(perfect_site("A"),                                                    # 100 → rank 1
                perfect_site("B", reported_overrides=dict(satisfaction_pct=80)),      # 97 → rank 2
                perfect_site("C", reported_overrides=dict(satisfaction_pct=80)),      # 97 → rank 2
                perfect_site("N", reported_overrides=dict(satisfaction_pct=70)),      # 94, new: rank 4
                previous=prev)
    s = cur.sites.set_index("site_code")
    assert s.loc["A", "delta_rank"] == 2 and s.loc["A", "delta_total"] == 6 and s.loc["A", "prev_rank"] == 3
    assert s.loc["B", "delta_rank"] == -1 and s.loc["B", "delta_total"] == -3
    assert s.loc["C", "delta_rank"] == 0 and s.loc["C", "delta_total"] == 0
    assert s.loc["N", "rank"] == 4 and pd.isna(s.loc["N", "delta_rank"]) and pd.isna(s.loc["N", "delta_total"])
    assert pd.isna(s.loc["N", "delta_rank"]) and bool(s.loc["N", "is_new"]) and not s.loc["A", "is_new"]


def test_weakest_dimension():
    ms = score(perfect_site("A", reported_overrides=dict(satisfaction_pct=80)),      # spirit 17
               perfect_site("B"),                                                     # all equal → first
               perfect_site("C", reported_overrides=dict(inspection_problems=3, satisfaction_pct=80)))  # 17 vs 17
    s = ms.sites.set_index("site_code")
    assert s.loc["A", "weakest"] == "精神状态好" and s.loc["A", "weakest_key"] == "spirit"
    assert s.loc["B", "weakest"] == "产业带动好"
    assert s.loc["C", "weakest"] == "精神状态好"   # tie 17 / 17: spirit comes before integration


def test_indicator_frame_fields():
    ms = score(perfect_site("A", population=5000, reported_overrides=dict(collective_income=15)))
    i3 = ind(ms, "A", "I3")
    assert (i3.value, i3.full_value, i3.max_points) == (15, 30, 5)
    assert i3.points == pytest.approx(2.5) and i3.lost_points == pytest.approx(2.5)
    assert i3.dimension == "产业带动好" and i3.unit == "万元" and i3.source == "R"
    assert i3.rule == "线性计分：0万元及以下得0分，30万元及以上得满分5分，其间按比例"
    assert ind(ms, "A", "N4").full_value == 0 and ind(ms, "A", "P1").full_value == 3
    assert ind(ms, "A", "E2").full_value == 0 and ind(ms, "A", "P2").full_value == 100


def test_same_month_twice_identical():
    parts = [perfect_site("A", n_households=3, reported_overrides=dict(satisfaction_pct=81.3)),
             with_labour("B", [[{}, {"employed": False}], [{"employed": False}]], population=3200),
             perfect_site("C", population=12000, reported_overrides=dict(carriers=1))]
    md = combine(parts=parts)
    a, b = score_month(md, CAT), score_month(md, CAT)
    pd.testing.assert_frame_equal(a.sites, b.sites)
    pd.testing.assert_frame_equal(a.indicators, b.indicators)
    # input order of rows does not matter either
    md2 = combine(parts=parts[::-1])
    pd.testing.assert_frame_equal(a.sites, score_month(md2, CAT).sites)


def test_empty_month():
    ms = score_month(month_data("2026-06"), CAT)
    assert len(ms.sites) == 0 and len(ms.indicators) == 0
    assert list(ms.sites.columns) == site_columns(CAT)
