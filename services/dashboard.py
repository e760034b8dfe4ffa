"""View models for the pages: plain functions taking an engine and a month, returning frames and dicts.

No Streamlit here (components/cache.py wraps these in bounded caches). Scores, robustness and county flags come
from ``services.store.month_results`` (computed once per month and catalogue version, kept in the database);
this module only selects, joins and labels them for display.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import math
import os
import secrets
from typing import Any, Callable

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from data import repository as repo
from data.db import get_setting, is_empty as _db_is_empty
from scoring.frames import PLATFORMS, POSTS, RIGHTS_CODES, period_end as _period_end, previous_month

log = logging.getLogger(__name__)

DASH = "—"
DIMENSIONS = ["产业带动好", "就业帮扶好", "公共服务好", "精神状态好", "融入环境好"]
GRADES = ["优秀", "良好", "合格", "不合格"]
SIZE_CLASSES = ["小型", "中型", "大型", "特大型"]
ROLES = ["市领导", "市级督导", "县级填报员", "管理员"]
ROLE_ACTIONS = {
    "市领导": {"view", "wall"},
    "市级督导": {"view", "wall", "export", "circular", "followup"},
    "县级填报员": {"view", "upload", "export_own"},
    "管理员": {"view", "wall", "export", "circular", "followup", "upload", "admin"},
}


# ------------------------------------------------------------------------------------------------------------------
# Small helpers

def period_end(month: str) -> dt.date:
    return _period_end(month)


def user_message(exc: BaseException) -> str:
    """A short Chinese description of an error for the user (never a traceback)."""
    msg = str(exc).strip()
    own = (type(exc).__module__ or "").split(".")[0] in ("data", "scoring", "services")
    if own and msg and any("\u4e00" <= ch <= "\u9fff" for ch in msg):
        return msg[:160]
    kind = type(exc).__name__
    if "Operational" in kind or "Database" in kind or "Interface" in kind:
        return "数据库暂时无法访问"
    if isinstance(exc, (KeyError, LookupError)):
        return "所需数据不存在"
    return "系统内部错误"


def is_empty(engine: Engine) -> bool:
    return _db_is_empty(engine)


def is_default_database(engine: Engine) -> bool:
    """True when the app runs on its embedded default SQLite file (no DATABASE_URL given)."""
    from data.db import DEFAULT_SQLITE

    if os.environ.get("DATABASE_URL"):
        return False
    db = engine.url.database or ""
    try:
        return os.path.abspath(db) == os.path.abspath(str(DEFAULT_SQLITE))
    except Exception:  # noqa: BLE001
        return False


def build_demo_if_empty(engine: Engine, on_progress=None) -> None:
    """First start on an empty default database: build the demo city. `on_progress(fraction, text)` reports
    progress in Chinese (writing the months, then scoring them: each about half of the time)."""
    if not _db_is_empty(engine):
        return
    from data.demo import build_demo
    from services import store

    report = on_progress or (lambda _f, _t: None)
    report(0.0, "正在生成演示数据…")
    build_demo(engine, on_month=lambda d, n: report(0.5 * d / n, f"正在生成演示数据：已写入{d}/{n}个月的台账"))
    report(0.5, "正在计算各月评分…")
    # score every month once now, so no page waits for the history
    store.precompute(engine, on_month=lambda d, n: report(0.5 + 0.5 * d / n, f"正在计算评分：已完成{d}/{n}个月"))
    report(1.0, "演示数据已就绪")


def is_demo(engine: Engine) -> bool:
    return (get_setting(engine, "demo") or "") == "1"


def city_name(engine: Engine) -> str:
    return get_setting(engine, "city_name") or "本市"


def catalogue_version(engine: Engine) -> str:
    return get_setting(engine, "catalogue_version") or get_setting(engine, "active_catalogue") or "v1"


def fingerprint(engine: Engine) -> str:
    """Changes whenever any data of the database changes (data_versions) or the catalogue version changes."""
    dv = repo.data_versions(engine)
    raw = json.dumps(sorted(dv.items())) + "|" + catalogue_version(engine)
    return hashlib.sha1(raw.encode()).hexdigest()[:16]


def available_months(engine: Engine) -> list[str]:
    return repo.months(engine)


def county_list(engine: Engine) -> list[tuple[str, str]]:
    c = repo.counties(engine)
    return list(zip(c["county_code"].astype(str), c["county_name"].astype(str)))


def site_options(engine: Engine, county: str | None = None) -> list[tuple[str, str]]:
    """(site_code, 'name（county）') in official order, optionally one county."""
    s = repo.sites(engine)
    if county:
        s = s[s["county_code"] == county]
    return [(r.site_code, f"{r.site_name}（{r.county_name}）") for r in s.itertuples()]


# ------------------------------------------------------------------------------------------------------------------
# Accounts (users table; pbkdf2 hashes)

PBKDF2_ITERATIONS = 260_000


def hash_password(password: str, *, iterations: int = PBKDF2_ITERATIONS, salt: str | None = None) -> str:
    """'pbkdf2_sha256$<iterations>$<salt>$<base64 hash>'."""
    salt = salt or secrets.token_hex(12)
    dk = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt.encode("utf-8"), iterations)
    return f"pbkdf2_sha256${iterations}${salt}${base64.b64encode(dk).decode('ascii')}"


def verify_password(password: str, stored: str | None) -> bool:
    """Checks 'pbkdf2_sha256$N$salt$b64' (also 'pbkdf2:sha256:N$salt$hex' as written by werkzeug)."""
    if not stored or password is None:
        return False
    try:
        if stored.startswith("pbkdf2_sha256$"):
            _, n, salt, want = stored.split("$", 3)
            dk = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), int(n))
            return hmac.compare_digest(base64.b64encode(dk).decode("ascii"), want)
        if stored.startswith("pbkdf2:"):
            method, salt, want = stored.split("$", 2)
            parts = method.split(":")
            algo = parts[1] if len(parts) > 1 else "sha256"
            n = int(parts[2]) if len(parts) > 2 else 600_000
            dk = hashlib.pbkdf2_hmac(algo, password.encode(), salt.encode(), n)
            return hmac.compare_digest(dk.hex(), want)
    except (ValueError, TypeError):
        return False
    return False


def authenticate(engine: Engine, username: str, password: str) -> dict | None:
    """The user as a dict (username, display_name, role, county_code, county_name) or None."""
    from data import models as m

    if not username or not password:
        return None
    try:
        from data import accounts  # type: ignore  # noqa: F401 - another module may own password checks
        check = getattr(accounts, "verify_password", None)
    except ImportError:
        check = None
    with Session(engine) as s:
        u = s.execute(select(m.User).where(m.User.username == username)).scalar_one_or_none()
        if u is None or not u.active:
            return None
        ok = verify_password(password, u.password_hash) or (check is not None and _safe(check, password, u.password_hash))
        if not ok:
            return None
        county_name = None
        if u.county_code:
            c = s.get(m.County, u.county_code)
            county_name = c.name if c else None
        s.add(m.AuditLog(username=u.username, action="登录", detail="登录成功"))
        s.commit()
        return dict(username=u.username, display_name=u.display_name or u.username, role=u.role,
                    county_code=u.county_code, county_name=county_name)


def _safe(fn, *args) -> bool:
    try:
        return bool(fn(*args))
    except Exception:  # noqa: BLE001
        return False




# ------------------------------------------------------------------------------------------------------------------
# Results of a month (scores, robustness, county progress) — from services.store

class _Results:
    """What the view models need from a month: site scores, indicator points, robustness, county figures."""

    def __init__(self, month: str, sites: pd.DataFrame, indicators: pd.DataFrame, counties: pd.DataFrame,
                 catalogue_version: str, computed_at: Any = None, raw: Any = None):
        self.month = month
        self.sites = sites
        self.indicators = indicators
        self.counties = counties
        self.catalogue_version = catalogue_version
        self.computed_at = computed_at
        self.raw = raw
        self.praise: list[str] = []
        self.warnings = pd.DataFrame()


Provider = Callable[[str], _Results]
CoverageProvider = Callable[[str, "str | None"], dict]


def provider(engine: Engine, res: Provider | None = None) -> Provider:
    """`res` when given (components/cache.py passes a cached one), else a per-call memo over results()."""
    if res is not None:
        return res
    memo: dict[str, _Results] = {}

    def get(month: str) -> _Results:
        if month not in memo:
            memo[month] = results(engine, month)
        return memo[month]

    get.months = lambda: available_months(engine)  # type: ignore[attr-defined]
    return get


def _months_of(engine: Engine, res: Provider | None) -> list[str]:
    f = getattr(res, "months", None)
    return f() if f is not None else available_months(engine)


def results(engine: Engine, month: str) -> _Results:
    """Scores of the month joined with robustness and site facts, plus the county frame."""
    from services import store

    return _from_store(engine, month, store.month_results(engine, month))


def _from_store(engine: Engine, month: str, mr) -> _Results:
    sites = _join_sites(mr.scores.sites, mr.mc, repo.sites(engine))
    c = mr.county.counties.copy()
    # one display level per county: escalation (建议约谈 / 建议约谈主要负责人) wins over 进度滞后
    esc = c["escalation"].fillna("") if "escalation" in c else pd.Series("", index=c.index)
    c["level"] = np.where(esc != "", esc, c["level"])
    # flag sentences (scoring.progress keeps each flag's code apart: flag_codes / flag_list)
    c["reasons"] = c["reasons"].map(lambda r: [str(x) for x in r] if isinstance(r, (list, tuple, np.ndarray)) else [])
    out = _Results(month, sites, mr.scores.indicators, c, mr.catalogue_version, computed_at=mr.computed_at, raw=mr)
    out.praise = list(getattr(mr.county, "praise", []) or [])
    out.warnings = mr.county.warnings if hasattr(mr.county, "warnings") else pd.DataFrame()
    return out


def _join_sites(scores: pd.DataFrame, mc: pd.DataFrame | None, facts: pd.DataFrame) -> pd.DataFrame:
    out = scores.copy()
    if mc is not None and len(mc):
        out = out.merge(mc[["site_code", "median_rank", "rank_p05", "rank_p95", "qualified_prob"]], on="site_code",
                        how="left")
    else:
        for c in ("median_rank", "rank_p05", "rank_p95", "qualified_prob"):
            out[c] = np.nan
    f = facts[["site_code", "lon", "lat", "town", "households", "built_year"]]
    return out.merge(f, on="site_code", how="left")


# ------------------------------------------------------------------------------------------------------------------
# History (trend over months)

def history_months(engine: Engine, month: str, n: int = 12, res: Provider | None = None) -> list[str]:
    ms = [m for m in _months_of(engine, res) if m <= month]
    return ms[-n:]


def history(engine: Engine, month: str, n: int = 12, res: Provider | None = None) -> dict[str, _Results]:
    """Results of the last n months up to `month` (one pass over services.store, or via `res`)."""
    from services import store

    months = history_months(engine, month, n, res)
    if res is not None:
        return {m: res(m) for m in months}
    return {m: _from_store(engine, m, r) for m, r in store.history(engine, months).items()}


def city_trend(engine: Engine, month: str, county: str | None = None, n: int = 12,
               res: Provider | None = None) -> pd.DataFrame:
    """month, qualified, expected (序时进度), sites, mean_score — city-wide or one county."""
    rows = []
    for m, r in history(engine, month, n, res).items():
        c = r.counties if county is None else r.counties[r.counties["county_code"] == county]
        s = r.sites if county is None else r.sites[r.sites["county_code"] == county]
        rows.append(dict(month=m, qualified=int(c["qualified"].sum()), expected=round(float(c["expected"].sum()), 2),
                         sites=len(s), mean_score=float(s["total"].mean()) if len(s) else np.nan,
                         flagged=bool(c["flagged"].any()) if len(c) else False,
                         reasons="；".join(x for rs in c["reasons"] for x in rs) if len(c) else ""))
    return pd.DataFrame(rows, columns=["month", "qualified", "expected", "sites", "mean_score", "flagged", "reasons"])


# ------------------------------------------------------------------------------------------------------------------
# Overview (总览) and wall screen (大屏)

def rights_totals(engine: Engine, month: str, county: str | None = None) -> dict:
    """Pooled rights coverage (%) of the city or one county, overall and per side, straight from SQL:
    已落实 / (pairs not 不适用), blanks in the denominator (§11). R01 belongs to 迁入地 when 户籍已迁入."""
    from sqlalchemy import case, func

    from data import models as m

    h = m.Household
    done, appl = [], []
    sides = {"迁入地": ([], []), "迁出地": ([], [])}
    for code in RIGHTS_CODES:
        col = getattr(h, code.lower())
        d = func.sum(case((col == 1, 1), else_=0))
        a = func.sum(case((col.is_(None), 1), (col != 9, 1), else_=0))
        done.append(d)
        appl.append(a)
        if code == "R01":
            moved = h.hukou_moved.is_(True)
            sides["迁入地"][0].append(func.sum(case(((col == 1) & moved, 1), else_=0)))
            sides["迁入地"][1].append(func.sum(case((moved & (col.is_(None) | (col != 9)), 1), else_=0)))
            sides["迁出地"][0].append(func.sum(case(((col == 1) & ~moved.self_group(), 1), else_=0)))
            sides["迁出地"][1].append(func.sum(case((~moved.self_group() & (col.is_(None) | (col != 9)), 1), else_=0)))
        else:
            side = RIGHTS_ITEMS[code][2]
            sides[side][0].append(d)
            sides[side][1].append(a)
    exprs = done + appl + sides["迁入地"][0] + sides["迁入地"][1] + sides["迁出地"][0] + sides["迁出地"][1]
    stmt = select(*exprs).where(h.month == month)
    if county:
        stmt = stmt.where(h.site_code.in_(select(m.Site.code).where(m.Site.county_code == county)))
    with engine.connect() as conn:
        row = [int(x or 0) for x in conn.execute(stmt).one()]
    k = len(RIGHTS_CODES)
    n_in = len(sides["迁入地"][0])
    n_out = len(sides["迁出地"][0])
    parts = [row[:k], row[k:2 * k], row[2 * k:2 * k + n_in], row[2 * k + n_in:2 * k + 2 * n_in],
             row[2 * k + 2 * n_in:2 * k + 2 * n_in + n_out], row[2 * k + 2 * n_in + n_out:]]

    def pct(a, b):
        return 100.0 * sum(a) / sum(b) if sum(b) else np.nan

    return dict(coverage=pct(parts[0], parts[1]), coverage_in=pct(parts[2], parts[3]),
                coverage_out=pct(parts[4], parts[5]))


def _city_figures(engine: Engine, r: _Results, county: str | None = None,
                  cov: CoverageProvider | None = None) -> dict:
    c = r.counties if county is None else r.counties[r.counties["county_code"] == county]
    s = r.sites if county is None else r.sites[r.sites["county_code"] == county]
    lab = int(c["labour"].sum())
    emp = int(c["employed"].sum()) if "employed" in c else None
    cov = (cov or (lambda m, c: rights_totals(engine, m, c)))(r.month, county)
    return dict(sites=len(s), qualified=int(s["qualified"].sum()), expected=float(c["expected"].sum()),
                expected_floor=int(c["expected_floor"].sum()) if "expected_floor" in c else None,
                plan_year=int(c["plan_year"].sum()) if "plan_year" in c else None,
                population=float(s["population"].sum()), labour=lab,
                employment_rate=100.0 * emp / lab if lab and emp is not None else np.nan,
                zero_emp=int(c["zero_emp"].sum()), overdue=int(c["overdue"].sum()),
                open_items=int(c["open_items"].sum()) if "open_items" in c else None,
                mean_score=float(s["total"].mean()) if len(s) else np.nan, **cov)


def _delta(a, b):
    if a is None or b is None or pd.isna(a) or pd.isna(b):
        return None
    return float(a) - float(b)


def kpis(engine: Engine, month: str, county: str | None = None, res: Provider | None = None,
         cov: CoverageProvider | None = None) -> list[dict]:
    """The five KPI tiles with their change on last month."""
    from data.formatting import fmt_num, fmt_pct

    res = provider(engine, res)
    r = res(month)
    now = _city_figures(engine, r, county, cov)
    pm = previous_month(month)
    before = _city_figures(engine, res(pm), county, cov) if pm in _months_of(engine, res) else {}
    g = before.get

    def pp(d):  # percentage points
        return "—" if d is None else ("持平" if round(d, 1) == 0 else f"{d:+.1f}个百分点")

    def n(d, unit):
        return "—" if d is None else ("持平" if round(d) == 0 else f"{int(round(d)):+d}{unit}")

    exp = now["expected"]
    plan_txt = f"序时进度{fmt_num(exp, 1)}个"
    if now.get("plan_year") is not None:
        plan_txt = f"年度计划{now['plan_year']}个 · " + plan_txt
    d_q = _delta(now["qualified"], g("qualified"))
    return [
        dict(key="qualified", label="五好达标安置点", value=f"{now['qualified']}/{now['sites']}", unit="个",
             delta=d_q, delta_text=n(d_q, "个"), good="up", sub=plan_txt,
             behind=now["qualified"] < math.floor(exp + 1e-9)),
        dict(key="employment", label="劳动力就业率", value=fmt_pct(now["employment_rate"]), unit="",
             delta=_delta(now["employment_rate"], g("employment_rate")),
             delta_text=pp(_delta(now["employment_rate"], g("employment_rate"))), good="up",
             sub=f"劳动力 {now['labour']:,} 人"),
        dict(key="zero_emp", label="零就业家庭", value=f"{now['zero_emp']}", unit="户",
             delta=_delta(now["zero_emp"], g("zero_emp")), delta_text=n(_delta(now["zero_emp"], g("zero_emp")), "户"),
             good="down", sub="应动态清零"),
        dict(key="coverage", label="权益落实率", value=fmt_pct(now["coverage"]), unit="",
             delta=_delta(now["coverage"], g("coverage")), delta_text=pp(_delta(now["coverage"], g("coverage"))),
             good="up", sub=f"迁入地 {fmt_pct(now['coverage_in'])} · 迁出地 {fmt_pct(now['coverage_out'])}"),
        dict(key="overdue", label="整改逾期事项", value=f"{now['overdue']}", unit="项",
             delta=_delta(now["overdue"], g("overdue")), delta_text=n(_delta(now["overdue"], g("overdue")), "项"),
             good="down", sub=(f"未销号 {now['open_items']} 项" if now.get("open_items") is not None else "")),
    ]


def _flag_list(counties: pd.DataFrame) -> list[dict]:
    f = counties[counties["flagged"]].sort_values(["consecutive", "score"], ascending=[False, True])
    return [dict(county_code=r.county_code, county_name=r.county_name, level=r.level, reasons=list(r.reasons),
                 consecutive=int(r.consecutive)) for r in f.itertuples()]


def _site_brief(s: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"排名": s["rank"].astype("Int64"), "安置点": s["site_name"], "县": s["county_name"],
                         "总分": s["total"].round(2), "等次": s["grade"], "较上月": s["delta_total"],
                         "site_code": s["site_code"]}).reset_index(drop=True)


def overview(engine: Engine, month: str, county: str | None = None, res: Provider | None = None,
             cov: CoverageProvider | None = None) -> dict:
    res = provider(engine, res)
    r = res(month)
    sites = r.sites if county is None else r.sites[r.sites["county_code"] == county]
    ranked = sites.sort_values(["rank", "site_code"])
    counties = r.counties.copy()
    return dict(
        month=month, as_of=period_end(month), catalogue_version=r.catalogue_version, computed_at=r.computed_at,
        kpis=kpis(engine, month, county, res, cov),
        counties=counties,
        trend=city_trend(engine, month, county, res=res),
        best=_site_brief(ranked.head(5)),
        worst=_site_brief(ranked.tail(5).iloc[::-1]),
        flags=_flag_list(counties if county is None else counties[counties["county_code"] == county]),
        grade_counts={g: int((sites["grade"] == g).sum()) for g in GRADES},
        praise=r.praise,
        warnings=r.warnings,
    )


def wall_data(engine: Engine, month: str, res: Provider | None = None, cov: CoverageProvider | None = None) -> dict:
    res = provider(engine, res)
    ov = overview(engine, month, res=res, cov=cov)
    ov["map"] = map_data(engine, month, res)
    ranked = res(month).sites.sort_values(["rank", "site_code"])
    ov["top"] = _site_brief(ranked.head(10))
    ov["bottom"] = _site_brief(ranked.tail(10).iloc[::-1])
    ov["city_name"] = city_name(engine)
    ov["data_updated"] = data_updated_at(engine, month)
    return ov


def data_updated_at(engine: Engine, month: str) -> dt.datetime | None:
    """When the month's data last changed (newest successful import of that month), if known."""
    from data import models as m

    with Session(engine) as s:
        row = s.execute(select(m.ImportRecord.created_at).where(m.ImportRecord.month == month)
                        .order_by(m.ImportRecord.created_at.desc()).limit(1)).first()
    return row[0] if row else None


