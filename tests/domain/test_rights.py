import numpy as np

from domain import rights as R
from domain.organisation import PLATFORMS, POSTS


def test_catalogue_has_fifteen_items_in_order_with_domain_sides():
    assert R.RIGHTS_CODES == [f"R{i:02d}" for i in range(1, 16)]
    origin = R.fixed_side_codes(R.ORIGIN)
    dest = R.fixed_side_codes(R.DEST)
    assert origin == ["R03", "R04", "R05", "R06", "R07", "R08"]
    assert dest == ["R02", "R09", "R10", "R11", "R12", "R13", "R14", "R15"]
    assert [r.code for r in R.RIGHTS if r.side_by_hukou] == ["R01"]


def test_every_item_has_category_name_header_and_platform_rule():
    cats = {r.category for r in R.RIGHTS}
    assert cats == {"政治权益", "经济权益", "文化教育权益", "社会保障权益"}
    assert R.item("R01").name == "选民登记（选举权、被选举权）" and R.item("R01").header == "选民登记"
    assert R.item("R10").name == R.item("R10").header == "义务教育适龄子女入学"
    assert R.item("R02").platform.label == "党群服务中心"
    for r in R.RIGHTS:
        if r.side == R.ORIGIN:
            assert r.platform.label == "便民跟进服务中心"
        elif r.code != "R02" and r.side == R.DEST:
            assert r.platform.label == "居民事务服务中心"


def test_r01_side_follows_hukou_and_blank_means_origin():
    assert R.side_for("R01", True) == R.DEST
    assert R.side_for("R01", np.bool_(True)) == R.DEST
    for not_moved in (False, None, float("nan"), np.bool_(False), "否"):
        assert R.side_for("R01", not_moved) == R.ORIGIN
    assert R.platform_for("R01", True).label == "居民事务服务中心"
    assert R.platform_for("R01", None).label == "便民跟进服务中心"
    assert "户籍已迁入为迁入地" in R.item("R01").side_rule


def test_fixed_items_ignore_hukou():
    for code in ("R02", "R03", "R14"):
        assert R.side_for(code, True) == R.side_for(code, False) == R.item(code).side
        assert R.platform_for(code, True) == R.platform_for(code, None) == R.item(code).platform


def test_unknown_code_is_a_chinese_key_error():
    try:
        R.item("R16")
    except KeyError as e:
        assert "R16" in str(e) and "未知" in str(e)
    else:
        raise AssertionError("R16 accepted")


def test_statuses_define_coverage_and_gaps():
    assert R.STATUS_CHOICES == ("已落实", "未落实", "不适用")
    assert [s.label for s in R.STATUSES if s.gap] == ["未落实", "未核实"]
    assert [s.label for s in R.STATUSES if s.applicable] == ["已落实", "未落实", "未核实"]
    assert R.STATUS_BY_STORED[None] is R.BLANK and R.STATUS_BY_STORED[9] is R.NOT_APPLICABLE
    assert len({s.stored for s in R.STATUSES}) == 4


def test_organisation_registries():
    assert [label for _, label in PLATFORMS] == ["党群服务中心", "居民事务服务中心", "便民跟进服务中心"]
    assert len(POSTS) == 10 and len({k for k, _ in POSTS}) == 10
    assert POSTS[0] == ("town_party", "乡镇党委") and POSTS[-1] == ("building", "分楼长")


def test_ledger_vocabularies():
    from domain.followup import FOLLOWUP_KINDS, RECT_CLOSED, RECT_STATUSES
    from domain.labour import EMPLOYMENT_FORMS, WORKSHOP_FORMS
    from domain.sites import SITE_TYPES

    assert WORKSHOP_FORMS == ("帮扶车间", "园区企业") and set(WORKSHOP_FORMS) < set(EMPLOYMENT_FORMS)
    assert len(set(EMPLOYMENT_FORMS)) == len(EMPLOYMENT_FORMS) == 8
    assert RECT_STATUSES[-1] == RECT_CLOSED == "已销号"
    assert FOLLOWUP_KINDS == ("定期调度", "督导督查", "通报约谈", "舆论宣传")
    assert SITE_TYPES == ("城镇集中安置区", "农村集中安置点")
