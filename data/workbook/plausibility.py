"""Warnings that compare a workbook with what the database already holds: coordinates outside the county,
labour rows versus 劳动力人数, and reported indicators that jump against the previous month."""
from __future__ import annotations

import collections

import numpy as np
import pandas as pd

from data.workbook import spec as S
from data.workbook.collect import Collector, Table
from data.workbook.dbcontext import DbContext
from data.workbook.messages import WARNING
from domain.calendar import previous_month

JUMP_RATIO = 0.5


def boundary_warnings(t: Table, db: DbContext, out: Collector, point_in_county) -> None:
    if point_in_county is None:
        return
    v = t.values
    for i in range(t.n):
        cc, lon, lat = v["county_code"][i], v["lon"][i], v["lat"][i]
        if cc is None or np.isnan(lon) or np.isnan(lat):
            continue
        geo = db.counties[cc].boundary_geojson
        if not geo:
            continue
        try:
            inside = point_in_county(float(lon), float(lat), geo)
        except Exception:
            continue
        if inside is False:
            out.cells(t, "lon", [i], f"坐标不在「{db.county_name(cc)}」的行政区域内，请核对经纬度", WARNING,
                      value=np.array([f"{lon}, {lat}"] * t.n, dtype=object))


def labour_count_warnings(tables: dict[str, Table], db: DbContext, month: str, out: Collector) -> None:
    """Labour rows per household versus 劳动力人数 (both in the file, or one side from the database)."""
    lt = tables[S.LABOUR.name]
    ht = tables.get(S.HOUSEHOLDS.name)
    counts = collections.Counter(c for c in lt.values["household_code"] if c is not None)
    if ht is not None:
        codes = ht.values["household_code"]
        expected = ht.values["labour_count"]
        got = np.fromiter((counts.get(c, 0) for c in codes), dtype=np.float64, count=len(codes))
        diff = ~np.isnan(expected) & pd.notna(codes) & (got != expected)
        if diff.any():
            out.cells(ht, "labour_count", diff,
                      lambda i: f"劳动力台账中该户有{int(got[i])}人，与劳动力人数{int(expected[i])}不一致", WARNING)
    # households of the database referenced by labour rows
    in_file = set(ht.values["household_code"]) if ht is not None else set()
    wanted = counts.keys() - in_file
    if wanted:
        sub = db.households_by_code(month, wanted)
        if len(sub):
            expected = dict(zip(sub["household_code"], sub["labour_count"]))
            codes = lt.values["household_code"]
            seen: set[str] = set()
            idx, reasons = [], []
            for i, c in enumerate(codes):
                if c in expected and c not in seen:
                    seen.add(c)
                    if int(counts[c]) != int(expected[c]):
                        idx.append(i)
                        reasons.append(f"本文件中该户有{int(counts[c])}名劳动力，与本月搬迁户台账的劳动力人数"
                                       f"{int(expected[c])}不一致")
            out.cells_list(lt, "household_code", idx, reasons, WARNING)


def jump_warnings(t: Table, db: DbContext, out: Collector) -> None:
    cols = [c for c in S.REPORTED.columns if c.key not in ("site_code", "month")]
    months = t.values["month"]
    sites = t.values["site_code"]
    df = pd.DataFrame({"site_code": sites, "month": months, **{c.key: t.values[c.key] for c in cols}})
    prev_cache: dict[str, pd.DataFrame] = {}
    for mo in sorted({x for x in months if x is not None}):
        pm = previous_month(mo)
        prev = db.reported(pm).set_index("site_code")
        # a previous month in the same file wins over the database
        in_file = df[df["month"] == pm].set_index("site_code")
        if len(in_file):
            prev = pd.concat([prev[~prev.index.isin(in_file.index)],
                              in_file[prev.columns.intersection(in_file.columns)]])
        prev_cache[mo] = prev
    for c in cols:
        cur = t.values[c.key]
        idx, reasons = [], []
        for i in range(t.n):
            x, s, mo = cur[i], sites[i], months[i]
            if s is None or mo is None or np.isnan(x):
                continue
            prev = prev_cache.get(mo)
            if prev is None or s not in prev.index:
                continue
            p = prev.at[s, c.key]
            if isinstance(p, pd.Series):
                p = p.iloc[0]
            if p is None or pd.isna(p) or p == 0:
                continue
            change = (x - p) / abs(p)
            if abs(change) > JUMP_RATIO:
                idx.append(i)
                reasons.append(f"较上月（{_fmt(p)}）变化{change * 100:+.0f}%，变化较大，请核对")
        out.cells_list(t, c.key, idx, reasons, WARNING)


def _fmt(x) -> str:
    x = float(x)
    return str(int(x)) if x.is_integer() else f"{x:g}"