# ------------------------------------------------------------------------------------------------------------------
# Ranking (排名)

RANKING_COLUMNS = ["排名", "同类排名", "安置点编码", "安置点", "县", "规模", "总分", *DIMENSIONS, "等次", "达标",
                   "较上月", "短板", "排名区间"]   # = data.exports.RANKING_COLUMNS (§8)


def ranking_frame(engine: Engine, month: str, res: Provider | None = None) -> pd.DataFrame:
    """All sites of the month with scores, robustness and facts (English columns; see MonthScores.sites)."""
    r = provider(engine, res)(month)
    s = r.sites.copy()
    s.attrs["catalogue_version"] = r.catalogue_version
    return s


def filter_ranking(sites: pd.DataFrame, *, counties=None, size_classes=None, grades=None, qualified=None) -> pd.DataFrame:
    out = sites
    if counties:
        out = out[out["county_code"].isin(counties)]
    if size_classes:
        out = out[out["size_class"].isin(size_classes)]
    if grades:
        out = out[out["grade"].isin(grades)]
    if qualified is not None:
        out = out[out["qualified"] == bool(qualified)]
    return out


def ranking_table(sites: pd.DataFrame, view: str = "overall", *, score_change: bool = True) -> pd.DataFrame:
    """The §8 site table for the given (filtered) sites: scoring.tables.ranking_table, the same builder as the
    official export, with a numeric 总分较上月 column for the screen."""
    from scoring.tables import ranking_table as build

    dims = dict(zip([c for c in sites.columns if c.startswith("dim_")], DIMENSIONS))
    return build(sites, dims, view=view, score_change=score_change)


