"""data.followups on SQLite and PostgreSQL: cases opened once per month and county (re-issuing adds none), an
interview stored with its attachment and a 通报约谈 record of its day, browser records filtered by county and month,
a duplicate refused in Chinese with nothing written; every write audited and
changing the data fingerprint, not a month's version."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data import followups as fs
from data import models as m


@pytest.fixture
def db(engine):
    with Session(engine) as s, s.begin():
        s.add_all([m.County(code="A", name="甲县", city_code="X", sort_order=1),
                   m.County(code="B", name="乙县", city_code="X", sort_order=2)])
        s.add(m.Circular(month="2026-08", issue_no=8, title="通报", catalogue_version="v1", username="sup"))
    return engine


def _open(engine, suggestions):
    with Session(engine) as s, s.begin():
        return fs.open_cases(s, month="2026-08", circular_id=1, suggestions=suggestions, user="sup")


def test_cases_once_interview_and_records(db):
    sug = [dict(county_code="A", level="建议约谈", flags="F4", reason="问题整改逾期1项")]
    assert _open(db, sug) == 1
    assert _open(db, sug + [dict(county_code="B", level="建议约谈", flags="F3", reason="存在零就业家庭1户")]) == 1
    cases = fs.cases(db)
    assert list(zip(cases["county_name"], cases["level"])) == [("甲县", "建议约谈"), ("乙县", "建议约谈")]
    assert list(fs.cases(db, "B")["county_code"]) == ["B"] and fs.cases(db, up_to="2026-07").empty
    case_a = int(cases["case_id"].iloc[0])
    rid = fs.record_interview(db, case_id=case_a, held_on=dt.date(2026, 9, 15), interviewee="甲县民政局",
                              interviewer="督导", record="限期整改", attachment_name="记录.pdf",
                              attachment=b"%PDF" + b"\x00" * 100, user="sup")
    iv = fs.interviews(db)
    assert list(iv["case_id"]) == [case_a] and int(iv["attachment_size"].iloc[0]) == 104
    assert fs.interviews(db, "B").empty and fs.interviews(db, up_to="2026-08").empty
    assert fs.attachment(db, rid)[0] == "A" and fs.attachment(db, rid)[2].startswith(b"%PDF")
    with pytest.raises(ValueError, match="不能重复记录"):
        fs.record_interview(db, case_id=case_a, held_on=dt.date(2026, 9, 16), interviewee="x", interviewer="y",
                            record="z", attachment_name=None, attachment=None, user="sup")
    meet = fs.add_record(db, kind="定期调度", date=dt.date(2026, 9, 20), county_code="B", site_codes=[],
                         title="9月调度会", content="研究就业", participants="县长、各局", user="op_b")
    with pytest.raises(fs.DuplicateRecord, match="已有同一县"):
        fs.add_record(db, kind="定期调度", date=dt.date(2026, 9, 20), county_code="B", site_codes=[],
                      title="9月调度会", content=None, participants="x", user="op_b")
    rec = fs.records(db, month="2026-09")
    assert set(rec["kind"]) == {"定期调度", "通报约谈"}           # the interview left its 通报约谈 record
    assert list(fs.records(db, "定期调度", "B", "2026-09")["id"]) == [meet]
    assert fs.records(db, "定期调度", "A").empty and fs.records(db, month="2026-10").empty
    assert fs.records(db, "定期调度", "B")["valid_from"].iloc[0] == "2026-09"
    with db.connect() as conn:
        n = conn.execute(select(func.count()).select_from(m.AuditLog).where(m.AuditLog.action == "跟进记录")).scalar()
        versions = dict(conn.execute(select(m.DataVersion.month, m.DataVersion.version)).all())
    assert n == 4                                                 # two cases, one interview, one meeting
    # each write changed the data fingerprint (caches rebuilt) without touching a month's scores
    assert versions == {fs.VERSION_KEY: 4}
