"""Display tables with Chinese headers (domain.md §8), built from scoring results; pure pandas.

* ``site_ranking_table(scores, mc=None)`` — 排名, 同类排名, 安置点编码, 安置点, 县, 规模, 总分, 指标完整度
  (indicators not 缺报 / 22 as "20/22", §11 "Completeness": it stands beside every site score), 缺报 (the mark
  of a site with any 缺报: its missing codes "I2、E1"; "" when complete), the five dimension names, 等次,
  达标 (bool), 较上月 ("↑2" / "↓1" / "—" unchanged or no previous month / "新" new site), 短板, 排名区间
  ("3–7" from the Monte Carlo 5–95 % ranks; "—" without ``mc``). Sorted by 排名, then code.
* ``county_table(cm, with_flags=False)`` — 序号, 县(市、区), 安置点数, 搬迁人口, 劳动力, 就业率, 参训率, 持证率,
  零就业家庭, 达标/序时 ("达标数/⌊序时进度⌋"), 权益落实率 (all items pooled, %), 整改逾期, 县均得分, 排名,
  较上月 (Δ county score, float; NaN without a previous month). ``with_flags`` appends 进度滞后 (the flag
  sentences joined by "；") and 约谈建议.
* ``indicator_table(scores, site_code)`` — one site's indicators with Chinese headers.
Numbers stay numbers (percentages 0–100, scores unrounded beyond the engine's 2 decimals); exporters format them.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from domain.sizes import SIZE_CLASSES as SIZE_ORDER

from .engine import MonthScores
from .progress import CountyMonth
from .robustness import rank_interval

DASH = "—"
SITE_RANKING_FIXED = ["排名", "同类排名", "安置点编码", "安置点", "县", "规模", "总分", "指标完整度", "缺报"]
SITE_RANKING_TAIL = ["等次", "达标", "较上月", "短板", "排名区间"]
COUNTY_TABLE_COLUMNS = ["序号", "县(市、区)", "安置点数", "搬迁人口", "劳动力", "就业率", "参训率", "持证率",
                        "零就业家庭", "达标/序时", "权益落实率", "整改逾期", "县均得分", "排名", "较上月"]


def rank_change_text(delta_rank, is_new: bool = False) -> str:
    if is_new:
        return "新"
    if delta_rank is None or pd.isna(delta_rank) or int(delta_rank) == 0:
        return DASH
    d = int(delta_rank)
    return f"↑{d}" if d > 0 else f"↓{-d}"


def completeness_text(sites: pd.DataFrame) -> np.ndarray:
    """指标完整度 per site: "reported/count" (e.g. "20/22"; 不涉及 counts as reported, 缺报 does not)."""
    if "reported_count" not in sites or "indicator_count" not in sites:
        return np.full(len(sites), DASH, dtype=object)
    return np.array([f"{int(r)}/{int(k)}" for r, k in zip(sites["reported_count"], sites["indicator_count"])],
                    dtype=object)


def ranking_table(sites: pd.DataFrame, dimension_columns: dict[str, str], *, view: str = "overall",
                  score_change: bool = False) -> pd.DataFrame:
    """The §8 site table from a frame of MonthScores.sites rows (optionally with the robustness columns
    rank_p05/rank_p95 joined). view 'overall' sorts by 排名, 'class' by 规模 then 同类排名. With ``score_change`` a
    numeric 总分较上月 column follows 较上月 (for the screen; exports keep the official columns)."""
    if view == "class":
        order = {c: i for i, c in enumerate(SIZE_ORDER)}
        s = sites.assign(_o=sites["size_class"].map(order)).sort_values(["_o", "class_rank", "site_code"],
                                                                        kind="stable")
    else:
        s = sites.sort_values(["rank", "site_code"], kind="stable")
    out = pd.DataFrame({
        "排名": s["rank"].to_numpy(dtype=np.int64),
        "同类排名": s["class_rank"].to_numpy(dtype=np.int64),
        "安置点编码": s["site_code"].to_numpy(dtype=object),
        "安置点": s["site_name"].to_numpy(dtype=object),
        "县": s["county_name"].to_numpy(dtype=object),
        "规模": s["size_class"].to_numpy(dtype=object),
        "总分": s["total"].to_numpy(dtype=float),
        "指标完整度": completeness_text(s),
        "缺报": s["missing_codes"].fillna("").to_numpy(dtype=object) if "missing_codes" in s
        else np.full(len(s), "", dtype=object),
    })
    for col, name in dimension_columns.items():
        out[name] = s[col].to_numpy(dtype=float)
    out["等次"] = s["grade"].to_numpy(dtype=object)
    out["达标"] = s["qualified"].to_numpy(dtype=bool)
    out["较上月"] = np.array([rank_change_text(d, bool(n)) for d, n in zip(s["delta_rank"], s["is_new"])],
                          dtype=object)
    if score_change:
        out["总分较上月"] = s["delta_total"].to_numpy(dtype=float)
    out["短板"] = s["weakest"].to_numpy(dtype=object)
    if "rank_p05" in s and "rank_p95" in s:
        out["排名区间"] = np.array([rank_interval(a, b) if not (pd.isna(a) or pd.isna(b)) else DASH
                                for a, b in zip(s["rank_p05"], s["rank_p95"])], dtype=object)
    else:
        out["排名区间"] = np.full(len(s), DASH, dtype=object)
    return out.reset_index(drop=True)


def site_ranking_table(scores: MonthScores, mc: pd.DataFrame | None = None) -> pd.DataFrame:
    """The official §8 site table of a month, ranked overall."""
    s = scores.sites
    if mc is not None and len(mc):
        m = mc.set_index("site_code")[["rank_p05", "rank_p95"]].reindex(s["site_code"])
        s = s.assign(rank_p05=m["rank_p05"].to_numpy(), rank_p95=m["rank_p95"].to_numpy())
    dims = scores.dimension_columns or {c: c for c in s.columns if c.startswith("dim_")}
    return ranking_table(s, dims)


def county_table(cm: CountyMonth, with_flags: bool = False) -> pd.DataFrame:
    c = cm.counties.sort_values(["sort_order", "county_code"], na_position="last", kind="stable")
    out = pd.DataFrame({
        "序号": np.arange(1, len(c) + 1),
        "县(市、区)": c["county_name"].to_numpy(dtype=object),
        "安置点数": c["sites"].to_numpy(dtype=np.int64),
        "搬迁人口": c["population"].to_numpy(dtype=float),
        "劳动力": c["labour"].to_numpy(dtype=np.int64),
        "就业率": c["employment_rate"].to_numpy(dtype=float),
        "参训率": c["training_rate"].to_numpy(dtype=float),
        "持证率": c["certified_rate"].to_numpy(dtype=float),
        "零就业家庭": c["zero_emp"].to_numpy(dtype=np.int64),
        "达标/序时": np.array([f"{int(q)}/{int(e)}" for q, e in zip(c["qualified"], c["expected_floor"])],
                            dtype=object),
        "权益落实率": c["coverage"].to_numpy(dtype=float),
        "整改逾期": c["overdue"].to_numpy(dtype=np.int64),
        "县均得分": c["score"].to_numpy(dtype=float),
        "排名": c["rank"].to_numpy(dtype=object),
        "较上月": c["delta_score"].to_numpy(dtype=float),
    })
    out["排名"] = pd.array(c["rank"].to_numpy(), dtype="Int64")
    if with_flags:
        out["进度滞后"] = np.array(["；".join(r) for r in c["reasons"]], dtype=object)
        out["约谈建议"] = c["escalation"].to_numpy(dtype=object)
    return out.reset_index(drop=True)


def indicator_table(scores: MonthScores, site_code: str) -> pd.DataFrame:
    i = scores.indicators[scores.indicators["site_code"] == site_code]
    return pd.DataFrame({
        "编码": i["code"].to_numpy(dtype=object), "维度": i["dimension"].to_numpy(dtype=object),
        "指标": i["name"].to_numpy(dtype=object), "单位": i["unit"].to_numpy(dtype=object),
        "本月值": i["value"].to_numpy(dtype=float),
        "状态": i["status"].replace({"ok": "正常"}).to_numpy(dtype=object),
        "得分": i["points"].to_numpy(dtype=float), "满分": i["max_points"].to_numpy(dtype=float),
        "失分": i["lost_points"].to_numpy(dtype=float), "满分所需值": i["full_value"].to_numpy(dtype=float),
        "计分规则": i["rule"].to_numpy(dtype=object),
    })
