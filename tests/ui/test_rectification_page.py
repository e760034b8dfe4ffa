"""问题整改台账 page under AppTest on a copy of the small city (tests/ui/small_city.py: each county has one item
found in each of the last two months; the first county's earlier item was closed in the last month): overdue
rows, filters, 销号 with its validation, the month selector showing the state of that month, roles and scope
(deep link to another county's item: 超出权限, nothing of it shown)."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from data import models as m
from data.db import create
from domain.calendar import period_end
from tests.ui.conftest import ROOT, private_city, html_text
from tests.ui.small_city import SmallCity

APP = str(ROOT / "app.py")
PAGE = "pages/rectification.py"


@pytest.fixture
def rect_db(ui_db, tmp_path, monkeypatch):
    """A private copy of the small city (these tests write), Streamlit caches cleared around each test; AppTest's
    session counts as a browser on this machine (the demo's automatic sign-in is for local browsers only)."""
    yield from private_city(ui_db, tmp_path / "rect.db", monkeypatch)


def run(role: str | None = None, county: str | None = None, **query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    if role:
        at.session_state["_demo_role_value"] = role
    if county:
        at.session_state["_demo_county_value"] = county
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def table(at):
    return at.dataframe[0].value


def main_text(at) -> str:
    parts = [x.value for x in at.markdown] + [x.value for x in at.error] + [x.value for x in at.info]
    parts += [d.value.to_string() for d in at.dataframe]
    return "\n".join(str(p) for p in parts)


def code(city: SmallCity, month: str, county_index: int) -> str:
    return f"ZG-{month.replace('-', '')}-{county_index + 1}"


def submit(at, label: str):
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_overdue_rows_and_filters(rect_db, city: SmallCity):
    at = run()
    assert len(at.get("download_button")) == 2           # Excel and CSV of the filtered table
    t = table(at)
    end, prev = city.months[-1], city.months[-2]
    assert len(t) == 2 * len(city.counties)
    row = t.set_index("问题编号")
    first = code(city, prev, 0)
    assert row.loc[first, "整改状态"] == "已销号" and row.loc[first, "逾期情况"] == ""
    late = code(city, prev, 1)
    deadline = dt.date(int(prev[:4]), int(prev[5:]), 3 + 1) + dt.timedelta(days=10)   # small_city's rule
    assert row.loc[late, "逾期情况"] == f"超期{(period_end(end) - deadline).days}天"
    assert f"逾期 **{2 * len(city.counties) - 1}** 项" in main_text(at)
    at.checkbox(key="rect_f_overdue").check().run()
    assert first not in set(table(at)["问题编号"]) and len(table(at)) == 2 * len(city.counties) - 1
    at.checkbox(key="rect_f_overdue").uncheck().run()
    at.selectbox(key="rect_f_county").set_value(city.counties[2][0]).run()
    assert set(table(at)["县（市、区）"]) == {city.counties[2][1]}
    at.selectbox(key="rect_f_status").set_value("已销号").run()
    assert "没有符合条件的整改问题" in main_text(at)


def test_supervisor_closes_an_item_and_the_earlier_month_keeps_its_state(rect_db, city: SmallCity):
    end, prev = city.months[-1], city.months[-2]
    item = code(city, prev, 1)
    at = run(item=item)
    assert at.selectbox(key="rect_item").value == item
    # 销号 without a date: refused in Chinese, nothing written
    at.text_input(key="rect_close_note").input("已疏通消防通道")
    submit(at, "销号")
    assert any("销号须填写销号日期" in e.value for e in at.error)
    y, mo = int(end[:4]), int(end[5:])
    at.date_input(key="rect_close_date").set_value(dt.date(y, mo, 20))
    submit(at, "销号")
    assert not at.error, [e.value for e in at.error]
    row = table(at).set_index("问题编号")
    assert row.loc[item, "整改状态"] == "已销号" and row.loc[item, "销号日期"] == f"{end}-20"
    assert any(f"问题 {item} 已销号" in s.value for s in at.success)
    hist = at.dataframe[-1].value
    assert list(hist["记录月份"]) == [prev, end] and "整改状态：整改中→已销号" in hist["变更内容"].iloc[-1]
    assert hist["说明"].iloc[-1] == "已疏通消防通道"
    # the previous month still shows the item open and overdue
    at.selectbox(key="_month_widget").set_value(prev).run()
    row = table(at).set_index("问题编号")
    assert row.loc[item, "整改状态"] == "整改中" and row.loc[item, "逾期情况"].startswith("超期")
    with create(rect_db).connect() as c:
        audit = c.execute(select(m.AuditLog.username, m.AuditLog.detail).where(m.AuditLog.action == "整改变更")).all()
    assert len(audit) == 1 and audit[0].detail.startswith(f"销号整改问题{item}；月份 {end}")


def test_add_an_item(rect_db, city: SmallCity):
    at = run()
    county = city.counties[1][0]
    at.selectbox(key="rect_add_county").set_value(county)
    at.text_area(key="rect_add_desc").input("健身器材损坏<img src=x onerror=alert(1)>[链接](http://evil.example)")
    at.text_input(key="rect_add_unit").input("社区居委会")
    submit(at, "登记")
    assert not at.error, [e.value for e in at.error]
    new = f"ZG{county}-{city.months[-1].replace('-', '')}-001"
    assert new in set(table(at)["问题编号"]) and at.selectbox(key="rect_item").value == new
    shown = html_text(at)                    # the item's texts are shown as text, never as markup or a link
    assert "健身器材损坏&lt;img src=x onerror=alert(1)&gt;[链接](http://evil.example)" in shown
    assert "<img" not in shown and "<a " not in shown
    # a missing unit is refused, naming the field
    at.text_input(key="rect_add_unit").input("")
    submit(at, "登记")
    assert any("未填写责任单位" in e.value for e in at.error)


def test_county_operator_sees_only_own_county_by_any_link(rect_db, city: SmallCity):
    own, other = city.counties[0], city.counties[1]
    theirs = code(city, city.months[-1], 1)
    at = run("县级填报员", own[0])
    assert set(table(at)["县（市、区）"]) == {own[1]}
    assert at.selectbox(key="rect_f_county").options == [own[1]]
    assert other[1] not in main_text(at)
    at = run("县级填报员", own[0], item=theirs)
    assert any("超出权限" in e.value for e in at.error)
    assert not at.dataframe and theirs not in main_text(at).replace("超出权限", "")
    assert "rect_item" not in [s.key for s in at.selectbox]


def test_leader_views_without_forms_or_exports(rect_db, city: SmallCity):
    at = run("市领导")
    assert len(table(at)) == 2 * len(city.counties)
    labels = [b.label for b in at.button]
    assert "登记" not in labels and "销号" not in labels
    assert not at.get("download_button")
    at.selectbox(key="rect_item").set_value(code(city, city.months[-1], 0)).run()
    assert "rect_close_note" not in [t.key for t in at.text_input]
    assert len(at.dataframe[-1].value) == 1


def test_profile_items_link_to_the_ledger_and_the_link_opens_the_item(rect_db, city: SmallCity):
    month = city.months[-1]
    county, cname = city.counties[1]
    item = code(city, month, 1)
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["county"], at.query_params["month"] = county, month
    at.run()
    at.switch_page("pages/county.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    href = f'href="/rectification?month={month}&amp;item={item}" target="_self">{item}</a>'
    assert href in html_text(at), [x.value for x in at.error] + [x.value for x in at.info]
    site = [s for s in city.sites if s["county_name"] == cname][-1]["code"]
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["site"], at.query_params["month"] = site, month
    at.run()
    at.switch_page("pages/site.py")
    at.run()
    assert not at.exception and href in html_text(at)
    at = run(month=month, item=item)                       # following the link selects the item on the ledger
    assert at.selectbox(key="rect_item").value == item
    assert f"<h4 style='margin:.4rem 0 .2rem 0'>{item}" in html_text(at)      # its panel is open
