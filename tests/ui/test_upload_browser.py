"""A county operator's monthly upload, end to end in headless Chromium against `streamlit run app.py` on a copy of
the small city: the uploader speaks Chinese, a workbook with one bad cell is refused with the sheet,
row, column and reason named, the database is unchanged and the error-marked copy downloads with that cell
marked; the corrected workbook then imports and its rows are in the database."""
from __future__ import annotations

import openpyxl
import pytest
from sqlalchemy import text

from data.db import get_engine
from tests.data.fixtures_workbooks import build_xlsx, db_fingerprint, good_tables, with_changes
from tests.ui.conftest import copy_db, start_server, wait_done
from tests.ui.small_city import END_MONTH

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONTH = END_MONTH                     # the month the upload page offers first: the latest with data


@pytest.fixture(scope="module")
def upload_db(ui_db, tmp_path_factory) -> str:
    """A copy of the small city's database: this module writes to it."""
    return copy_db(ui_db, tmp_path_factory.mktemp("ui_upload") / "upload.db")


@pytest.fixture(scope="module")
def server(upload_db, tmp_path_factory):
    srv = start_server(upload_db, "upload", tmp_path_factory)
    yield srv
    srv.stop()


def ledger(county: str, family_size) -> bytes:
    """The fixture ledger (two sites, four households) placed in `county`, with household 2's 家庭人口 set."""
    recs = with_changes({"搬迁户": {1: {"family_size": family_size}}})
    for sheet in ("安置点", "问题整改", "跟进记录"):
        for r in recs[sheet]:
            r["county"] = county
    for r in recs["月度指标"]:
        r["month"] = MONTH
    return build_xlsx(good_tables(recs))


def as_operator(page, base: str) -> str:
    """Open the import page as the demo's 县级填报员; returns the county the role is bound to."""
    page.goto(base + "/upload")
    wait_done(page)
    page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").filter(has_text="演示角色").click()
    page.get_by_role("option", name="县级填报员").click()
    page.locator("[data-testid='stFileUploaderDropzone']").wait_for(timeout=60_000)
    wait_done(page)
    county = page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").filter(
        has_text="所属县").locator("input").input_value()
    return county


def upload(page, data: bytes, name: str) -> None:
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
        {"name": name, "mimeType": XLSX, "buffer": data})
    page.get_by_role("button", name="校验并导入").click()
    wait_done(page)


def test_operator_upload_bad_then_good(server, upload_db, city, browser, artifacts, tmp_path):
    ctx = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True)
    page = ctx.new_page()
    county = as_operator(page, server.base)
    assert county in {name for _, name in city.counties}

    # the uploader's own texts are Chinese
    after = page.evaluate("""() => [...document.querySelectorAll(
        "[data-testid=stFileUploaderDropzone] button p, [data-testid=stFileUploaderDropzoneInstructions] span")]
        .map(e => getComputedStyle(e, '::after').content)""")
    assert after == ['"选择文件"', '"或将文件拖放到此处（单个文件不超过50MB，仅限 .xlsx）"'], after

    eng = get_engine(upload_db)
    before = db_fingerprint(eng)

    # one bad cell: refused, named, nothing written
    upload(page, ledger(county, "三口人"), "台账_有错.xlsx")
    alert = page.locator("[data-testid='stAlertContentError']")
    alert.first.wait_for(timeout=60_000)
    assert "校验未通过：共1处错误，未导入任何数据" in alert.first.inner_text()
    assert page.locator("[data-testid='stException']").count() == 0
    assert db_fingerprint(eng) == before
    page.screenshot(path=str(artifacts / "upload_rejected.png"), full_page=True)

    with page.expect_download(timeout=60_000) as dl:
        page.get_by_role("button", name="下载标注错误的副本").click()
    path = tmp_path / "marked.xlsx"
    dl.value.save_as(path)
    assert dl.value.suggested_filename == "标注错误_台账_有错.xlsx"
    ws = openpyxl.load_workbook(path)["搬迁户"]
    header_row = next(r for r in ws.iter_rows(min_row=1, max_row=5) if any(c.value == "家庭人口*" for c in r))
    col = next(c.column for c in header_row if c.value == "家庭人口*")
    bad = ws.cell(row=3, column=col)
    assert bad.value == "三口人"
    assert bad.comment is not None and "不是有效的数字" in bad.comment.text

    # corrected: the operator removes the refused file (its result goes with it) and uploads the corrected one
    page.locator("[data-testid='stFileChipDeleteBtn'] button").first.click()
    wait_done(page)
    page.locator("[data-testid='stAlertContentError']").first.wait_for(state="detached", timeout=30_000)
    upload(page, ledger(county, 3), "台账_已改.xlsx")
    ok = page.locator("[data-testid='stAlertContentSuccess']")
    try:
        ok.first.wait_for(timeout=60_000)
    finally:
        page.screenshot(path=str(artifacts / "upload_imported.png"), full_page=True)
    assert f"导入成功（{int(MONTH[:4])}年{int(MONTH[5:])}月）" in ok.first.inner_text()
    with eng.connect() as conn:
        held = "valid_from <= :m and (valid_to is null or valid_to > :m)"     # the versions holding in MONTH
        n = conn.execute(text(f"select count(*) from households where {held} and household_code in "
                              "('H001', 'H002', 'H003', 'H004')"), {"m": MONTH}).scalar_one()
        size = conn.execute(text(f"select family_size from households where {held} and household_code = 'H002'"),
                            {"m": MONTH}).scalar_one()
    assert (n, size) == (4, 3)
    page.screenshot(path=str(artifacts / "upload_imported.png"), full_page=True)
    ctx.close()
    eng.dispose()
