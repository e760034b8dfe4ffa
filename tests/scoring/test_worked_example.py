"""A worked example: four small sites scored by hand, every number written out and asserted.

Catalogue v1 (domain.md §4). Month 2026-06.

Site A — 中型 (搬迁人数 1200), county C1, batch 2026
  households A1..A4: family 4, 劳动力 2 each; 户籍迁入 A1–A3 yes, A4 no
  labour (8): employed 7 (A4's second labourer is not; A4 still has one employed → no 零就业家庭)
              帮扶车间 1, trained 6, certified 3
    I2 = 1/8 = 12.5 %  ≥ 10                       → 5
    E1 = 7/8 = 87.5 %  6 × (87.5−85)/(95−85)      → 1.5
    E2 = 0 households                             → 4
    E3 = 6/8 = 75 %    4 × (75−50)/(90−50)        → 2.5
    E4 = 3/8 = 37.5 %  3 × (37.5−20)/(50−20)      → 1.75
    E5 = Σ(curr×4)/Σ(prev×4) − 1 = (10400+10400+10800+10800)/(4×10000) − 1 = 6 %  3 × 6/8 → 2.25
  rights: all 已落实 except A1 R13 blank and A3 R05 未落实
    P2 R10 4/4 = 100 %                            → 4
    P3 R11 4/4 = 100 %                            → 4
    P4 R13 3/4 = 75 % < 85                        → 0
    P5 0 households                               → 4
    N2 迁入地 pairs: 8 items (R02,R09–R15) × 4 + R01 of A1–A3 = 35; done 34 → 97.14 % ≥ 95 → 5
    N3 迁出地 pairs: 6 items (R03–R08) × 4 + R01 of A4 = 25; done 24 → 96 %  5 × (96−90)/10 → 3
  organisation: platforms 2 of 3 → P1 = 5 − 2 × 1 → 3
                posts 应设 1 each, 分楼长 已设 0 → N1 = 9/10 = 90 %  6 × (90−80)/20 → 3
  reported: I1 carriers 1 (中型 target 1) → 5; I3 5 万元 (target 10) → 2.5; I4 30 % → 5 × 30/60 = 2.5
            S1 85 % → 6 × 15/20 = 4.5; S2 60 % → 4 × 20/40 = 2; S3 3 场 (target 3) → 4
            S4 90 % → 6 × 10/15 = 4; N4 1 problem → 4 − 1 = 3
  dimensions: 产业 5+5+2.5+2.5 = 15; 就业 1.5+4+2.5+1.75+2.25 = 12; 公共服务 3+4+4+0+4 = 15;
              精神 4.5+2+4+4 = 14.5; 融入 3+5+3+3 = 14
  total 70.5 → 合格; not 达标 (total < 85, 就业 12 < 14); 短板 就业帮扶好 (12/20)

Site B — 中型 (搬迁人数 exactly 800), county C1, batch 2025
  perfect ledgers, but no monthly-indicator row: I1 I3 I4 S1 S2 S3 S4 N4 are 缺报 → 0
  total 100 − (5+5+5+6+4+4+6+4 = 39) = 61 → 合格; completeness 14/22; 短板 精神状态好 (0)

Site C — 大型 (搬迁人数 exactly 3000), county C2, batch 2026
  C1: 1 labourer employed in a 帮扶车间; C2: 1 labourer, unemployed → 零就业家庭 1 → veto
    I2 1/2 = 50 % → 5; E1 50 % → 0; E2 1 → 0 (veto); E3 100 % → 4; E4 100 % → 3; E5 10 % → 3
  reported: carriers 2 (大型 target 2) → 5; collective 30 (target 30) → 5; night school 6 (target 6) → 4
  total 100 − 6 − 4 = 90, but vetoed → 不合格, not 达标; it is still ranked by its 90 points

Site D — 特大型 (搬迁人数 exactly 10000), county C2, batch 2027
  perfect except carriers 2.4 (特大型 target 3) → 5 × 2.4/3 = 4 → 产业 19, total 99 → 优秀, 达标

Ranks: D 99 → 1, C 90 → 2, A 70.5 → 3, B 61 → 4.  同类: A 1 and B 2 (中型), C 1 (大型), D 1 (特大型).
"""
import datetime as dt

import pytest

