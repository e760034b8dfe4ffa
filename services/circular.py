"""Monthly circular (月度通报, domain.md §8): assemble it from stored results, issue it, list and re-download it.

* ``circular_data(engine, month, issue_no=None)`` -> ``data.exports.CircularData`` built only from what is
  already stored: site scores, robustness and county results from ``services.store`` (via
  ``services.results.results``), city totals via the overview's ``city_figures`` (so the circular reads the same
  figures as the 总览 KPI tiles), rectification counts from the ledger as of the period end.
* ``issue(engine, month, username)`` renders the Excel workbook and the Word draft, keeps both in the
  ``circulars`` table and writes the audit entry (``data.exports.save_circular``); returns the row id.
* ``issued(engine)`` lists issued circulars (no blobs); ``download(engine, id, kind)`` returns a stored file.
Downloads are audited through ``services.audit.log_export`` (every export is audited, domain.md §10).

Issue numbers (期号): by default the month's number in its year (2026-10 -> 2026年第10期). Circulars are monthly,
one issue per month, so the number always names the month it reports on and never shifts when a month is issued
late or again. Issuing a month that was already issued (e.g. after corrected ledgers) keeps the month's issue
number and is stored as a new edition (版次 2, 3, ...); every edition stays re-downloadable and the newest is the
one in force. An explicit ``issue_no`` overrides the default.

Issuer: ``<city name>易地搬迁后续扶持工作领导小组办公室`` with the city's full name as stored in the settings
(黔西南布依族苗族自治州 stays in full, as in the title). Cut-off date: the month's last day. Issue date printed on
the documents: the day the file is produced (the issue day for issued circulars).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from data import circulars
from data import repository as repo
from data.exports import ISSUER, CircularData, circular_docx, circular_workbook, save_circular, standard_title
from data.formatting import fmt_int, fmt_pct, fmt_people
from domain.calendar import period_end, previous_month
from data.followups import open_cases
from domain import roles
from domain.scope import CITY_SCOPE, OutOfScope, Scope
from scoring import followup as fu
from scoring.progress import rectification_state
from scoring.tables import county_table, site_ranking_table
from services import followup, settings
from services.overview import city_figures
from services.results import MonthView, results



@dataclass(frozen=True)
class FileKind:
    mime: str
    label: str            # what users call it


KINDS = {
    "xlsx": FileKind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel"),
    "docx": FileKind("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word"),
}
ISSUED_COLUMNS = ["id", "月份", "期号", "版次", "标题", "指标体系版本", "印发时间", "印发人"]
ISSUED_LABELS = {"month": "月份", "issue_no": "期号", "title": "标题", "catalogue_version": "指标体系版本",
                 "created_at": "印发时间", "username": "印发人"}


def default_issue_no(month: str) -> int:
    """The month's number in its year: 2026-10 -> 10 (see the module docstring)."""
    return int(month[5:7])


def issuer(city_name: str) -> str:
    """'黔西南布依族苗族自治州' -> '黔西南布依族苗族自治州易地搬迁后续扶持工作领导小组办公室'."""
    base = ISSUER[1:] if ISSUER.startswith("市") else ISSUER
    return f"{city_name}{base}"


@dataclass(frozen=True)
class RectificationTotals:
    found: int              # items found on or before the period end
    closed: int             # of which 已销号 by the period end
    open: int
    overdue: int
    found_in_month: int
    closed_in_month: int


def rectification_totals(engine: Engine, month: str) -> RectificationTotals:
    """Items found on or before the period end: found, closed (已销号 by the period end), open, overdue; plus the
    month's new and closed items. Same rule as the county flags (scoring.progress.rectification_state)."""
    rect = repo.rectifications(engine, month)
    state = rectification_state(rect, month)
    start, end = pd.Timestamp(f"{month}-01"), pd.Timestamp(period_end(month))
    found_d = pd.to_datetime(rect["found_date"], errors="coerce")
    closed_d = pd.to_datetime(rect["closed_date"], errors="coerce")
    in_month = lambda d: ((d >= start) & (d <= end)).to_numpy(dtype=bool, na_value=False)  # noqa: E731
    return RectificationTotals(found=int(state["in_scope"].sum()), closed=int(state["closed"].sum()),
                               open=int(state["open"].sum()), overdue=int(state["overdue"].sum()),
                               found_in_month=int(in_month(found_d).sum()),
                               closed_in_month=int((state["closed"].to_numpy(dtype=bool) & in_month(closed_d)).sum()))