def ranking_workbook_bytes(engine: Engine, month: str, table: pd.DataFrame, *, view: str = "overall",
                           filters: str = "") -> bytes:
    from data.exports import ranking_workbook

    title = f"{short_city_name(engine)}易地搬迁安置点五好社区创建排名"
    if view == "class":
        title += "（分规模）"
    return ranking_workbook(table, title=title, month=month, catalogue_version=catalogue_version(engine),
                            demo=is_demo(engine), note=(f"筛选条件：{filters}" if filters else None))


def ranking_csv_bytes(table: pd.DataFrame) -> bytes:
    from data.exports import ranking_csv

    return ranking_csv(table)


def short_city_name(engine: Engine) -> str:
    n = city_name(engine)
    for suf in ("布依族苗族自治州", "苗族侗族自治州", "土家族苗族自治州", "自治州"):
        if n.endswith(suf) and len(n) > len(suf):
            return n[: -len(suf)] + "州"
    return n


def log_export(engine: Engine, username: str, what: str, month: str, detail: str = "") -> None:
    from data import models as m

    with Session(engine) as s, s.begin():
        s.add(m.AuditLog(username=username, action="导出", detail=f"{what} {month} {detail}".strip()))


# ------------------------------------------------------------------------------------------------------------------
# Map (地图)

