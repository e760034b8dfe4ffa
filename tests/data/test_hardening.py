"""Hardening of the upload path: limits checked before parsing (zip bombs, millions of cells) with memory
bounded, the error-marked copy built in linear time (streaming for large files), messages capped and IDs masked,
invisible characters refused, originals kept for successful imports only and purged after a period."""
from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import openpyxl
import pytest

from data.workbook import ImportUser, import_workbook, marked
from data.workbook.limits import Limits
from data.workbook.reader import FileRejected, check_container
from tests.data import hostile as H
from tests.data.fixtures_workbooks import (MONTH, bad_check_id, build_xlsx, good_tables, good_workbook,
                                          seed_counties, with_changes)

ROOT = Path(__file__).resolve().parents[2]
ADMIN = ImportUser("admin", "管理员")


# ---- limits before parsing ----

def test_zip_bomb_declared_honestly_is_refused_without_decompressing():
    data = H.zip_bomb()  # ~4 MB that unzips to ~4 GB
    assert len(data) < 5 * 1024 * 1024 and H.declared_size(data) > 4_000_000_000
    with pytest.raises(FileRejected) as e:
        check_container(data)
    assert "压缩比" in e.value.reason and "已拒绝" in e.value.reason
    with pytest.raises(FileRejected) as e:  # the ratio allowed: the total declared size still refuses it
        check_container(data, limits=Limits(max_ratio=1e9))
    assert "解压后共 3.9 GB" in e.value.reason and "超过上限" in e.value.reason


def test_zip_bomb_with_lying_sizes_stops_at_the_declared_size():
    data = H.zip_bomb(declared_mib=40)  # declares 40 MB, holds ~4 GB
    with pytest.raises(FileRejected) as e:  # stopped within its first megabytes: it inflates far too well
        check_container(data)
    assert "解压时的压缩比超过" in e.value.reason
    with pytest.raises(FileRejected) as e:  # the ratio allowed: stopped at the size it declared
        check_container(data, limits=Limits(max_ratio=1e9))
    assert "实际内容大于其声明的大小" in e.value.reason


@pytest.mark.parametrize("refs", [False, True])
def test_twenty_million_cells_are_refused(refs):
    data = H.many_cells(20_000_000, refs=refs)
    assert len(data) < 3 * 1024 * 1024
    with pytest.raises(FileRejected) as e:  # with defaults: the compression ratio alone gives it away
        check_container(data)
    assert "压缩比" in e.value.reason
    with pytest.raises(FileRejected) as e:  # the ratio allowed: the cells are counted while streaming
        check_container(data, limits=Limits(max_ratio=1e9))
    assert ("单元格" in e.value.reason or "行号或单元格重复" in e.value.reason) and "搬迁户" in e.value.reason


@pytest.mark.parametrize("kind,expected", [
    (dict(), "第 1,048,576 行"), (dict(inconsistent=True), "A1048576 单元格有内容"),
    (dict(row=5, col="XFD"), "XFD5 单元格有内容，超过上限 100 列"),
])
def test_a_value_far_away_is_refused(kind, expected):
    with pytest.raises(FileRejected) as e:
        check_container(H.far_cell(**kind))
    assert expected in e.value.reason


def test_limits_are_configurable(monkeypatch):
    data = good_workbook()
    check_container(data, limits=Limits())
    with pytest.raises(FileRejected) as e:
        check_container(data, limits=Limits(max_rows=3))
    assert "超过上限 3 行" in e.value.reason
    monkeypatch.setenv("LEDGER_MAX_ROWS", "3")
    monkeypatch.setenv("LEDGER_MAX_RATIO", "50")
    limits = Limits.from_env()
    assert limits.max_rows == 3 and limits.max_ratio == 50 and limits.max_cells == Limits().max_cells
    monkeypatch.setenv("LEDGER_MAX_ROWS", "not a number")
    assert Limits.from_env().max_rows == Limits().max_rows


def test_a_refused_file_is_recorded_and_gets_no_marked_copy(sqlite_engine):
    res = import_workbook(sqlite_engine, H.zip_bomb(), "炸弹.xlsx", MONTH, ADMIN)
    assert not res.ok and "压缩比" in res.errors[0].reason
    assert res.marked_copy is None  # never expanded by openpyxl either


_MEASURE = textwrap.dedent("""
    import os, resource, sys
    sys.path.insert(0, {root!r})
    from data.db import create
    from data.workbook import ImportUser, import_workbook
    from data.workbook.limits import Limits
    from tests.data import hostile as H
    data = {make}
    engine = create("sqlite:///" + {db!r})
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    res = import_workbook(engine, data, "x.xlsx", "2026-09", ImportUser("admin", "管理员"))
    marked = res.marked_copy
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(int(res.ok), (after - before) // 1024, res.errors[0].reason if res.errors else "")
""")


