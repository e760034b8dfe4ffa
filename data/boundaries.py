"""Administrator's replacement of county boundaries by an uploaded GeoJSON (domain.md §1: 管理员 — boundaries).

All or nothing: every uploaded county must match a county of the database (by 行政区划代码, else by name);
nothing is written if any problem is found. Counties not in the file keep their boundary. The change is written to
the audit log, and sites whose point falls outside their county's new boundary are reported as warnings.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from data import audit, geo
from data import models as m


@dataclass
class BoundaryResult:
    updated: list[str]
    kept: list[str]
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = f"已更新{len(self.updated)}个县（市、区）的边界：{'、'.join(self.updated)}"
        if self.kept:
            text += f"；未包含在文件中、保留原边界：{'、'.join(self.kept)}"
        return text


def apply_boundaries(engine: Engine, data: bytes, username: str = "管理员") -> BoundaryResult:
    """Validate `data` (GeoJSON bytes) and replace the matching counties' boundaries. Raises geo.GeoError with
    every problem in Chinese; the database is unchanged then."""
    uploaded = geo.load_uploaded_geojson(data)
    with Session(engine) as s, s.begin():
        counties = list(s.execute(select(m.County)).scalars())
        if not counties:
            raise geo.GeoError("数据库中还没有县（市、区），请先运行 python -m data init --city 城市")
        by_code = {c.code: c for c in counties}
        by_name = {c.name: c for c in counties}
        problems, matched = [], []
        for up in uploaded:
            county = by_code.get(up.code) or by_name.get(up.name)
            if county is None:
                problems.append(f"“{up.name}”（{up.code}）不是本市的县（市、区），"
                                f"本市为：{'、'.join(c.name for c in counties)}")
            else:
                matched.append((county, up))
        if problems:
            raise geo.GeoError("边界文件未导入：" + "；".join(problems), problems)
        for county, up in matched:
            county.boundary_geojson = up.geojson
        warnings = []
        codes = {c.code for c, _ in matched}
        for site in s.execute(select(m.Site).where(m.Site.county_code.in_(codes))).scalars():
            county = by_code[site.county_code]
            if not geo.point_in_county(site.lon, site.lat, county.boundary_geojson):
                warnings.append(f"安置点“{site.name}”（{site.code}）的坐标不在{county.name}的新边界内")
        updated = [c.name for c, _ in matched]
        kept = [c.name for c in counties if c.code not in codes]
        audit.record(s, user=username, action=audit.CONFIG, detail=f"上传县级边界：{'、'.join(updated)}")
    return BoundaryResult(updated=updated, kept=kept, warnings=warnings)
