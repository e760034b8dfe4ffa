import datetime as dt

import numpy as np
import pandas as pd
import pytest

from domain import idnumber as ID


def _with_check(first17: str) -> str:
    return first17 + ID.check_digit(first17)


def test_check_digit_known_examples():
    # the standard's worked example and an X check character
    assert ID.check_digit("11010519491231002") == "X"
    assert ID.check_digit("44052418800101001") == "4"


def test_vectorised_check_agrees_with_scalar():
    rng = np.random.default_rng(3)
    digits = rng.integers(0, 10, (500, 17))
    scalar = ["".join(map(str, row)) for row in digits]
    expected = [ID.check_digit(s) for s in scalar]
    assert ID.check_chars(digits).tolist() == expected
    assert bytes(ID.check_bytes(digits).astype(np.uint8)).decode() == "".join(expected)


def test_problem_reports_form_birth_and_check_in_that_order():
    good = _with_check("52230119900101123")
    assert ID.problem(good) is None and ID.is_valid(good)
    assert ID.problem(good[:17]) == ID.ERR_FORMAT
    assert ID.problem(good[:17] + "x") == ID.ERR_FORMAT           # lower-case x is not accepted
    assert ID.problem("５" + good[1:]) == ID.ERR_FORMAT             # full-width digit
    assert ID.problem(_with_check("52230119901301123")) == ID.ERR_BIRTH     # month 13
    assert ID.problem(_with_check("52230118990101123")) == ID.ERR_BIRTH     # before 1900
    future = _with_check("52230120990101123")
    assert ID.problem(future, today=dt.date(2026, 10, 1)) == ID.ERR_BIRTH
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    assert ID.problem(wrong) == ID.ERR_CHECK
    assert not ID.is_valid(None) and not ID.is_valid(522301199001011234)


def test_gender_from_17th_digit():
    assert ID.gender("522301199001011234") == "男"
    assert ID.gender("522301199001011224") == "女"
    assert ID.gender("5223") is None and ID.gender(None) is None


@pytest.mark.parametrize("value,masked", [
    ("522301199001011234", "522301********1234"),
    ("52230119900101123X", "522301********123X"),
    (" 522301199001011234 ", "522301********1234"),
    ("12345678901", "123456*8901"),
    ("1234567890", "**********"),
    ("12345", "*****"),
    (None, ""), (float("nan"), ""), (pd.NA, ""), (np.nan, ""),
])
def test_mask(value, masked):
    assert ID.mask(value) == masked


def test_mask_many_is_object_array():
    out = ID.mask_many(["522301199001011234", None])
    assert out.dtype == object and out.tolist() == ["522301********1234", ""]
