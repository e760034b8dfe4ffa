"""What every export shares: the column vocabulary, formatting kinds, how a cell reads on paper, text width,
ID-number masking and which rows are filled light red. No file format here (see sheet.py and circular_docx.py)."""
from __future__ import annotations

import re
import unicodedata
from typing import Any

import pandas as pd

from data.formatting import DASH, fmt_bool, fmt_delta, fmt_num, fmt_pct, fmt_range, fmt_rank_delta, is_missing, mask_id
from scoring.catalogue import load_catalogue

# Shared vocabulary. Dimension and grade names come from the indicator catalogue (the default version is the one
# the official circular columns are named after).
_CATALOGUE = load_catalogue()
DIMENSIONS = list(_CATALOGUE.dimension_names.values())
GRADES = [name for name, _ in _CATALOGUE.grades] + [_CATALOGUE.grade_default]   # best first
# 指标完整度 ("20/22") and its mark 缺报 (the missing codes) stand beside every site score (domain.md §11)
COMPLETENESS_COLUMNS = ["指标完整度", "缺报"]
RANKING_COLUMNS = ["排名", "同类排名", "安置点编码", "安置点", "县", "规模", "总分", *COMPLETENESS_COLUMNS, *DIMENSIONS,
                   "等次", "达标", "较上月", "短板", "排名区间"]
COUNTY_COLUMNS = ["序号", "县(市、区)", "安置点数", "搬迁人口", "劳动力", "就业率", "参训率", "持证率", "零就业家庭",
                  "达标/序时", "权益落实率", "整改逾期", "县均得分", "排名", "较上月"]
# §8 site table of the circular (no site code: the official reads names)
CIRCULAR_SITE_COLUMNS = ["排名", "同类排名", "安置点", "县", "规模", "总分", *COMPLETENESS_COLUMNS, *DIMENSIONS, "等次",
                         "达标", "较上月", "短板", "排名区间"]

RANK_INTERVAL_NOTE = "排名区间为稳健性分析的5%–95%区间，相差两三位的名次差异不具有实际意义。"
COMPLETENESS_NOTE = "指标完整度为本月未缺报的指标数/指标总数；“缺报”栏所列指标本月缺报，计0分。"


def completeness_note(table: pd.DataFrame) -> str | None:
    """The 指标完整度 footnote when the table marks any site with 缺报 (None otherwise)."""
    if "缺报" not in table.columns:
        return None
    marked = table["缺报"].map(lambda v: isinstance(v, str) and v.strip() != "")
    return COMPLETENESS_NOTE if bool(marked.any()) else None
DEMO_MARK = "演示数据"
ISSUER = "市易地搬迁后续扶持工作领导小组办公室"

# Formatting kinds
PCT, SCORE, DELTA, RANK_DELTA, INT, PEOPLE, BOOL, RANGE, TEXT, NUM = (
    "pct", "score", "delta", "rank_delta", "int", "people", "bool", "range", "text", "num")
_ID_COLUMN = re.compile(r"身份证|证件号|head_id|person_id|id_no|id_number", re.I)


def column_kind(name: str, series: pd.Series | None = None) -> str:
    """Formatting kind of a column, from its Chinese header (and dtype when the header says nothing)."""
    n = str(name)
    if _ID_COLUMN.search(n):
        return TEXT
    if n in ("排名区间", "名次区间"):
        return RANGE
    if n in ("较上月排名", "名次变化", "排名变化", "排名较上月"):
        return RANK_DELTA
    if n.startswith("较上月") or n.endswith("变化") or n.startswith("Δ"):
        if series is not None and _is_integer_series(series):
            return RANK_DELTA
        return DELTA if series is None or is_numeric_series(series) else TEXT
    if n.endswith("率") or "占比" in n or n.endswith("%") or n.endswith("（%）") or n.endswith("(%)"):
        return PCT
    if n in ("总分", "县均得分", "得分") or n.endswith("得分") or n in DIMENSIONS:
        return SCORE
    if "人口" in n or n.endswith("人数") or n == "劳动力":
        return PEOPLE
    if n in ("排名", "同类排名", "序号", "安置点数", "劳动力", "零就业家庭", "整改逾期", "户数", "个数") \
            or n.endswith("数") or n.endswith("户"):
        if series is None or is_numeric_series(series):
            return INT
    if series is not None:
        if pd.api.types.is_bool_dtype(series.dtype) or _is_bool_object(series):
            return BOOL
        if _is_integer_series(series):
            return INT
        if is_numeric_series(series):
            return NUM
    return TEXT


def is_numeric_series(s: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(s.dtype):
        return False
    if pd.api.types.is_numeric_dtype(s.dtype):
        return True
    vals = [v for v in s.tolist() if not is_missing(v)]
    return bool(vals) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals)


