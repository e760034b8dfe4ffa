"""Sign-in in real headless Chromium against `streamlit run app.py` on a non-demo database: before sign-in every
page path shows the sign-in form and nothing else; a sign-in survives a reload and a deep link opened in a second
tab of the same browser (the signed session cookie); sign-out ends it (a reload shows the form again, and the old
token is refused). Waits are on page conditions, never pauses."""
from __future__ import annotations

import pytest

from tests.ui.conftest import start_server, wait_done

PAGES = ["/", "/wall", "/ranking", "/map", "/site", "/county", "/circular", "/gaps", "/rights", "/household",
         "/upload", "/accounts", "/followup",
         "/audit", "/site?site=NOPE", "/?county=X&month=2026-01"]
FORM_INPUTS = "[data-testid='stTextInput'] input"


@pytest.fixture(scope="module")
def server(login_db, tmp_path_factory):
    srv = start_server(login_db, "auth", tmp_path_factory)
    yield srv
    srv.stop()


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport={"width": 1366, "height": 768})
    yield ctx
    ctx.close()


def wait_sign_in_form(page) -> None:
    page.locator("[data-testid='stBaseButton-primaryFormSubmit']", has_text="登录").wait_for(timeout=90_000)
    page.wait_for_function("() => !document.querySelector(\"[data-testid='stPageLink']\") && "
                           "document.querySelectorAll(\"[data-testid='stTextInput'] label\").length === 2",
                           timeout=30_000, polling=50)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=90_000)


def only_sign_in_form(page) -> None:
    labels = page.locator("[data-testid='stTextInput'] label").all_inner_texts()
    assert labels == ["用户名", "密码"], labels
    for sel in ("stPageLink", "stPlotlyChart", "stDataFrame", "stDeckGlJsonChart", "stSidebar", "stSelectbox",
                "stMetric", "stDownloadButton", "stFileUploader"):
        assert page.locator(f"[data-testid='{sel}']").count() == 0, sel
    assert "演示数据" not in page.inner_text("body")


def wait_signed_in(page) -> None:
    page.locator("[data-testid='stSidebar'] [data-testid='stPageLink']").first.wait_for(timeout=90_000)
    wait_done(page)
    assert page.locator("[data-testid='stForm'] >> text=登录").count() == 0


def sign_in(page, user="supervisor", password="督导2026") -> None:
    inputs = page.locator(FORM_INPUTS)
    inputs.nth(0).fill(user)
    inputs.nth(1).fill(password)
    page.locator("[data-testid='stBaseButton-primaryFormSubmit']").click()


@pytest.mark.parametrize("path", PAGES)
def test_every_page_shows_only_the_sign_in_form(server, context, path):
    page = context.new_page()
    page.goto(server.base + path)
    wait_sign_in_form(page)
    only_sign_in_form(page)


def test_sign_in_survives_reload_and_deep_link_in_second_tab_and_sign_out_ends_it(server, context):
    page = context.new_page()
    page.goto(server.base + "/ranking")
    wait_sign_in_form(page)
    sign_in(page)
    wait_signed_in(page)
    page.wait_for_function("() => document.cookie.includes('ydbq_session=')", timeout=30_000, polling=50)
    token = next(c["value"] for c in context.cookies() if c["name"] == "ydbq_session")
    assert token.count(".") == 2

    page.reload()
    wait_signed_in(page)
    assert "当前用户：" in page.inner_text("[data-testid='stSidebar']")

    second = context.new_page()
    second.goto(server.base + "/county?county=NOPE")
    wait_signed_in(second)
    assert "退出登录" in second.inner_text("[data-testid='stSidebar']")

    page.locator("[data-testid='stSidebar'] button", has_text="退出登录").click()
    # without a reload by the test: the page itself drops the cookie and shows the form as a fresh visit does
    page.wait_for_url("**signed_out=1**", timeout=30_000)
    wait_sign_in_form(page)
    page.wait_for_function("() => !document.cookie.includes('ydbq_session=')", timeout=30_000, polling=50)
    only_sign_in_form(page)
    page.get_by_text("已退出登录。").wait_for(timeout=30_000)
    page.reload()
    wait_sign_in_form(page)
    only_sign_in_form(page)

    # the second tab's session is ended too: its next visit (the old cookie replayed) shows the form
    other = context.browser.new_context()
    other.add_cookies([{"name": "ydbq_session", "value": token, "url": server.base}])
    p3 = other.new_page()
    p3.goto(server.base + "/ranking")
    wait_sign_in_form(p3)
    only_sign_in_form(p3)
    other.close()
    second.reload()
    wait_sign_in_form(second)


def test_wrong_password_message_and_no_cookie(server, context):
    page = context.new_page()
    page.goto(server.base + "/")
    wait_sign_in_form(page)
    sign_in(page, "op_test", "错误的密码")
    page.locator("[data-testid='stAlertContentError']").wait_for(timeout=30_000)
    assert "不正确" in page.inner_text("[data-testid='stAlertContentError']")
    assert not [c for c in context.cookies() if c["name"] == "ydbq_session"]
    sign_in(page, "op_test", "填报2026")
    wait_signed_in(page)
