"""Creation plan (§5), county flags F1–F5, escalation, praise and 摘牌预警 (§6) on hand-built months."""
import datetime as dt

import pandas as pd
import pytest

from scoring.catalogue import load_catalogue
from scoring.engine import score_month
from scoring.progress import county_month, county_progress, creation_plan
from tests.scoring.builders import combine, household, labourer, perfect_site, rect

CAT = load_catalogue()


def lossy(code, county, loss, batch_year=2027, **kw):
    """A perfect site losing exactly `loss` (integer ≤ 13) points: N4 up to 4, S2 up to 4, I4 up to 5."""
    n4 = min(loss, 4)
    s2 = min(loss - n4, 4)
    i4 = loss - n4 - s2
    assert i4 <= 5
    return perfect_site(code, county=county, batch_year=batch_year,
                        reported_overrides=dict(inspection_problems=n4, civic_pct=40 + 10 * (4 - s2),
                                                linkage_pct=60 - 12 * i4), **kw)


def run(months):
    """[(month, parts, rects)] → list of CountyMonth, each month scored against the previous."""
    prev_scores, pairs = None, []
    for month, parts, rects in months:
        md = combine(month, parts, rects=rects)
        sc = score_month(md, CAT, prev_scores)
        pairs.append((md, sc))
        prev_scores = sc
    return county_progress(pairs, CAT)


def test_creation_plan_expected_and_floor():
    sites = pd.DataFrame({"county_code": ["K"] * 10,
                          "batch_year": [2025, 2025, 2026, 2026, 2026, 2026, 2026, 2026, 2026, 2027],
                          "qualified": [True, True, False, False, False, False, False, False, False, True]})
    p = creation_plan(sites, "2026-05").iloc[0]
    # 2 before + 7 this year × 5/12 = 2 + 2.9167 = 4.9167 → floor 4; achieved 3 (incl. the 2027 site) → lag
    assert p.expected == pytest.approx(2 + 35 / 12) and p.expected_floor == 4 and p.plan_year == 9
    assert p.qualified == 3 and bool(p.creation_lag)
    # December: 2 + 7 = 9
    assert creation_plan(sites, "2026-12").iloc[0].expected_floor == 9
    # 3 sites of the year in April: 3 × 4/12 = 1 exactly (integer arithmetic, no 0.999…)
    s3 = pd.DataFrame({"county_code": ["K"] * 3, "batch_year": [2026] * 3, "qualified": [True, False, False]})
    p = creation_plan(s3, "2026-04").iloc[0]
    assert p.expected_floor == 1 and not p.creation_lag


def test_F1_creation_behind():
    # December 2026: both batch-2026 sites must be 达标; B's 精神状态好 is 10 < 14 → achieved 1 < 2
    b = perfect_site("B", county="K1", batch_year=2026, reported_overrides=dict(satisfaction_pct=70, civic_pct=40))
    cms = run([("2026-12", [lossy("A", "K1", 0, batch_year=2026), b], [])])
    c = cms[0].counties.iloc[0]
    assert (c.qualified, c.expected_floor) == (1, 2)
    # a flag carries its code and its sentence separately: the sentence has no code in it
    assert c.flag_codes == "F1" and c.reasons == ["五好社区创建进度滞后：达标1个，低于序时进度2个"]
    assert c.flag_list == [("F1", "五好社区创建进度滞后：达标1个，低于序时进度2个")]
    assert c.level == "进度滞后" and c.consecutive == 1 and c.escalation == ""


def test_no_F1_when_on_schedule():
    # June: 1 site of batch 2026 → expected 0.5 → floor 0
    cms = run([("2026-06", [lossy("A", "K1", 12, batch_year=2026)], [])])
    assert cms[0].counties.iloc[0].flag_codes == ""


FIVE = {  # county: (loss in May, loss in June) → totals May / June and Δ
    "K1": (10, 6),   # 90 → 94   +4
    "K2": (10, 3),   # 90 → 97   +7
    "K3": (3, 10),   # 97 → 90   −7
    "K4": (10, 8),   # 90 → 92   +2
    "K5": (6, 5),    # 94 → 95   +1
}


def five_counties():
    return run([(m, [lossy(f"S{k}", k, FIVE[k][i]) for k in FIVE], []) for i, m in enumerate(["2026-05", "2026-06"])])


