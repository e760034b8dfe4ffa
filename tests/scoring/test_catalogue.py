"""Catalogue loading and validation (domain.md §4 as configuration)."""
import copy
import dataclasses
import tomllib

import pytest

from scoring.catalogue import (CATALOGUE_DIR, CatalogueError, catalogue_from_dict, list_versions, load_catalogue,
                               loads_catalogue)


@pytest.fixture(scope="module")
def raw():
    return tomllib.loads((CATALOGUE_DIR / "v1.toml").read_text(encoding="utf-8"))


def test_v1_matches_domain_table():
    cat = load_catalogue("v1")
    assert cat.version == "v1"
    assert cat.codes == ["I1", "I2", "I3", "I4", "E1", "E2", "E3", "E4", "E5", "P1", "P2", "P3", "P4", "P5",
                         "S1", "S2", "S3", "S4", "N1", "N2", "N3", "N4"]
    assert sum(i.points for i in cat.indicators) == 100
    assert [d.name for d in cat.dimensions] == ["产业带动好", "就业帮扶好", "公共服务好", "精神状态好", "融入环境好"]
    for d in cat.dimensions:
        assert sum(i.points for i in cat.indicators if i.dimension == d.key) == 20
    assert cat.size_classes == ("小型", "中型", "大型", "特大型")
    assert cat.size_bounds == (800, 3000, 10000)
    assert cat.grades == (("优秀", 90), ("良好", 80), ("合格", 60))
    assert (cat.min_total, cat.min_dimension) == (85, 14)
    assert cat.monte_carlo.draws == 1000 and cat.monte_carlo.weight_low == 0.75 and cat.monte_carlo.weight_high == 1.25
    assert cat.monte_carlo.target_spread == 0.10
    i1 = cat.indicator("I1")
    assert (i1.rule, i1.floor, i1.targets, i1.points, i1.source) == ("linear", 0, (1, 1, 2, 3), 5, "R")
    assert cat.indicator("I3").targets == (5, 10, 30, 50)
    assert cat.indicator("S3").targets == (3, 3, 6, 6)
    e2 = cat.indicator("E2")
    assert (e2.rule, e2.direction, e2.targets[0], e2.veto.op, e2.veto.threshold) == ("threshold", "down", 0, ">", 0)
    p1 = cat.indicator("P1")
    assert (p1.rule, p1.per, p1.deduct_from, p1.points) == ("deduct", 2, 3, 5)
    assert cat.indicator("S4").veto.on == "mass_incidents"
    assert cat.indicator("P2").veto.op == "<" and cat.indicator("P2").veto.threshold == 100
    assert {i.code for i in cat.indicators if i.veto} == {"E2", "P2", "S4"}
    assert cat.dimension_columns == {"dim_industry": "产业带动好", "dim_employment": "就业帮扶好",
                                     "dim_service": "公共服务好", "dim_spirit": "精神状态好",
                                     "dim_integration": "融入环境好"}


def test_frozen_and_versions():
    cat = load_catalogue()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cat.version = "v2"
    assert "v1" in list_versions()
    assert load_catalogue(CATALOGUE_DIR / "v1.toml") == cat


def test_rule_descriptions_are_chinese():
    cat = load_catalogue()
    assert cat.indicator("E1").describe(0) == "线性计分：85%及以下得0分，95%及以上得满分6分，其间按比例"
    assert cat.indicator("I1").describe(3).startswith("线性计分：0个及以下得0分，3个及以上得满分5分")
    assert cat.indicator("P2").describe(0) == \
        "达标计分：达到100%得满分4分，否则0分；一票否决：义务教育适龄子女入学落实率<100"
    assert "每缺1个扣2分" in cat.indicator("P1").describe(0)
    assert "重大群体性事件数>0" in cat.indicator("S4").describe(0)


def _ind(raw, code):
    return next(i for i in raw["indicators"] if i["code"] == code)


def _expect(raw, kind, fragment):
    with pytest.raises(CatalogueError) as ei:
        catalogue_from_dict(raw)
    assert ei.value.kind == kind
    assert fragment in str(ei.value)


