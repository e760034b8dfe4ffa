"""就业帮扶 and 组织建设 pages on the small city: the 零就业家庭 list equals scoring's E2 count of every site, the rates
are scoring's county figures, households whose labour rows disagree with 劳动力人数 are found (hand-made case), the
organisation gaps are counted by hand from the ledger, both services keep to the user's scope, and the pages render
under AppTest (trend axis 0–100)."""
from __future__ import annotations

import json
import os
import re

import pyarrow as pa
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from data import models as m
from data import repository as repo
from data.db import create, get_engine
from domain.organisation import PLATFORMS_REGISTRY, POSTS_REGISTRY
from domain.scope import CITY_SCOPE, OutOfScope, Scope
from services import employment, organisation
from services.results import catalogue, results
from tests.ui.conftest import ROOT, copy_db

APP = str(ROOT / "app.py")
FULL_ID = re.compile(r"\d{17}[\dX]")


def _eng():
    return get_engine(os.environ["DATABASE_URL"])


@pytest.mark.usefixtures("apptest_db")
def test_zero_employment_list_equals_e2_of_every_site(city):
    eng = _eng()
    seen_any = False
    for month in (city.months[0], city.months[-1]):
        view = employment.employment_view(eng, month, CITY_SCOPE)
        ind = results(eng, month).indicators
        e2 = ind[(ind["code"] == "E2") & (ind["status"] == "ok")].set_index("site_code")["value"]
        listed = view.zero["site_code"].value_counts()
        for site, v in e2.items():
            assert int(listed.get(site, 0)) == int(v), (month, site)
        assert set(listed.index) <= set(e2.index)
        # the site table's 零就业家庭 is the same count
        assert dict(zip(view.sites["site_code"], view.sites["零就业家庭"])) == {s: int(e2.get(s, 0))
                                                                              for s in view.sites["site_code"]}
        # each listed household has its labourers listed, none employed, IDs masked
        lab = view.zero_labour
        assert set(lab["household_code"]) <= set(view.zero["household_code"])
        assert (lab["就业"] == "否").all()
        assert not FULL_ID.search(view.zero.to_csv() + lab.to_csv())
        seen_any |= len(view.zero) > 0
    assert seen_any, "the small city has 零就业家庭 (its D sites)"


@pytest.mark.usefixtures("apptest_db")
def test_rates_are_scorings_county_figures_and_trend_is_pooled(city):
    eng = _eng()
    month = city.months[-1]
    view = employment.employment_view(eng, month, CITY_SCOPE)
    c = results(eng, month).counties.set_index("county_code")
    for row in view.counties.itertuples(index=False):
        ref = c.loc[row.county_code]
        assert row.劳动力 == ref["labour"] and row.已就业 == ref["employed"]
        assert row.就业率 == pytest.approx(ref["employment_rate"], abs=0.05)
        assert row.参训率 == pytest.approx(ref["training_rate"], abs=0.05)
        assert row.持证率 == pytest.approx(ref["certified_rate"], abs=0.05)
        assert row.零就业家庭 == ref["zero_emp"]
    last = view.trend[view.trend["月份"] == month].set_index("指标")["数值"]
    assert last["就业率"] == pytest.approx(100 * c["employed"].sum() / c["labour"].sum(), abs=0.05)
    assert view.trend["月份"].nunique() == min(12, len(city.months))
    # each rate is coloured against its own scoring indicator (floor = 0 points, target = full points)
    cat = catalogue(results(eng, month))
    for label, code in (("就业率", "E1"), ("参训率", "E3"), ("持证率", "E4"), ("车间园区就业占比", "I2")):
        ind = cat.indicator(code)
        assert view.bands[label] == (ind.floor, float(ind.targets[0])), label


@pytest.mark.usefixtures("apptest_db")
def test_scope_limits_employment_and_organisation(city):
    eng = _eng()
    month = city.months[-1]
    own, other = city.counties[0][0], city.counties[1][0]
    scope = Scope.county(own)
    mine = set(repo.sites(eng).query("county_code == @own")["site_code"])
    v = employment.employment_view(eng, month, scope)
    assert set(v.sites["site_code"]) == mine and list(v.counties["county_code"]) == [own]
    assert set(v.zero["site_code"]) <= mine
    o = organisation.organisation_view(eng, month, scope)
    assert set(o.sites["site_code"]) == mine
    for f in (employment.employment_view, organisation.organisation_view):
        with pytest.raises(OutOfScope):
            f(eng, month, scope, county=other)
    with pytest.raises(OutOfScope):
        employment.labour_mismatch(eng, month, scope, county=other)


