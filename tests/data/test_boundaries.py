"""An administrator replaces county boundaries with an uploaded GeoJSON: all or nothing, audited."""
import json

import pytest
from sqlalchemy import select

from data import geo
from data import models as m
from data import repository as repo
from data.boundaries import apply_boundaries
from data.cli_init import run_init


def _collection(counties, rename=None):
    feats = [{"type": "Feature", "properties": {"name": (rename or {}).get(c.name, c.name), "adcode": c.code},
              "geometry": json.loads(geo.simplify_geojson(c.geojson, 0.01))} for c in counties]
    return json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False).encode()


def _boundaries(engine):
    with engine.connect() as conn:
        return dict(conn.execute(select(m.County.code, m.County.boundary_geojson)).all())


def test_upload_replaces_the_boundaries_of_the_counties_in_the_file(engine):
    run_init(engine, "522300")
    counties = geo.city_counties("522300")
    before = _boundaries(engine)
    result = apply_boundaries(engine, _collection(counties[:3]), "admin")
    after = _boundaries(engine)
    assert result.updated == [c.name for c in counties[:3]] and len(result.kept) == 5
    assert all(after[c.code] != before[c.code] for c in counties[:3])       # simplified shapes replaced them
    assert all(after[c.code] == before[c.code] for c in counties[3:])       # others kept
    with engine.connect() as conn:
        audit = conn.execute(select(m.AuditLog.action, m.AuditLog.detail)).all()
    assert ("配置变更", "上传县级边界：" + "、".join(c.name for c in counties[:3])) in audit


def test_a_county_of_another_city_rejects_the_whole_file(engine):
    run_init(engine, "522300")
    before = _boundaries(engine)
    other = geo.city_counties("520100")[:1]                         # a county of 贵阳市
    data = _collection(geo.city_counties("522300")[:2] + other)
    with pytest.raises(geo.GeoError, match="不是本市的县"):
        apply_boundaries(engine, data)
    assert _boundaries(engine) == before                            # nothing written
    assert repo.table_counts(engine)["audit_log"] == 0


def test_cli_reports_problems_in_chinese(engine, tmp_path, monkeypatch, capsys):
    from data import __main__ as cli

    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    run_init(engine, "522300")
    bad = tmp_path / "bad.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, '
                   '"geometry": null}]}', encoding="utf-8")
    assert cli.main(["boundaries", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "缺少名称属性" in err and "Traceback" not in err
    good = tmp_path / "good.geojson"
    good.write_bytes(_collection(geo.city_counties("522300")))
    assert cli.main(["boundaries", str(good)]) == 0
    assert "已更新8个县（市、区）的边界" in capsys.readouterr().out
