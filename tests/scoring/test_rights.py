"""Household rights work lists, coverage tables and employment metrics (domain.md §7)."""
import pytest

from scoring.rights import (RIGHTS_ITEMS, coverage, county_side_coverage, employment_metrics, gap_list,
                            household_rights, zero_employment_households)
from tests.scoring.builders import combine, household, labourer, perfect_site


def test_rights_catalogue_table():
    assert len(RIGHTS_ITEMS) == 15
    r = RIGHTS_ITEMS.set_index("item")
    assert r.loc["R02", "platform"] == "党群服务中心" and r.loc["R02", "side"] == "迁入地"
    assert r.loc["R05", "platform"] == "便民跟进服务中心" and r.loc["R05", "side"] == "迁出地"
    assert r.loc["R10", "platform"] == "居民事务服务中心"


def month():
    a = perfect_site("A", county="K1", n_households=2)
    a["households"][0].update(hukou_moved=True, R01="未落实", R11=None)
    a["households"][1].update(hukou_moved=None, R03=None, R04="不适用", R14="未落实")
    b = perfect_site("B", county="K2")
    b["households"][0].update(hukou_moved=False, R01=None)
    return combine(parts=[a, b])


def test_household_rights_side_platform_gap():
    hr = household_rights(month()).set_index(["household_code", "item"])
    assert len(hr) == 3 * 15
    r = hr.loc[("A-H0", "R01")]
    assert (r.status, r.side, r.platform, bool(r.gap), bool(r.missing)) == \
        ("未落实", "迁入地", "居民事务服务中心", True, False)
    r = hr.loc[("A-H1", "R01")]   # hukou blank → 迁出地
    assert (r.side, r.platform, bool(r.gap)) == ("迁出地", "便民跟进服务中心", False)
    r = hr.loc[("B-H0", "R01")]   # blank status → 未核实 (漏项), a gap for the origin side
    assert (r.status, r.side, r.platform, bool(r.gap), bool(r.missing)) == \
        ("未核实", "迁出地", "便民跟进服务中心", True, True)
    r = hr.loc[("A-H1", "R04")]
    assert (r.status, bool(r.gap)) == ("不适用", False)
    assert hr.loc[("A-H0", "R02"), "platform"] == "党群服务中心"
    assert (hr["head_id"] == "522301********1234").all()
    assert household_rights(month(), mask=False)["head_id"].iloc[0] == "522301199001011234"


def test_gap_list_and_filters():
    g = gap_list(month())
    assert sorted(zip(g.household_code, g["item"])) == [("A-H0", "R01"), ("A-H0", "R11"), ("A-H1", "R03"),
                                                         ("A-H1", "R14"), ("B-H0", "R01")]
    assert len(gap_list(month(), include_blank=False)) == 2
    assert set(gap_list(month(), side="迁出地")["item"]) == {"R03", "R01"}
    assert set(gap_list(month(), county_codes=["K2"]).household_code) == {"B-H0"}
    assert set(gap_list(month(), site_codes=["A"]).household_code) == {"A-H0", "A-H1"}


def test_coverage_tables():
    md = month()
    # site A: 30 pairs, 1 不适用 → 29 applicable; gaps: R01 未落实, R11 blank, R03 blank, R14 未落实 → done 25
    s = coverage(md, "site").set_index("site_code")
    assert (s.loc["A", "applicable"], s.loc["A", "done"], s.loc["A", "gaps"], s.loc["A", "blank"]) == (29, 25, 4, 2)
    assert s.loc["A", "coverage"] == pytest.approx(25 / 29 * 100)
    assert s.loc["B", "coverage"] == pytest.approx(14 / 15 * 100)
    cs = coverage(md, ["county", "side"]).set_index(["county_code", "side"])
    # K1 迁入地: H0 9 pairs (R01 moved) + H1 8 = 17, done 17 − 3 (R01, R11, R14) = 14
    assert (cs.loc[("K1", "迁入地"), "applicable"], cs.loc[("K1", "迁入地"), "done"]) == (17, 14)
    # K1 迁出地: H0 6 + H1 (R01 + 6 − R04 不适用) = 12, done 11 (R03 blank)
    assert (cs.loc[("K1", "迁出地"), "applicable"], cs.loc[("K1", "迁出地"), "done"]) == (12, 11)
    it = coverage(md, "item").set_index("item")
    assert it.loc["R01", "coverage"] == pytest.approx(100 / 3) and it.loc["R04", "applicable"] == 2
    city = coverage(md, ())
    assert len(city) == 1 and city["applicable"].iloc[0] == 29 + 15
    cc = county_side_coverage(md).set_index("county_code")
    assert cc.loc["K1", "coverage_in"] == pytest.approx(14 / 17 * 100)
    assert cc.loc["K1", "coverage_out"] == pytest.approx(11 / 12 * 100)
    with pytest.raises(ValueError, match="无法按“town”汇总"):
        coverage(md, "town")


def test_employment_metrics_and_zero_employment_list():
    a = perfect_site("A", county="K1")
    a["households"] = [household("H1", "A", labour_count=2), household("H2", "A", labour_count=1),
                       household("H3", "A", labour_count=0)]
    a["labour"] = [labourer("P1", "H1", "A", form="园区企业"), labourer("P2", "H1", "A", employed=False, trained=False),
                   labourer("P3", "H2", "A", employed=False, certified=False)]
    b = perfect_site("B", county="K2")
    md = combine(parts=[a, b])
    e = employment_metrics(md, "site").set_index("site_code")
    a = e.loc["A"]
    assert (a["labour"], a["employed"], a["trained"], a["certified"]) == (3, 1, 2, 2)
    assert e.loc["A", "employment_rate"] == pytest.approx(100 / 3) and e.loc["A", "workshop"] == 1
    assert (e.loc["A", "households_with_labour"], e.loc["A", "zero_emp"]) == (2, 1)
    c = employment_metrics(md, "county").set_index("county_code")
    assert c["labour"].to_dict() == {"K1": 3, "K2": 1} and c["zero_emp"].to_dict() == {"K1": 1, "K2": 0}
    z = zero_employment_households(md)
    assert z[["household_code", "site_code", "county_code", "labour_count", "labourers_listed"]].values.tolist() == \
        [["H2", "A", "K1", 1, 1]]
    assert z["head_id"].iloc[0] == "522301********1234"
    assert len(zero_employment_households(md, county_codes=["K2"])) == 0
