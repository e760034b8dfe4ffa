"""The database's settings and lists: city name, demo flag, catalogue version, data fingerprint, months, the
county and site choosers, and whether the app runs on its embedded default database."""
from __future__ import annotations

import hashlib
import json
import os

from sqlalchemy import Engine

from data import db
from data import repository as repo
from scoring.catalogue import DEFAULT_VERSION

DEFAULT_CITY = "本市"
# suffixes of an autonomous prefecture's full name that the short name replaces by '州'
# (黔西南布依族苗族自治州 → 黔西南州)
PREFECTURE_SUFFIXES = ("布依族苗族自治州", "苗族侗族自治州", "土家族苗族自治州", "自治州")


def is_empty(engine: Engine) -> bool:
    return db.is_empty(engine)


def is_default_database(engine: Engine) -> bool:
    """True when the app runs on its embedded default SQLite file (no DATABASE_URL given)."""
    if os.environ.get("DATABASE_URL"):
        return False
    path = engine.url.database or ""
    try:
        return os.path.abspath(path) == os.path.abspath(str(db.DEFAULT_SQLITE))
    except (TypeError, ValueError):
        return False


def is_demo(engine: Engine) -> bool:
    return (db.get_setting(engine, "demo") or "") == "1"


def city_name(engine: Engine) -> str:
    return db.get_setting(engine, "city_name") or DEFAULT_CITY


def short_city_name(engine: Engine) -> str:
    """The city's short name for titles (黔西南布依族苗族自治州 → 黔西南州)."""
    n = city_name(engine)
    for suf in PREFECTURE_SUFFIXES:
        if n.endswith(suf) and len(n) > len(suf):
            return n[: -len(suf)] + "州"
    return n


def catalogue_version(engine: Engine) -> str:
    """The indicator catalogue version in force (setting 'catalogue_version', else the default v1)."""
    return db.get_setting(engine, "catalogue_version") or DEFAULT_VERSION


def fingerprint(engine: Engine) -> str:
    """Changes whenever any data of the database changes (data_versions) or the catalogue version changes."""
    dv = repo.data_versions(engine)
    raw = json.dumps(sorted(dv.items())) + "|" + catalogue_version(engine)
    return hashlib.sha1(raw.encode()).hexdigest()[:16]


def available_months(engine: Engine) -> list[str]:
    return repo.months(engine)


def county_list(engine: Engine) -> list[tuple[str, str]]:
    """(county_code, county_name) in official order."""
    c = repo.counties(engine)
    return list(zip(c["county_code"].astype(str), c["county_name"].astype(str)))


def site_options(engine: Engine, county: str | None = None) -> list[tuple[str, str]]:
    """(site_code, 'name（county）') in official order, optionally one county."""
    s = repo.sites(engine)
    if county:
        s = s[s["county_code"] == county]
    return [(r.site_code, f"{r.site_name}（{r.county_name}）") for r in s.itertuples()]