def test_F2_lowest_two_and_below_median_delta_and_praise():
    may, june = five_counties()
    c = june.counties.set_index("county_code")
    assert c["score"].to_dict() == {"K1": 94, "K2": 97, "K3": 90, "K4": 92, "K5": 95}
    assert c["delta_score"].to_dict() == {"K1": 4, "K2": 7, "K3": -7, "K4": 2, "K5": 1}
    assert c["rank"].to_dict() == {"K1": 3, "K2": 1, "K3": 5, "K4": 4, "K5": 2}
    # two lowest: K3 (90) and K4 (92); median Δ = 2. K3: −7 < 2 → F2. K4: 2 is not below 2 → no F2.
    assert c.loc["K3", "flag_codes"] == "F2"
    assert c.loc["K3", "reasons"] == ["县均得分90.00分，居全市倒数第1位，较上月下降7.00分，"
                                      "低于各县变化中位数（+2.00分）"]
    assert c.loc["K4", "flag_codes"] == "" and c.loc["K1", "flag_codes"] == ""
    # praise: the three largest Δ: K2 +7, K1 +4, K4 +2
    assert june.praise_codes == ["K2", "K1", "K4"] and june.praise == ["县K2", "县K1", "县K4"]
    assert c["praise"].to_dict() == {"K1": True, "K2": True, "K3": False, "K4": True, "K5": False}
    # first month: no Δ → no F2 and no praise
    assert may.praise == [] and (may.counties["flag_codes"] == "").all()


def test_praise_requires_a_gain():
    may, june = run([(m, [lossy("A", "K1", loss), lossy("B", "K2", 3)], [])
                     for m, loss in (("2026-05", 3), ("2026-06", 5))])
    assert june.praise == []   # K1 −2, K2 0


def test_F3_zero_employment():
    p = perfect_site("A", county="K1", batch_year=2027)
    p["households"] = [household("H1", "A", labour_count=1), household("H2", "A", labour_count=2),
                       household("H3", "A", labour_count=1)]
    p["labour"] = [labourer("P1", "H1", "A", employed=False), labourer("P2", "H2", "A", employed=False),
                   labourer("P3", "H2", "A", employed=False), labourer("P4", "H3", "A")]
    cm = run([("2026-06", [p], [])])[0]
    c = cm.counties.iloc[0]
    assert c.zero_emp == 2 and c.flag_codes == "F3" and c.reasons == ["存在零就业家庭2户"]
    assert cm.flags.to_dict("records") == [dict(county_code="K1", county_name="县K1", flag="F3",
                                                sentence="存在零就业家庭2户")]


def test_F4_overdue_rectifications_at_period_end():
    d = dt.date
    rects = [
        rect("R1", "K1", deadline=d(2026, 6, 29)),                                          # open, past → overdue
        rect("R2", "K1", deadline=d(2026, 6, 30)),                                          # due on the last day
        rect("R3", "K1", deadline=d(2026, 5, 1), status="已销号", closed=d(2026, 6, 10)),   # closed in June
        rect("R4", "K1", deadline=d(2026, 5, 1), status="已销号", closed=d(2026, 7, 3)),    # closed after → overdue
        rect("R5", "K1", deadline=d(2026, 5, 1), status="整改中"),                          # overdue
        rect("R6", "K1", deadline=d(2026, 5, 1), found=d(2026, 7, 2)),                      # found later: ignored
        rect("R7", "K2", deadline=d(2026, 7, 31), found=d(2026, 6, 2)),                     # open, not due
    ]
    cm = run([("2026-06", [lossy("A", "K1", 0), lossy("B", "K2", 0)], rects)])[0]
    c = cm.counties.set_index("county_code")
    assert c["overdue"].to_dict() == {"K1": 3, "K2": 0}
    assert c["open_items"].to_dict() == {"K1": 4, "K2": 1}
    assert c["closed_in_month"].to_dict() == {"K1": 1, "K2": 0}
    assert c["found_in_month"].to_dict() == {"K1": 0, "K2": 1}
    assert c.loc["K1", "reasons"] == ["问题整改逾期3项"] and c.loc["K2", "flag_codes"] == ""


def test_F5_rights_coverage_either_side():
    # 7 households not moved: origin side per household = 6 items + R01 = 7 pairs → 49 pairs;
    # 6 × R03 未落实 → 43/49 = 87.755… % → printed 87.76 (half-up, 2 decimals) < 90 (destination side stays 100 %)
    p = perfect_site("A", county="K1", batch_year=2027, n_households=7)
    for h in p["households"]:
        h["hukou_moved"] = False
    for h in p["households"][:6]:
        h["R03"] = "未落实"
    c = run([("2026-06", [p], [])])[0].counties.iloc[0]
    assert c.coverage_in == 100 and c.coverage_out == 87.76
    assert c.reasons == ["迁出地权益落实率87.8%，低于90%"]


