"""data.geo: offline cities, county boundaries, point tests and uploaded GeoJSON validation."""
from __future__ import annotations

import json

import numpy as np
import pytest

from data import geo

QXN_COUNTIES = {"522301": "兴义市", "522302": "兴仁市", "522323": "普安县", "522324": "晴隆县",
                "522325": "贞丰县", "522326": "望谟县", "522327": "册亨县", "522328": "安龙县"}


@pytest.mark.parametrize("query", ["522300", "黔西南布依族苗族自治州", "黔西南州", "黔西南", "贵州省黔西南州",
                                   " 黔西南布依族苗族自治州 "])
def test_find_city_by_code_and_name(query):
    city = geo.find_city(query)
    assert (city.code, city.name, city.province) == ("522300", "黔西南布依族苗族自治州", "贵州省")


def test_city_counties_of_qianxinan():
    counties = geo.city_counties("522300")
    assert {c.code: c.name for c in counties} == QXN_COUNTIES
    assert [c.code for c in counties] == sorted(QXN_COUNTIES)
    assert geo.city_counties("黔西南州") == counties
    for c in counties:
        g = json.loads(c.geojson)
        assert g["type"] in ("Polygon", "MultiPolygon")
        assert geo.county_boundary(c.code) == c.geojson


def test_unknown_and_ambiguous_city_messages_in_chinese():
    with pytest.raises(geo.GeoError, match="未找到城市：火星市"):
        geo.find_city("火星市")
    with pytest.raises(geo.GeoError, match="未找到城市"):
        geo.find_city("999999")
    with pytest.raises(geo.GeoError, match="区县代码"):
        geo.find_city("522301")
    with pytest.raises(geo.GeoError) as exc:
        geo.find_city("黔")
    msg = str(exc.value)
    assert "不唯一" in msg and "黔西南布依族苗族自治州" in msg and "黔东南苗族侗族自治州" in msg


def test_point_in_county():
    xingyi = geo.county_boundary("522301")
    wangmo = geo.county_boundary("522326")
    # 兴义市 city centre (approx. 104.90 E, 25.09 N)
    assert geo.point_in_county(104.90, 25.09, xingyi)
    assert not geo.point_in_county(104.90, 25.09, wangmo)
    assert not geo.point_in_county(116.4, 39.9, xingyi)  # Beijing
    mask = geo.points_in_county([104.90, 116.4], [25.09, 39.9], xingyi)
    assert mask.tolist() == [True, False]


def test_random_points_inside_and_deterministic():
    gj = geo.county_boundary("522325")
    a = geo.random_points_in(gj, 50, np.random.default_rng(7), margin=0.01)
    b = geo.random_points_in(gj, 50, np.random.default_rng(7), margin=0.01)
    assert a.shape == (50, 2) and np.array_equal(a, b)
    assert geo.points_in_county(a[:, 0], a[:, 1], gj).all()


def test_in_china_bbox():
    assert geo.in_china(104.9, 25.1)
    assert not geo.in_china(25.1, 104.9)      # swapped
    assert not geo.in_china(0, 0)
    assert not geo.in_china("abc", 1)


def test_simplified_payload_is_small():
    counties = geo.city_counties("522300")
    fc = geo.feature_collection(counties)
    assert len(fc.encode()) < 200_000
    data = json.loads(fc)
    assert {f["properties"]["name"] for f in data["features"]} == set(QXN_COUNTIES.values())
    simple = geo.simplified_geojson("522301", 0.01)
    assert len(simple) < len(geo.county_boundary("522301"))
    assert json.loads(geo.city_outline("522300", 0.01))["type"] in ("Polygon", "MultiPolygon")


def _fc(*features):
    return json.dumps({"type": "FeatureCollection", "features": list(features)}, ensure_ascii=False).encode()


def _feature(name, code, geometry):
    props = {}
    if name is not None:
        props["name"] = name
    if code is not None:
        props["adcode"] = code
    return {"type": "Feature", "properties": props, "geometry": geometry}


SQUARE = {"type": "Polygon", "coordinates": [[[105, 25], [105.1, 25], [105.1, 25.1], [105, 25.1], [105, 25]]]}


def test_upload_geojson_valid():
    real = json.loads(geo.county_boundary("522301"))
    counties = geo.load_uploaded_geojson(_fc(_feature("兴义市", "522301", real), _feature("测试县", 522399, SQUARE)))
    assert [(c.code, c.name) for c in counties] == [("522301", "兴义市"), ("522399", "测试县")]
    assert geo.point_in_county(105.05, 25.05, counties[1].geojson)


def test_upload_geojson_problems_are_listed_in_chinese():
    outside = {"type": "Polygon", "coordinates": [[[5, 5], [6, 5], [6, 6], [5, 5]]]}
    point = {"type": "Point", "coordinates": [105, 25]}
    data = _fc(_feature(None, "522301", SQUARE), _feature("甲县", "52230", SQUARE), _feature("乙县", "522303", outside),
               _feature("丙县", "522304", point), _feature("丁县", "522305", SQUARE),
               _feature("丁县", "522305", SQUARE))
    with pytest.raises(geo.GeoError) as exc:
        geo.load_uploaded_geojson(data)
    text = "\n".join(exc.value.problems)
    assert "缺少名称属性" in text
    assert "应为6位数字" in text
    assert "超出中国范围" in text
    assert "Polygon 或 MultiPolygon" in text
    assert "重复" in text
    assert len(exc.value.problems) >= 6


@pytest.mark.parametrize("payload, fragment", [
    (b"", "为空"),
    (b"{not json", "JSON 格式错误"),
    (b'{"type": "Polygon", "coordinates": []}', "FeatureCollection"),
    (b'{"type": "FeatureCollection", "features": []}', "没有任何要素"),
])
def test_upload_geojson_bad_files(payload, fragment):
    with pytest.raises(geo.GeoError, match=fragment):
        geo.load_uploaded_geojson(payload)