from scoring.catalogue import load_catalogue
from scoring.engine import score_month
from scoring.progress import county_month
from scoring.robustness import monte_carlo
from tests.scoring.builders import combine, household, labourer, org, perfect_site, rect, reported

CAT = load_catalogue()


def build():
    a = perfect_site("A", county="C1", population=1200, batch_year=2026)
    curr = [10400, 10400, 10800, 10800]
    a["households"] = [household(f"A{i + 1}", "A", family_size=4, labour_count=2, hukou_moved=i < 3,
                                 income_prev=10000, income_curr=curr[i]) for i in range(4)]
    a["households"][0]["R13"] = None
    a["households"][2]["R05"] = "未落实"
    spec = [  # (household, employed, form, trained, certified)
        ("A1", True, "帮扶车间", True, True), ("A1", True, "县内务工", True, True),
        ("A2", True, "县内务工", True, True), ("A2", True, "省外务工", True, False),
        ("A3", True, "县内务工", True, False), ("A3", True, "县内务工", True, False),
        ("A4", True, "灵活就业", False, False), ("A4", False, None, False, False)]
    a["labour"] = [labourer(f"A-P{k}", h, "A", employed=e, form=f, trained=t, certified=c)
                   for k, (h, e, f, t, c) in enumerate(spec)]
    a["org"] = org("A", platforms=(True, True, False), required=1,
                   actual={"town_party": 1, "community_party": 1, "general_branch": 1, "branch": 1,
                           "party_group": 1, "town_gov": 1, "residents_committee": 1, "residents_group": 1,
                           "chief_building": 1, "building": 0})
    a["reported"] = reported("A", carriers=1, collective_income=5, linkage_pct=30, satisfaction_pct=85,
                             civic_pct=60, night_school=3, dispute_pct=90, mass_incidents=0, inspection_problems=1)

    b = perfect_site("B", county="C1", population=800, batch_year=2025)
    b["reported"] = None

    c = perfect_site("C", county="C2", population=3000, batch_year=2026,
                     reported_overrides=dict(carriers=2, collective_income=30, night_school=6))
    c["households"] = [household("C1", "C"), household("C2", "C")]
    c["labour"] = [labourer("C-P1", "C1", "C"), labourer("C-P2", "C2", "C", employed=False)]

    d = perfect_site("D", county="C2", population=10000, batch_year=2027,
                     reported_overrides=dict(carriers=2.4, collective_income=50, night_school=6))
    rects = [rect("X1", "C1", deadline=dt.date(2026, 6, 15), status="整改中"),                 # overdue
             rect("X2", "C2", deadline=dt.date(2026, 6, 30)),                                # due on the last day
             rect("X3", "C2", deadline=dt.date(2026, 6, 10), status="已销号", closed=dt.date(2026, 6, 20))]
    return combine("2026-06", [a, b, c, d], rects=rects)


@pytest.fixture(scope="module")
def scores():
    return score_month(build(), CAT)


def test_site_A_indicators(scores):
    i = scores.indicators[scores.indicators.site_code == "A"].set_index("code")
    expected_values = {"I1": 1, "I2": 12.5, "I3": 5, "I4": 30, "E1": 87.5, "E2": 0, "E3": 75, "E4": 37.5, "E5": 6,
                       "P1": 2, "P2": 100, "P3": 100, "P4": 75, "P5": 0, "S1": 85, "S2": 60, "S3": 3, "S4": 90,
                       "N1": 90, "N2": 34 / 35 * 100, "N3": 96, "N4": 1}
    expected_points = {"I1": 5, "I2": 5, "I3": 2.5, "I4": 2.5, "E1": 1.5, "E2": 4, "E3": 2.5, "E4": 1.75,
                       "E5": 2.25, "P1": 3, "P2": 4, "P3": 4, "P4": 0, "P5": 4, "S1": 4.5, "S2": 2, "S3": 4,
                       "S4": 4, "N1": 3, "N2": 5, "N3": 3, "N4": 3}
    for code in CAT.codes:
        assert i.loc[code, "value"] == pytest.approx(expected_values[code], abs=1e-9), code
        assert i.loc[code, "points"] == pytest.approx(expected_points[code], abs=1e-9), code
    assert (i["status"] == "ok").all()


