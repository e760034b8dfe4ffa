"""四个跟进 checklist (domain.md §9), pure pandas: per county and month — was the leading group's monthly meeting
(定期调度) held, how many 督导督查 visits and 舆论宣传 cases were recorded, how many rectification items were
found, closed and overdue. A county with no 定期调度 record dated in the month skipped its meeting and is named in
the circular."""
from __future__ import annotations

import pandas as pd

from domain.calendar import period_end
from domain.followup import (CASE_HELD, CASE_PENDING, CASE_RECTIFIED, CIRCULAR_INTERVIEW, MEETING, PUBLICITY,
                             RECT_CLOSED, SUPERVISION)

CHECKLIST_COLUMNS = ["county_code", "county_name", "meetings", "meeting_held", "supervisions", "interviews",
                     "publicity",
                     "items_found", "items_closed", "items_overdue"]


def _in_month(dates: pd.Series, month: str) -> pd.Series:
    d = pd.to_datetime(dates, errors="coerce")
    start, end = pd.Timestamp(f"{month}-01"), pd.Timestamp(period_end(month))
    return ((d >= start) & (d <= end)).fillna(False).astype(bool)


def _count(frame: pd.DataFrame, mask: pd.Series) -> pd.Series:
    return frame.loc[mask].groupby("county_code").size()


def checklist(counties: pd.DataFrame, followups: pd.DataFrame, rectifications: pd.DataFrame,
              month: str) -> pd.DataFrame:
    """One row per county (in the counties' sort order) with CHECKLIST_COLUMNS for `month`.

    items_found / items_closed: items whose 发现日期 / 销号日期 falls in the month; items_overdue: items found by
    the period end, not 已销号 with a 销号日期 by then, whose deadline has passed by then."""
    c = counties.sort_values([x for x in ("sort_order", "county_code") if x in counties.columns],
                             na_position="last", kind="stable")
    out = pd.DataFrame({"county_code": c["county_code"].astype(str).to_numpy(),
                        "county_name": c["county_name"].astype(str).to_numpy()})
    f = followups.copy()
    f["county_code"] = f["county_code"].astype(str)
    in_month = _in_month(f["date"], month) if len(f) else pd.Series(dtype=bool)
    r = rectifications.copy()
    r["county_code"] = r["county_code"].astype(str)
    end = pd.Timestamp(period_end(month))
    if len(r):
        found_d = pd.to_datetime(r["found_date"], errors="coerce")
        closed_d = pd.to_datetime(r["closed_date"], errors="coerce")
        deadline = pd.to_datetime(r["deadline"], errors="coerce")
        closed_by_end = (r["status"].astype(str) == RECT_CLOSED) & (closed_d <= end)
        overdue = (found_d <= end) & ~closed_by_end & (deadline < end)
        found_m = _in_month(r["found_date"], month)
        closed_m = _in_month(r["closed_date"], month) & (r["status"].astype(str) == RECT_CLOSED)
    else:
        overdue = found_m = closed_m = pd.Series(dtype=bool)
    counts = {
        "meetings": _count(f, in_month & (f["kind"] == MEETING)) if len(f) else None,
        "supervisions": _count(f, in_month & (f["kind"] == SUPERVISION)) if len(f) else None,
        "interviews": _count(f, in_month & (f["kind"] == CIRCULAR_INTERVIEW)) if len(f) else None,
        "publicity": _count(f, in_month & (f["kind"] == PUBLICITY)) if len(f) else None,
        "items_found": _count(r, found_m) if len(r) else None,
        "items_closed": _count(r, closed_m) if len(r) else None,
        "items_overdue": _count(r, overdue.fillna(False).astype(bool)) if len(r) else None,
    }
    for col, s in counts.items():
        out[col] = (out["county_code"].map(s).fillna(0).astype(int) if s is not None else 0)
    out["meeting_held"] = out["meetings"] > 0
    return out[CHECKLIST_COLUMNS]


def skipped_meeting(table: pd.DataFrame) -> list[str]:
    """Names of the counties that held no 定期调度 in the month, in table order."""
    return [str(n) for n in table.loc[~table["meeting_held"], "county_name"]]


def pending_interviews(suggested: list[str], followups: pd.DataFrame, since: str, month: str) -> list[str]:
    """County codes suggested for 约谈 by the previous circular with no 通报约谈 record dated from the first day
    of `since` to the end of `month` (still 待约谈 a month later)."""
    if not suggested:
        return []
    d = pd.to_datetime(followups["date"], errors="coerce")
    ok = ((followups["kind"] == CIRCULAR_INTERVIEW) & (d >= pd.Timestamp(f"{since}-01"))
          & (d <= pd.Timestamp(period_end(month)))).fillna(False).astype(bool)
    done = set(followups.loc[ok, "county_code"].astype(str))
    return [c for c in suggested if str(c) not in done]


CASE_STATE_COLUMNS = ["case_id", "month", "county_code", "county_name", "level", "flags", "reason", "status",
                      "held_on", "interviewee", "interviewer", "linked", "linked_closed", "rectified_on", "late"]