def _is_integer_series(s: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(s.dtype):
        return False
    if pd.api.types.is_integer_dtype(s.dtype):
        return True
    if not is_numeric_series(s):
        return False
    vals = [v for v in s.tolist() if not is_missing(v)]
    return pd.api.types.is_integer_dtype(s.dtype) or (
        pd.api.types.is_object_dtype(s.dtype) and all(isinstance(v, int) for v in vals))


def _is_bool_object(s: pd.Series) -> bool:
    vals = [v for v in s.tolist() if not is_missing(v)]
    return bool(vals) and all(isinstance(v, bool) or type(v).__name__ == "bool_" for v in vals)


def display_text(value: Any, kind: str) -> str:
    """How a cell reads on paper (used for CSV/Word and for width estimates)."""
    if kind == RANGE:
        return range_text(value)
    if kind == BOOL:
        return fmt_bool(value) if not isinstance(value, str) else value
    if isinstance(value, str):
        return value
    if is_missing(value):
        return DASH
    if kind == PCT:
        return fmt_pct(value)
    if kind in (SCORE, NUM):
        return fmt_num(value, 2)
    if kind == DELTA:
        return fmt_delta(value)
    if kind == RANK_DELTA:
        return fmt_rank_delta(value)
    if kind == PEOPLE:
        return f"{int(round(float(value))):,}"
    if kind == INT:
        return str(int(round(float(value))))
    if isinstance(value, bool):
        return fmt_bool(value)
    return str(value)


def range_text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip() or DASH
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return fmt_range(value[0], value[1])
    if is_missing(value):
        return DASH
    return str(value)


def text_width(s: str) -> int:
    """Display width: CJK/full-width characters count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(s))


def mask_id_columns(table: pd.DataFrame, allow_full_ids: bool = False) -> pd.DataFrame:
    """Copy of `table` with ID-number columns masked (domain.md §10)."""
    if allow_full_ids:
        return table
    cols = [c for c in table.columns if _ID_COLUMN.search(str(c))]
    if not cols:
        return table
    out = table.copy()
    for c in cols:
        out[c] = out[c].map(lambda v: mask_id(v) if not is_missing(v) else "")
    return out


def highlight_mask(table: pd.DataFrame, highlight: Any, flagged_col: str | None) -> list[bool]:
    """Rows to fill. `highlight` (bool Series / sequence, aligned by position) wins; else rows whose
    `flagged_col` is falsy (默认 达标 = 否) or whose 等次 is 不合格."""
    n = len(table)
    if highlight is not None:
        vals = list(highlight.tolist() if isinstance(highlight, pd.Series) else highlight)
        if len(vals) != n:
            raise ValueError(f"highlight has {len(vals)} values for {n} rows")
        return [bool(v) and not is_missing(v) for v in vals]
    if flagged_col is None or flagged_col not in table.columns:
        return [False] * n
    out = []
    for i in range(n):
        v = table[flagged_col].iloc[i]
        bad = (v in ("否", "", DASH) or v is False) if isinstance(v, (str, bool)) else (is_missing(v) or not bool(v))
        if "等次" in table.columns and table["等次"].iloc[i] == GRADES[-1]:
            bad = True
        out.append(bool(bad))
    return out


def subtitle_line(*parts: str | None) -> str:
    return "　　".join(p for p in parts if p)


def legend(default_rule: bool, flagged_col: str | None) -> str:
    if default_rule and flagged_col == "达标":
        return "浅红底色：本月未达到五好社区标准（未达标或等次为不合格）的安置点。"
    if default_rule and flagged_col:
        return f"浅红底色：{flagged_col}为“否”的行。"
    return "浅红底色：需重点关注的行。"


# ---- formula injection (CSV/Excel) ----------------------------------------------------------------------------------
# A text cell starting with one of these is read by Excel/WPS as a formula (or DDE); exports neutralise every such
# value: Excel cells become explicit text cells with a quote prefix, CSV values get a leading apostrophe.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def formula_like(v: Any) -> bool:
    return isinstance(v, str) and v.startswith(FORMULA_TRIGGERS)


def csv_safe_value(v: Any) -> Any:
    """A CSV value that no spreadsheet evaluates: text starting with = + - @ tab CR gets a leading ' ."""
    return "'" + v if formula_like(v) else v


def csv_safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The frame with every text value (and column name) made inert for CSV (numbers stay numbers)."""
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            out[c] = out[c].map(csv_safe_value)
    out.columns = [csv_safe_value(c) for c in out.columns]
    return out


def neutralise_workbook(wb) -> None:
    """Every cell of an openpyxl workbook that would be a formula or starts like one becomes an explicit text
    cell (data_type 's', quotePrefix), its value unchanged. Exports never write formulas on purpose."""
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                v = cell.value
                if cell.data_type == "f" or formula_like(v):
                    cell.data_type = "s"
                    cell.quotePrefix = True


def table_csv(df: pd.DataFrame) -> bytes:
    """A table as CSV (UTF-8 with BOM, opens in Excel), formula-like text neutralised. Every CSV export uses it."""
    return csv_safe_frame(df).to_csv(index=False).encode("utf-8-sig")
