"""跟进落实 page under AppTest on a copy of the small city: a 督导督查 visit naming several sites of its county is
saved, listed with the sites' names, and one of its findings becomes a rectification item at a chosen site."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from data import repository as repo
from data.db import create
from tests.ui.conftest import ROOT, private_city
from tests.ui.small_city import SmallCity


@pytest.fixture
def fu_db(ui_db, tmp_path, monkeypatch):
    yield from private_city(ui_db, tmp_path / "fu.db", monkeypatch)


def _ok(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def _submit(at, form: str, label: str):
    next(b for b in at.button if b.label == label and b.proto.form_id == form).click().run()
    return _ok(at)


def test_a_visit_names_several_sites_and_a_finding_becomes_an_item_of_one(fu_db, city: SmallCity):
    month = city.months[-1]
    county, cname = city.counties[1]
    sites = [s for s in city.sites if s["county_code"] == county]
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.session_state["_demo_role_value"] = "市级督导"
    at.query_params["month"] = month
    at.run()
    at.switch_page("pages/followup.py")
    _ok(at.run())
    at.selectbox(key="fu_visit_county").set_value(county).run()
    at.multiselect(key="fu_visit_sites").select(sites[2]["code"]).select(sites[0]["code"])
    at.text_input(key="fu_visit_title").input("联合督导")
    at.text_area(key="fu_visit_found").input("1. 门禁损坏\n2. 公示栏未更新")
    _submit(at, "fu_visit", "保存")
    visits = next(t.value for t in at.table if "标题" in t.value.columns and "联合督导" in set(t.value["标题"]))
    assert "安置点" in visits.columns, (list(visits.columns), visits.to_dict("records"))
    assert list(visits.loc[visits["标题"] == "联合督导", "安置点"]) == [f"{sites[2]['name']}、{sites[0]['name']}"]
    at.selectbox(key="fu_find_text").set_value("门禁损坏")
    at.selectbox(key="fu_find_site").set_value(sites[0]["code"])
    at.text_input(key="fu_find_unit").input("物业公司")
    _submit(at, "fu_finding", "登记为整改问题")
    items = repo.rectifications(create(fu_db), month)
    hit = items.loc[items["description"] == "门禁损坏"]
    assert list(hit["site_code"]) == [sites[0]["code"]] and list(hit["county_code"]) == [county]
