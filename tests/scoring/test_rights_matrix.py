"""Hand-checked matrix: coverage with blanks and 不适用, R01 switching side with 户籍是否迁入, platform routing."""
import math

import pandas as pd

from domain.rights import RIGHTS_CODES
from scoring.rights_matrix import counts_from_households, matrix


def hh(rows):
    base = {c: "已落实" for c in RIGHTS_CODES}
    return pd.DataFrame([{**base, **r} for r in rows])


def cell(mx, group, item):
    r = mx[(mx["group"] == group) & (mx["item"] == item)]
    return None if r.empty else r.iloc[0]


def test_coverage_counts_blanks_and_excludes_not_applicable():
    df = hh([{"site_code": "S1", "hukou_moved": True, "R02": "已落实"},
             {"site_code": "S1", "hukou_moved": True, "R02": None},
             {"site_code": "S1", "hukou_moved": False, "R02": "不适用"},
             {"site_code": "S1", "hukou_moved": False, "R02": "未落实"}])
    c = cell(matrix(counts_from_households(df)), "S1", "R02")
    assert (c["done"], c["open"], c["blank"], c["not_applicable"], c["applicable"], c["gaps"]) == (1, 1, 1, 1, 3, 2)
    assert math.isclose(c["coverage"], 100 / 3)


def test_all_not_applicable_has_no_coverage():
    df = hh([{"site_code": "S1", "hukou_moved": True, "R03": "不适用"}])
    assert math.isnan(cell(matrix(counts_from_households(df)), "S1", "R03")["coverage"])


def test_r01_side_follows_hukou():
    df = hh([{"site_code": "S1", "hukou_moved": True, "R01": "未落实"},
             {"site_code": "S1", "hukou_moved": False, "R01": None},
             {"site_code": "S1", "hukou_moved": None, "R01": "已落实"}])
    cnt = counts_from_households(df)
    dest = cell(matrix(cnt, side="迁入地"), "S1", "R01")
    origin = cell(matrix(cnt, side="迁出地"), "S1", "R01")
    assert (dest["open"], dest["blank"], dest["done"]) == (1, 0, 0)
    assert (origin["open"], origin["blank"], origin["done"]) == (0, 1, 1)   # blank 户籍 counts as not moved
    # platform follows the side: 迁入地 → 居民事务服务中心, 迁出地 → 便民跟进服务中心
    assert cell(matrix(cnt, platform="居民事务服务中心"), "S1", "R01")["applicable"] == 1
    assert cell(matrix(cnt, platform="便民跟进服务中心"), "S1", "R01")["applicable"] == 2
    assert cell(matrix(cnt, platform="党群服务中心"), "S1", "R01") is None
