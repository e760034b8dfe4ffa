import datetime as dt

import pytest

from domain import calendar as cal


@pytest.mark.parametrize("value,ok", [("2026-09", True), ("2026-12", True), ("2026-00", False), ("2026-13", False),
                                      ("2026-9", False), ("202609", False), (None, False), (202609, False),
                                      ("2026-09-01", False)])
def test_is_month(value, ok):
    assert cal.is_month(value) is ok


def test_check_month_raises_chinese_message():
    assert cal.check_month("2026-10") == "2026-10"
    with pytest.raises(cal.MonthError, match="YYYY-MM.*2026/10"):
        cal.check_month("2026/10")


def test_period_end_handles_month_lengths_and_leap_years():
    assert cal.period_end("2026-01") == dt.date(2026, 1, 31)
    assert cal.period_end("2026-04") == dt.date(2026, 4, 30)
    assert cal.period_end("2024-02") == dt.date(2024, 2, 29)
    assert cal.period_end("2100-02") == dt.date(2100, 2, 28)
    assert cal.period_start("2026-04") == dt.date(2026, 4, 1)


def test_previous_and_next_cross_year_boundaries():
    assert cal.previous_month("2026-01") == "2025-12"
    assert cal.previous_month("2026-10") == "2026-09"
    assert cal.next_month("2026-12") == "2027-01"
    assert cal.next_month("2026-09") == "2026-10"
    assert cal.add_months("2026-10", -22) == "2024-12"
    assert cal.add_months("2026-10", 15) == "2028-01"


def test_month_range_inclusive_and_empty_when_reversed():
    assert cal.month_range("2025-11", "2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert cal.month_range("2026-03", "2026-03") == ["2026-03"]
    assert cal.month_range("2026-03", "2026-02") == []


def test_month_of_and_label():
    assert cal.month_of(dt.date(2026, 9, 30)) == "2026-09"
    assert cal.month_label("2026-09") == "2026年9月"
