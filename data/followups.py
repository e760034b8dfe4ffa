"""四个跟进 records kept in the database (domain.md §9): 约谈 cases and their interviews, and follow-up records
(定期调度 / 督导督查 / 舆论宣传) added in the browser.

Reads take an optional ``county_code`` (the caller's scope, applied in the query). Writes run in one transaction
with their audit entry (``data.audit.FOLLOWUP``) and bump the data version ``VERSION_KEY``: the data fingerprint
changes, so every cached view (the circular drafts among them) is rebuilt, while the stored scores, which these
records do not enter, stay valid (the result store keys on months only); nothing is half-written.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine, and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data import audit
from data import models as m
from data.repository import bump_data_version
from domain.calendar import period_end

VERSION_KEY = "fu"            # data_versions key of the follow-up records (not a month: no result depends on it)
CASE_FIELDS = ["case_id", "month", "county_code", "county_name", "level", "flags", "reason", "circular_id",
               "created_by", "created_at"]
INTERVIEW_FIELDS = ["record_id", "case_id", "valid_from", "held_on", "interviewee", "interviewer", "record",
                    "attachment_name", "attachment_size", "recorded_by", "recorded_at"]
RECORD_FIELDS = ["id", "kind", "date", "county_code", "county_name", "site_code", "title", "content", "participants",
                 "valid_from", "recorded_by", "recorded_at", "site_codes"]


class DuplicateRecord(ValueError):
    """The same record (kind, date, county, title) already exists."""


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def _frame(engine: Engine, stmt, columns: list[str]) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=columns)


# ------------------------------------------------------------------------------------------------ cases

def open_cases(session: Session, *, month: str, circular_id: int | None, suggestions: list[dict], user: str) -> int:
    """Open a 待约谈 case for every suggestion (county_code, level, flags, reason) of the month's circular that has
    none yet (re-issuing a month adds nothing); audited in the caller's transaction. Returns the number opened."""
    have = set(session.execute(select(m.InterviewCase.county_code).where(m.InterviewCase.month == month)).scalars())
    names = dict(session.execute(select(m.County.code, m.County.name)).all())
    opened = 0
    for s in suggestions:
        code = str(s["county_code"])
        if code in have:
            continue
        session.add(m.InterviewCase(month=month, county_code=code, level=str(s["level"]),
                                    flags=str(s.get("flags") or ""), reason=str(s.get("reason") or ""),
                                    circular_id=circular_id, created_by=user, created_at=_now()))
        audit.record(session, user=user, action=audit.FOLLOWUP,
                     detail=f"约谈案件（待约谈）：{names.get(code, code)}，{s['level']}；月份 {month}")
        have.add(code)
        opened += 1
    if opened:
        session.flush()
        bump_data_version(session, [VERSION_KEY])
    return opened


def cases(engine: Engine, county_code: str | None = None, up_to: str | None = None) -> pd.DataFrame:
    """Cases (CASE_FIELDS) of one county or all, of months up to `up_to`, oldest first."""
    c, k = m.InterviewCase, m.County
    stmt = (select(c.id, c.month, c.county_code, k.name, c.level, c.flags, c.reason, c.circular_id, c.created_by,
                   c.created_at).join(k, k.code == c.county_code, isouter=True).order_by(c.month, k.sort_order, c.id))
    if county_code is not None:
        stmt = stmt.where(c.county_code == county_code)
    if up_to:
        stmt = stmt.where(c.month <= up_to)
    return _frame(engine, stmt, CASE_FIELDS)


def case_county(engine: Engine, case_id: int) -> str | None:
    with engine.connect() as conn:
        return conn.execute(select(m.InterviewCase.county_code).where(m.InterviewCase.id == int(case_id))).scalar()


def interviews(engine: Engine, county_code: str | None = None, up_to: str | None = None) -> pd.DataFrame:
    """Interviews recorded on cases (INTERVIEW_FIELDS, no attachment bytes), by interview date."""
    r, c = m.InterviewRecord, m.InterviewCase
    size = func.length(r.attachment_blob)
    stmt = (select(r.id, r.case_id, r.valid_from, r.held_on, r.interviewee, r.interviewer, r.record,
                   r.attachment_name, size, r.recorded_by, r.recorded_at)
            .join(c, c.id == r.case_id).order_by(r.held_on, r.id))
    if county_code is not None:
        stmt = stmt.where(c.county_code == county_code)
    if up_to:
        stmt = stmt.where(r.held_on <= period_end(up_to))
    return _frame(engine, stmt, INTERVIEW_FIELDS)


