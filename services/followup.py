"""四个跟进 use cases (domain.md §6, §9, §10): 约谈 cases and their interviews, 定期调度 / 督导督查 / 舆论宣传 records
added in the browser, a rectification item created from a visit's finding, and the per-county monthly checklist.

Every function takes the signed-in user's ``scope`` and filters where data is read (a 县级填报员 sees and records
only their own county; a record of another county is refused, named by nothing but OutOfScope). Who may record
what is ``domain.roles``: an interview needs INTERVIEW (市级督导, 管理员), a meeting / visit / publicity record or an
item FOLLOWUP. Records added here belong to the month of their date (valid_from) and are audited.

约谈 case states at a month's end (scoring.followup.case_states): 待约谈 → 已约谈 (interview dated by then) →
已整改 (every item of the county open at the end of the case's month 已销号 by then; with none, the county no
longer flagged). The case (opened by the circular's issuer), the interview (recorded by, at) and each item's 销号
version (recorded by, at) are kept, so any earlier month shows the state it had.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from data import followups as store
from data import repository as repo
from domain import roles
from domain.calendar import period_end, previous_month
from domain.followup import (ATTACHMENT_MAX_BYTES, ATTACHMENT_TYPES, CASE_PENDING, CASE_RECTIFIED, FOLLOWUP_KINDS,
                             MEETING, PUBLICITY, RECT_OPEN, SUPERVISION)
from domain.scope import OutOfScope, Scope
from scoring import followup as fu
from services import rectifications
from services.results import results

CASE_HEADERS = {"county_name": "县(市、区)", "month": "通报月份", "level": "约谈建议", "reason": "滞后原因",
                "status": "状态", "held_on": "约谈日期", "interviewee": "约谈对象", "interviewer": "约谈人",
                "items": "关联整改（已销号/总数）", "rectified_on": "整改销号日期"}
RECORD_HEADERS = {"date": "日期", "county_name": "县(市、区)", "site_code": "安置点", "title": "标题",
                  "participants": "参会人员", "content": "内容", "recorded_by": "记录人"}
CHECKLIST_HEADERS = {"county_name": "县(市、区)", "meeting_held": "召开调度会", "supervisions": "督导督查（次）",
                     "interviews": "约谈（次）", "publicity": "典型案例（个）", "items_found": "新发现问题（项）",
                     "items_closed": "整改销号（项）", "items_overdue": "逾期未整改（项）", "pending": "待约谈案件"}
MAX_TEXT = 2000


class Refused(PermissionError):
    """The user's role may not do this (Chinese message)."""


def _need(role: str | None, action: roles.Action) -> None:
    if not roles.can(role, action):
        who = "、".join(roles.roles_with(action))
        raise Refused(f"当前角色（{role or '未登录'}）无权{action.label}，该功能仅限{who}")