def test_error_unknown_rule(raw):
    r = copy.deepcopy(raw)
    _ind(r, "E1")["rule"] = "logistic"
    _expect(r, "unknown_rule", "指标 E1 的计分规则类型“logistic”未知")


def test_error_points_total(raw):
    r = copy.deepcopy(raw)
    _ind(r, "E1")["points"] = 5
    for d in r["dimensions"]:
        d.pop("points")  # only the grand total is declared
    _expect(r, "points_total", "各指标分值合计为99分，应为100分")


def test_error_dimension_total(raw):
    r = copy.deepcopy(raw)
    _ind(r, "E1")["points"] = 5   # 就业帮扶好 19 …
    _ind(r, "I1")["points"] = 6   # … 产业带动好 21, grand total still 100
    _expect(r, "dimension_total", "维度“产业带动好”的指标分值合计为21分，应为20分")


def test_dimension_total_not_checked_when_undeclared(raw):
    r = copy.deepcopy(raw)
    _ind(r, "E1")["points"] = 5
    _ind(r, "I1")["points"] = 6
    for d in r["dimensions"]:
        d.pop("points")
    cat = catalogue_from_dict(r)
    assert cat.dimensions[0].points == 21 and cat.dimensions[1].points == 19


def test_error_size_target_missing(raw):
    r = copy.deepcopy(raw)
    del _ind(r, "I3")["target"]["特大型"]
    _expect(r, "size_target_missing", "指标 I3 的目标值缺少规模类型“特大型”")


def test_error_floor_not_below_target(raw):
    r = copy.deepcopy(raw)
    _ind(r, "E1")["floor"] = 95
    _expect(r, "floor_not_below_target", "指标 E1 的下限（95）不小于小型目标值（95）")


def test_error_floor_per_size_class(raw):
    r = copy.deepcopy(raw)
    _ind(r, "I1")["floor"] = 1.5  # above the 小型/中型 target 1
    _expect(r, "floor_not_below_target", "指标 I1 的下限（1.5）不小于小型目标值（1）")


def test_error_linear_down_needs_floor_above_target(raw):
    r = copy.deepcopy(raw)
    n4 = _ind(r, "N4")
    n4.update(rule="linear", direction="down", floor=0, target=5)
    _expect(r, "floor_not_below_target", "指标 N4 为逆向指标")


def test_error_duplicate_code(raw):
    r = copy.deepcopy(raw)
    _ind(r, "E2")["code"] = "E1"
    _expect(r, "duplicate_code", "指标编码 E1 重复")


def test_error_unknown_dimension(raw):
    r = copy.deepcopy(raw)
    _ind(r, "E1")["dimension"] = "生态宜居好"
    _expect(r, "unknown_dimension", "指标 E1 所属维度“生态宜居好”未定义")


def test_dimension_may_be_named_in_chinese(raw):
    r = copy.deepcopy(raw)
    _ind(r, "E1")["dimension"] = "就业帮扶好"
    assert catalogue_from_dict(r).indicator("E1").dimension == "employment"


def test_other_errors(raw):
    with pytest.raises(CatalogueError, match="找不到指标目录版本“v99”") as ei:
        load_catalogue("v99")
    assert ei.value.kind == "not_found"
    with pytest.raises(CatalogueError, match="格式错误"):
        loads_catalogue("version = ")
    r = copy.deepcopy(raw)
    _ind(r, "I1")["field"] = "no_such_column"
    _expect(r, "unknown_field", "不在月度指标表中")
    r = copy.deepcopy(raw)
    _ind(r, "I1")["target"]["巨型"] = 4
    _expect(r, "unknown_size_class", "未知规模类型“巨型”")
    r = copy.deepcopy(raw)
    _ind(r, "E1")["direction"] = "sideways"
    _expect(r, "unknown_direction", "方向“sideways”未知")
    r = copy.deepcopy(raw)
    _ind(r, "E1").pop("floor")
    _expect(r, "missing_field", "缺少必填项“floor”")