def record_interview(engine: Engine, *, case_id: int, held_on: dt.date, interviewee: str, interviewer: str,
                     record: str, attachment_name: str | None, attachment: bytes | None, user: str) -> int:
    """Record the interview of a case (待约谈 → 已约谈) with a 通报约谈 follow-up record of the same day (so the
    monthly checklist counts it); audited; refused (ValueError) when the case already has one."""
    month = held_on.strftime("%Y-%m")
    with Session(engine) as s, s.begin():
        case = s.get(m.InterviewCase, int(case_id))
        if case is None:
            raise LookupError(f"第{case_id}号约谈案件不存在")
        if s.execute(select(m.InterviewRecord.id).where(m.InterviewRecord.case_id == case.id)).first():
            raise ValueError("该约谈案件已记录约谈情况，不能重复记录")
        now = _now()
        row = m.InterviewRecord(case_id=case.id, valid_from=month, held_on=held_on, interviewee=interviewee,
                                interviewer=interviewer, record=record, attachment_name=attachment_name,
                                attachment_blob=attachment, recorded_by=user, recorded_at=now)
        s.add(row)
        name = s.execute(select(m.County.name).where(m.County.code == case.county_code)).scalar() or case.county_code
        title = f"约谈{name}（{case.month}通报{case.level}）"
        exists = s.execute(select(m.FollowUp.id).where(and_(
            m.FollowUp.kind == "通报约谈", m.FollowUp.date == held_on, m.FollowUp.county_code == case.county_code,
            m.FollowUp.title == title))).first()
        if not exists:
            s.add(m.FollowUp(kind="通报约谈", date=held_on, county_code=case.county_code, title=title,
                             content=record, participants=f"约谈对象：{interviewee}；约谈人：{interviewer}",
                             valid_from=month, recorded_by=user, recorded_at=now))
        extra = f"；附件 {attachment_name}" if attachment_name else ""
        audit.record(s, user=user, action=audit.FOLLOWUP,
                     detail=f"记录约谈（已约谈）：{name}，{held_on.isoformat()}，约谈对象 {interviewee}；"
                            f"案件 {case.month} {case.level}{extra}")
        s.flush()
        bump_data_version(s, [VERSION_KEY])
        return int(row.id)


def attachment(engine: Engine, record_id: int) -> tuple[str | None, str | None, bytes | None]:
    """(county code of the case, file name, bytes) of an interview's attachment; all None for an unknown record."""
    r, c = m.InterviewRecord, m.InterviewCase
    with engine.connect() as conn:
        row = conn.execute(select(c.county_code, r.attachment_name, r.attachment_blob)
                           .join(c, c.id == r.case_id).where(r.id == int(record_id))).first()
    if row is None:
        return None, None, None
    return row[0], row[1], (bytes(row[2]) if row[2] is not None else None)


# ------------------------------------------------------------------------------------------------ records

def add_record(engine: Engine, *, kind: str, date: dt.date, county_code: str, site_codes: list[str], title: str,
               content: str | None, participants: str | None, user: str) -> int:
    """Add a follow-up record from the browser naming `site_codes` (none, one or several; `site_code` keeps the
    first, for readers of one site): valid_from = the month of its date; audited."""
    month = date.strftime("%Y-%m")
    try:
        with Session(engine) as s, s.begin():
            row = m.FollowUp(kind=kind, date=date, county_code=county_code,
                             site_code=site_codes[0] if site_codes else None, title=title,
                             content=content or None, participants=participants or None, valid_from=month,
                             recorded_by=user, recorded_at=_now())
            s.add(row)
            s.flush()
            s.add_all([m.FollowUpSite(followup_id=row.id, site_code=c, position=i) for i, c in enumerate(site_codes)])
            name = s.execute(select(m.County.name).where(m.County.code == county_code)).scalar() or county_code
            where = f"，{'、'.join(site_codes)}" if site_codes else ""
            audit.record(s, user=user, action=audit.FOLLOWUP,
                         detail=f"{kind}：{name}，{date.isoformat()}，{title}{where}")
            bump_data_version(s, [VERSION_KEY])
            return int(row.id)
    except IntegrityError as exc:
        raise DuplicateRecord(f"{date.isoformat()}已有同一县（市、区）同名的{kind}记录“{title}”") from exc


def records(engine: Engine, kind: str | None = None, county_code: str | None = None,
            month: str | None = None) -> pd.DataFrame:
    """Follow-up records (RECORD_FIELDS) dated in `month` (all months when None), newest first."""
    f, k = m.FollowUp, m.County
    stmt = (select(f.id, f.kind, f.date, f.county_code, k.name, f.site_code, f.title, f.content, f.participants,
                   f.valid_from, f.recorded_by, f.recorded_at)
            .join(k, k.code == f.county_code, isouter=True).order_by(f.date.desc(), f.id.desc()))
    if kind:
        stmt = stmt.where(f.kind == kind)
    if county_code is not None:
        stmt = stmt.where(f.county_code == county_code)
    if month:
        stmt = stmt.where(f.date >= dt.date.fromisoformat(f"{month}-01"), f.date <= period_end(month))
    df = _frame(engine, stmt, RECORD_FIELDS[:-1])
    named: dict[int, list[str]] = {}
    if len(df):
        fs = m.FollowUpSite
        with engine.connect() as conn:
            for fid, code in conn.execute(select(fs.followup_id, fs.site_code)
                                          .where(fs.followup_id.in_([int(i) for i in df["id"]]))
                                          .order_by(fs.followup_id, fs.position)):
                named.setdefault(int(fid), []).append(str(code))
    df["site_codes"] = [named.get(int(i)) or ([str(c)] if c else []) for i, c in zip(df["id"], df["site_code"])]
    return df

