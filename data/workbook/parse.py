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

from data.models import RIGHT_VALUES
from data.workbook import spec as S
from domain import idnumber as ID

TEXT_FORMAT_HINT = '请将该列设置为"文本"格式后重新填写'
_NUM_TEXT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_SCI = re.compile(r"^\d+(\.\d+)?[eE]\+?\d+$")
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
EXCEL_EPOCH = dt.date(1899, 12, 30)


@dataclass
class Parsed:
    values: np.ndarray            # object (or float64 for numbers); None / NaN where empty or bad
    errors: np.ndarray            # object: reason or None
    empty: np.ndarray             # bool: the cell is blank
    warnings: np.ndarray | None = None


def is_blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, float) and v != v)


_NUMERIC_KINDS = ("floating", "integer", "mixed-integer-float")


def _by_unique(col: np.ndarray, fn):
    """Apply fn(value) -> (parsed, reason) once per distinct value; blanks give (None, None).
    Returns (values, reasons, blank) aligned with col."""
    codes, uniq = pd.factorize(col, use_na_sentinel=False)
    k = len(uniq)
    vals = np.empty(k, dtype=object)
    errs = np.empty(k, dtype=object)
    blank = np.zeros(k, dtype=bool)
    for i, u in enumerate(uniq):
        if is_blank(u):
            blank[i] = True
            vals[i] = errs[i] = None
        else:
            vals[i], errs[i] = fn(u)
    return vals[codes], errs[codes], blank[codes]


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
    kind = col.kind
    if kind in (S.INT, S.FLOAT, S.PCT):
        return _numbers(col, raw)
    if kind == S.ID:
        return _ids(raw)
    if kind in (S.CODE, S.TEXT, S.COUNTY):
        return _texts(col, raw)
    if kind in (S.ENUM, S.BOOL, S.RIGHT):
        return _choices(col, raw)
    if kind == S.DATE:
        return Parsed(*_by_unique(raw, _date_value))
    if kind == S.MONTH:
        return Parsed(*_by_unique(raw, _month_value))
    raise ValueError(kind)


def _numbers(col: S.Column, raw: np.ndarray) -> Parsed:
    n = len(raw)
    kind = pd.api.types.infer_dtype(raw, skipna=False) if n else "empty"
    if kind in _NUMERIC_KINDS:  # every cell is a number: no blanks, no text
        vals = raw.astype(np.float64)
        errs = np.full(n, None, dtype=object)
        blank = np.zeros(n, dtype=bool)
    else:
        vals = np.full(n, np.nan)
        errs = np.full(n, None, dtype=object)
        blank = raw == ""
        idx = np.flatnonzero(~blank)
        sub = raw[idx]
        if len(sub) and pd.api.types.infer_dtype(sub, skipna=False) in _NUMERIC_KINDS:
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
            pv, pe, pb = _by_unique(sub, one)
            pv[pb] = np.nan
            vals[idx] = pv.astype(np.float64)
            errs[idx] = pe
            blank[idx[pb]] = True
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


def _texts(col: S.Column, raw: np.ndarray) -> Parsed:
    n = len(raw)
    code_like = col.kind in (S.CODE, S.COUNTY)
    if n and pd.api.types.infer_dtype(raw, skipna=False) == "string":
        out = [v.strip() for v in raw]
        if code_like:
            out = [t if t.isascii() else S.nfkc(t).strip() for t in out]
            if col.kind == S.COUNTY:
                out = [re.sub(r"\s+", "", t) for t in out]
        vals = np.array(out, dtype=object)
        errs = np.full(n, None, dtype=object)
        blank = vals == ""
        if col.max_len:
            long_ = np.fromiter(map(len, out), dtype=np.int64, count=n) > col.max_len
            if long_.any():
                errs[long_] = f"长度超过{col.max_len}个字符"
        vals[blank] = None
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
            if col.max_len and len(t) > col.max_len:
                return t, f"长度超过{col.max_len}个字符"
            return t, None
        vals, errs, blank = _by_unique(raw, one) if n else (np.empty(0, object), np.empty(0, object),
                                                            np.zeros(0, bool))
    bad = pd.notna(errs)
    if bad.any():
        vals[bad] = None
    return Parsed(vals, errs, blank)


def _choices(col: S.Column, raw: np.ndarray) -> Parsed:
    """Exact allowed values and blanks by vectorised comparison; anything else parsed once per distinct value."""
    n = len(raw)
    one = _choice_parser(col)
    vals = np.full(n, None, dtype=object)
    blank = raw == ""
    done = blank.copy()
    for c in col.choices:
        hit = raw == c
        if hit.any():
            vals[hit] = one(c)[0]
            done |= hit
    rest = np.flatnonzero(~done)
    errs = np.full(n, None, dtype=object)
    if len(rest):
        v, e, b = _by_unique(raw[rest], one)
        vals[rest] = v
        errs[rest] = e
        blank[rest] = b
    return Parsed(vals, errs, blank)


def parse_choice_block(cols: list[S.Column], raws: list[np.ndarray]) -> dict[str, Parsed]:
    """`_choices` for several columns with the same allowed values at once (e.g. the 15 rights items)."""
    block = np.stack(raws, axis=1)
    one = _choice_parser(cols[0])
    vals = np.full(block.shape, None, dtype=object)
    blank = block == ""
    done = blank.copy()
    for c in cols[0].choices:
        hit = block == c
        vals[hit] = one(c)[0]
        done |= hit
    errs = np.full(block.shape, None, dtype=object)
    rest = ~done
    if rest.any():
        v, e, b = _by_unique(block[rest], one)
        vals[rest] = v
        errs[rest] = e
        blank[rest] = b
    return {c.key: Parsed(vals[:, j], errs[:, j], blank[:, j]) for j, c in enumerate(cols)}


