"""The circular's 四个跟进 section on a real demo database, and ``python -m scoring circular``: the command writes
the same Excel/Word files as the page, ``--issue`` issues (stored + audited) like the page; both files open with
openpyxl / python-docx and LibreOffice converts them to PDF."""
from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cli import scoring_main
from data import models as m
from data.db import create
from data.demo import build_demo
from services import circular as circ
from services import store

MONTH = "2026-10"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('circfu') / 'demo.db'}"
    e = create(url)
    build_demo(e, months=2, end_month=MONTH, household_factor=0.02)
    store.precompute(e)
    with Session(e) as s, s.begin():
        codes = [c for (c,) in s.execute(select(m.County.code).order_by(m.County.code))]
        s.query(m.FollowUp).delete()
        for code in codes[1:]:   # the first county skips its October meeting
            s.add(m.FollowUp(kind="定期调度", date=dt.date(2026, 10, 20), county_code=code, title="10月调度会"))
        s.add(m.FollowUp(kind="舆论宣传", date=dt.date(2026, 10, 12), county_code=codes[1], title="典型案例"))
    first = e.connect().execute(select(m.County.name).where(m.County.code == codes[0])).scalar()
    yield e, url, first, len(codes)
    e.dispose()


def test_followup_section_names_skipped_county(env):
    e, _, first, n = env
    c = circ.circular_data(e, MONTH)
    assert c.followup[0].startswith(f"跟进调度：{n}个县（市、区）中{n - 1}个召开")
    assert f"{first}本月未召开调度会" in c.followup[0]
    assert "推出典型案例1个" in c.followup[-1]


def test_command_writes_the_page_files(env, tmp_path):
    e, url, first, _ = env
    for kind in ("xlsx", "docx"):
        out = tmp_path / f"c.{kind}"
        assert scoring_main(["circular", "--month", MONTH, "--out", str(out), "--database", url]) == 0
        if kind == "xlsx":
            wb = load_workbook(io.BytesIO(out.read_bytes()))
            text = "".join(str(v) for row in wb["通报正文"].iter_rows(values_only=True) for v in row if v)
        else:
            text = "\n".join(p.text for p in Document(io.BytesIO(out.read_bytes())).paragraphs)
            assert "六、下步要求" in text
        assert "五、四个跟进落实情况" in text and f"{first}本月未召开调度会" in text
    with e.connect() as conn:
        n_exports = conn.execute(select(func.count()).select_from(m.AuditLog)
                                 .where(m.AuditLog.detail.contains("月度通报"))).scalar()
    assert n_exports >= 2


def test_command_issue_is_stored_and_audited(env, tmp_path):
    e, url, _, _ = env
    before = len(circ.issued(e, MONTH))
    out = tmp_path / "issued.docx"
    assert scoring_main(["circular", "--month", MONTH, "--out", str(out), "--issue", "--user", "supervisor",
                         "--database", url]) == 0
    listed = circ.issued(e, MONTH)
    assert len(listed) == before + 1 and listed.iloc[0]["印发人"] == "supervisor"
    assert circ.download(e, int(listed.iloc[0]["id"]), "docx") == out.read_bytes()


def test_command_issue_checks_the_role(env, tmp_path, capsys):
    e, url, _, _ = env
    before = len(circ.issued(e, MONTH))
    out = tmp_path / "refused.docx"
    with e.connect() as conn:
        operator = conn.execute(select(m.User.username).where(m.User.role == "县级填报员")).scalars().first()
    for argv in (["--user", "leader"], ["--user", operator], ["--user", "nobody"], []):
        assert scoring_main(["circular", "--month", MONTH, "--out", str(out), "--issue", *argv,
                             "--database", url]) == 2
    err = capsys.readouterr().err
    assert "无权印发月度通报" in err and "不存在或已停用" in err and "须用 --user" in err
    assert len(circ.issued(e, MONTH)) == before and not out.exists()


def test_command_rejects_bad_input(env, tmp_path, capsys):
    _, url, _, _ = env
    assert scoring_main(["circular", "--month", "2026-13", "--out", str(tmp_path / "x.docx"),
                         "--database", url]) == 2
    assert scoring_main(["circular", "--month", MONTH, "--out", str(tmp_path / "x.pdf"), "--database", url]) == 2
    err = capsys.readouterr().err
    assert "格式不正确" in err and ".xlsx 或 .docx" in err


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_libreoffice_converts_both(env, tmp_path):
    _, url, _, _ = env
    for kind in ("xlsx", "docx"):
        out = tmp_path / f"circ.{kind}"
        assert scoring_main(["circular", "--month", MONTH, "--out", str(out), "--database", url]) == 0
        r = subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/lo", "--headless",
                            "--convert-to", "pdf", "--outdir", str(tmp_path), str(out)],
                           capture_output=True, text=True, timeout=180)
        assert r.returncode == 0, r.stderr
        pdf = tmp_path / "circ.pdf"
        assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF")
        pdf.unlink()
