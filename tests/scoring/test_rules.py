"""Rule kernel (scoring.rules): every rule type, statuses, ranking helper — numbers by hand."""
import copy
import tomllib

import numpy as np
import pytest

from scoring.catalogue import CATALOGUE_DIR, catalogue_from_dict, load_catalogue
from scoring.rules import MISSING, NA, OK, RuleArrays, cents, competition_rank, group_competition_rank, points

CAT = load_catalogue()
RA = RuleArrays.from_catalogue(CAT)
K = {c: i for i, c in enumerate(CAT.codes)}


def pts(code, value, status=OK, size=0, ra=RA, cat=CAT):
    """Points of one indicator for one site of size class `size`."""
    k = cat.codes.index(code)
    V = np.full((1, len(cat.codes)), 0.0)
    ST = np.full((1, len(cat.codes)), OK)
    V[0, k] = value
    ST[0, k] = status
    return float(points(V, ST, ra.site_targets(np.array([size])), ra)[0, k])


@pytest.mark.parametrize("value,expected", [
    (80, 0.0),      # below the floor 85
    (85, 0.0),      # at the floor
    (87.5, 1.5),    # 6 × (87.5 − 85)/(95 − 85) = 6 × 0.25
    (90, 3.0),      # 6 × 0.5
    (95, 6.0),      # at the target (inclusive)
    (100, 6.0),     # beyond the target: clamped
])
def test_linear_up_E1(value, expected):
    assert pts("E1", value) == pytest.approx(expected)


def test_linear_up_with_zero_floor():
    assert pts("I4", 30) == pytest.approx(2.5)      # 5 × 30/60
    assert pts("E5", -3) == 0.0                     # income fell: clamped at 0
    assert pts("E5", 6) == pytest.approx(2.25)      # 3 × 6/8


def test_linear_down():
    raw = tomllib.loads((CATALOGUE_DIR / "v1.toml").read_text(encoding="utf-8"))
    n4 = next(i for i in raw["indicators"] if i["code"] == "N4")
    n4.update(rule="linear", direction="down", floor=10, target=2)
    del n4["per"]
    cat = catalogue_from_dict(copy.deepcopy(raw))
    ra = RuleArrays.from_catalogue(cat)
    assert pts("N4", 12, ra=ra, cat=cat) == 0.0                      # worse than the floor
    assert pts("N4", 10, ra=ra, cat=cat) == 0.0
    assert pts("N4", 6, ra=ra, cat=cat) == pytest.approx(2.0)        # 4 × (10 − 6)/(10 − 2)
    assert pts("N4", 2, ra=ra, cat=cat) == pytest.approx(4.0)
    assert pts("N4", 0, ra=ra, cat=cat) == pytest.approx(4.0)
    assert cat.indicator("N4").describe(0) == "线性计分：10个及以上得0分，2个及以下得满分4分，其间按比例"


def test_threshold_up_and_down():
    assert pts("P2", 100) == 4.0
    assert pts("P2", 99.99) == 0.0
    assert pts("E2", 0) == 4.0      # down: ≤ 0 meets the target
    assert pts("E2", 1) == 0.0


def test_deduct():
    # P1: value = platforms built; 5 − 2 × missing, floored at 0
    assert [pts("P1", v) for v in (3, 2, 1, 0)] == [5.0, 3.0, 1.0, 0.0]
    # P5 / N4: 1 point per household / problem
    assert [pts("P5", v) for v in (0, 1, 3, 4, 7)] == [4.0, 3.0, 1.0, 0.0, 0.0]
    assert pts("N4", 2) == 2.0


def test_missing_and_not_applicable():
    assert pts("E1", 100, status=MISSING) == 0.0
    assert pts("P2", np.nan, status=NA) == 4.0
    assert pts("P3", np.nan, status=NA) == 4.0


@pytest.mark.parametrize("size,carriers,expected", [
    (0, 1, 5.0), (1, 1, 5.0),                 # 小型 / 中型 target 1
    (2, 1, 2.5), (2, 2, 5.0),                 # 大型 target 2
    (3, 2, 5 * 2 / 3), (3, 3, 5.0),           # 特大型 target 3
])
def test_size_class_targets_I1(size, carriers, expected):
    assert pts("I1", carriers, size=size) == pytest.approx(expected)


def test_size_class_targets_I3_S3():
    assert [pts("I3", 10, size=s) for s in range(4)] == pytest.approx([5.0, 5.0, 5 / 3, 1.0])
    assert [pts("S3", 3, size=s) for s in range(4)] == pytest.approx([4.0, 4.0, 2.0, 2.0])


def test_competition_rank_ties():
    c = np.array([9000, 9500, 9500, 8000, 9700])
    assert competition_rank(c).tolist() == [4, 2, 2, 5, 1]
    assert competition_rank(np.array([100, 99, 99, 98])).tolist() == [1, 2, 2, 4]
    two = np.array([[100, 99, 99, 98], [1, 2, 3, 3]])
    assert competition_rank(two).tolist() == [[1, 2, 2, 4], [4, 3, 1, 1]]
    assert group_competition_rank(np.array([5, 7, 7, 1, 3]), np.array([0, 1, 0, 1, 0])).tolist() == [2, 1, 1, 2, 3]


def test_cents_rounds_like_display():
    assert cents(np.array([84.996, 84.994, 90.0, np.nan])).tolist() == [8500, 8499, 9000, -1]
