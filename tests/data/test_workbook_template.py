"""Template, error-marked copy and the `python -m data` command line."""
from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
from sqlalchemy import select
from sqlalchemy.orm import Session

from data import models as m
from data import repository as repo
from data.workbook import SHEETS, ImportUser, import_workbook, template_bytes, write_template
from data.workbook.spec import INSTRUCTIONS_SHEET, norm_full
from tests.data.fixtures_workbooks import (MONTH, bad_check_id, build_xlsx, db_fingerprint, good_records,
                                           good_tables, good_workbook, seed_counties, with_changes)

ROOT = Path(__file__).resolve().parents[2]
ADMIN = ImportUser("admin", "管理员")


def test_template_has_every_sheet_with_exact_headers(tmp_path):
    path = tmp_path / "模板.xlsx"
    write_template(path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [INSTRUCTIONS_SHEET] + [s.name for s in SHEETS]
    for sheet in SHEETS:
        ws = wb[sheet.name]
        headers = [c.value for c in ws[1]]
        assert headers == [c.header + ("*" if c.required else "") for c in sheet.columns]
        assert ws.freeze_panes == "A2" and ws.max_row == 1
        for j, col in enumerate(sheet.columns, start=1):
            letter = openpyxl.utils.get_column_letter(j)
            if col.kind in ("code", "id", "month"):
                assert ws.column_dimensions[letter].number_format == "@", (sheet.name, col.header)
            assert ws.cell(row=1, column=j).font.b
        lists = {str(dv.sqref).split(":")[0][:-1]: dv.formula1 for dv in ws.data_validations.dataValidation
                 if dv.type == "list"}
        for j, col in enumerate(sheet.columns, start=1):
            if col.choices:
                assert lists[openpyxl.utils.get_column_letter(j)] == '"' + ",".join(col.choices) + '"'
    guide = "\n".join(str(c.value) for row in wb[INSTRUCTIONS_SHEET].iter_rows() for c in row if c.value)
    assert "文本" in guide and "5.22301E+17" in guide and "已落实" in guide and "城镇集中安置区" in guide
    hh = wb["搬迁户"]
    assert [c.value for c in hh[1]][13] == "选民登记" and [c.value for c in hh[1]][-1] == "特困人员救助供养"
    assert [c.value for c in wb["组织建设"][1]][4:6] == ["乡镇党委应设", "乡镇党委已设"]


def test_template_county_dropdown():
    wb = openpyxl.load_workbook(io.BytesIO(template_bytes(["甲县", "乙县"])))
    dv = [d for d in wb["安置点"].data_validations.dataValidation if d.formula1 == '"甲县,乙县"']
    assert dv and str(dv[0].sqref).startswith("C2")


def test_filled_template_imports(engine):
    """The downloaded template, filled in by a user, imports."""
    seed_counties(engine)
    wb = openpyxl.load_workbook(io.BytesIO(template_bytes()))
    recs = good_records()
    for sheet in SHEETS:
        ws = wb[sheet.name]
        for r in recs[sheet.name]:
            ws.append([r.get(c.key) for c in sheet.columns])
    buf = io.BytesIO()
    wb.save(buf)
    res = import_workbook(engine, buf.getvalue(), "模板.xlsx", MONTH, ADMIN)
    assert res.ok, [str(x) for x in res.errors]
    assert res.rows == {s.name: len(recs[s.name]) for s in SHEETS}
    assert len(repo.households(engine, MONTH)) == 4


def test_empty_template_is_rejected_as_having_no_data(engine):
    seed_counties(engine)
    res = import_workbook(engine, template_bytes(), "模板.xlsx", MONTH, ADMIN)
    assert not res.ok
    assert {x.sheet for x in res.errors} == {s.name for s in SHEETS}
    assert all("没有数据行" in x.reason for x in res.errors)


def test_header_normalisation():
    assert norm_full("所属县（市、区）*") == norm_full("所属县(市、区)") == norm_full(" 所属县 市、区 ") \
        == "所属县市、区"


def test_marked_copy_marks_bad_cells(engine):
    seed_counties(engine)
    data = build_xlsx(good_tables(with_changes({"搬迁户": {2: {"head_id": bad_check_id(3)}, 0: {"labour_count": 3}},
                                                "安置点": {0: {"site_type": "城市"}}})))
    res = import_workbook(engine, data, "坏.xlsx", MONTH, ADMIN)
    assert not res.ok
    wb = openpyxl.load_workbook(io.BytesIO(res.marked_copy))
    assert wb.sheetnames[0] == "错误清单"
    bad = wb["搬迁户"]["D4"]
    assert bad.fill.fgColor.rgb.endswith("FFC7CE") and "校验位" in bad.comment.text
    assert wb["安置点"]["E2"].fill.fgColor.rgb.endswith("FFC7CE")
    warn = wb["搬迁户"]["F2"]  # labour rows (2) differ from 劳动力人数 (3): a warning
    assert warn.fill.fgColor.rgb.endswith("FFEB9C") and "警告" in warn.comment.text
    listing = [[c.value for c in row] for row in wb["错误清单"].iter_rows(min_row=2)]
    assert len(listing) == len(res.messages)
    assert ["错误", "搬迁户", 4, "户主身份证号*"] == listing[[r[3] for r in listing].index("户主身份证号*")][:4]
    # the marked copy itself is importable again once fixed: its 错误清单 sheet is ignored
    res2 = import_workbook(engine, res.marked_copy, "坏.错误标注.xlsx", MONTH, ADMIN)
    assert not res2.ok and len(res2.errors) == len(res.errors)


def test_marked_copy_is_none_for_non_xlsx(engine):
    res = import_workbook(engine, b"not a workbook", "x.xlsx", MONTH, ADMIN)
    assert not res.ok and res.marked_copy is None


# ---- command line ----

def _cli(args, engine, cwd=ROOT):
    env = dict(os.environ, DATABASE_URL=engine.url.render_as_string(hide_password=False), PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "data", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)


def test_cli_template_and_import(engine, tmp_path):
    seed_counties(engine)
    tpl = tmp_path / "模板.xlsx"
    r = _cli(["template", str(tpl)], engine)
    assert r.returncode == 0 and "已生成导入模板" in r.stdout and tpl.exists()
    good = tmp_path / "台账.xlsx"
    good.write_bytes(good_workbook())
    r = _cli(["import", str(good), "--month", MONTH, "--user", "张三"], engine)
    assert r.returncode == 0, r.stderr
    assert "导入成功" in r.stdout and "Traceback" not in r.stderr
    with Session(engine) as s:
        assert s.scalars(select(m.ImportRecord.username)).all() == ["张三"]
    r = _cli(["import", str(good), "--month", MONTH], engine)
    assert r.returncode == 0 and "无变化" in r.stdout


def test_cli_import_failure_writes_marked_copy(engine, tmp_path):
    seed_counties(engine)
    bad = tmp_path / "县台账.xlsx"
    bad.write_bytes(build_xlsx(good_tables(with_changes({"搬迁户": {2: {"head_id": bad_check_id(3)}}}))))
    before = db_fingerprint(engine)
    r = _cli(["import", str(bad), "--month", MONTH], engine)
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert "工作表「搬迁户」第4行「户主身份证号*」：值 " in r.stdout and "校验位错误" in r.stdout
    marked = tmp_path / "县台账.错误标注.xlsx"
    assert marked.exists() and "错误清单" in openpyxl.load_workbook(marked).sheetnames
    assert db_fingerprint(engine) == before


def test_cli_county_scope(engine, tmp_path):
    seed_counties(engine)
    f = tmp_path / "a.xlsx"
    f.write_bytes(good_workbook())
    r = _cli(["import", str(f), "--month", MONTH, "--county", "乙县"], engine)
    assert r.returncode != 0 and "不在您的管辖范围" in r.stdout
    r = _cli(["import", str(f), "--month", MONTH, "--county", "丙县"], engine)
    assert r.returncode != 0 and "未知的县" in r.stderr
    r = _cli(["import", str(f), "--month", MONTH, "--county", "甲县"], engine)
    assert r.returncode == 0, r.stdout + r.stderr


def test_cli_errors_are_chinese_without_traceback(engine, tmp_path):
    r = _cli(["import", str(tmp_path / "missing.xlsx"), "--month", MONTH], engine)
    assert r.returncode != 0 and "文件不存在" in r.stderr and "Traceback" not in r.stderr
    r = _cli(["import"], engine)
    assert r.returncode != 0 and "参数错误" in r.stderr and "Traceback" not in r.stderr
    r = _cli([], engine)
    assert r.returncode != 0 and "Traceback" not in r.stderr
    r = _cli(["--help"], engine)
    assert r.returncode == 0 and "导入台账工作簿" in r.stdout


def test_cli_upgrade(engine):
    r = _cli(["upgrade"], engine)
    assert r.returncode == 0 and "数据库结构" in r.stdout


def test_cli_bad_database_url_is_reported(tmp_path):
    env = dict(os.environ, DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none", PYTHONPATH=str(ROOT))
    r = subprocess.run([sys.executable, "-m", "data", "upgrade"], cwd=ROOT, env=env, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode != 0 and "Traceback" not in r.stderr and "数据库" in r.stderr


def test_cli_init_writes_the_city(engine, capsys, monkeypatch):
    """`python -m data init --city NAME` writes the real counties of the city; an unknown city fails in Chinese."""
    from data import __main__ as cli
    from data import repository as repo

    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    assert cli.main(["init", "--city", "黔西南"]) == 0
    assert cli.main(["init", "--city", "不存在的城市"]) == 1
    out = capsys.readouterr()
    assert "已初始化城市" in out.out and "兴义市" in out.out
    assert "未找到城市" in out.err and "Traceback" not in out.err
    counties = repo.counties(engine)
    assert len(counties) == 8 and "望谟县" in set(counties.county_name)
