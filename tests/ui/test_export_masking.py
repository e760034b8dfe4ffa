"""No full 18-digit ID number in any file the product hands out (issue 12): every export a page or a command builds
is produced from the small city — whose ledgers do hold full ID numbers (checked first) — and every part of it
(the XML inside an xlsx/docx, the text of a csv) is searched for one."""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

import pytest

from cli import scoring_main
from data import repository as repo
from data.audit_log import AuditQuery
from data.db import create
from data.rights import GapFilter
from domain.scope import CITY_SCOPE
from services import audit, circular, employment, gaps, ranking, rectifications, worklist
from tests.ui.conftest import copy_db

FULL_ID = re.compile(rb"(?<!\d)\d{17}[\dX](?!\d)")


@dataclass
class _User:
    username: str = "admin"


def _parts(data: bytes) -> list[tuple[str, bytes]]:
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return [(n, z.read(n)) for n in z.namelist()]
    return [("text", data)]


def _full_ids(data: bytes) -> list[str]:
    return [f"{name}: {m.group().decode()}" for name, part in _parts(data) for m in FULL_ID.finditer(part)]


@pytest.fixture(scope="module")
def city_copy(ui_db, tmp_path_factory):
    url = copy_db(ui_db, tmp_path_factory.mktemp("mask") / "mask.db")
    eng = create(url)
    yield url, eng
    eng.dispose()


def test_no_export_holds_a_full_id_number(city_copy, city, tmp_path):
    url, eng = city_copy
    month = city.months[-1]
    # control: the ledgers hold full ID numbers, so a missing mask anywhere would show
    held = repo.households(eng, month)["head_id"]
    assert held.astype(str).str.fullmatch(r"\d{17}[\dX]").all()
    assert _full_ids(held.head(3).str.cat(sep=",").encode())

    files: dict[str, bytes] = {}
    rk = ranking.ranking_frame(eng, month, scope=CITY_SCOPE)
    table = ranking.ranking_table(rk)
    files["ranking.xlsx"] = ranking.ranking_workbook_bytes(eng, month, table)
    files["ranking.csv"] = ranking.ranking_csv_bytes(table)
    files["gaps.csv"] = gaps.gaps_export(eng, month, GapFilter(), CITY_SCOPE)
    files["worklist.xlsx"] = worklist.worklist_xlsx(worklist.worklist(eng, month, None, CITY_SCOPE), month)
    files["zero_employment.csv"] = employment.zero_households_csv(employment.employment_view(eng, month, CITY_SCOPE))
    c = circular.circular_data(eng, month, scope=CITY_SCOPE)
    files["circular.xlsx"] = circular.draft_file(c, "xlsx")
    files["circular.docx"] = circular.draft_file(c, "docx")
    for fmt in ("xlsx", "csv"):
        files[f"rectifications.{fmt}"] = rectifications.export_items(eng, CITY_SCOPE, _User(), month, None, fmt)
        files[f"audit.{fmt}"] = audit.export_log(eng, "admin", AuditQuery(), fmt)
    # the command line's exports
    for name, argv in (("cli_worklist.xlsx", ["worklist", "--month", month]),
                       ("cli_rank.xlsx", ["rank", "--month", month]), ("cli_rank.csv", ["rank", "--month", month])):
        out = tmp_path / name
        assert scoring_main([*argv, "--out", str(out), "--database", url]) == 0
        files[name] = out.read_bytes()

    assert all(len(v) > 100 for v in files.values()), {k: len(v) for k, v in files.items()}
    # the work list and the gap list name households: their masked IDs are there
    assert re.search(r"\d{6}\*{8}[\dX]{4}", files["gaps.csv"].decode("utf-8-sig"))
    leaks = {name: found for name, data in files.items() if (found := _full_ids(data))}
    assert not leaks
