"""月度通报 page under AppTest on the small city (tests/ui/small_city.py): renders for a 市级督导 with the
flagged counties of the stored results, 印发 stores a circular that is listed for re-download, and the page is
not offered to a 县级填报员."""
from __future__ import annotations

import os
import re

import pytest
from streamlit.testing.v1 import AppTest

from components.circular import COUNTY_FORMATS
from data.db import get_engine
from domain import designation
from services import store
from tests.ui.conftest import ROOT, html_text

APP = str(ROOT / "app.py")
PAGE = "pages/circular.py"


pytestmark = pytest.mark.usefixtures("apptest_db")


def open_page(role: str = "市级督导") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180).run()
    # set the role explicitly: AppTest resends the switcher's widget value on later runs
    at.selectbox(key="demo_role").set_value(role).run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_supervisor_sees_title_totals_and_downloads(city):
    at = open_page()
    assert not at.error, [e.value for e in at.error]
    month = at.selectbox(key="_month_widget").value
    assert month == city.end_month
    html = html_text(at)
    assert f"（{month[:4]}年第{int(month[5:])}期）" in html             # the circular's title
    assert "易地搬迁后续扶持工作进展情况通报" in html and "领导小组办公室" in html
    for label in ("五好达标安置点", "就业率", "参训率", "持证率", "零就业家庭", "权益落实率", "整改问题"):
        assert label in html, label
    # every county flagged in the stored results is named with its reasons; no other county is
    counties = store.month_results(get_engine(os.environ["DATABASE_URL"]), month).county.counties
    flagged = counties[counties["flagged"]]
    assert 0 < len(flagged) and any("进度滞后" in md.value for md in at.markdown)
    for name in counties["county_name"]:
        assert (f'<div class="flagcard"><b>{name}</b>' in html) == (name in set(flagged["county_name"])), name
    # the reasons in the city's own designation, as on 总览 and in the Word file (a 自治州 is never 全市)
    whole = designation.whole(city.city_name)
    cards = re.findall(r'<div class="flagcard">.*?</div>', html)
    assert cards and not any("全市" in x for x in cards if whole != "全市")
    assert any(whole in x for x in cards) or not any("倒数第" in x for x in cards)
    labels = [b.proto.label for b in at.get("download_button")]
    assert any("Excel" in x for x in labels) and any("Word" in x for x in labels)
    assert at.number_input(key=f"circ_no_{month}").value == int(month[5:])
    counties = at.dataframe[0].value
    assert len(counties) == len(city.counties)
    links = [p.proto.label for p in at.get("page_link")]
    assert "月度通报" in links


def test_issue_lists_the_circular_for_redownload():
    at = open_page()
    # AppTest reports the switcher's proto default after a page switch
    at.selectbox(key="demo_role").set_value("市级督导")
    at.button(key="circ_issue").click().run()
    assert not at.exception and not at.error
    assert any("已印发" in s.value for s in at.success)
    issued = at.dataframe[-1].value
    assert len(issued) >= 1 and "第" in issued.iloc[0]["标题"]
    keys = [b.proto.id for b in at.get("download_button")]
    assert any("circ_re_xlsx" in k for k in keys) and any("circ_re_docx" in k for k in keys)


def test_county_operator_has_no_circular_link_or_access():
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.selectbox(key="demo_role").set_value("县级填报员").run()
    links = [p.proto.label for p in at.get("page_link")]
    assert "月度通报" not in links
    at.switch_page(PAGE).run()
    assert not at.exception
    assert any("无权" in w.value for w in at.warning)
    assert not at.get("download_button")


def test_leader_has_no_circular_link():
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.selectbox(key="demo_role").set_value("市领导").run()
    assert "月度通报" not in [p.proto.label for p in at.get("page_link")]


def _display(at, key: str = "较上月"):
    """The cells as the page prints them (the Styler's display values sent to the browser)."""
    import pyarrow as pa

    df = next(d for d in at.dataframe if key in d.value.columns)
    table = pa.ipc.open_stream(df.proto.arrow_data.styler.display_values).read_all().to_pandas()
    return table


def test_county_table_one_number_style_and_changes_in_words(city):
    """各县进展: every count with thousands separators (劳动力 as 搬迁人口), the change worded 上升/下降/持平 as a
    circular words it, never '+0.71'."""
    at = open_page()
    raw = next(d.value for d in at.dataframe if "较上月" in d.value.columns)
    shown = _display(at)
    for name in ("搬迁人口", "劳动力", "零就业家庭"):
        assert list(shown[name]) == [f"{int(v):,}" for v in raw[name]], name
    changes = list(shown["较上月"])
    assert all(c == "持平" or c == "—" or c.startswith(("上升", "下降")) for c in changes), changes
    assert not any(c.startswith(("+", "-")) for c in changes)
    # the city's sizes: 66116 labourers print as 66,116 like 126,198 people; -2.53 as 下降2.53
    assert COUNTY_FORMATS["劳动力"].format(66116) == "66,116" == COUNTY_FORMATS["搬迁人口"].format(66116)
    assert COUNTY_FORMATS["较上月"](-2.531) == "下降2.53" and COUNTY_FORMATS["较上月"](0.71) == "上升0.71"