def test_site_rows(scores):
    s = scores.sites.set_index("site_code")
    dims = ["dim_industry", "dim_employment", "dim_service", "dim_spirit", "dim_integration"]
    assert s.loc["A", dims].tolist() == [15, 12, 15, 14.5, 14]
    assert s.loc["B", dims].tolist() == [5, 20, 20, 0, 16]
    assert s.loc["C", dims].tolist() == [20, 10, 20, 20, 20]
    assert s.loc["D", dims].tolist() == [19, 20, 20, 20, 20]
    assert s["total"].to_dict() == {"A": 70.5, "B": 61, "C": 90, "D": 99}
    assert s["size_class"].to_dict() == {"A": "中型", "B": "中型", "C": "大型", "D": "特大型"}
    assert s["grade"].to_dict() == {"A": "合格", "B": "合格", "C": "不合格", "D": "优秀"}
    assert s["qualified"].to_dict() == {"A": False, "B": False, "C": False, "D": True}
    assert s["veto"].to_dict() == {"A": False, "B": False, "C": True, "D": False}
    assert s.loc["C", "veto_reason"] == "存在零就业家庭1户"
    assert s["rank"].to_dict() == {"A": 3, "B": 4, "C": 2, "D": 1}
    assert s["class_rank"].to_dict() == {"A": 1, "B": 2, "C": 1, "D": 1}
    assert s["weakest"].to_dict() == {"A": "就业帮扶好", "B": "精神状态好", "C": "就业帮扶好", "D": "产业带动好"}
    assert s.loc["B", "reported_count"] == 14 and s.loc["B", "completeness"] == pytest.approx(14 / 22)
    assert s.loc["B", "missing_codes"] == "I1、I3、I4、S1、S2、S3、S4、N4"


def test_zero_perturbation_monte_carlo_reproduces_ranks(scores):
    mc = monte_carlo(scores, CAT, draws=50, weight_low=1, weight_high=1, target_spread=0)
    assert mc["median_rank"].tolist() == [3, 4, 2, 1]
    assert (mc["rank_p05"] == mc["rank"]).all() and (mc["rank_p95"] == mc["rank"]).all()
    assert mc["qualified_prob"].tolist() == [0, 0, 0, 1]


def test_county_figures():
    # June (m = 6). C1: batches 2026 + 2025 → expected 1 + 1 × 6/12 = 1.5 → floor 1; achieved 0 → F1.
    #   score (70.5 + 61)/2 = 65.75; X1 deadline 06-15, 整改中 → overdue 1 → F4.
    # C2: batches 2026 + 2027 → expected 0.5 → floor 0; achieved 1 (D). score (90 + 99)/2 = 94.5;
    #   零就业家庭 1 (site C) → F3; X2 due on 06-30 is open, not overdue; X3 closed 06-20.
    md = build()
    cm = county_month(md, score_month(md, CAT))
    c = cm.counties.set_index("county_code")
    assert c["expected"].to_dict() == {"C1": 1.5, "C2": 0.5}
    assert c["expected_floor"].to_dict() == {"C1": 1, "C2": 0}
    assert c["qualified"].to_dict() == {"C1": 0, "C2": 1}
    assert c["score"].to_dict() == {"C1": 65.75, "C2": 94.5}
    assert c["rank"].tolist() == [2, 1]
    assert c["open_items"].to_dict() == {"C1": 1, "C2": 1} and c["overdue"].to_dict() == {"C1": 1, "C2": 0}
    assert c["zero_emp"].to_dict() == {"C1": 0, "C2": 1}
    # C1 coverage: 迁入地 A 34/35 + B 9/9 = 43/44 = 97.727… → 97.73; 迁出地 A 24/25 + B 6/6 = 30/31 = 96.774… → 96.77
    # (county rates are printed figures: half-up to 2 decimals, §11)
    assert c.loc["C1", "coverage_in"] == 97.73
    assert c.loc["C1", "coverage_out"] == 96.77
    assert c["reasons"].to_dict() == {"C1": ["五好社区创建进度滞后：达标0个，低于序时进度1个", "问题整改逾期1项"],
                                      "C2": ["存在零就业家庭1户"]}
    assert c["flag_codes"].to_dict() == {"C1": "F1、F4", "C2": "F3"}
    assert list(cm.flags["flag"]) == ["F1", "F4", "F3"]
    assert cm.praise == []   # no previous month, no Δ score
