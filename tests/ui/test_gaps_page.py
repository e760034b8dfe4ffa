"""权益缺口 page (issue 13): the list is shown a page at a time from the database; the pager walks the same rows as
the whole list, a filter narrows the rows and the totals together, and a county user's page holds their county only.
Expected rows come from services.gaps.rights_gaps (itself tested against scoring.gap_list), never from figures."""
from __future__ import annotations

import os
import re

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from data.db import get_engine
from domain.scope import Scope
from components import gaps as gaps_view
from services import gaps as gaps_svc
from tests.ui.conftest import ROOT, html_text
from tests.ui.small_city import SmallCity

APP = str(ROOT / "app.py")
pytestmark = pytest.mark.usefixtures("apptest_db")


def _gaps_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.switch_page("pages/gaps.py").run()
    assert not at.exception and not at.error
    return at


def _codes(df) -> list[tuple[str, str]]:
    hh = [re.search(r"household=([^&#]+)", u).group(1) for u in df["户编码"]]
    return list(zip(hh, df["事项编码"]))


def test_pages_and_filters(city: SmallCity, monkeypatch):
    eng = get_engine(os.environ["DATABASE_URL"])
    full = gaps_svc.rights_gaps(eng, city.end_month, scope=Scope.city())
    assert len(full) > 25
    monkeypatch.setattr(gaps_svc, "PAGE_SIZE", 10)
    at = _gaps_page()
    pages = -(-len(full) // 10)
    pager = at.number_input[0]
    assert f"共 {pages} 页" in pager.label
    assert _codes(at.dataframe[0].value) == list(zip(full["户编码"], full["事项编码"]))[:10]
    pager.set_value(3).run()
    assert _codes(at.dataframe[0].value) == list(zip(full["户编码"], full["事项编码"]))[20:30]
    assert f"缺口 <b>{len(full):,}</b> 项" in html_text(at)
    # a filter: the rows and the totals both narrow, and the list starts again at its first page
    at.selectbox(key="gap_status").set_value("未核实").run()
    blank = full[full["状态"] == "未核实（漏项）"]
    assert len(blank) > 0
    df = at.dataframe[0].value
    assert set(df["状态"]) == {"未核实（漏项）"}
    assert _codes(df) == list(zip(blank["户编码"], blank["事项编码"]))[:10]
    assert f"缺口 <b>{len(blank):,}</b> 项" in html_text(at)
    assert f"漏项未核实 {len(blank):,} 项" in html_text(at)


def test_table_key_columns_first_and_tall(city: SmallCity, monkeypatch):
    """The columns an official reads first lead the table; the table is as high as its rows up to 25 rows (not a
    fixed 14-row box), so a full page fills a tall window."""
    heights = {}
    real = st.dataframe

    def spy(data=None, *args, **kwargs):
        heights[kwargs.get("key")] = kwargs.get("height")
        return real(data, *args, **kwargs)

    monkeypatch.setattr(st, "dataframe", spy)
    at = _gaps_page()
    df = at.dataframe[0].value
    assert list(df.columns[:6]) == ["户编码", "户主", "安置点", "事项", "状态", "责任方"]
    assert heights["gaps_table"] == gaps_view.table_height(len(df)) == (min(len(df), 25) + 1) * 35 + 3
    assert gaps_view.table_height(200) == 26 * 35 + 3 and gaps_view.table_height(3) == 4 * 35 + 3


def test_counts_thousands_separators():
    at = AppTest.from_function(_summary_script).run()
    text = html_text(at)
    assert "共 <b>12,345</b> 户" in text and "缺口 <b>23,456</b> 项" in text and "未落实 1,234 项" in text


def _summary_script():
    from components import gaps
    from data.rights import GapCounts
    gaps.summary(GapCounts(households=12345, gaps=23456, open=1234, blank=22222,
                           by_side={"迁入地": 20000, "迁出地": 3456}))
