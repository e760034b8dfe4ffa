"""Resident ID numbers (身份证号, GB 11643-1999): check character, validation, gender, masking (domain.md §10).

An ID is 18 characters: a 6-digit area code, the birth date YYYYMMDD, a 3-digit sequence (odd = male) and a check
character computed from the first 17 digits. Pages and exports show IDs masked: the first 6 and last 4
characters visible, the rest '*'.

>>> check_digit("52230119900101123"), mask("522301199001011234")
('6', '522301********1234')
"""
from __future__ import annotations

import datetime as dt
import math
from typing import Iterable

import numpy as np

LENGTH = 18
WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
CHECK_CHARS = "10X98765432"          # indexed by (Σ digit × weight) mod 11
EARLIEST_BIRTH = dt.date(1900, 1, 1)
VISIBLE_HEAD, VISIBLE_TAIL = 6, 4

# Reasons (Chinese, shown to users next to the offending cell).
ERR_FORMAT = "身份证号应为18位（前17位为数字，末位为数字或X）"
ERR_BIRTH = "身份证号中的出生日期无效，请核对"
ERR_CHECK = "身份证号校验位错误，请核对"

_CHECK_BYTES = np.frombuffer(CHECK_CHARS.encode("ascii"), dtype=np.uint8)


def check_digit(first17: str) -> str:
    """The check character for the first 17 digits."""
    s = sum(int(c) * int(w) for c, w in zip(first17, WEIGHTS))
    return CHECK_CHARS[s % 11]


def check_bytes(digits: np.ndarray) -> np.ndarray:
    """Vectorised :func:`check_digit`: (n, 17) integer digits → (n,) ASCII codes of the check characters."""
    return _CHECK_BYTES[(np.asarray(digits, dtype=np.int64) @ WEIGHTS) % 11]


def check_chars(digits: np.ndarray) -> np.ndarray:
    """(n, 17) integer digits → (n,) check characters as str."""
    return np.array(list(CHECK_CHARS))[(np.asarray(digits, dtype=np.int64) @ WEIGHTS) % 11]


def birth_date(number: str) -> dt.date | None:
    """The birth date written in an 18-character ID, or None when it is not a real date."""
    try:
        return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except (ValueError, TypeError):
        return None


def well_formed(number: object) -> bool:
    """18 ASCII characters: 17 digits then a digit or 'X'."""
    return (isinstance(number, str) and len(number) == LENGTH and number.isascii() and number[:17].isdigit()
            and (number[17].isdigit() or number[17] == "X"))


def problem(number: str, today: dt.date | None = None) -> str | None:
    """Why ``number`` is not a valid ID (a Chinese reason), or None when it is valid.

    Order of the checks: form, then birth date (a real date between 1900-01-01 and today), then check character.
    """
    if not well_formed(number):
        return ERR_FORMAT
    born = birth_date(number)
    if born is None or born < EARLIEST_BIRTH or born > (today or dt.date.today()):
        return ERR_BIRTH
    if check_digit(number[:17]) != number[17]:
        return ERR_CHECK
    return None


def is_valid(number: object, today: dt.date | None = None) -> bool:
    return isinstance(number, str) and problem(number, today) is None


def gender(number: object) -> str | None:
    """'男' (odd 17th digit) or '女' for an 18-character ID; None otherwise."""
    if isinstance(number, str) and len(number) == LENGTH and number[16].isdigit():
        return "男" if int(number[16]) % 2 else "女"
    return None


def _missing(s: object) -> bool:
    if s is None:
        return True
    if isinstance(s, float):
        return math.isnan(s)
    try:
        return bool(s != s)   # NaN-like values (numpy floats, pd.NA raises and is caught)
    except (TypeError, ValueError):
        return True


def mask(s: object) -> str:
    """Masked ID: first 6 and last 4 characters visible, the rest '*'; ≤ 10 characters: all masked; missing → ''."""
    if _missing(s):
        return ""
    t = str(s).strip()
    if len(t) <= VISIBLE_HEAD + VISIBLE_TAIL:
        return "*" * len(t)
    return t[:VISIBLE_HEAD] + "*" * (len(t) - VISIBLE_HEAD - VISIBLE_TAIL) + t[-VISIBLE_TAIL:]


def mask_many(values: Iterable) -> np.ndarray:
    return np.array([mask(v) for v in values], dtype=object)