def map_data(engine: Engine, month: str, res: Provider | None = None) -> dict:
    """counties (with geometry, label point, score, level, reasons) and sites (with lon/lat, grade), bounds."""
    from data import models as m

    r = provider(engine, res)(month)
    with Session(engine) as s:
        geo = {c: g for c, g in s.execute(select(m.County.code, m.County.boundary_geojson))}
    c = r.counties.copy()
    c["geometry"] = c["county_code"].map(geo)
    lons, lats, bounds = [], [], [180.0, 90.0, -180.0, -90.0]
    for g in c["geometry"]:
        pt, b = _label_point(g)
        lons.append(pt[0] if pt else np.nan)
        lats.append(pt[1] if pt else np.nan)
        if b:
            bounds = [min(bounds[0], b[0]), min(bounds[1], b[1]), max(bounds[2], b[2]), max(bounds[3], b[3])]
    c["label_lon"], c["label_lat"] = lons, lats
    c["reasons_text"] = c["reasons"].map(lambda rs: "；".join(rs))
    sites = r.sites.dropna(subset=["lon", "lat"])
    if bounds[0] > bounds[2] and len(sites):
        bounds = [sites["lon"].min(), sites["lat"].min(), sites["lon"].max(), sites["lat"].max()]
    if bounds[0] > bounds[2]:
        bounds = [104.0, 24.0, 106.0, 26.0]
    return dict(counties=c, sites=sites, bounds=tuple(float(x) for x in bounds))


