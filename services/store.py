"""Computed results, stored once per (month, catalogue version) and reused until their inputs change.

Two kinds of stored result, each valid while its fingerprint matches:

* ``sites`` — MonthScores of the month (scores, grades, ranks, Δ vs previous month) and the Monte Carlo
  robustness frame. Depends on the static data (sites, counties, rectifications, follow-ups), the month's data
  and the previous month's data (for Δ), and on the catalogue's content.
* ``counties`` — the CountyMonth (county figures, flags F1–F5, escalation, praise, 摘牌预警). Escalation and
  streaks carry over from month to month, so it depends on every month up to and including this one.

Every import bumps the data version of the months it writes (``data.repository.bump_data_version``), so a
fingerprint built from those versions changes exactly for the results the import can affect; a catalogue edit
changes the catalogue hash. Results for past months never change unless their inputs do, so a past month
scored again gives the same result.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, fields

import pandas as pd
from sqlalchemy import Engine

from data import repository as repo
from data import result_store
from scoring.catalogue import CATALOGUE_DIR, Catalogue, load_catalogue
from scoring.engine import MonthScores, score_month
from domain.calendar import previous_month
from scoring.frames import MonthData
from scoring.progress import CountyMonth, county_month
from scoring.robustness import monte_carlo
from services import settings

MANY_MONTHS = 2  # precompute reads the whole ledger once when more months than this are to be scored
FORMAT = 3  # bump when the payload layout or the scoring rules change (2: §11 rounding, flags, 缺报; 3: Parquet)


@dataclass
class MonthResults:
    month: str
    catalogue_version: str
    scores: MonthScores
    mc: pd.DataFrame
    county: CountyMonth
    computed_at: dt.datetime
    from_store: bool = False


def active_version(engine: Engine) -> str:
    return settings.catalogue_version(engine)


def catalogue_hash(cat: Catalogue) -> str:
    path = CATALOGUE_DIR / f"{cat.version}.toml"
    raw = path.read_bytes() if path.is_file() else repr(cat).encode()
    return hashlib.sha256(raw).hexdigest()[:16]


def _fingerprint(cat_hash: str, versions: dict[str, int], keys: list[str]) -> str:
    parts = {"format": FORMAT, "catalogue": cat_hash, "data": {k: versions.get(k, 0) for k in keys}}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


class _Ctx:
    """Per-call state: versions read once, month data and results memoised within the call."""

    def __init__(self, engine: Engine, version: str | None, many: bool = False):
        self.engine = engine
        self.many = many            # scoring many months: read the large ledger tables once (repo.LedgerHistory)
        self.ledger: repo.LedgerHistory | None = None
        self.cat = load_catalogue(version or active_version(engine))
        self.cat_hash = catalogue_hash(self.cat)
        self.versions = repo.data_versions(engine)
        self.months = repo.months(engine)
        self.md: dict[str, MonthData] = {}
        self.sites: dict[str, tuple[MonthScores, pd.DataFrame, dt.datetime, bool]] = {}
        self.counties: dict[str, tuple[CountyMonth, dt.datetime, bool]] = {}

    def month_data(self, month: str) -> MonthData:
        if month not in self.md:
            if self.many:
                self.ledger = self.ledger or repo.LedgerHistory(self.engine)
                self.md[month] = self.ledger.month(month)
            else:
                self.md[month] = repo.load_month(self.engine, month, slim=True)
        return self.md[month]

    def site_fp(self, month: str) -> str:
        return _fingerprint(self.cat_hash, self.versions, [repo.STATIC, month, previous_month(month)])

    def county_fp(self, month: str) -> str:
        return _fingerprint(self.cat_hash, self.versions, [repo.STATIC, *[x for x in self.months if x <= month]])


def _encode(kind: str, payload) -> bytes:
    """A stored result as frames + JSON meta (data.result_store.pack; no pickle)."""
    obj, extra = (payload[0], {"mc": payload[1]}) if kind == "sites" else (payload, {})
    frames = {f.name: getattr(obj, f.name) for f in fields(obj) if isinstance(getattr(obj, f.name), pd.DataFrame)}
    meta = {f.name: getattr(obj, f.name) for f in fields(obj) if f.name not in frames}
    return result_store.pack({**frames, **extra}, meta)


def _decode(kind: str, raw: bytes):
    frames, meta = result_store.unpack(raw)
    if kind == "sites":
        mc = frames.pop("mc")
        return MonthScores(**meta, **frames), mc
    return CountyMonth(**meta, **frames)


def _load(engine: Engine, kind: str, month: str, version: str, fp: str):
    got = result_store.load(engine, kind, month, version)
    if got is None or got.fingerprint != fp:
        return None
    try:
        return _decode(kind, got.payload), got.created_at
    except result_store.PAYLOAD_ERRORS:  # an older or damaged payload: recompute
        return None


def _save(engine: Engine, kind: str, month: str, version: str, fp: str, payload) -> dt.datetime:
    return result_store.save(engine, kind, month, version, fp, _encode(kind, payload))


def _site_results(ctx: _Ctx, month: str):
    if month in ctx.sites:
        return ctx.sites[month]
    fp = ctx.site_fp(month)
    got = _load(ctx.engine, "sites", month, ctx.cat.version, fp)
    if got is not None:
        (scores, mc), at = got
        ctx.sites[month] = (scores, mc, at, True)
        return ctx.sites[month]
    prev_month = previous_month(month)
    previous = _site_results(ctx, prev_month)[0] if prev_month in ctx.months else None
    scores = score_month(ctx.month_data(month), ctx.cat, previous)
    mc = monte_carlo(scores, ctx.cat)
    at = _save(ctx.engine, "sites", month, ctx.cat.version, fp, (scores, mc))
    ctx.sites[month] = (scores, mc, at, False)
    return ctx.sites[month]


def _county_results(ctx: _Ctx, month: str) -> tuple[CountyMonth, dt.datetime, bool]:
    if month in ctx.counties:
        return ctx.counties[month]
    fp = ctx.county_fp(month)
    got = _load(ctx.engine, "counties", month, ctx.cat.version, fp)
    if got is not None:
        ctx.counties[month] = (got[0], got[1], True)
        return ctx.counties[month]
    prev_month = previous_month(month)
    history = [_county_results(ctx, prev_month)[0]] if prev_month in ctx.months else []
    scores = _site_results(ctx, month)[0]
    cm = county_month(ctx.month_data(month), scores, history, ctx.cat)
    at = _save(ctx.engine, "counties", month, ctx.cat.version, fp, cm)
    ctx.counties[month] = (cm, at, False)
    return ctx.counties[month]


def _results(ctx: _Ctx, month: str) -> MonthResults:
    if month not in ctx.months:
        raise LookupError(f"{month[:4]}年{int(month[5:7])}月没有任何台账或月度指标数据")
    scores, mc, at1, hit1 = _site_results(ctx, month)
    cm, at2, hit2 = _county_results(ctx, month)
    return MonthResults(month=month, catalogue_version=ctx.cat.version, scores=scores, mc=mc, county=cm,
                        computed_at=max(at1, at2), from_store=hit1 and hit2)


def month_results(engine: Engine, month: str, catalogue_version: str | None = None) -> MonthResults:
    """Scores, robustness and county results of one month (from the store when still valid)."""
    return _results(_Ctx(engine, catalogue_version), month)


def history(engine: Engine, months: list[str], catalogue_version: str | None = None) -> dict[str, MonthResults]:
    """Results for several months (ascending), sharing one pass over the store."""
    ctx = _Ctx(engine, catalogue_version)
    return {mo: _results(ctx, mo) for mo in sorted(months) if mo in ctx.months}


def precompute(engine: Engine, catalogue_version: str | None = None, on_month=None) -> int:
    """Compute and store every month's results (oldest first); returns how many months. `on_month(done, total)`
    is called after each month (for a progress bar). With more than a couple of months to score (a first start,
    a catalogue change) the ledger is read once for all of them (repository.LedgerHistory), else month by month."""
    ctx = _Ctx(engine, catalogue_version)
    stored = result_store.fingerprints(engine)
    stale = [mo for mo in ctx.months if stored.get(("sites", mo, ctx.cat.version)) != ctx.site_fp(mo)
             or stored.get(("counties", mo, ctx.cat.version)) != ctx.county_fp(mo)]
    ctx.many = len(stale) > MANY_MONTHS
    for i, mo in enumerate(ctx.months):
        _results(ctx, mo)
        ctx.md.pop(previous_month(previous_month(mo)), None)  # keep memory bounded on long histories
        if on_month is not None:
            on_month(i + 1, len(ctx.months))
    return len(ctx.months)


def stored_fingerprints(engine: Engine) -> dict[tuple[str, str, str], str]:
    """(kind, month, version) -> fingerprint of every stored result (for tests and diagnostics)."""
    return result_store.fingerprints(engine)
