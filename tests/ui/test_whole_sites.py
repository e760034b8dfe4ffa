"""A 序时进度 is a count of sites and is shown in whole sites (⌊expected⌋, as §5 compares it) on the overview tile,
the county page and the circular alike — never "序时进度21.1个" or "0 / 3.7"."""
from __future__ import annotations

import math
import os

import pytest
from streamlit.testing.v1 import AppTest

from data.db import get_engine
from scoring.progress import whole_sites
from services import results
from services.circular import city_totals
from tests.ui.conftest import ROOT, html_text
from tests.ui.small_city import SmallCity

pytestmark = pytest.mark.usefixtures("apptest_db")


def test_whole_sites_is_the_floor():
    assert whole_sites(21.1) == 21 and whole_sites(3.7) == 3 and whole_sites(0.4) == 0
    assert whole_sites(sum([1 / 12] * 12) * 21) == 21       # a float sum of twelfths just below 21 is 21


def run(page: str, **query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_tile_county_page_and_circular_show_whole_sites(city: SmallCity):
    month = city.months[-3]
    eng = get_engine(os.environ["DATABASE_URL"])
    r = results.results(eng, month)
    counties = r.counties.set_index("county_code")
    fractional = [c for c in counties.index if counties.loc[c, "expected"] != math.floor(counties.loc[c, "expected"])]
    assert fractional, "the small city has a county whose 序时进度 is not a whole number in this month"
    county = fractional[0]
    row = counties.loc[county]
    at = run("pages/county.py", month=month, county=county)
    text = html_text(at)
    assert f'{int(row["qualified"])}<small> / {math.floor(row["expected"])}个</small>' in text
    assert f'/ {row["expected"]:.1f}' not in text and f'序时进度{row["expected"]:.1f}' not in text

    city_expected = float(r.counties["expected"].sum())
    whole = math.floor(city_expected + 1e-9)
    at = run("app.py", month=month)
    assert f"序时进度{whole}个" in html_text(at)
    assert f"序时进度{city_expected:.1f}个" not in html_text(at)
    assert f"序时进度{whole}个" in city_totals(eng, r, month)["五好达标安置点"]


def test_screens_name_the_city_by_its_designation(city: SmallCity):
    """The small city is a 自治州: its screens say 全州 (flag cards of the overview, the map and the county page,
    the county's rank, the ranking's 排名方式), never 全市; role names stay as declared (市级督导)."""
    assert city.city_name.endswith("自治州")
    month = city.end_month
    eng = get_engine(os.environ["DATABASE_URL"])
    r = results.results(eng, month)
    flagged = r.counties[r.counties["flagged"].astype(bool)]
    assert len(flagged), "the small city has a lagging county"
    county = flagged["county_code"].iloc[0]
    pages = {"app.py": {}, "pages/map.py": {}, "pages/county.py": {"county": county}}
    for page, q in pages.items():
        at = run(page, month=month, **q)
        text = html_text(at)
        assert "全市" not in text, (page, [t for t in text.split("<") if "全市" in t][:3])
        assert "flagcard" in text, page
    assert "县均得分全州第" in text                             # the county page's rank line
    at = run("pages/ranking.py", month=month)
    assert "全州排名" in at.radio(key="rank_view").options