def case_states(cases: pd.DataFrame, interviews: pd.DataFrame, rect: pd.DataFrame, month: str,
                flagged: set[str] | frozenset[str] = frozenset()) -> pd.DataFrame:
    """Each 约谈 case of a month up to `month` in the state it had at the end of `month` (CASE_STATE_COLUMNS).

    `cases`: case_id, month, county_code, county_name, level, flags, reason; `interviews`: case_id, held_on,
    interviewee, interviewer; `rect`: the rectification items as they stood at `month` (their versions holding
    then); `flagged`: county codes flagged 进度滞后 in `month`.
    * 已约谈 from the day of the interview (an interview dated after the period end does not count yet);
    * linked items: the county's items found by the end of the case's month and not 已销号 by then — the open
      items that stood behind the suggestion; 已整改 once interviewed and every linked item is 已销号 by the period
      end (rectified_on: the last 销号日期), or, with no linked item, once interviewed and the county is no longer
      flagged in a month after the case's month;
    * late: still 待约谈 at the end of a month after the case's month (marked in that month's circular)."""
    end = pd.Timestamp(period_end(month))
    c = cases.loc[cases["month"].astype(str) <= month].copy()
    if c.empty:
        return pd.DataFrame(columns=CASE_STATE_COLUMNS)
    iv = interviews.copy()
    iv["held_ts"] = pd.to_datetime(iv["held_on"], errors="coerce")
    iv = iv.loc[iv["held_ts"] <= end].sort_values("held_ts").drop_duplicates("case_id", keep="first")
    iv = iv.set_index("case_id")
    r = rect.copy()
    r["county_code"] = r["county_code"].astype(str)
    found_d = pd.to_datetime(r["found_date"], errors="coerce")
    closed_d = pd.to_datetime(r["closed_date"], errors="coerce")
    is_closed = r["status"].astype(str) == RECT_CLOSED
    out = []
    for x in c.itertuples(index=False):
        case_end = pd.Timestamp(period_end(str(x.month)))
        held = x.case_id in iv.index
        mine = (r["county_code"] == str(x.county_code)) & (found_d <= case_end)
        linked = mine & ~(is_closed & (closed_d <= case_end))
        done = linked & is_closed & (closed_d <= end)
        n_linked, n_done = int(linked.sum()), int(done.sum())
        rectified_on = closed_d[done].max() if n_done else pd.NaT
        if held and n_linked and n_done == n_linked:
            status = CASE_RECTIFIED
        elif held and not n_linked and str(x.month) < month and str(x.county_code) not in flagged:
            status, rectified_on = CASE_RECTIFIED, end
        else:
            status, rectified_on = (CASE_HELD if held else CASE_PENDING), pd.NaT
        hit = iv.loc[x.case_id] if held else None
        out.append((x.case_id, str(x.month), str(x.county_code), str(x.county_name), str(x.level), str(x.flags),
                    str(x.reason), status, hit["held_on"] if held else None,
                    hit["interviewee"] if held else None, hit["interviewer"] if held else None, n_linked, n_done,
                    None if pd.isna(rectified_on) else rectified_on.date(),
                    status == CASE_PENDING and str(x.month) < month))
    return pd.DataFrame(out, columns=CASE_STATE_COLUMNS)


def case_progress(now: pd.DataFrame, before: pd.DataFrame) -> list[str]:
    """Sentences of what happened to earlier months' cases this month, from the states at this month's end (`now`)
    and the previous month's end (`before`): interviews held, problems rectified, and cases still 待约谈 (late)."""
    was = dict(zip(before["case_id"], before["status"])) if len(before) else {}
    held, fixed, late = [], [], []
    for x in now.itertuples(index=False):
        prior = was.get(x.case_id, CASE_PENDING)
        label = f"{x.county_name}（{int(x.month[5:])}月通报{x.level}）"
        if x.status in (CASE_HELD, CASE_RECTIFIED) and prior == CASE_PENDING:
            d = pd.Timestamp(x.held_on)
            held.append(f"{label}已于{d.month}月{d.day}日约谈")
        if x.status == CASE_RECTIFIED and prior != CASE_RECTIFIED:
            fixed.append(x.county_name if not x.linked else f"{x.county_name}（{x.linked_closed}项问题）")
        if x.late:
            late.append(label)
    lines = []
    if held:
        lines.append("；".join(held))
    if fixed:
        lines.append(f"{'、'.join(fixed)}约谈后问题已整改销号")
    if late:
        lines.append(f"{'、'.join(late)}至今仍待约谈，予以通报，请抓紧落实")
    return lines


def summary_lines(table: pd.DataFrame, pending: list[str] | None = None,
                  progress: list[str] | None = None) -> list[str]:
    """The circular's 四个跟进 paragraphs (officialese), from a checklist table; `pending`: names of counties
    still 待约谈 from the previous circular's suggestions; `progress`: the 约谈 cases' sentences (case_progress),
    which replace `pending` when given."""
    n = len(table)
    held = int(table["meeting_held"].sum())
    skipped = skipped_meeting(table)
    lines = [f"跟进调度：{n}个县（市、区）中{held}个召开了领导小组月度调度会"
             + (f"，{'、'.join(skipped)}本月未召开调度会，予以通报。" if skipped else "，均按要求召开。"),
             f"跟进督导：本月开展督导督查{int(table['supervisions'].sum())}次，"
             f"新发现问题{int(table['items_found'].sum())}项，"
             f"整改销号{int(table['items_closed'].sum())}项，逾期未整改{int(table['items_overdue'].sum())}项。"]
    interviews = int(table["interviews"].sum())
    if progress is not None:
        late = any("仍待约谈" in p for p in progress)
        tail = "".join(f"；{p}" for p in progress) + ("。" if late else "；无上期建议约谈后仍待约谈的县（市、区）。")
    else:
        tail = (f"；{'、'.join(pending)}上期建议约谈，至今仍待约谈，请抓紧落实。" if pending
                else "；无上期建议约谈后仍待约谈的县（市、区）。")
    lines.append(f"跟进通报约谈：本月开展约谈{interviews}次" + tail)
    lines.append(f"跟进宣传：本月推出典型案例{int(table['publicity'].sum())}个。")
    return lines