@pytest.mark.parametrize("make", [
    "H.zip_bomb()", "H.zip_bomb(declared_mib=200)", "H.many_cells(20_000_000)",
    "H.many_cells(20_000_000, refs=True)",
])
def test_hostile_files_keep_memory_bounded(make, tmp_path, monkeypatch):
    """The whole import (and its marked copy) in a fresh process: peak RSS growth well under 300 MB."""
    monkeypatch.setenv("LEDGER_MAX_RATIO", "1000000")  # let the content checks, not the ratio, refuse them
    code = _MEASURE.format(root=str(ROOT), make=make, db=str(tmp_path / "m.db"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    ok, growth, reason = out.stdout.strip().split(" ", 2)
    assert ok == "0" and reason, out.stdout
    assert int(growth) < 300, f"peak RSS grew by {growth} MB: {reason}"


# ---- the error-marked copy ----

def _bad_workbook() -> bytes:
    return build_xlsx(good_tables(with_changes({"搬迁户": {2: {"head_id": bad_check_id(3)}, 0: {"labour_count": 3}},
                                                "安置点": {0: {"site_type": "城市"}}})))


def test_streaming_marked_copy_marks_cells_and_lists_every_message(engine, monkeypatch):
    monkeypatch.setattr(marked, "SMALL_XML", 0)  # force the path large files take
    seed_counties(engine)
    res = import_workbook(engine, _bad_workbook(), "坏.xlsx", MONTH, ADMIN)
    assert not res.ok
    wb = openpyxl.load_workbook(io.BytesIO(res.marked_copy))
    assert wb.sheetnames[0] == "错误清单" and wb.active.title == "错误清单"
    assert wb["搬迁户"]["D4"].fill.fgColor.rgb.endswith("FFC7CE")
    assert wb["搬迁户"]["D4"].value == bad_check_id(3)  # the cell keeps its value
    assert wb["安置点"]["E2"].fill.fgColor.rgb.endswith("FFC7CE")
    assert wb["搬迁户"]["F2"].fill.fgColor.rgb.endswith("FFEB9C")  # a warning
    assert not wb["搬迁户"]["D3"].fill.fgColor.rgb.endswith("FFC7CE")
    listing = [[c.value for c in row][:6] for row in wb["错误清单"].iter_rows(min_row=2)]
    assert len(listing) == len(res.messages)
    assert "未添加批注" in wb["错误清单"]["H1"].value
    # importable again once fixed: its 错误清单 sheet is ignored, and marking it again replaces that sheet
    res2 = import_workbook(engine, res.marked_copy, "坏.错误标注.xlsx", MONTH, ADMIN)
    assert not res2.ok and len(res2.errors) == len(res.errors)
    wb2 = openpyxl.load_workbook(io.BytesIO(res2.marked_copy))
    assert wb2.sheetnames.count("错误清单") == 1


def test_marked_copy_marks_a_missing_cell(sqlite_engine, monkeypatch):
    monkeypatch.setattr(marked, "SMALL_XML", 0)
    seed_counties(sqlite_engine)
    data = build_xlsx(good_tables(with_changes({"搬迁户": {1: {"head_name": None}}})))
    res = import_workbook(sqlite_engine, data, "空.xlsx", MONTH, ADMIN)
    assert not res.ok
    wb = openpyxl.load_workbook(io.BytesIO(res.marked_copy))
    cell = wb["搬迁户"]["C3"]
    assert cell.value is None and cell.fill.fgColor.rgb.endswith("FFC7CE")


# ---- messages: IDs masked, capped listing ----

def test_id_numbers_masked_in_messages_stored_records_and_cli(sqlite_engine, tmp_path):
    from sqlalchemy.orm import Session

    from data import models as m
    from data.workbook.messages import mask_ids, msg
    seed_counties(sqlite_engine)
    bad = bad_check_id(3)
    data = build_xlsx(good_tables(with_changes({"搬迁户": {2: {"head_id": bad}}})))
    res = import_workbook(sqlite_engine, data, "坏.xlsx", MONTH, ADMIN)
    assert not res.ok
    shown = [x for x in res.errors if x.column and "身份证" in x.column]
    assert shown and all(bad not in (x.value or "") and bad not in x.reason for x in shown)
    assert shown[0].value == bad[:6] + "*" * 8 + bad[-4:]
    with Session(sqlite_engine) as s:
        stored = s.get(m.ImportRecord, res.import_id).messages_json
    assert bad not in stored and bad[:6] + "********" + bad[-4:] in stored
    assert bad not in str(res.errors[0]) and bad not in (res.summary() or "")
    # mistyped lengths too; phone numbers and codes with letters untouched
    assert mask_ids("52230119850101003X 与 13812345678、H00001234567890123") == \
        "522301********003X 与 13812345678、H00001234567890123"
    assert msg("劳动力", 2, "身份证号", 522301198501010035, "x").value == "522301********0035"
    # the command line prints the same masked messages
    path = tmp_path / "坏.xlsx"
    path.write_bytes(data)
    env = dict(os.environ, DATABASE_URL=str(sqlite_engine.url))
    out = subprocess.run([sys.executable, "-m", "data", "import", str(path), "--month", MONTH], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=300)
    assert "校验位" in out.stdout and bad not in out.stdout + out.stderr


def test_listing_is_capped_but_everything_counted(monkeypatch):
    from data.workbook.messages import WARNING, listed, msg
    messages = [msg("搬迁户", i, "户编码", f"H{i}", "重复") for i in range(2, 2502)] + \
        [msg("搬迁户", 3, "x", None, "奇怪", WARNING)]
    out = listed(messages, 1000)
    assert len(out) == 1001 and out[:1000] == messages[:1000]
    assert "共2501条问题" in out[-1].reason and "另有1500个错误、1条警告" in out[-1].reason
    monkeypatch.setenv("LEDGER_MAX_LISTED_MESSAGES", "10")
    assert len(listed(messages)) == 11
    assert listed(messages[:5]) == messages[:5]


# ---- invisible and direction-control characters ----

@pytest.mark.parametrize("char", ["\u200b", "\u200d", "\ufeff", "\u202e", "\u2066"])
def test_invisible_characters_refused_in_codes_and_names(sqlite_engine, char):
    seed_counties(sqlite_engine)
    data = build_xlsx(good_tables(with_changes({"搬迁户": {1: {"household_code": "H00" + char + "2"}},
                                                "安置点": {0: {"name": "幸福" + char + "社区"}}})))
    res = import_workbook(sqlite_engine, data, "隐形.xlsx", MONTH, ADMIN)
    assert not res.ok
    hits = {(x.sheet, x.row, x.column) for x in res.errors if f"U+{ord(char):04X}" in x.reason}
    assert ("搬迁户", 3, "户编码*") in hits and ("安置点", 2, "安置点名称*") in hits
    x = next(x for x in res.errors if x.sheet == "搬迁户" and "不可见" in x.reason)
    assert f"<U+{ord(char):04X}>" in x.value and x.col_index == 0


def test_free_text_may_hold_line_breaks(sqlite_engine):
    seed_counties(sqlite_engine)
    recs = with_changes({"问题整改": {0: {"description": "第一行\n第二行"}}})
    res = import_workbook(sqlite_engine, build_xlsx(good_tables(recs)), "文本.xlsx", MONTH, ADMIN)
    assert res.ok, [str(x) for x in res.errors]


# ---- originals kept for successful imports only ----

def test_only_successful_imports_keep_their_file(sqlite_engine):
    from sqlalchemy.orm import Session

    from data import models as m
    seed_counties(sqlite_engine)
    good = good_workbook()
    failed = import_workbook(sqlite_engine, _bad_workbook(), "坏.xlsx", MONTH, ADMIN)
    done = import_workbook(sqlite_engine, good, "好.xlsx", MONTH, ADMIN)
    again = import_workbook(sqlite_engine, good, "好.xlsx", MONTH, ADMIN)
    assert (failed.ok, done.result, again.result) == (False, "成功", "无变化")
    with Session(sqlite_engine) as s:
        blobs = {i: s.get(m.ImportRecord, i).file_blob for i in (failed.import_id, done.import_id, again.import_id)}
    assert blobs == {failed.import_id: None, done.import_id: good, again.import_id: None}


def test_purge_keeps_recent_successful_originals_only(engine):
    import datetime as dt

    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from data import models as m
    from data.workbook.retention import keep_days, purge_originals
    seed_counties(engine)
    good = good_workbook()
    done = import_workbook(engine, good, "好.xlsx", MONTH, ADMIN)
    assert done.ok
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    with Session(engine) as s, s.begin():  # an old success, and a failure stored before failures lost their file
        s.add(m.ImportRecord(username="a", file_name="旧.xlsx", sha256="0" * 64, result="成功", file_blob=b"old",
                             created_at=now - dt.timedelta(days=400)))
        s.add(m.ImportRecord(username="a", file_name="败.xlsx", sha256="1" * 64, result="失败", file_blob=b"bad",
                             created_at=now - dt.timedelta(days=1)))
    assert purge_originals(engine, days=365, user="管理员") == 2
    with Session(engine) as s:
        blobs = dict(s.execute(select(m.ImportRecord.file_name, m.ImportRecord.file_blob)).all())
        entry = s.scalars(select(m.AuditLog).order_by(m.AuditLog.id.desc())).first()
    assert blobs == {"好.xlsx": good, "旧.xlsx": None, "败.xlsx": None}
    assert entry.username == "管理员" and "删除2个文件" in entry.detail and "365天" in entry.detail
    assert purge_originals(engine, days=365) == 0  # nothing left to purge: no second audit entry
    assert purge_originals(engine, days=0, now=now + dt.timedelta(days=1)) == 1
    assert keep_days({"LEDGER_KEEP_ORIGINALS_DAYS": "30"}) == 30 and keep_days({}) == 3 * 365


# ---- a 100,000-error upload while another user uploads ----

def test_100000_error_upload_is_answered_while_another_upload_goes_through(sqlite_engine, monkeypatch):
    """Through the function the upload page calls. The big upload's marked copy waits (up to two minutes)
    for the other user's upload to finish: with a lock shared by all sessions (functools.cached_property on
    Python 3.11) the other upload could not finish meanwhile and the wait would time out."""
    import python_calamine as pc

    from data.workbook.messages import listed_limit
    from services import imports as svc
    seed_counties(sqlite_engine)
    big, small = H.wrong_site_ledger(100_000), _bad_workbook()
    a_inside, b_done = threading.Event(), threading.Event()
    seen, results = {}, {}
    real = marked.mark_workbook

    def held_open(data, messages):
        if data is big:
            a_inside.set()
            seen["other_upload_through"] = b_done.wait(120)
        return real(data, messages)

    monkeypatch.setattr(marked, "mark_workbook", held_open)

    def user_a():
        results["a"] = svc.import_ledger(sqlite_engine, big, "错县台账.xlsx", MONTH, "op_a", "管理员", None)

    def user_b():
        assert a_inside.wait(600)
        results["b"] = svc.import_ledger(sqlite_engine, small, "坏.xlsx", MONTH, "op_b", "管理员", None)
        b_done.set()

    threads = [threading.Thread(target=user_a), threading.Thread(target=user_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(900)
    assert seen == {"other_upload_through": True}
    b = results["b"]
    assert not b.ok and b.n_errors >= 2 and b.marked
    a = results["a"]
    assert not a.ok and a.n_errors == 100_000
    table = a.messages
    assert len(table) == listed_limit() + 1 and "共100000条问题" in table["问题说明"].iloc[-1]
    # the marked copy is complete: every message in its 错误清单, the bad cells red
    book = pc.CalamineWorkbook.from_filelike(io.BytesIO(a.marked))
    assert book.sheet_names[0] == "错误清单"
    listing = book.get_sheet_by_name("错误清单").to_python()
    assert len(listing) == 100_001 and "安置点编码不存在" in listing[1][5] and listing[-1][2] == 100_001
    wb = openpyxl.load_workbook(io.BytesIO(a.marked), read_only=True)
    first = next(wb["搬迁户"].iter_rows(min_row=2, max_row=2))
    assert first[1].fill.fgColor.rgb.endswith("FFC7CE") and not first[0].fill.fgColor.rgb.endswith("FFC7CE")
    wb.close()


def test_purge_command(sqlite_engine):
    from sqlalchemy.orm import Session

    from data import models as m
    with Session(sqlite_engine) as s, s.begin():
        s.add(m.ImportRecord(username="a", file_name="败.xlsx", sha256="1" * 64, result="失败", file_blob=b"bad"))
    env = dict(os.environ, DATABASE_URL=str(sqlite_engine.url))
    run = [sys.executable, "-m", "data", "purge-originals", "--days", "30", "--user", "管理员"]
    out = subprocess.run(run, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "已删除1个导入原件" in out.stdout, out.stderr
    out = subprocess.run(run, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "没有需要删除" in out.stdout
    out = subprocess.run(run[:4] + ["--days", "-1"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "不能为负数" in out.stderr


def test_damaged_archives_get_a_chinese_refusal_never_a_crash():
    import random

    rng = random.Random(7)
    for base in (good_workbook(), H.far_cell(row=5)):
        for k in range(150):
            data = bytearray(base)
            if k % 3 == 0:
                data = data[:rng.randrange(1, len(data))]
            else:
                for _ in range(rng.randrange(1, 8)):
                    data[rng.randrange(len(data))] = rng.randrange(256)
            try:
                check_container(bytes(data))
            except FileRejected as e:
                assert any("\u4e00" <= ch <= "\u9fff" for ch in e.reason)