def _label_point(geojson: str | None):
    if not geojson:
        return None, None
    try:
        from data.geo import geometry

        g = geometry(geojson)
        p = g.representative_point()
        return (p.x, p.y), g.bounds
    except Exception:  # noqa: BLE001
        return None, None


# ------------------------------------------------------------------------------------------------------------------
# Site profile (安置点画像)

RIGHTS_ITEMS = {
    "R01": ("政治权益", "选民登记", "迁入地/迁出地"), "R02": ("政治权益", "党员组织关系接转", "迁入地"),
    "R03": ("经济权益", "耕地承包经营权", "迁出地"), "R04": ("经济权益", "林地承包经营权", "迁出地"),
    "R05": ("经济权益", "集体收益分配", "迁出地"), "R06": ("经济权益", "耕地地力保护补贴", "迁出地"),
    "R07": ("经济权益", "退耕还林及生态补偿", "迁出地"), "R08": ("经济权益", "光伏收益分配", "迁出地"),
    "R09": ("经济权益", "安置房不动产登记", "迁入地"), "R10": ("文化教育权益", "义务教育适龄子女入学", "迁入地"),
    "R11": ("社会保障权益", "基本医疗保险", "迁入地"), "R12": ("社会保障权益", "大病保险", "迁入地"),
    "R13": ("社会保障权益", "养老保险", "迁入地"), "R14": ("社会保障权益", "农村低保", "迁入地"),
    "R15": ("社会保障权益", "特困人员救助供养", "迁入地"),
}


