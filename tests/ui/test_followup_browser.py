"""跟进落实 page in real headless Chromium (`streamlit run app.py`, non-demo copy of the small city with the
September circular issued, so the counties it suggested for 约谈 have 待约谈 cases): a 市级督导 records an interview
in the browser and the case shows 已约谈 (stored, audited); a county operator sees only their own county's cases and
meetings, and a link naming another county shows the scope message and nothing of it. Waits are expect() and page
conditions, never pauses."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from data import models as m
from data.db import create
from domain.scope import OUT_OF_SCOPE
from services import circular as circ
from tests.ui.conftest import copy_db, start_server, wait_done
from tests.ui.small_city import SmallCity

SIGNED_IN = "[data-testid='stSidebar'] [data-testid='stPageLink']"
FORM_OR_APP = f"{SIGNED_IN}, [data-testid='stTextInput']"


@pytest.fixture(scope="module")
def fu_db(login_db, city: SmallCity, tmp_path_factory):
    """A copy of the non-demo small city with the month before the last issued (its 约谈 cases opened)."""
    url = copy_db(login_db, tmp_path_factory.mktemp("ui_fu") / "fu.db")
    eng = create(url)
    circ.issue(eng, city.months[-2], "supervisor")
    with Session(eng) as s:
        cases = s.execute(select(m.InterviewCase.county_code)).scalars().all()
    eng.dispose()
    assert cases, "the small city's September circular suggests 约谈 for its lagging counties"
    return url, cases


@pytest.fixture(scope="module")
def server(fu_db, tmp_path_factory):
    srv = start_server(fu_db[0], "followup", tmp_path_factory)
    yield srv
    srv.stop()


def open_as(browser, server, path: str, user: str, password: str):
    ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    page = ctx.new_page()
    page.goto(server.base + path)
    page.wait_for_selector(FORM_OR_APP, timeout=90_000)
    if page.locator(SIGNED_IN).count() == 0:
        page.get_by_label("用户名").fill(user)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_selector(SIGNED_IN, timeout=90_000)
    wait_done(page)
    return ctx, page


def main_text(page) -> str:
    """Everything the page holds, hidden tabs included."""
    return page.locator("[data-testid='stMain']").text_content()


def test_supervisor_records_an_interview(browser, server, fu_db, city: SmallCity, artifacts):
    ctx, page = open_as(browser, server, "/followup", "supervisor", "督导2026")
    try:
        table = page.locator("[data-testid='stTable']").first
        expect(table).to_contain_text("待约谈（逾期未约谈）", timeout=60_000)
        before = table.inner_text().count("已约谈")
        page.get_by_label("约谈对象（单位、姓名、职务）").fill("县民政局 王局长")
        page.get_by_label("约谈记录（简要）").fill("通报滞后原因，要求限期整改")
        page.get_by_role("button", name="保存约谈记录").click()
        expect(page.get_by_text("已记录约谈")).to_be_visible(timeout=60_000)
        wait_done(page)
        table = page.locator("[data-testid='stTable']").first
        expect(table).to_contain_text("县民政局 王局长")
        assert table.inner_text().count("已约谈") == before + 1
        page.screenshot(path=str(artifacts / "followup_interview.png"), full_page=True)
        # the month's circular reports it (preview on the 月度通报 page)
        page.get_by_role("link", name="月度通报").click()
        main = page.locator("[data-testid='stMain']")
        expect(main).to_contain_text("约谈案件落实情况", timeout=90_000)
        expect(main).to_contain_text("月通报建议约谈", timeout=60_000)
        assert "已于" in main.inner_text()                  # the paragraph names the interview held
        assert "县民政局 王局长" in main.locator("[data-testid='stTable']").first.inner_text()
    finally:
        ctx.close()
    eng = create(fu_db[0])
    with eng.connect() as conn:
        rec = conn.execute(select(m.InterviewRecord.interviewee, m.InterviewRecord.recorded_by)).all()
        audit = conn.execute(select(m.AuditLog.detail).where(m.AuditLog.action == "跟进记录",
                                                             m.AuditLog.username == "supervisor")).scalars().all()
    eng.dispose()
    assert [tuple(r) for r in rec] == [("县民政局 王局长", "supervisor")]
    assert any(d.startswith("记录约谈（已约谈）") for d in audit)


def test_county_operator_sees_own_county_only(browser, server, fu_db, city: SmallCity):
    own = city.counties[0]
    others = [n for c, n in city.counties if c != own[0]]
    ctx, page = open_as(browser, server, "/followup", "op_test", "填报2026")
    try:
        seen = main_text(page)
        for tab in ("定期调度", "每月清单"):          # a tab's table is drawn when the tab is shown
            page.get_by_role("tab", name=tab).click()
            panel = page.locator("[role='tabpanel']:visible")
            expect(panel.locator("[data-testid='stTable']")).to_contain_text(own[1])
            seen += panel.inner_text()
        assert not [n for n in others if n in seen], seen[:600]
        assert "保存约谈记录" not in seen and "约谈对象" not in seen   # interviews: 市级督导 / 管理员 only
        for code, _ in city.counties[1:]:
            page.goto(f"{server.base}/followup?county={code}")
            wait_done(page)
            expect(page.locator("[data-testid='stMain']")).to_contain_text(OUT_OF_SCOPE)
            assert not [n for n in others if n in main_text(page)]
            assert page.locator("[data-testid='stTable']").count() == 0
    finally:
        ctx.close()


def test_supervisor_adds_a_visit_and_an_item_from_its_finding(browser, server, fu_db):
    ctx, page = open_as(browser, server, "/followup", "supervisor", "督导2026")
    try:
        page.get_by_role("tab", name="督导督查").click()
        panel = page.locator("[role='tabpanel']:visible")
        panel.get_by_text("新增督导督查记录").click()
        panel.get_by_label("督导事项").fill("10月专项督导")
        panel.get_by_label("发现的问题（每行一条）").fill("1. 楼道堆放杂物\n2. 公示栏未更新")
        panel.get_by_role("button", name="保存").click()
        expect(page.get_by_text("已保存督导督查记录：10月专项督导")).to_be_visible(timeout=60_000)
        wait_done(page)
        page.get_by_role("tab", name="督导督查").click()
        panel = page.locator("[role='tabpanel']:visible")
        expect(panel.locator("[data-testid='stTable']")).to_contain_text("公示栏未更新")
        panel.get_by_text("由发现的问题登记整改").click()
        panel.get_by_label("责任单位").fill("社区居委会")
        panel.get_by_role("button", name="登记为整改问题").click()
        expect(page.get_by_text("已登记整改问题")).to_be_visible(timeout=60_000)
    finally:
        ctx.close()
    eng = create(fu_db[0])
    with eng.connect() as conn:
        items = conn.execute(select(m.Rectification.description, m.Rectification.source, m.Rectification.status,
                                    m.Rectification.recorded_by)
                             .where(m.Rectification.description == "楼道堆放杂物")).all()
    eng.dispose()
    assert [tuple(i) for i in items] == [("楼道堆放杂物", "督导督查", "未整改", "supervisor")]


def test_issuing_on_the_circular_page_names_the_cases_it_opens(browser, server, fu_db, city: SmallCity):
    ctx, page = open_as(browser, server, "/circular", "supervisor", "督导2026")
    try:
        page.get_by_role("button", name="印发本期通报").click()
        page.get_by_role("button", name="确认印发").click()
        expect(page.get_by_text("已生成约谈案件")).to_be_visible(timeout=120_000)
    finally:
        ctx.close()
    eng = create(fu_db[0])
    with eng.connect() as conn:
        months = conn.execute(select(m.InterviewCase.month).where(m.InterviewCase.month == city.end_month)).all()
    eng.dispose()
    assert months