@pytest.mark.usefixtures("apptest_db")
def test_organisation_gaps_counted_by_hand(city):
    eng = _eng()
    month = city.months[-1]
    view = organisation.organisation_view(eng, month, CITY_SCOPE)
    org = repo.organisation(eng, month)
    want = 0
    for _, o in org.iterrows():
        want += sum(not bool(o[p.key]) for p in PLATFORMS_REGISTRY)
        want += sum(int(o[f"{p.key}_actual"]) < int(o[f"{p.key}_required"]) for p in POSTS_REGISTRY)
    assert len(view.gaps) == want > 0
    short = {s: sum(max(int(o[f"{p.key}_required"]) - int(o[f"{p.key}_actual"]), 0) for p in POSTS_REGISTRY)
             for s, o in org.set_index("site_code").iterrows()}
    assert dict(zip(view.sites["site_code"], view.sites["岗位缺口"])) == short


def test_labour_rows_disagreeing_with_labour_count(ui_db, city, tmp_path):
    """A copy of the small city where one household loses a labourer row and another states 3 labourers: exactly
    those two are listed (with 劳动力人数 and the rows held), paged in the database."""
    url = copy_db(ui_db, tmp_path / "mismatch.db")
    eng = create(url)
    month = city.months[-1]
    assert employment.labour_mismatch(eng, month, CITY_SCOPE).total == 0        # the city as built agrees
    with Session(eng) as s, s.begin():
        lab = s.execute(select(m.Labourer).where(m.Labourer.valid_from <= month,
                                                 (m.Labourer.valid_to.is_(None)) | (m.Labourer.valid_to > month))
                        .order_by(m.Labourer.person_id)).scalars().first()
        lost = lab.household_code
        s.delete(lab)
        hh = s.execute(select(m.Household).where(m.Household.household_code != lost,
                                                 m.Household.valid_from <= month,
                                                 (m.Household.valid_to.is_(None)) | (m.Household.valid_to > month))
                       .order_by(m.Household.household_code.desc())).scalars().first()
        more = hh.household_code
        hh.labour_count = 3
    page = employment.labour_mismatch(eng, month, CITY_SCOPE)
    assert page.total == 2 and sorted(page.codes) == sorted([lost, more])
    got = page.rows.set_index("户编码")
    assert (got.loc[lost, "劳动力人数"], got.loc[lost, "台账劳动力"]) == (2, 1)
    assert (got.loc[more, "劳动力人数"], got.loc[more, "台账劳动力"]) == (3, 2)
    first = employment.labour_mismatch(eng, month, CITY_SCOPE, size=1)
    second = employment.labour_mismatch(eng, month, CITY_SCOPE, page=1, size=1)
    assert len(first.codes) == len(second.codes) == 1 and first.codes + second.codes == sorted([lost, more])
    assert not FULL_ID.search(page.rows.to_csv())
    eng.dispose()


@pytest.mark.usefixtures("apptest_db")
def test_pages_render(city):
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.switch_page("pages/employment.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert len(charts) == 2
    trend = next(c for c in charts if "12" in c["layout"]["title"]["text"])
    assert trend["layout"]["yaxis"]["range"] == [0, 100]
    assert trend["layout"]["xaxis"]["type"] == "category"          # Chinese month ticks, never 'Jan 2026'
    assert all(re.fullmatch(r"\d{1,2}月(<br>\d{4}年)?", x) for x in trend["data"][0]["x"])
    assert any("零就业家庭" in s.value for s in at.subheader)
    # the rate table shows its rates as rates (92.5%), its data stay numbers
    table = at.dataframe[0]
    shown = pa.ipc.open_stream(table.proto.arrow_data.styler.display_values).read_all().to_pandas()
    rates = [c for c in ("就业率", "参训率", "持证率") if c in table.value.columns]
    assert rates and all(table.value[c].dtype.kind == "f" for c in rates)
    cols = [list(table.value.columns).index(c) for c in rates]
    cells = [str(v) for i in cols for v in shown.iloc[:, i]]
    assert cells and all(re.fullmatch(r"\d{1,3}\.\d%|—", v) for v in cells), cells[:5]
    links = at.dataframe[2].value["户编码"]
    assert all(str(u).startswith("/household?") for u in links)
    at.switch_page("pages/organisation.py").run()
    assert not at.exception and not at.error
    assert any(s.value.startswith("缺口清单") for s in at.subheader)
