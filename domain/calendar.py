"""Reporting months (domain.md §3): data is reported monthly as 'YYYY-MM'.

>>> previous_month("2026-01"), next_month("2026-12"), period_end("2026-02")
('2025-12', '2027-01', datetime.date(2026, 2, 28))
"""
from __future__ import annotations

import calendar as _calendar
import datetime as dt
import re

MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class MonthError(ValueError):
    """A value that is not a reporting month; ``str(err)`` is a Chinese message."""


def is_month(value: object) -> bool:
    """True for a string 'YYYY-MM' with a month 01..12."""
    return isinstance(value, str) and bool(MONTH_RE.match(value))


def check_month(value: object) -> str:
    """The month itself, or :class:`MonthError` with a Chinese message."""
    if not is_month(value):
        raise MonthError(f"月份格式应为 YYYY-MM（例如 2026-09），当前为“{value}”")
    return value  # type: ignore[return-value]


def _ym(month: str) -> tuple[int, int]:
    return int(month[:4]), int(month[5:7])


def period_start(month: str) -> dt.date:
    y, m = _ym(month)
    return dt.date(y, m, 1)


def period_end(month: str) -> dt.date:
    """Last day of the month (the data cut-off of the month)."""
    y, m = _ym(month)
    return dt.date(y, m, _calendar.monthrange(y, m)[1])


def add_months(month: str, n: int) -> str:
    """The month n months after (n < 0: before) ``month``."""
    y, m = _ym(month)
    k = y * 12 + (m - 1) + n
    return f"{k // 12}-{k % 12 + 1:02d}"


def previous_month(month: str) -> str:
    return add_months(month, -1)


def next_month(month: str) -> str:
    return add_months(month, 1)


def month_range(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last``, both included (empty when last < first)."""
    (y0, m0), (y1, m1) = _ym(first), _ym(last)
    n = (y1 * 12 + m1) - (y0 * 12 + m0)
    return [add_months(first, k) for k in range(n + 1)]


def month_of(d: dt.date) -> str:
    """The reporting month a date falls in."""
    return f"{d.year}-{d.month:02d}"


def month_label(month: str) -> str:
    """'2026-10' -> '2026年10月'."""
    y, m = _ym(month)
    return f"{y}年{m}月"