def test_F5_never_prints_90_for_a_value_below_90():
    # 89.99 rounds to "90.0" with one decimal: the sentence shows two decimals instead
    from scoring.progress import _pct_text
    assert _pct_text(89.99, 90) == "89.99%" and _pct_text(87.76, 90) == "87.8%"


def zero_emp_site(code="A", county="K1", zero=True):
    p = perfect_site(code, county=county, batch_year=2027)
    if zero:
        p["labour"][0]["employed"] = False
    return p


def test_escalation_two_and_three_consecutive_months():
    flagged = [True, True, True, False, True]
    months = ["2026-03", "2026-04", "2026-05", "2026-06", "2026-07"]
    cms = run([(m, [zero_emp_site(zero=f)], []) for m, f in zip(months, flagged)])
    got = [(cm.counties.iloc[0].consecutive, cm.counties.iloc[0].escalation) for cm in cms]
    assert got == [(1, ""), (2, "建议约谈"), (3, "建议约谈主要负责人"), (0, ""), (1, "")]


def test_escalation_four_months_stays_head_interview_and_gap_restarts():
    months = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-06"]   # May missing
    cms = run([(m, [zero_emp_site()], []) for m in months])
    assert [cm.counties.iloc[0].consecutive for cm in cms] == [1, 2, 3, 4, 1]
    assert cms[3].counties.iloc[0].escalation == "建议约谈主要负责人"
    assert cms[4].counties.iloc[0].escalation == ""


def test_history_may_be_the_whole_list_or_the_last_month():
    cms = run([(m, [zero_emp_site()], []) for m in ["2026-01", "2026-02"]])
    md = combine("2026-03", [zero_emp_site()])
    sc = score_month(md, CAT)
    a = county_month(md, sc, cms, CAT)
    b = county_month(md, sc, cms[-1:], CAT)
    pd.testing.assert_frame_equal(a.counties, b.counties)
    assert a.counties.iloc[0].escalation == "建议约谈主要负责人"


def weak_spirit(code, batch_year):
    """Total 86 but 精神状态好 6 < 14 → not 达标."""
    return perfect_site(code, county="K1", batch_year=batch_year,
                        reported_overrides=dict(satisfaction_pct=70, civic_pct=40, night_school=0))


def test_delisting_warning_after_two_months_below_standard():
    # A (batch 2026): 达标 in March, not in April and May → warning in May (not in April); 达标 again in June
    # B (batch 2026): never 达标 → never warned;  C (batch 2028): 达标 in March → named then, whatever its batch
    # year (§11), so not 达标 in April and May → warned in May, and again in June (May and June both below)
    qualified = {"2026-03": True, "2026-04": False, "2026-05": False, "2026-06": True}
    cms = run([(m, [lossy("A", "K1", 0, batch_year=2026) if q else weak_spirit("A", 2026),
                    weak_spirit("B", 2026),
                    lossy("C", "K1", 0, batch_year=2028) if m == "2026-03" else weak_spirit("C", 2028)], [])
               for m, q in qualified.items()])
    status = [cm.sites.set_index("site_code") for cm in cms]
    assert [bool(s.loc["A", "qualified"]) for s in status] == [True, False, False, True]
    assert [int(s.loc["A", "fail_streak"]) for s in status] == [0, 1, 2, 0]
    assert [bool(s.loc["A", "warning"]) for s in status] == [False, False, True, False]
    assert status[2].loc["A", "warning_text"] == "安置点A连续2个月未达到五好社区标准，予以摘牌预警"
    assert not any(bool(s.loc["B", "warning"]) for s in status)
    assert [bool(s.loc["C", "named"]) for s in status] == [True, True, True, True]
    assert [bool(s.loc["C", "warning"]) for s in status] == [False, False, True, True]
    assert cms[2].warnings["site_code"].tolist() == ["A", "C"]


def test_same_month_twice_gives_identical_county_frames():
    parts = [lossy("A", "K1", 3), zero_emp_site("B", "K2"), lossy("C", "K2", 9, batch_year=2026)]
    rects = [rect("R1", "K1", deadline=dt.date(2026, 6, 1))]
    a = run([("2026-05", parts, rects), ("2026-06", parts, rects)])
    b = run([("2026-05", parts, rects), ("2026-06", parts, rects)])
    for x, y in zip(a, b):
        pd.testing.assert_frame_equal(x.counties, y.counties)
        pd.testing.assert_frame_equal(x.flags, y.flags)
        pd.testing.assert_frame_equal(x.sites, y.sites)