def _choice_parser(col: S.Column):
    lookup = {re.sub(r"\s+", "", S.nfkc(c)): c for c in col.choices}
    allowed = "、".join(col.choices)
    if col.kind == S.BOOL:
        mapping = {"是": True, "否": False}
    elif col.kind == S.RIGHT:
        mapping = RIGHT_VALUES
    elif col.mapping:
        mapping = dict(col.mapping)
    else:
        mapping = None

    def one(v):
        if isinstance(v, bool) and col.kind == S.BOOL:
            return v, None
        t = re.sub(r"\s+", "", S.nfkc(_as_text(v)))
        c = lookup.get(t)
        if c is None:
            return None, f"不是可选的值，应为：{allowed}"
        return (mapping[c] if mapping else c), None

    return one


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


def _ids(raw: np.ndarray) -> Parsed:
    n = len(raw)
    vals = np.full(n, None, dtype=object)
    errs = np.full(n, None, dtype=object)
    mangled = f"身份证号被 Excel 当作数字保存，末几位已丢失，{TEXT_FORMAT_HINT}"
    if n and pd.api.types.infer_dtype(raw, skipna=False) == "string":
        text = [v.strip().upper() for v in raw]
    else:
        text = []
        for i, v in enumerate(raw):
            if isinstance(v, str):
                text.append(v.strip().upper())
            elif v is None:
                text.append("")
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                text.append("")
                errs[i] = mangled
            else:
                text.append("")
                errs[i] = "身份证号应为18位文本"
    arr = np.array(text, dtype=object)
    blank = (arr == "") & pd.isna(errs)
    lens = np.fromiter(map(len, text), dtype=np.int64, count=n)
    cand = np.flatnonzero((lens == 18) & pd.isna(errs))
    joined = "".join(arr[cand]) if len(cand) else ""
    if not joined.isascii():  # full-width digits etc.: normalise those few
        for i in cand:
            if not arr[i].isascii():
                arr[i] = S.nfkc(arr[i]).strip().upper()
        lens = np.fromiter(map(len, arr), dtype=np.int64, count=n)
        cand = np.flatnonzero((lens == 18) & pd.isna(errs))
        joined = "".join(arr[cand]) if len(cand) else ""
        if not joined.isascii():
            ok_ascii = np.fromiter((arr[i].isascii() for i in cand), dtype=bool, count=len(cand))
            errs[cand[~ok_ascii]] = ID.ERR_FORMAT
            cand = cand[ok_ascii]
            joined = "".join(arr[cand])
    # wrong length: Excel's scientific form or simply not 18 characters
    for i in np.flatnonzero(~blank & (lens != 18) & pd.isna(errs)):
        t = arr[i]
        errs[i] = mangled if _SCI.match(t) or (t.isdigit() and len(t) > 18) else \
            ID.ERR_FORMAT
    if len(cand):
        buf = np.frombuffer(joined.encode("ascii"), dtype=np.uint8).reshape(-1, 18)
        body = buf[:, :17]
        last = buf[:, 17]
        fmt_ok = ((body >= 48) & (body <= 57)).all(axis=1) & (((last >= 48) & (last <= 57)) | (last == 88))
        errs[cand[~fmt_ok]] = ID.ERR_FORMAT
        good = cand[fmt_ok]
        buf = buf[fmt_ok]
        digits = buf[:, :17].astype(np.int64) - 48
        expected = ID.check_bytes(digits)
        bad_check = expected != buf[:, 17]
        y = digits[:, 6] * 1000 + digits[:, 7] * 100 + digits[:, 8] * 10 + digits[:, 9]
        m = digits[:, 10] * 10 + digits[:, 11]
        d = digits[:, 12] * 10 + digits[:, 13]
        births = pd.to_datetime(pd.DataFrame({"year": y, "month": m, "day": d}), errors="coerce")
        today = pd.Timestamp(dt.date.today())
        bad_birth = (births.isna() | (births < pd.Timestamp(ID.EARLIEST_BIRTH)) | (births > today)).to_numpy()
        errs[good[bad_birth]] = ID.ERR_BIRTH
        errs[good[bad_check & ~bad_birth]] = ID.ERR_CHECK
        ok = good[~bad_check & ~bad_birth]
        vals[ok] = arr[ok]
    return Parsed(vals, errs, blank)


def id_gender(ids: np.ndarray) -> np.ndarray:
    """'男'/'女' from the 17th digit of valid 18-character IDs (None elsewhere)."""
    out = np.full(len(ids), None, dtype=object)
    ok = np.flatnonzero(pd.notna(ids))
    if len(ok):
        text = "".join(ids[ok])
        if len(text) == 18 * len(ok) and text.isascii():
            digit = np.frombuffer(text.encode("ascii"), dtype=np.uint8).reshape(-1, 18)[:, 16]
            out[ok] = np.where(digit % 2 == 1, "男", "女")
        else:
            for i in ok:
                out[i] = ID.gender(ids[i])
    return out
