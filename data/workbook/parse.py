"""Column parsers: raw calamine values -> typed values plus a Chinese reason per bad cell.

Parsers work on whole columns. Low-cardinality columns are parsed once per distinct value (pandas.factorize);
numeric columns take a vectorised fast path when every cell is already a number.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.workbook import spec as S

TEXT_FORMAT_HINT = '请将该列设置为"文本"格式后重新填写'
_NUM_TEXT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_SCI = re.compile(r"^\d+(\.\d+)?[eE]\+?\d+$")
_ID = re.compile(r"^\d{17}[\dX]$")
_DATE_PATTERNS = [
    re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]
_TIME_SUFFIX = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")
_MONTH_PATTERNS = [
    re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$"),
    re.compile(r"^(\d{4})(\d{2})$"),
    re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$"),
]
_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_ID_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)
EXCEL_EPOCH = dt.date(1899, 12, 30)


@dataclass
class Parsed:
    values: np.ndarray            # object (or float64 for numbers); None / NaN where empty or bad
    errors: np.ndarray            # object: reason or None
    empty: np.ndarray             # bool: the cell is blank
    warnings: np.ndarray | None = None


def is_blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, float) and v != v)


def _blank_mask(col: np.ndarray) -> np.ndarray:
    if len(col) == 0:
        return np.zeros(0, dtype=bool)
    m = (col == "") | pd.isna(col)
    rest = ~m
    if rest.any():
        # whitespace-only strings
        idx = np.flatnonzero(rest)
        sub = col[idx]
        ws = np.fromiter((isinstance(v, str) and not v.strip() for v in sub), dtype=bool, count=len(sub))
        if ws.any():
            m[idx[ws]] = True
    return m


def _by_unique(col: np.ndarray, fn, out_dtype=object):
    """Apply fn(value) -> (parsed, reason) once per distinct value."""
    codes, uniq = pd.factorize(col, use_na_sentinel=False)
    vals = np.empty(len(uniq), dtype=out_dtype)
    errs = np.empty(len(uniq), dtype=object)
    for i, u in enumerate(uniq):
        vals[i], errs[i] = fn(u)
    return vals[codes], errs[codes]


def number_text(v):
    """Plain number written as text ('4', '1,234.5', '４'), else None."""
    t = S.nfkc(v).strip().replace(",", "")
    if _NUM_TEXT.match(t):
        try:
            return float(t)
        except ValueError:
            return None
    return None


def _as_text(v) -> str:
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if not (v.hour or v.minute or v.second) else v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


# ---- parsers by kind ----

def parse(col: S.Column, raw: np.ndarray) -> Parsed:
    blank = _blank_mask(raw)
    kind = col.kind
    if kind in (S.INT, S.FLOAT, S.PCT):
        return _numbers(col, raw, blank)
    if kind == S.ID:
        return _ids(raw, blank)
    if kind in (S.CODE, S.TEXT, S.COUNTY):
        return _texts(col, raw, blank)
    if kind in (S.ENUM, S.BOOL, S.RIGHT):
        return _choices(col, raw, blank)
    if kind == S.DATE:
        vals, errs = _by_unique(raw, _date_value)
        return _finish(vals, errs, blank)
    if kind == S.MONTH:
        vals, errs = _by_unique(raw, _month_value)
        return _finish(vals, errs, blank)
    raise ValueError(kind)


def _finish(vals, errs, blank, warnings=None) -> Parsed:
    if blank.any():
        vals = vals.copy()
        errs = errs.copy()
        vals[blank] = np.nan if vals.dtype.kind == "f" else None
        errs[blank] = None
    return Parsed(vals, errs, blank, warnings)


def _numbers(col: S.Column, raw: np.ndarray, blank: np.ndarray) -> Parsed:
    n = len(raw)
    vals = np.full(n, np.nan)
    errs = np.full(n, None, dtype=object)
    idx = np.flatnonzero(~blank)
    sub = raw[idx]
    kind = pd.api.types.infer_dtype(sub, skipna=False) if len(sub) else "empty"
    if kind in ("floating", "integer", "mixed-integer-float"):
        vals[idx] = sub.astype(np.float64)
    elif len(sub):
        def one(v):
            if isinstance(v, bool) or isinstance(v, (dt.date, dt.time, dt.timedelta)):
                return np.nan, "应填写数字"
            if isinstance(v, (int, float, np.number)):
                return float(v), None
            t = S.nfkc(str(v)).strip()
            if col.kind == S.PCT and t.endswith("%"):
                t = t[:-1]
            x = number_text(t)
            if x is None:
                return np.nan, "不是有效的数字"
            return x, None
        pv, pe = _by_unique(sub, one)
        vals[idx] = pv.astype(np.float64)
        errs[idx] = pe
    ok = ~blank & pd.isna(errs)
    v = np.where(ok, vals, 0.0)
    if not np.isfinite(v).all():
        bad = ok & ~np.isfinite(v)
        errs[bad] = "不是有效的数字"
        ok &= ~bad
        v = np.where(ok, vals, 0.0)
    if col.kind == S.INT:
        frac = ok & (v != np.floor(v))
        errs[frac] = "应为整数"
        ok &= ~frac
    lo, hi = col.min, col.max
    if lo is not None:
        neg = ok & (v < lo)
        if lo == 0:
            errs[neg] = "不能为负数"
        elif col.key in ("lon", "lat"):
            errs[neg] = _coord_reason(col)
        else:
            errs[neg] = f"不能小于{_num(lo)}"
        ok &= ~neg
    if hi is not None:
        big = ok & (v > hi)
        if col.kind == S.PCT:
            errs[big] = "百分比不能超过100"
        elif col.key in ("lon", "lat"):
            errs[big] = _coord_reason(col)
        else:
            errs[big] = f"不能大于{_num(hi)}，请核对"
        ok &= ~big
    vals[~ok] = np.nan
    warnings = None
    if col.kind == S.PCT:
        small = ok & (v > 0) & (v <= 1)
        if small.any():
            warnings = np.full(n, None, dtype=object)
            warnings[small] = "百分比应按0–100填写（如 85 表示85%），该值可能按小数填写"
    return Parsed(vals, errs, blank, warnings)


def _coord_reason(col: S.Column) -> str:
    rng = "73–136" if col.key == "lon" else "3–54"
    return f"坐标不在中国境内（{col.header}应在{rng}之间），请核对是否填反或漏填小数点"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _texts(col: S.Column, raw: np.ndarray, blank: np.ndarray) -> Parsed:
    n = len(raw)
    vals = np.full(n, None, dtype=object)
    errs = np.full(n, None, dtype=object)
    idx = np.flatnonzero(~blank)
    sub = raw[idx]
    code_like = col.kind in (S.CODE, S.COUNTY)
    all_str = len(sub) == 0 or pd.api.types.infer_dtype(sub, skipna=False) == "string"
    if all_str:
        if code_like:
            out = [t if t.isascii() else S.nfkc(t).strip() for t in (v.strip() for v in sub)]
            if col.kind == S.COUNTY:
                out = [re.sub(r"\s+", "", t) for t in out]
        else:
            out = [v.strip() for v in sub]
        vals[idx] = out
    else:
        def one(v):
            if isinstance(v, bool):
                return None, "应填写文本"
            if code_like and isinstance(v, float) and not v.is_integer():
                return None, f"编码格式不正确，{TEXT_FORMAT_HINT}"
            if code_like and isinstance(v, (dt.date, dt.time)):
                return None, "编码格式不正确（被识别为日期），" + TEXT_FORMAT_HINT
            t = _as_text(v).strip()
            if code_like:
                t = S.nfkc(t).strip()
            if col.kind == S.COUNTY:
                t = re.sub(r"\s+", "", t)
            return t, None
        pv, pe = _by_unique(sub, one)
        vals[idx] = pv
        errs[idx] = pe
    if col.max_len:
        lens = np.fromiter((len(v) if isinstance(v, str) else 0 for v in vals), dtype=np.int64, count=n)
        long_ = lens > col.max_len
        if long_.any():
            errs[long_] = f"长度超过{col.max_len}个字符"
            vals[long_] = None
    return Parsed(vals, errs, blank)


def _choices(col: S.Column, raw: np.ndarray, blank: np.ndarray) -> Parsed:
    lookup = {re.sub(r"\s+", "", S.nfkc(c)): c for c in col.choices}
    allowed = "、".join(col.choices)
    if col.kind == S.BOOL:
        mapping = {"是": True, "否": False}
    elif col.kind == S.RIGHT:
        from data.models import RIGHT_VALUES
        mapping = RIGHT_VALUES
    elif col.key == "employed":
        mapping = {"已就业": True, "未就业": False}
    else:
        mapping = None

    def one(v):
        if is_blank(v):
            return None, None
        if isinstance(v, bool) and col.kind == S.BOOL:
            return v, None
        t = re.sub(r"\s+", "", S.nfkc(_as_text(v)))
        c = lookup.get(t)
        if c is None:
            return None, f"不是可选的值，应为：{allowed}"
        return (mapping[c] if mapping else c), None

    vals, errs = _by_unique(raw, one)
    return _finish(vals, errs, blank)


def _excel_serial(x: float) -> dt.date | None:
    if 20000 <= x <= 80000:  # 1954 .. 2119
        return EXCEL_EPOCH + dt.timedelta(days=int(x))
    return None


def _date_value(v):
    if is_blank(v):
        return None, None
    if isinstance(v, dt.datetime):
        return v.date(), None
    if isinstance(v, dt.date):
        return v, None
    if isinstance(v, bool):
        return None, "日期无法识别，请按 2026-09-12 格式填写"
    if isinstance(v, (int, float)):
        d = _excel_serial(float(v)) if float(v).is_integer() else None
        if d is None and float(v).is_integer() and 19000101 <= v <= 21001231:
            return _ymd(*divmod_date(int(v)))
        return (d, None) if d else (None, "日期无法识别，请按 2026-09-12 格式填写")
    t = S.nfkc(str(v)).strip()
    t = _TIME_SUFFIX.sub("", t)
    for p in _DATE_PATTERNS:
        m = p.match(t)
        if m:
            return _ymd(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    return None, "日期无法识别，请按 2026-09-12 格式填写"


def divmod_date(n: int):
    return n // 10000, n // 100 % 100, n % 100


def _ymd(y, m, d):
    try:
        return dt.date(y, m, d), None
    except ValueError:
        return None, "不是有效的日期，请核对年月日"


def _month_value(v):
    if is_blank(v):
        return None, None
    reason = "月份格式应为 YYYY-MM（如 2026-09）"
    if isinstance(v, (dt.date, dt.datetime)):
        return f"{v.year:04d}-{v.month:02d}", None
    if isinstance(v, bool):
        return None, reason
    if isinstance(v, (int, float)):
        if float(v).is_integer() and 190001 <= v <= 210012 and 1 <= int(v) % 100 <= 12:
            return f"{int(v) // 100:04d}-{int(v) % 100:02d}", None
        return None, reason
    t = S.nfkc(str(v)).strip()
    t = _TIME_SUFFIX.sub("", t)
    for p in _MONTH_PATTERNS:
        m = p.match(t)
        if m:
            y, mo = int(m.group(1)), int(m.group(2))
            if 1900 <= y <= 2100 and 1 <= mo <= 12:
                return f"{y:04d}-{mo:02d}", None
            return None, reason
    return None, reason


def _ids(raw: np.ndarray, blank: np.ndarray) -> Parsed:
    n = len(raw)
    vals = np.full(n, None, dtype=object)
    errs = np.full(n, None, dtype=object)
    text = np.full(n, None, dtype=object)
    mangled = f"身份证号被 Excel 当作数字保存，末几位已丢失，{TEXT_FORMAT_HINT}"
    for i in np.flatnonzero(~blank):
        v = raw[i]
        if isinstance(v, str):
            t = v.strip()
            if not t.isascii():
                t = S.nfkc(t).strip()
            t = t.upper()
            if len(t) != 18 and _SCI.match(t):
                errs[i] = mangled
            else:
                text[i] = t
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            errs[i] = mangled
        else:
            errs[i] = "身份证号应为18位文本"
    cand = np.flatnonzero(pd.notna(text))
    fmt_ok = np.fromiter((bool(_ID.match(text[i])) for i in cand), dtype=bool, count=len(cand))
    errs[cand[~fmt_ok]] = "身份证号应为18位（前17位为数字，末位为数字或X）"
    good = cand[fmt_ok]
    if len(good):
        buf = np.frombuffer("".join(text[good]).encode("ascii"), dtype=np.uint8).reshape(-1, 18)
        digits = buf[:, :17].astype(np.int64) - 48
        expected = _ID_CHECK[(digits @ _ID_WEIGHTS) % 11]
        bad_check = expected != buf[:, 17]
        y = digits[:, 6] * 1000 + digits[:, 7] * 100 + digits[:, 8] * 10 + digits[:, 9]
        m = digits[:, 10] * 10 + digits[:, 11]
        d = digits[:, 12] * 10 + digits[:, 13]
        births = pd.to_datetime(pd.DataFrame({"year": y, "month": m, "day": d}), errors="coerce")
        today = pd.Timestamp(dt.date.today())
        bad_birth = (births.isna() | (births < pd.Timestamp(1900, 1, 1)) | (births > today)).to_numpy()
        errs[good[bad_birth]] = "身份证号中的出生日期无效，请核对"
        errs[good[bad_check & ~bad_birth]] = "身份证号校验位错误，请核对"
        ok = good[~bad_check & ~bad_birth]
        vals[ok] = text[ok]
    return Parsed(vals, errs, blank)


def id_gender(ids: np.ndarray) -> np.ndarray:
    """'男'/'女' from the 17th digit of valid IDs (None elsewhere)."""
    out = np.full(len(ids), None, dtype=object)
    for i, v in enumerate(ids):
        if isinstance(v, str) and len(v) == 18:
            out[i] = "男" if int(v[16]) % 2 else "女"
    return out