def _weighted_rate(c: pd.DataFrame, col: str) -> float:
    """City rate from county rates weighted by labourers (= the pooled rate over all labourers)."""
    lab = c["labour"].astype(float)
    ok = c[col].notna() & (lab > 0)
    return float((c.loc[ok, col] * lab[ok]).sum() / lab[ok].sum()) if ok.any() else float("nan")


def city_totals(engine: Engine, r: MonthView, month: str) -> dict[str, str]:
    """§8 part 1, formatted for print (labels read as '全市<label><value>')."""
    f = city_figures(engine, r)          # the overview's figures (same numbers as the KPI tiles)
    c = r.counties
    rect = rectification_totals(engine, month)
    plan = f"年度计划{f.plan_year}个，" if f.plan_year is not None else ""
    # the same 序时进度 as the overview tile and the wall (§5, whole sites), so no two outputs disagree
    behind = "，滞后于序时进度" if f.qualified < f.expected_sites else ""
    return {
        "安置点": f"{f.sites}个",
        "五好达标安置点": f"{f.qualified}个（{plan}序时进度{f.expected_sites}个{behind}）",
        "搬迁人口": fmt_people(f.population),
        "劳动力": fmt_people(f.labour),
        "就业率": fmt_pct(f.employment_rate),
        "参训率": fmt_pct(_weighted_rate(c, "training_rate")),
        "持证率": fmt_pct(_weighted_rate(c, "certified_rate")),
        "零就业家庭": fmt_int(f.zero_emp, "户"),
        "权益落实率": f"{fmt_pct(f.coverage)}（迁入地{fmt_pct(f.coverage_in)}，迁出地{fmt_pct(f.coverage_out)}）",
        "整改问题": (f"累计发现{rect.found}项、已销号{rect.closed}项、逾期{f.overdue}项"
                 f"（本月新发现{rect.found_in_month}项、销号{rect.closed_in_month}项）"),
    }


def require_city(scope: Scope | None) -> None:
    """The circular is the city's document naming every county: a county scope is refused (OutOfScope)."""
    if scope is not None and not scope.is_city:
        raise OutOfScope("月度通报（全市各县区排名与预警）")


def _suggested_before(engine: Engine, month: str) -> list[str]:
    """County codes the previous month's results suggested for 约谈 (none when that month has no data)."""
    try:
        prev = results(engine, previous_month(month)).raw.county.counties
    except LookupError:
        return []
    esc = prev["escalation"]
    return [str(x) for x in prev.loc[esc.map(lambda v: isinstance(v, str) and bool(v)), "county_code"]]


