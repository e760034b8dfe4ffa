"""The full demo scored by two versions of the code, month by month: which figures moved, and why (issue 8).

    # 1. build and score the demo with each code tree (each run imports only the tree it is given)
    git worktree add --detach /tmp/before c607064      # the commit before the §11 rules and the versioned store
    python bench/compare_history.py dump --code /tmp/before --db /tmp/before.db --out /tmp/before.pkl
    python bench/compare_history.py dump --code . --db /tmp/after.db --out /tmp/after.pkl --frozen
    # 2. compare and write the summary
    python bench/compare_history.py compare /tmp/before.pkl /tmp/after.pkl --md bench/HISTORY_CHANGES.md

`dump` builds the demo (same seed, 24 months to --end) into an empty SQLite file, scores every month through the
store as the first start does, and pickles for each month: the site scores, the county figures and flags, the
praise list, 摘牌预警, and a digest of every ledger column as that code reads it (so the comparison can show which
inputs were the same). `--frozen` then drops every stored result, scores each month again through the per-month
reader and records whether each figure equals the first stored one (domain.md §11 "History is frozen").

`compare` lists every change of a printed figure per site-month and county-month with the §11 rule that explains
it. Floats are compared as printed (2 decimals). Not imported by the product.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import pickle
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

SITE_COLS = ["total", "rank", "class_rank", "grade", "qualified", "veto", "veto_reason", "size_class",
             "completeness", "missing_codes", "delta_total", "delta_rank"]
COUNTY_COLS = ["score", "rank", "delta_score", "flag_codes", "level", "escalation", "consecutive", "praise",
               "zero_emp", "overdue", "open_items", "employment_rate", "coverage_in", "coverage_out", "qualified",
               "expected_floor", "creation_lag"]
INPUT_KEYS = {"sites": "site_code", "households": "household_code", "labour": "person_id",
              "organisation": "site_code", "reported": "site_code", "rectifications": "item_code"}
NOT_SCORED = {"labour.monthly_income": "wages move once a year in the demo since the versioned store (04a0939), so "
                                       "a labourer's row changes only when something about them changes; no score "
                                       "reads wages"}


def _v(x):
    """A comparable plain value: None for every kind of missing, floats as printed (2 decimals), sequences as
    tuples."""
    if isinstance(x, (list, tuple, np.ndarray)):
        return tuple(_v(y) for y in x)
    if x is None or pd.isna(x):
        return None
    if hasattr(x, "item"):
        x = x.item()
    if isinstance(x, float):
        return f"{x:.2f}"
    return x


def _exact(x):
    """As _v, but floats kept exactly (for the frozen check)."""
    if isinstance(x, (list, tuple, np.ndarray)):
        return tuple(_exact(y) for y in x)
    if x is None or pd.isna(x):
        return None
    return x.item() if hasattr(x, "item") else x


# ------------------------------------------------------------------------------------------------------- dump

def _digest(df: pd.DataFrame, key: str) -> dict[str, str]:
    """column -> sha1 of its values in key order (missing as empty, integral floats as integers)."""
    d = df.sort_values(key, kind="stable")
    out = {}
    for c in d.columns:
        vals = []
        for v in d[c].tolist():
            if v is None or (isinstance(v, float) and np.isnan(v)):
                vals.append("")
            elif isinstance(v, bool):
                vals.append(str(int(v)))
            elif isinstance(v, float) and v.is_integer():
                vals.append(str(int(v)))
            else:
                vals.append(str(v))
        out[c] = hashlib.sha1("\x1f".join(vals).encode()).hexdigest()
    return out


def _figures(r) -> dict:
    cm = r.county
    return {"sites": r.scores.sites.copy(), "counties": cm.counties.copy(), "flags": cm.flags.copy(),
            "county_sites": cm.sites.copy(), "praise": list(cm.praise)}


def _same_figures(x: dict, y: dict) -> list[str]:
    """Names of the frames that differ in any value, exactly (empty: identical)."""
    bad = []
    for k in ("sites", "counties", "flags", "county_sites"):
        a, b = x[k].reset_index(drop=True), y[k].reset_index(drop=True)
        if list(a.columns) != list(b.columns) or a.shape != b.shape or any(
                _exact(p) != _exact(q) for c in a.columns for p, q in zip(a[c].tolist(), b[c].tolist())):
            bad.append(k)
    if x["praise"] != y["praise"]:
        bad.append("praise")
    return bad


def dump(a) -> int:
    code = Path(a.code).resolve()
    sys.path.insert(0, str(code))
    from sqlalchemy import delete

    from data import models as m
    from data import repository as repo
    from data.db import create
    from data.demo import build_demo
    from services import store

    db = Path(a.db)
    for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        if p.exists():
            p.unlink()
    eng = create(f"sqlite:///{db}")
    t0 = time.perf_counter()
    build_demo(eng, months=a.months, end_month=a.end, household_factor=a.factor)
    t_build = time.perf_counter() - t0
    store.precompute(eng)
    t_total = time.perf_counter() - t0
    load = os.getloadavg()[0]
    months = repo.months(eng)
    first = {}
    for mo in months:
        r = store.month_results(eng, mo)
        assert r.from_store
        first[mo] = _figures(r)
    inputs = {}
    for mo in months:
        md = repo.load_month(eng, mo)
        inputs[mo] = {f: _digest(getattr(md, f), k) for f, k in INPUT_KEYS.items()}
    frozen = None
    if a.frozen:
        # every stored result dropped, then each month scored again month by month through the per-month reader
        # (load_month), and read back from the store as the first figures were
        with eng.begin() as c:
            c.execute(delete(m.ResultCache))
        for mo in months:
            assert not store.month_results(eng, mo).from_store
        frozen = {}
        for mo in months:
            again = store.month_results(eng, mo)
            assert again.from_store
            frozen[mo] = _same_figures(first[mo], _figures(again))
    out = {"code": str(code), "months": months, "figures": first, "inputs": inputs, "frozen": frozen,
           "seconds": {"build": t_build, "first_start": t_total}, "load": load}
    with open(a.out, "wb") as f:
        pickle.dump(out, f)
    print(f"{code}: {len(months)} months, build {t_build:.1f} s, build + score {t_total:.1f} s, load {load:.1f}")
    return 0


# ---------------------------------------------------------------------------------------------------- compare

RULES = {
    "zero": "§11 Zero denominators (nothing declared → 缺报, 0 points; E2 cannot veto)",
    "round": "§11 Rounding (half-up on the exact value)",
    "judge": "§11 Rounding: 达标/等次 judged on the printed figures",
    "rank": "ranks follow the totals (the site's own or others' moved total)",
    "zero_emp": "§11 零就业家庭 = Σ E2 as scored (a 缺报 E2 adds nothing)",
    "praise": "§11 Praise: only counties not flagged this month",
    "warning": "§11 摘牌预警: named from the first month 达标, whatever the batch year",
    "rect": "§11 Rectification items (已销号 needs 销号日期; the version held at the month's end)",
    "follow": "follows the county's site totals / 达标 (rules above)",
    "flags": "follows the county figures (F1–F5 inputs above)",
    "other": "unexplained (see the row)",
}


def _txt(x) -> str:
    x = _v(x)
    if x is None or x == "":
        return "—"
    if isinstance(x, bool):
        return "是" if x else "否"
    if isinstance(x, tuple):
        return "、".join(map(str, x)) or "—"
    return str(x)


def _codes(x) -> set[str]:
    x = _v(x)
    if not x:
        return set()
    if isinstance(x, tuple):
        return set(map(str, x))
    return {c for c in str(x).replace(",", "、").replace(" ", "、").split("、") if c}


def _site_changes(mo: str, b: pd.DataFrame, a: pd.DataFrame) -> list[dict]:
    b = b.set_index("site_code")
    a = a.set_index("site_code")
    out = []
    for code in sorted(set(a.index) | set(b.index)):
        if code not in a.index or code not in b.index:
            out.append(dict(kind="site exists", month=mo, who=code, before=_txt(code in b.index),
                            after=_txt(code in a.index), rule="other"))
            continue
        rb, ra = b.loc[code], a.loc[code]
        name = f"{ra['site_name']}（{ra['county_name']}）"
        new_missing = sorted(_codes(ra.get("missing_codes")) - _codes(rb.get("missing_codes")))
        total_moved = _v(rb["total"]) != _v(ra["total"])
        if total_moved:
            diff = abs(float(ra["total"]) - float(rb["total"]))
            rule = "zero" if new_missing else ("round" if diff <= 0.0100001 else "other")
        else:
            rule = "zero" if new_missing else None
        for col in SITE_COLS:
            if col not in a.columns or col not in b.columns or _v(rb[col]) == _v(ra[col]):
                continue
            if col in ("veto", "veto_reason"):
                r = "zero" if "E2" in new_missing else (rule or "other")
            elif col in ("qualified", "grade"):
                r = rule or "judge"
            elif col in ("rank", "class_rank", "delta_rank"):
                r = rule if total_moved else "rank"
            elif col == "delta_total":
                r = rule or "follow"
            else:
                r = rule or "other"
            extra = f"（新增缺报 {'、'.join(new_missing)}）" if new_missing and col == "total" else ""
            out.append(dict(kind=f"site {col}", month=mo, who=name, before=_txt(rb[col]),
                            after=_txt(ra[col]) + extra, rule=r))
    return out


def _county_changes(mo: str, fb: dict, fa: dict, moved_counties: set, first_qualified: dict) -> list[dict]:
    b = fb["counties"].set_index("county_code")
    a = fa["counties"].set_index("county_code")
    out = []
    for code in sorted(set(a.index) & set(b.index)):
        rb, ra = b.loc[code], a.loc[code]
        for col in COUNTY_COLS:
            if col not in a.columns or col not in b.columns or _v(rb[col]) == _v(ra[col]):
                continue
            if col in ("score", "delta_score"):
                r = "follow" if code in moved_counties else "round"
            elif col == "rank":
                r = "rank"
            elif col == "zero_emp":
                r = "zero_emp"
            elif col in ("overdue", "open_items"):
                r = "rect"
            elif col == "praise":
                r = "praise"
            elif col in ("qualified", "creation_lag", "expected_floor"):
                r = "follow"
            elif col in ("employment_rate", "coverage_in", "coverage_out"):
                r = "round"
            else:
                r = "flags"
            note = f"（本月 {ra['flag_codes']}）" if col == "praise" and ra.get("flag_codes") else ""
            out.append(dict(kind=f"county {col}", month=mo, who=ra["county_name"], before=_txt(rb[col]),
                            after=_txt(ra[col]) + note, rule=r))
    if list(fb["praise"]) != list(fa["praise"]):
        out.append(dict(kind="praise list", month=mo, who="全州", before=_txt(tuple(fb["praise"])),
                        after=_txt(tuple(fa["praise"])), rule="praise"))
    wb = fb["county_sites"].set_index("site_code")
    wa = fa["county_sites"].set_index("site_code")
    for code in sorted(set(wa.index) & set(wb.index)):
        if bool(wb.loc[code, "warning"]) != bool(wa.loc[code, "warning"]):
            note = f"（批次 {_txt(wa.loc[code, 'batch_year'])} 年，首次达标 {first_qualified.get(code, '—')}）"
            out.append(dict(kind="摘牌预警", month=mo, who=str(wa.loc[code, "site_name"]),
                            before=_txt(bool(wb.loc[code, "warning"])),
                            after=_txt(bool(wa.loc[code, "warning"])) + note, rule="warning"))
    return out


def compare(a) -> int:
    with open(a.before, "rb") as f:
        B = pickle.load(f)
    with open(a.after, "rb") as f:
        A = pickle.load(f)
    months = sorted(set(A["months"]) & set(B["months"]))
    first_qualified: dict[str, str] = {}
    for mo in months:
        q = A["figures"][mo]["sites"]
        for code in q.loc[q["qualified"].astype(bool), "site_code"]:
            first_qualified.setdefault(code, mo)
    rows: list[dict] = []
    input_diffs: dict[str, list[str]] = defaultdict(list)
    for mo in months:
        for frame, cols in A["inputs"][mo].items():
            for col, h in cols.items():
                hb = B["inputs"][mo].get(frame, {}).get(col)
                if hb is not None and hb != h:
                    input_diffs[f"{frame}.{col}"].append(mo)
        fb, fa = B["figures"][mo], A["figures"][mo]
        rows += _site_changes(mo, fb["sites"], fa["sites"])
        before_total = fb["sites"].set_index("site_code")["total"]
        moved = {c for c, s, t in zip(fa["sites"]["county_code"], fa["sites"]["site_code"], fa["sites"]["total"])
                 if _v(t) != _v(before_total.get(s))}
        rows += _county_changes(mo, fb, fa, moved, first_qualified)
    md = _markdown(A, B, months, rows, input_diffs)
    Path(a.md).write_text(md, encoding="utf-8")
    print(md[:4000])
    return 0


def _markdown(A, B, months, rows, input_diffs) -> str:
    by_kind = Counter(r["kind"] for r in rows)
    by_rule = Counter(r["rule"] for r in rows)
    L = ["# The demo scored before and after issue 8's rules: what moved", "",
         f"Generated by `bench/compare_history.py` on the full demo ({len(months)} months, {months[0]} to "
         f"{months[-1]}, same seed). Before: the code at the commit before the §11 rules and the versioned store "
         "(c607064); after: the current code. Floats compared as printed (2 decimals).", ""]
    L += ["## Inputs", ""]
    scored = {k: v for k, v in input_diffs.items() if k not in NOT_SCORED}
    if not scored:
        L.append("Every ledger column that scoring reads (sites, households, labourers, organisation, reported "
                 "indicators, rectification items) reads the same in both in every month: every change below comes "
                 "from the rules, not from the data.")
    else:
        L.append("Ledger columns read differently: " + "; ".join(f"{k} ({len(v)} months)" for k, v in scored.items()))
    for k, v in input_diffs.items():
        if k in NOT_SCORED:
            L.append(f"`{k}` differs in {len(v)} months: {NOT_SCORED[k]}.")
    L.append("")
    if A.get("frozen") is not None:
        bad = {mo: v for mo, v in A["frozen"].items() if v}
        L += ["## History is frozen", ""]
        L.append(f"After the build every stored result was dropped and each of the {len(A['frozen'])} months scored "
                 "again through the per-month reader: "
                 + ("every figure (site scores, ranks, 达标/等次, vetoes, county figures, flags, escalation, praise, "
                    "摘牌预警) equals, exactly, the one first stored." if not bad else
                    f"figures differ in {bad}."))
        L.append("")
    L += ["## Rules that moved nothing on this demo", ""]
    declared = Counter()
    for mo in months:
        for codes in A["figures"][mo]["sites"]["missing_codes"]:
            declared.update(_codes(codes) & {"I2", "E1", "E2", "E3", "E4", "N1", "E5"})
    site_rows = sum(len(A["figures"][mo]["sites"]) for mo in months)
    moved_sites = sum(1 for r in rows if r["kind"].startswith("site"))
    L.append(f"- Site figures: {moved_sites} changes over {site_rows} site-months (totals, dimension-based 达标/等次, "
             "ranks, vetoes). "
             + ("Every site lists labourers, organisation posts and incomes in every month, so §11 Zero "
                "denominators (and with it 零就业家庭 as scored) changes no site of the demo."
                if not declared else f"Zero-denominator 缺报 after: {dict(declared)}."))
    L.append("- Half-up rounding on exact values moved no printed site total of the demo; it moved the county "
             "means (and their Δ) listed below.")
    L.append("- 已销号 without 销号日期 is refused at import (the demo has none); the demo's sites exist from its "
             "first month, so the frozen-history rule changes no figure here (it is checked below instead).")
    L.append("")
    L += ["## Counts", "", "| change | count |", "|---|---:|"]
    L += [f"| {k} | {v} |" for k, v in sorted(by_kind.items(), key=lambda kv: (-kv[1], kv[0]))]
    L += ["", "| cause | changes |", "|---|---:|"]
    L += [f"| {RULES[k]} | {v} |" for k, v in by_rule.most_common()]
    per_month = Counter(r["month"] for r in rows)
    L += ["", "Changes per month: " + ", ".join(f"{mo} {per_month.get(mo, 0)}" for mo in months), ""]
    groups = defaultdict(list)
    for r in rows:
        groups[r["kind"]].append(r)
    L += ["## Every change", ""]
    for kind in sorted(groups, key=lambda k: (not k.startswith("site"), k)):
        L += [f"### {kind} ({len(groups[kind])})", "", "| month | site / county | before → after | cause |",
              "|---|---|---|---|"]
        L += [f"| {r['month']} | {r['who']} | {r['before']} → {r['after']} | {RULES[r['rule']]} |"
              for r in groups[kind]]
        L.append("")
    L += [f"_Dump timings on the shared machine: before, build + score {B['seconds']['first_start']:.0f} s at load "
          f"{B['load']:.1f}; after, {A['seconds']['first_start']:.0f} s at load {A['load']:.1f}._", ""]
    return "\n".join(L)


def main() -> int:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("--code", required=True)
    d.add_argument("--db", required=True)
    d.add_argument("--out", required=True)
    d.add_argument("--months", type=int, default=24)
    d.add_argument("--end", default="2026-10")
    d.add_argument("--factor", type=float, default=1.0, help="fewer listed households (quick trial runs)")
    d.add_argument("--frozen", action="store_true")
    c = sub.add_parser("compare")
    c.add_argument("before")
    c.add_argument("after")
    c.add_argument("--md", default=str(Path(__file__).with_name("HISTORY_CHANGES.md")))
    a = ap.parse_args()
    return dump(a) if a.cmd == "dump" else compare(a)


if __name__ == "__main__":
    sys.exit(main())