def _value_text(v, unit: str, status: str) -> str:
    from data.formatting import fmt_num

    if status in ("缺报", "不涉及"):
        return status
    if v is None or pd.isna(v):
        return "—"
    if unit == "%":
        return f"{fmt_num(v, 1)}%"
    return f"{fmt_num(v, 2).rstrip('0').rstrip('.')}{unit}"


def site_profile(engine: Engine, month: str, site_code: str, res: Provider | None = None) -> dict | None:
    res = provider(engine, res)
    r = res(month)
    row = r.sites[r.sites["site_code"] == site_code]
    if row.empty:
        return None
    s = row.iloc[0]
    dims = [c for c in r.sites.columns if c.startswith("dim_")]
    city_mean = [float(r.sites[c].mean()) for c in dims]

    ind = r.indicators[r.indicators["site_code"] == site_code].copy()
    ind_table = pd.DataFrame({
        "编码": ind["code"], "维度": ind["dimension"], "指标": ind["name"],
        "本月值": [_value_text(v, u, st_) for v, u, st_ in zip(ind["value"], ind["unit"], ind["status"])],
        "状态": ind["status"].replace({"ok": "正常"}),
        "得分": ind["points"].round(2), "满分": ind["max_points"], "失分": ind["lost_points"].round(2),
        "满分所需值": [_value_text(v, u, "ok") for v, u in zip(ind["full_value"], ind["unit"])],
        "计分规则": ind["rule"],
    }).reset_index(drop=True)

    hist = []
    for m, hr in history(engine, month, res=res).items():
        x = hr.sites[hr.sites["site_code"] == site_code]
        if len(x):
            x = x.iloc[0]
            hist.append(dict(month=m, total=x["total"], rank=x["rank"], rank_p05=x.get("rank_p05"),
                             rank_p95=x.get("rank_p95"), grade=x["grade"], qualified=bool(x["qualified"])))
    hist = pd.DataFrame(hist, columns=["month", "total", "rank", "rank_p05", "rank_p95", "grade", "qualified"])

    md = _month_data_for(engine, month, [site_code])
    org = repo.organisation(engine, month)
    org = org[org["site_code"] == site_code]
    rect = repo.rectifications(engine, month)
    rect = rect[rect["site_code"] == site_code]
    return dict(
        site=s.to_dict(), dims=[DIMENSIONS[i] if i < len(DIMENSIONS) else c for i, c in enumerate(dims)],
        site_dims=[float(s[c]) for c in dims], city_dims=city_mean, target_dims=[_min_dimension(r.catalogue_version)] * len(dims),
        indicators=ind_table, lost=ind_table[ind_table["失分"] > 0.005].sort_values("失分", ascending=False),
        history=hist, rights=rights_summary(md), employment=employment_summary(md, site_code, _indicator_value(r, site_code, "E5")),
        organisation=organisation_summary(org), rectifications=rectification_table(rect, month),
        n_sites=len(r.sites), catalogue_version=r.catalogue_version,
        why_not=_why_not_qualified(s, dims, r.catalogue_version),
    )


def _indicator_value(r: "_Results", site_code: str, code: str) -> float:
    ind = r.indicators
    hit = ind[(ind["site_code"] == site_code) & (ind["code"] == code)]
    return float(hit["value"].iloc[0]) if len(hit) else float("nan")


def _min_dimension(catalogue_version: str) -> float:
    from scoring.catalogue import load_catalogue

    return float(load_catalogue(catalogue_version).min_dimension)


def _why_not_qualified(s: pd.Series, dims: list[str], catalogue_version: str) -> list[str]:
    """Plain reasons a site is not 五好达标 this month, against the catalogue's standard (v1: total ≥ 85, every
    dimension ≥ 14, no veto)."""
    from scoring.catalogue import load_catalogue

    if bool(s["qualified"]):
        return []
    cat = load_catalogue(catalogue_version)
    min_total, min_dim = cat.min_total, cat.min_dimension
    out = []
    if float(s["total"]) < min_total:
        out.append(f"总分{float(s['total']):.2f}分，低于{min_total:g}分")
    for c, name in zip(dims, DIMENSIONS):
        if float(s[c]) < min_dim:
            out.append(f"{name}{float(s[c]):.2f}分，低于{min_dim:g}分")
    if bool(s.get("veto")) and s.get("veto_reason"):
        out.append(str(s["veto_reason"]))
    return out


