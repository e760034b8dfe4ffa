"""Number and text formatting shared by the exports and the UI (one place, so a figure reads the same everywhere).

Conventions (docs/ARCHITECTURE.md): percentages are 0-100 floats; scores are points out of 100.
Rounding is half-up on the decimal representation (93.25 -> 93.3), as people round by hand and as Excel
displays, not Python's round-half-even. Missing values (None, NaN, pd.NA) render as an em dash.
"""
from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import pandas as pd

from domain.calendar import month_label
from domain.idnumber import mask as _mask_id

DASH = "—"


def is_missing(x: Any) -> bool:
    """None, NaN, NaT, pd.NA, or a non-finite float."""
    if x is None or x is pd.NA or x is pd.NaT:
        return True
    if isinstance(x, (int, bool)):
        return False
    try:
        f = float(x)
    except (TypeError, ValueError):
        return False
    return not math.isfinite(f)


def _dec(x: Any, digits: int) -> Decimal:
    """x rounded half-up to `digits` decimals (via its shortest repr, so 0.125 -> 0.13)."""
    try:
        d = Decimal(repr(float(x)))
    except (InvalidOperation, ValueError):  # pragma: no cover - guarded by is_missing
        d = Decimal(str(x))
    q = Decimal(1).scaleb(-digits)
    r = d.quantize(q, rounding=ROUND_HALF_UP)
    if r == 0:
        r = abs(r)  # never show "-0.0"
    return r


def round_half_up(x: float, digits: int = 0) -> float:
    return float(_dec(x, digits))


def _text(x: Any) -> str | None:
    """Strings are taken as already formatted (blank -> '—'); None for anything else."""
    if isinstance(x, str):
        return x.strip() or DASH
    return None


def fmt_num(x: Any, digits: int = 2) -> str:
    if (t := _text(x)) is not None:
        return t
    if is_missing(x):
        return DASH
    return f"{_dec(x, digits):.{digits}f}"


def fmt_pct(x: Any, digits: int = 1) -> str:
    """93.24 -> '93.2%' (input already 0-100). Missing -> '—'."""
    if (t := _text(x)) is not None:
        return t
    if is_missing(x):
        return DASH
    return f"{_dec(x, digits):.{digits}f}%"


def fmt_score(x: Any) -> str:
    """87.345 -> '87.35'. Missing -> '—'."""
    return fmt_num(x, 2)


def fmt_delta(x: Any, digits: int = 2) -> str:
    """Signed change: 1.2 -> '+1.20', -0.8 -> '-0.80', 0 -> '0.00', missing -> '—'."""
    if (t := _text(x)) is not None:
        return t
    if is_missing(x):
        return DASH
    d = _dec(x, digits)
    s = f"{d:.{digits}f}"
    return "+" + s if d > 0 else s


def fmt_rank_delta(d: Any) -> str:
    """Rank change, positive = moved up (previous rank - rank): 2 -> '↑2', -1 -> '↓1', 0 / missing -> '—'."""
    if (t := _text(d)) is not None:
        return t
    if is_missing(d):
        return DASH
    n = int(_dec(d, 0))
    if n > 0:
        return f"↑{n}"
    if n < 0:
        return f"↓{-n}"
    return DASH


def fmt_int(n: Any, unit: str = "") -> str:
    """1234 -> '1234' (+unit). Chinese official text writes counts without thousands separators."""
    if (t := _text(n)) is not None:
        return t
    if is_missing(n):
        return DASH
    return f"{int(_dec(n, 0))}{unit}"


def fmt_people(n: Any) -> str:
    """812 -> '812人'; 34 120 -> '3.4万人'; 341 000 -> '34.1万人' (one decimal from 10 000 up)."""
    if (t := _text(n)) is not None:
        return t
    if is_missing(n):
        return DASH
    k = int(_dec(n, 0))
    if k >= 10000:
        return f"{_dec(k / 10000, 1):.1f}万人"
    return f"{k}人"


def fmt_bool(x: Any, yes: str = "是", no: str = "否") -> str:
    if is_missing(x):
        return DASH
    return yes if bool(x) else no


def fmt_range(lo: Any, hi: Any) -> str:
    """Rank interval: (3, 7) -> '3–7'; equal ends -> '3'."""
    if is_missing(lo) or is_missing(hi):
        return DASH
    a, b = int(_dec(lo, 0)), int(_dec(hi, 0))
    return str(a) if a == b else f"{a}–{b}"


def month_cn(month: str) -> str:
    """'2026-10' -> '2026年10月'."""
    return month_label(month)


def date_cn(d: Any) -> str:
    """date(2026, 10, 31) or '2026-10-31' -> '2026年10月31日'."""
    if is_missing(d) or d == "":
        return DASH
    if isinstance(d, str):
        y, m, day = d[:10].split("-")
        return f"{int(y)}年{int(m)}月{int(day)}日"
    return f"{d.year}年{d.month}月{d.day}日"


def mask_id(s: Any) -> str:
    """Masked ID number (身份证号): first 6 + last 4 visible (domain.md §10); the rule of domain.idnumber that the
    scoring work lists use too, so the UI, the work lists and the exports mask identically."""
    return "" if is_missing(s) else _mask_id(s)


BEIJING = dt.timedelta(hours=8)        # stored times are UTC; officials read Beijing time (UTC+8)


def beijing_now() -> dt.datetime:
    """The current Beijing time (naive)."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) + BEIJING


def beijing_time(value: Any) -> str:
    """A stored UTC time (naive) -> '2026-12-02 01:30:05' in Beijing time; '' for none."""
    if value is None or (not isinstance(value, dt.datetime) and is_missing(value)):
        return ""
    return f"{pd.Timestamp(value).to_pydatetime() + BEIJING:%Y-%m-%d %H:%M:%S}"