def _followup_section(engine: Engine, month: str, counties: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """四个跟进 for the circular (part of circular_data, which is city-wide): the per-county checklist
    (scoring.followup.checklist) and its paragraphs. With 约谈 cases on record (issued circulars) the 通报约谈
    paragraph reports what became of them (services.followup.case_progress: interviews held, problems
    rectified, cases still 待约谈 a month later); before any case, the previous month's suggestions without a
    通报约谈 record are named as pending."""
    f = repo.followups(engine, month)
    table = fu.checklist(counties, f, repo.rectifications(engine, month), month)
    if len(followup.case_states(engine, previous_month(month), CITY_SCOPE)):
        return table, fu.summary_lines(table, progress=followup.case_progress(engine, month, CITY_SCOPE))
    names = dict(zip(table["county_code"], table["county_name"]))
    pending = fu.pending_interviews(_suggested_before(engine, month), f, previous_month(month), month)
    return table, fu.summary_lines(table, [names.get(c, c) for c in pending])


def _case_suggestions(engine: Engine, month: str) -> list[dict]:
    """The month's 建议约谈 / 建议约谈主要负责人 with their flags and reasons (what an issued circular opens)."""
    c = results(engine, month).raw.county.counties
    out = []
    for x in c.itertuples():
        if isinstance(x.escalation, str) and x.escalation:
            reasons = [] if x.reasons is None or isinstance(x.reasons, str) else list(x.reasons)
            out.append(dict(county_code=str(x.county_code), level=x.escalation, flags=str(x.flag_codes or ""),
                            reason="；".join(str(r) for r in reasons)))
    return out


def circular_data(engine: Engine, month: str, issue_no: int | None = None,
                  issue_date: dt.date | None = None, scope: Scope | None = None) -> CircularData:
    """Everything §8 shows for `month`, from stored results (nothing is rescored here); city scope only."""
    require_city(scope)
    r = results(engine, month)           # services.store.month_results, joined for display
    mr = r.raw
    cm = mr.county
    city = settings.city_name(engine)
    no = int(issue_no) if issue_no else default_issue_no(month)

    full = county_table(cm, with_flags=True)
    flagged = (full["进度滞后"].fillna("") != "").reset_index(drop=True)
    counties = full.drop(columns=["进度滞后", "约谈建议"])

    ordered = cm.counties.sort_values(["sort_order", "county_code"], na_position="last", kind="stable")
    sentences = cm.flags.groupby("county_code", sort=False)["sentence"].apply(list).to_dict()
    lagging = [(str(x.county_name), list(sentences.get(x.county_code, [])))
               for x in ordered.itertuples() if bool(x.flagged)]
    interviews = [(str(x.county_name), str(x.escalation)) for x in ordered.itertuples()
                  if isinstance(x.escalation, str) and x.escalation]

    _, followup_lines = _followup_section(engine, month, cm.counties)
    cases = followup.case_table(followup.case_states(engine, month, CITY_SCOPE))
    return CircularData(
        followup=followup_lines,
        interview_cases=cases.drop(columns=["case_id", "late"]), interview_late=[bool(x) for x in cases["late"]],
        city_name=city, month=month, issue_no=no, title=standard_title(city, month, no),
        cutoff_date=period_end(month), catalogue_version=mr.catalogue_version,
        county_table=counties, county_flagged=flagged,
        site_table=site_ranking_table(mr.scores, mr.mc),
        city_totals=city_totals(engine, r, month),
        lagging=lagging, interview_suggestions=interviews, praise=list(cm.praise or []),
        issuer=issuer(city), demo=settings.is_demo(engine),
        issue_date=issue_date or dt.date.today(),
    )


def draft_file(c: CircularData, kind: str) -> bytes:
    """The circular as an Excel workbook ('xlsx') or a Word draft ('docx')."""
    if kind == "xlsx":
        return circular_workbook(c)
    if kind == "docx":
        return circular_docx(c)
    raise ValueError(f"不支持的文件类型“{kind}”（可选：xlsx、docx）")


def files(c: CircularData) -> dict[str, bytes]:
    return {kind: draft_file(c, kind) for kind in KINDS}


def file_name(c_or_title, month: str, kind: str) -> str:
    title = c_or_title.title if isinstance(c_or_title, CircularData) else str(c_or_title)
    return f"{title}_{month}.{kind}"


def issue(engine: Engine, month: str, username: str, issue_no: int | None = None, scope: Scope | None = None,
          role: str | None = None) -> int:
    """Issue (印发) the month's circular: render both files, keep them and audit it, and open a 待约谈 case for
    each of its 约谈 suggestions (none twice: re-issuing the month opens none); returns the row id. With `role`
    given (the command line's --user), a role without the CIRCULAR action is refused (PermissionError)."""
    require_city(scope)
    if role is not None and not roles.can(role, roles.CIRCULAR):
        raise PermissionError(f"当前角色（{role}）无权{roles.CIRCULAR.label}，"
                              f"该功能仅限{'、'.join(roles.roles_with(roles.CIRCULAR))}")
    c = circular_data(engine, month, issue_no)
    blobs = files(c)
    suggestions = _case_suggestions(engine, month)
    with Session(engine) as s, s.begin():
        row = save_circular(s, c, username=username, xlsx=blobs["xlsx"], docx=blobs["docx"])
        s.flush()
        open_cases(s, month=month, circular_id=int(row.id), suggestions=suggestions, user=username)
        return int(row.id)


def issued(engine: Engine, month: str | None = None, scope: Scope | None = None) -> pd.DataFrame:
    """Issued circulars, newest first (no file contents). 版次 numbers the editions of one month's issue."""
    require_city(scope)
    df = circulars.issued(engine, month).rename(columns=ISSUED_LABELS)
    if df.empty:
        return pd.DataFrame(columns=ISSUED_COLUMNS)
    df["版次"] = df.groupby(["月份", "期号"]).cumcount() + 1
    return df[ISSUED_COLUMNS].sort_values("id", ascending=False).reset_index(drop=True)


def download(engine: Engine, circular_id: int, kind: str, scope: Scope | None = None) -> bytes:
    """The stored file ('xlsx' or 'docx') of an issued circular."""
    require_city(scope)
    if kind not in KINDS:
        raise ValueError(f"不支持的文件类型“{kind}”（可选：xlsx、docx）")
    found, blob = circulars.stored_file(engine, circular_id, kind)
    if not found:
        raise LookupError(f"第{circular_id}号通报记录不存在")
    if blob is None:
        raise LookupError(f"该通报未保存{KINDS[kind].label}文件")
    return blob