def rights_summary(md) -> pd.DataFrame:
    """Per rights item of one site: counts and pooled coverage (scoring.rights.coverage by item)."""
    from scoring.rights import RIGHTS_ITEMS as ITEMS, coverage

    cov = coverage(md, by="item").set_index("item").reindex(RIGHTS_CODES)
    side = ITEMS.set_index("item")["side"].reindex(RIGHTS_CODES).fillna("按户籍")
    return pd.DataFrame({
        "编码": RIGHTS_CODES, "类别": ITEMS.set_index("item")["category"].reindex(RIGHTS_CODES).to_numpy(),
        "事项": ITEMS.set_index("item")["item_name"].reindex(RIGHTS_CODES).to_numpy(),
        "责任方": side.to_numpy(),
        "已落实": cov["done"].fillna(0).astype(int).to_numpy(), "未落实": cov["open"].fillna(0).astype(int).to_numpy(),
        "漏项（未核实）": cov["blank"].fillna(0).astype(int).to_numpy(),
        "不适用": cov["not_applicable"].fillna(0).astype(int).to_numpy(),
        "落实率": cov["coverage"].round(1).to_numpy(),
    })


def employment_summary(md, site_code: str, income_growth: float) -> dict:
    """Employment of one site: the counts and rates scoring computes (scoring.rights.employment_metrics, the same
    figures as E1/E2/E3/E4), E5 income growth from the indicator table, plus the mix of employment forms."""
    from scoring.rights import employment_metrics

    hh, lab = md.households, md.labour
    em = employment_metrics(md, by="site").set_index("site_code")
    e = em.loc[site_code] if site_code in em.index else None
    n = len(lab)
    forms = (lab[lab["employed"]]["employment_form"].fillna("其他").value_counts()
             .rename_axis("就业形式").reset_index(name="人数")) if n else pd.DataFrame(columns=["就业形式", "人数"])
    return dict(households=len(hh), people=int(hh["family_size"].fillna(0).sum()),
                labour=int(e["labour"]) if e is not None else 0,
                employed=int(e["employed"]) if e is not None else 0,
                employment_rate=float(e["employment_rate"]) if e is not None else np.nan,
                training_rate=float(e["training_rate"]) if e is not None else np.nan,
                certified_rate=float(e["certified_rate"]) if e is not None else np.nan,
                zero_emp=int(e["zero_emp"]) if e is not None else 0, forms=forms, income_growth=income_growth,
                avg_income=float(lab["monthly_income"].mean()) if n and lab["monthly_income"].notna().any() else np.nan)


def organisation_summary(org: pd.DataFrame) -> dict:
    if org.empty:
        return dict(reported=False, platforms=pd.DataFrame(columns=["服务平台", "状态"]),
                    posts=pd.DataFrame(columns=["线条", "岗位", "应设", "已设", "缺口"]), complete_rate=np.nan)
    o = org.iloc[0]
    platforms = pd.DataFrame({"服务平台": [n for _, n in PLATFORMS],
                              "状态": ["已建成运行" if bool(o[c]) else "未建成" for c, _ in PLATFORMS]})
    posts = []
    for i, (c, n) in enumerate(POSTS):
        req, act = int(o[f"{c}_required"] or 0), int(o[f"{c}_actual"] or 0)
        posts.append({"线条": "党组织" if i < 5 else "行政", "岗位": n, "应设": req, "已设": act,
                      "缺口": max(req - act, 0)})
    posts = pd.DataFrame(posts)
    req = posts["应设"].sum()
    rate = 100 * np.minimum(posts["应设"], posts["已设"]).sum() / req if req else np.nan
    return dict(reported=True, platforms=platforms, posts=posts, complete_rate=rate)


def rectification_table(rect: pd.DataFrame, month: str) -> pd.DataFrame:
    """Rectification items as of the month's end (state from scoring.progress, the rule the county flags use)."""
    from scoring.progress import rectification_state

    if rect.empty:
        return pd.DataFrame(columns=["编号", "来源", "问题描述", "责任单位", "发现日期", "整改时限", "状态", "是否逾期"])
    state = rectification_state(rect, month)
    return pd.DataFrame({"编号": rect["item_code"], "来源": rect["source"], "问题描述": rect["description"],
                         "责任单位": rect["unit"], "发现日期": rect["found_date"], "整改时限": rect["deadline"],
                         "状态": state["status_at_end"],
                         "是否逾期": np.where(state["overdue"], "逾期", "")}).reset_index(drop=True)


# ------------------------------------------------------------------------------------------------------------------
# County profile (县区画像)

def county_profile(engine: Engine, month: str, county_code: str, res: Provider | None = None) -> dict | None:
    res = provider(engine, res)
    r = res(month)
    c = r.counties[r.counties["county_code"] == county_code]
    if c.empty:
        return None
    crow = c.iloc[0].to_dict()
    sites = r.sites[r.sites["county_code"] == county_code]
    table = ranking_table(sites)
    trend = city_trend(engine, month, county=county_code, res=res)
    flag_hist = trend[["month", "qualified", "expected", "flagged", "reasons"]].copy()
    rect = repo.rectifications(engine, month)
    rect = rect[rect["county_code"] == county_code]
    return dict(county=crow, sites=table, trend=trend, flag_history=flag_hist,
                n_counties=len(r.counties), rectifications=rectification_table(rect, month),
                batches=sites.groupby("batch_year").agg(安置点数=("site_code", "count"),
                                                        已达标=("qualified", "sum")).reset_index()
                .rename(columns={"batch_year": "创建批次"}))


