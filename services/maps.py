"""地图 view model: county polygons with label points, scores, levels and reasons; sites with their positions."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from shapely.errors import ShapelyError
from sqlalchemy import Engine

from data import repository as repo
from data.geo import geometry
from services.flags import CountyFlag, flag_list
from domain.scope import Scope
from services.results import Provider, scoped_provider

# shown when neither a boundary nor a site position is known (the demo prefecture's surroundings)
FALLBACK_BOUNDS = (104.0, 24.0, 106.0, 26.0)
Bounds = tuple[float, float, float, float]


@dataclass
class MapData:
    """counties: the month's county frame plus geometry (GeoJSON text), label_lon/label_lat, reasons_text;
    sites: the month's sites having a position; bounds: (min_lon, min_lat, max_lon, max_lat); flags: the
    flagged counties (services.flags)."""
    counties: pd.DataFrame
    sites: pd.DataFrame
    bounds: Bounds
    flags: list[CountyFlag]


def map_data(engine: Engine, month: str, res: Provider | None = None, scope: Scope | None = None) -> MapData:
    """The map of the city, or of the scope's county only (its polygon, its sites, bounds fitted to it)."""
    r = scoped_provider(engine, res, scope)(month)
    c = r.counties.copy()
    c["geometry"] = c["county_code"].map(repo.county_boundaries(engine))
    lons, lats, bounds = [], [], [180.0, 90.0, -180.0, -90.0]
    for g in c["geometry"]:
        pt, b = label_point(g)
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
        bounds = list(FALLBACK_BOUNDS)
    return MapData(counties=c, sites=sites, bounds=tuple(float(x) for x in bounds), flags=flag_list(c))


def label_point(geojson: str | None):
    """((lon, lat) of a point inside the boundary, its bounds), or (None, None) without a usable boundary."""
    if not geojson:
        return None, None
    try:
        g = geometry(geojson)
        p = g.representative_point()
        return (p.x, p.y), g.bounds
    except (ValueError, TypeError, KeyError, AttributeError, ShapelyError):
        return None, None
