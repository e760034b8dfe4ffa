"""Setting a database up for a city: what `python -m data init --city CODE_OR_NAME [--demo] [--scale city|province]`
does (the command itself, which also scores the demo's months, is in cli.py).

Without --demo: write the city's counties with their boundaries and the city settings (idempotent for the same
city; refuses when the database belongs to another city). With --demo: build the deterministic demo into an
empty database (a no-op when this demo is already there).
"""
from __future__ import annotations

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from data import geo
from data import models as m
from data.demo import DemoError, build_demo
from data.repository import STATIC, bump_data_version


class InitError(RuntimeError):
    """Initialisation refused or impossible (message in Chinese)."""


def _settings(session: Session) -> dict[str, str]:
    return {k: v for k, v in session.execute(select(m.Setting.key, m.Setting.value))}


def _count(session: Session, model) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def _monthly_rows(session: Session) -> int:
    return sum(_count(session, x) for x in (m.Household, m.Labourer, m.ReportedIndicator, m.SiteOrganisation))


def init_city(engine: Engine, city: str) -> str:
    """Write the counties (with boundaries) and settings of `city`; returns a Chinese summary."""
    try:
        info = geo.find_city(city)
        counties = geo.city_counties(info.code)
    except geo.GeoError as exc:
        raise InitError(str(exc)) from None
    with Session(engine) as s, s.begin():
        settings = _settings(s)
        have = settings.get("city_code")
        existing = {c.code: c for c in s.execute(select(m.County)).scalars()}
        if have and have != info.code:
            raise InitError(f"数据库已初始化为其他城市：{settings.get('city_name', have)}（{have}），"
                            f"不能改为{info.name}（{info.code}）。如需更换城市，请使用新的空数据库")
        foreign = [c for c in existing.values() if c.city_code != info.code]
        if foreign and not have:
            raise InitError(f"数据库中已有其他城市的县（市、区）：{'、'.join(c.name for c in foreign[:5])}，"
                            f"不能初始化为{info.name}")
        changed = False
        for i, c in enumerate(counties, start=1):
            row = existing.get(c.code)
            if row is None:
                s.add(m.County(code=c.code, name=c.name, city_code=info.code, sort_order=i,
                               boundary_geojson=c.geojson))
                changed = True
            elif not row.boundary_geojson:
                row.boundary_geojson = c.geojson
                changed = True
        for key, value in (("city_code", info.code), ("city_name", info.name), ("province", info.province)):
            if settings.get(key) != value:
                row = s.get(m.Setting, key)
                if row is None:
                    s.add(m.Setting(key=key, value=value))
                else:
                    row.value = value
                changed = True
        if changed:
            s.flush()
            bump_data_version(s, [STATIC])
    names = "、".join(c.name for c in counties)
    if not changed:
        return f"城市已初始化：{info.name}（{info.code}），{len(counties)}个县（市、区），未做更改"
    place = info.name if info.province == info.name else f"{info.province}{info.name}"
    return f"已初始化城市：{place}（{info.code}），{len(counties)}个县（市、区）：{names}"


def run_init(engine: Engine, city: str, demo: bool = False, scale: str = "city", **demo_options) -> str:
    """Initialise the database for `city` (code or name); with `demo` build the demo data. Returns a Chinese
    summary line; raises InitError with a Chinese message when refused."""
    if scale not in ("city", "province"):
        raise InitError(f"未知的规模：{scale}（可选 city 或 province）")
    if not demo:
        if scale != "city":
            raise InitError("--scale 仅用于生成演示数据（--demo）")
        return init_city(engine, city)
    try:
        info = geo.find_city(city)
    except geo.GeoError as exc:
        raise InitError(str(exc)) from None
    target = info.code if scale == "city" else info.code[:2] + "0000"
    with Session(engine) as s:
        settings = _settings(s)
        n_sites = _count(s, m.Site)
        n_monthly = _monthly_rows(s)
        n_rect = _count(s, m.Rectification)
    if settings.get("demo") == "1" and n_sites:
        if settings.get("city_code") == target and settings.get("demo_scale", "city") == scale:
            return (f"演示数据已存在：{settings.get('city_name', info.name)}，{n_sites}个安置点，"
                    f"截至{settings.get('demo_end_month', '')}，未做更改")
        raise InitError(f"数据库中已有其他演示数据（{settings.get('city_name', settings.get('city_code'))}），"
                        "请使用新的空数据库")
    if n_sites or n_monthly or n_rect:
        raise InitError("数据库中已有安置点或台账数据，不能生成演示数据（演示数据只能写入空数据库）")
    if settings.get("city_code") and settings["city_code"] != target:
        raise InitError(f"数据库已初始化为其他城市：{settings.get('city_name', settings['city_code'])}，"
                        f"不能生成{info.name}的演示数据")
    try:
        result = build_demo(engine, city=info.code, scale=scale, **demo_options)
    except (DemoError, geo.GeoError) as exc:
        raise InitError(str(exc)) from None
    return result.summary()