# ------------------------------------------------------------------------------------------------------------------
# Rights gaps (权益缺口)

def _households_with_gaps(engine: Engine, month: str, county: str | None) -> pd.DataFrame:
    """The month's households having at least one rights item 未落实 or blank (a gap) — filtered in SQL so a
    city of 80 000 households does not have to be expanded to 1.2 million (household, item) pairs."""
    from sqlalchemy import or_

    from data import models as m
    from scoring.frames import HOUSEHOLD_COLUMNS

    h = m.Household
    cols = [getattr(h, c) for c in HOUSEHOLD_COLUMNS if c not in RIGHTS_CODES]
    rights = [getattr(h, c.lower()).label(c) for c in RIGHTS_CODES]
    any_gap = or_(*[getattr(h, c.lower()).is_(None) for c in RIGHTS_CODES],
                  *[getattr(h, c.lower()) == m.RIGHT_VALUES["未落实"] for c in RIGHTS_CODES])
    stmt = select(*cols, *rights).where(h.month == month, any_gap).order_by(h.household_code)
    if county:
        stmt = stmt.where(h.site_code.in_(select(m.Site.code).where(m.Site.county_code == county)))
    with engine.connect() as conn:
        res = conn.execute(stmt)
        df = pd.DataFrame(res.fetchall(), columns=list(res.keys()))
    for c in HOUSEHOLD_COLUMNS:
        if c not in df:
            df[c] = pd.Series(dtype=object)
    for c in RIGHTS_CODES:
        df[c] = df[c].map(m.RIGHT_CODES).astype("object").where(df[c].notna(), None)
    return df[HOUSEHOLD_COLUMNS]


GAP_COLUMNS = ["县", "安置点", "户编码", "户主", "身份证号", "事项编码", "事项", "类别", "状态", "责任方", "服务平台"]


def _month_data_for(engine: Engine, month: str, site_codes: list[str] | None):
    from scoring.frames import MonthData

    return MonthData(month=month, sites=repo.sites(engine), counties=repo.counties(engine),
                     households=repo.households(engine, month, site_codes),
                     labour=repo.labour(engine, month, site_codes))


def rights_gaps(engine: Engine, month: str, county: str | None = None) -> pd.DataFrame:
    """One row per (household, item) gap (未落实 or blank = 未核实), routed to side and platform (scoring.rights);
    ID numbers masked. Columns GAP_COLUMNS plus site_code / county_code for filtering."""
    from scoring.rights import gap_list

    from scoring.frames import MonthData

    sites = repo.sites(engine)
    md = MonthData(month=month, sites=sites, counties=repo.counties(engine),
                   households=_households_with_gaps(engine, month, county))
    g = gap_list(md, mask=True)
    out = pd.DataFrame({
        "县": g["county_name"], "安置点": g["site_name"], "户编码": g["household_code"], "户主": g["head_name"],
        "身份证号": g["head_id"], "事项编码": g["item"], "事项": g["item_name"], "类别": g["category"],
        "状态": g["status"].replace({"未核实": "未核实（漏项）"}), "责任方": g["side"], "服务平台": g["platform"],
        "site_code": g["site_code"], "county_code": g["county_code"],
    })
    return out.reset_index(drop=True)


# ------------------------------------------------------------------------------------------------------------------
# Ledger import (数据导入) — data.workbook

def import_month_options(months: list[str]) -> list[str]:
    """Months a ledger may be imported for: the months with data and the month after the latest."""
    from scoring.frames import period_end as pe

    if not months:
        today = dt.date.today()
        return [f"{today.year}-{today.month:02d}"]
    last = pe(months[-1]) + dt.timedelta(days=1)
    return list(months[-12:]) + [f"{last.year}-{last.month:02d}"]


def ledger_template(county_names: list[str] | None = None) -> bytes:
    from data.workbook import template_bytes

    return template_bytes(county_names or None)


def import_ledger(engine: Engine, data: bytes, file_name: str, month: str, username: str, role: str,
                  county_code: str | None) -> dict:
    """Validate and import a ledger workbook (data.workbook); a plain dict for the page."""
    from data.workbook import ImportUser, import_workbook

    res = import_workbook(engine, data, file_name, month, ImportUser(username, role, county_code))
    msgs = pd.DataFrame([{"级别": "错误" if m.is_error else "提示", "工作表": m.sheet or "（整个文件）",
                          "行号": m.row, "列": m.column or "", "单元格内容": m.value or "", "问题说明": m.reason}
                         for m in res.messages],
                        columns=["级别", "工作表", "行号", "列", "单元格内容", "问题说明"])
    msgs["行号"] = msgs["行号"].astype("Int64")
    marked = None
    if res.messages:
        try:
            marked = res.marked_copy
        except Exception:  # noqa: BLE001 - the marked copy is a convenience
            marked = None
    return dict(ok=res.ok, result=res.result, rows=dict(res.rows), month=res.month or month, messages=msgs,
                n_errors=len(res.errors), marked=marked, file_name=file_name)