def _text(value: str | None, what: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    v = (value or "").strip()
    if required and not v:
        raise ValueError(f"请填写{what}")
    if len(v) > limit:
        raise ValueError(f"{what}过长（{len(v)}字），请控制在{limit}字以内")
    return v


def _flagged(engine: Engine, month: str) -> set[str]:
    try:
        c = results(engine, month).raw.county.counties
    except LookupError:
        return set()
    return set(c.loc[c["flagged"].astype(bool), "county_code"].astype(str))


def _states(engine: Engine, month: str, county: str | None) -> pd.DataFrame:
    return fu.case_states(store.cases(engine, county, up_to=month), store.interviews(engine, county, up_to=month),
                          repo.rectifications(engine, month), month, _flagged(engine, month))


def case_states(engine: Engine, month: str, scope: Scope) -> pd.DataFrame:
    """The 约谈 cases of months up to `month` in the state they had at its end (scoring.followup columns)."""
    return _states(engine, month, scope.narrow(None))


def case_progress(engine: Engine, month: str, scope: Scope) -> list[str]:
    """What became of earlier cases this month (interviews held, problems rectified, still 待约谈), in sentences."""
    county = scope.narrow(None)
    now = _states(engine, month, county)
    now = now.loc[now["month"] < month]
    return fu.case_progress(now, _states(engine, previous_month(month), county))


def opened_by(engine: Engine, circular_id: int, scope: Scope) -> list[str]:
    """Names of the counties whose 约谈 case the issued circular `circular_id` opened (for the issue message)."""
    c = store.cases(engine, scope.narrow(None))
    return [str(n) for n in c.loc[c["circular_id"] == int(circular_id), "county_name"]]


def case_table(states: pd.DataFrame) -> pd.DataFrame:
    """Display/print table of case states (CASE_HEADERS), oldest first; keeps case_id and late."""
    if states.empty:
        return pd.DataFrame(columns=["case_id", "late", *CASE_HEADERS.values()])
    t = states.copy()
    t["month"] = t["month"].map(lambda x: f"{x[:4]}年{int(x[5:])}月")
    t["items"] = [f"{d}/{n}" if n else "—" for d, n in zip(t["linked_closed"], t["linked"])]
    for col in ("held_on", "rectified_on"):
        t[col] = t[col].map(lambda d: d.isoformat() if isinstance(d, dt.date) else "")
    t["interviewee"] = t["interviewee"].fillna("")
    t["interviewer"] = t["interviewer"].fillna("")
    t["status"] = [f"{s}（逾期未约谈）" if late else s for s, late in zip(t["status"], t["late"])]
    return t[["case_id", "late", *CASE_HEADERS]].rename(columns=CASE_HEADERS).reset_index(drop=True)


def cases_view(engine: Engine, month: str, scope: Scope) -> pd.DataFrame:
    """The page's case list at `month` (case_table of case_states)."""
    return case_table(case_states(engine, month, scope))


def case_history(engine: Engine, case_id: int, month: str, scope: Scope) -> pd.DataFrame:
    """A case's transitions up to the end of `month`, oldest first: 时间 | 经过 | 经办人 (opened by the circular's
    issuer, interview recorded by whom and when, 已整改 on the last 销号日期 of its linked items)."""
    county = store.case_county(engine, case_id)
    if county is None:
        raise LookupError(f"第{case_id}号约谈案件不存在")
    scope.require(county, "该约谈案件")
    case = store.cases(engine, county).set_index("case_id").loc[int(case_id)]
    rows = [(f"{case['created_at']:%Y-%m-%d %H:%M}", f"印发{case['month'][:4]}年{int(case['month'][5:])}月通报，"
             f"{case['level']}，生成约谈案件（{CASE_PENDING}）", str(case["created_by"]))]
    iv = store.interviews(engine, county, up_to=month)
    for r in iv.loc[iv["case_id"] == int(case_id)].itertuples():
        what = f"记录约谈（已约谈）：{r.held_on.isoformat()}约谈{r.interviewee}"
        rows.append((f"{r.recorded_at:%Y-%m-%d %H:%M}", what, str(r.recorded_by)))
    st = _states(engine, month, county)
    hit = st.loc[st["case_id"] == int(case_id)]
    if len(hit) and hit["status"].iloc[0] == CASE_RECTIFIED and hit["rectified_on"].iloc[0] is not None:
        what = (f"关联整改问题{int(hit['linked'].iloc[0])}项全部销号（已整改）" if int(hit["linked"].iloc[0])
                else "约谈后该县不再进度滞后（已整改）")
        rows.append((hit["rectified_on"].iloc[0].isoformat(), what, "—"))
    return pd.DataFrame(rows, columns=["时间", "经过", "经办人"])


def interviews_view(engine: Engine, month: str, scope: Scope) -> pd.DataFrame:
    """Interviews recorded up to `month` (newest first) with who recorded them and when; no attachment bytes."""
    return store.interviews(engine, scope.narrow(None), up_to=month).iloc[::-1].reset_index(drop=True)


def record_interview(engine: Engine, *, case_id: int, held_on: dt.date, interviewee: str, interviewer: str,
                     record: str, user: str, role: str | None, scope: Scope, attachment_name: str | None = None,
                     attachment: bytes | None = None) -> int:
    """Record the interview of a case (待约谈 → 已约谈): only 市级督导 / 管理员; date not before the case's month and
    not in the future; attachment ≤ ATTACHMENT_MAX_BYTES of an allowed type. Returns the record id."""
    _need(role, roles.INTERVIEW)
    county = store.case_county(engine, case_id)
    if county is None:
        raise LookupError(f"第{case_id}号约谈案件不存在")
    scope.require(county, "该约谈案件")
    case = store.cases(engine, county).set_index("case_id").loc[int(case_id)]
    if not isinstance(held_on, dt.date):
        raise ValueError("请填写约谈日期")
    if held_on < dt.date.fromisoformat(f"{case['month']}-01"):
        raise ValueError(f"约谈日期{held_on.isoformat()}早于该案件的通报月份（{case['month']}）")
    if held_on > dt.date.today():
        raise ValueError(f"约谈日期{held_on.isoformat()}晚于今天，请在约谈后再记录")
    name = None
    if attachment:
        name = _text(attachment_name, "附件文件名", limit=200)
        name = re.sub(r"[\\/:*?\"<>|\x00-\x1f]", "_", name)
        suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if suffix not in ATTACHMENT_TYPES:
            raise ValueError(f"附件“{name}”的类型不支持，仅限 {'、'.join(ATTACHMENT_TYPES)}")
        if len(attachment) > ATTACHMENT_MAX_BYTES:
            raise ValueError(f"附件“{name}”大小为{len(attachment) / 1048576:.1f}MB，"
                             f"超过{ATTACHMENT_MAX_BYTES // 1048576}MB的上限")
    return store.record_interview(engine, case_id=int(case_id), held_on=held_on,
                                  interviewee=_text(interviewee, "约谈对象", limit=250),
                                  interviewer=_text(interviewer, "约谈人", limit=250),
                                  record=_text(record, "约谈记录"), attachment_name=name,
                                  attachment=attachment or None, user=user)


def interview_attachment(engine: Engine, record_id: int, scope: Scope) -> tuple[str, bytes]:
    """(file name, bytes) of an interview's attachment, inside the scope."""
    county, name, blob = store.attachment(engine, record_id)
    if county is None or blob is None:
        raise LookupError("该约谈记录没有附件")
    scope.require(county, "该约谈记录的附件")
    return str(name), blob


def add_record(engine: Engine, *, kind: str, date: dt.date, county_code: str, title: str, user: str,
               role: str | None, scope: Scope, site_code: str | None = None, content: str | None = None,
               participants: str | None = None, site_codes: list[str] | None = None) -> int:
    """Add a 定期调度 / 督导督查 / 舆论宣传 record of the scope's county (valid_from = the month of `date`) naming
    `site_codes` (a visit may cover several sites of the county; `site_code` names one)."""
    _need(role, roles.FOLLOWUP)
    if kind not in FOLLOWUP_KINDS or kind not in (MEETING, SUPERVISION, PUBLICITY):
        raise ValueError(f"记录类型“{kind}”不正确（可选：{MEETING}、{SUPERVISION}、{PUBLICITY}）")
    if not county_code:
        raise ValueError("请选择县（市、区）")
    scope.require(county_code, "该县（市、区）的跟进记录")
    if not isinstance(date, dt.date):
        raise ValueError("请填写日期")
    if date > dt.date.today():
        raise ValueError(f"日期{date.isoformat()}晚于今天")
    codes = list(dict.fromkeys([c for c in [site_code, *(site_codes or [])] if c]))
    if codes:
        sites = repo.sites(engine)
        own = set(sites.loc[sites["county_code"].astype(str) == county_code, "site_code"].astype(str))
        wrong = [c for c in codes if c not in own]
        if wrong:
            raise ValueError(f"安置点“{'、'.join(wrong)}”不属于所选县（市、区）")
    if kind == MEETING:
        _text(participants, "参会人员")
    return store.add_record(engine, kind=kind, date=date, county_code=county_code, site_codes=codes,
                            title=_text(title, "标题", limit=250), content=_text(content, "内容", required=False),
                            participants=_text(participants, "参会人员", required=False), user=user)


def records_view(engine: Engine, kind: str, month: str | None, scope: Scope) -> pd.DataFrame:
    """Records of one kind dated in `month` (all months when None), newest first; keeps id and county_code."""
    df = store.records(engine, kind, scope.narrow(None), month)
    df["date"] = df["date"].map(lambda d: d.isoformat() if isinstance(d, dt.date) else str(d))
    names = _site_names(engine)
    df["site_code"] = df["site_codes"].map(lambda cs: "、".join(names.get(c, c) for c in cs))
    df["site_codes"] = df["site_codes"].map(",".join)
    keep = ["id", "county_code", "site_codes", *RECORD_HEADERS]
    return df[keep].rename(columns=RECORD_HEADERS).fillna("")


def _site_names(engine: Engine) -> dict[str, str]:
    s = repo.sites(engine)
    return dict(zip(s["site_code"].astype(str), s["site_name"].astype(str)))


def visit_sites(engine: Engine, record_id: int, scope: Scope) -> list[tuple[str, str]]:
    """(site_code, site_name) of the sites a 督导督查 record of the scope names, in the order recorded."""
    rec = store.records(engine, SUPERVISION, scope.narrow(None))
    hit = rec.loc[rec["id"] == int(record_id)]
    if hit.empty:
        raise LookupError(f"第{record_id}号督导督查记录不存在或不在您的数据权限范围内")
    names = _site_names(engine)
    return [(c, names.get(c, c)) for c in hit["site_codes"].iloc[0]]


def findings(content: str | None) -> list[str]:
    """The findings of a 督导督查 record: one per non-empty line of its content (numbering stripped)."""
    out = []
    for line in (content or "").splitlines():
        t = re.sub(r"^\s*(\d+[.、．)]|[（(]\d+[)）]|[-•·])\s*", "", line).strip()
        if t:
            out.append(t)
    return out


def checklist_view(engine: Engine, month: str, scope: Scope) -> pd.DataFrame:
    """Per county of the scope: meeting held? supervisions, interviews, publicity, items found / closed / overdue in
    `month`, and its 待约谈 cases at the month's end (CHECKLIST_HEADERS)."""
    county = scope.narrow(None)
    counties = scope.filter(repo.counties(engine))
    f = scope.filter(repo.followups(engine, month))
    rect = scope.filter(repo.rectifications(engine, month))
    t = fu.checklist(counties, f, rect, month)
    st = _states(engine, month, county)
    pending = st.loc[st["status"] == CASE_PENDING].groupby("county_code").size() if len(st) else pd.Series(dtype=int)
    t["pending"] = t["county_code"].map(pending).fillna(0).astype(int)
    t["meeting_held"] = t["meeting_held"].map({True: "是", False: "否"})
    return t[["county_code", *CHECKLIST_HEADERS]].rename(columns=CHECKLIST_HEADERS)


def sites_of(engine: Engine, county_code: str, month: str, scope: Scope) -> list[tuple[str, str]]:
    """(site_code, site_name) of a county's sites existing at `month`, inside the scope."""
    scope.require(county_code, "该县（市、区）的安置点")
    s = repo.sites(engine, month)
    s = s.loc[s["county_code"].astype(str) == county_code]
    return list(zip(s["site_code"].astype(str), s["site_name"].astype(str)))


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    """First and last day of a month (for date pickers)."""
    return dt.date.fromisoformat(f"{month}-01"), period_end(month)


def require_scope(scope: Scope, county_code: str | None) -> None:
    """OutOfScope unless the county is the scope's (for deep links naming a county)."""
    if county_code and not scope.allows(county_code):
        raise OutOfScope("该县（市、区）的跟进记录")


@dataclass(frozen=True)
class _Actor:
    username: str
    role: str | None


def item_from_finding(engine: Engine, *, record_id: int, finding: str, unit: str, deadline: dt.date, user: str,
                      role: str | None, scope: Scope, site_code: str | None = None) -> str:
    """Create a rectification item (source 督导督查, status 未整改) from a finding of a 督导督查 record of the
    scope, through the 问题整改台账 service (services.rectifications.create_item: validated, versioned in the month
    of the visit, audited): found on the visit's date, at its county and at `site_code`, one of the visit's sites
    (by default its only site; none when it named none or several and none is chosen); returns the item's code."""
    _need(role, roles.FOLLOWUP)
    rec = store.records(engine, SUPERVISION, scope.narrow(None))
    hit = rec.loc[rec["id"] == int(record_id)]
    if hit.empty:
        raise LookupError(f"第{record_id}号督导督查记录不存在或不在您的数据权限范围内")
    r = hit.iloc[0]
    found = r["date"]
    named = list(r["site_codes"])
    if site_code and site_code not in named:
        raise ValueError(f"安置点“{site_code}”不是该次督导督查的安置点（{'、'.join(named) or '未指定安置点'}）")
    site = site_code or (named[0] if len(named) == 1 else None)
    return rectifications.create_item(
        engine, scope, _Actor(user, role), found.strftime("%Y-%m"), county_code=str(r["county_code"]),
        source=SUPERVISION, description=_text(finding, "问题描述"), unit=unit, found_date=found, deadline=deadline,
        site_code=site, status=RECT_OPEN,
        note=f"由督导督查记录“{r['title']}”（{found.isoformat()}）发现的问题登记")
