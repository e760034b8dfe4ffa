"""四个跟进 checklist (domain.md §9), pure pandas: per county and month — was the leading group's monthly meeting
(定期调度) held, how many 督导督查 visits and 舆论宣传 cases were recorded, how many rectification items were
found, closed and overdue. A county with no 定期调度 record dated in the month skipped its meeting and is named in
the circular."""
from __future__ import annotations

import pandas as pd

from domain.calendar import period_end
from domain.followup import CIRCULAR_INTERVIEW, MEETING, PUBLICITY, RECT_CLOSED, SUPERVISION

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


def summary_lines(table: pd.DataFrame, pending: list[str] | None = None) -> list[str]:
    """The circular's 四个跟进 paragraphs (officialese), from a checklist table; `pending`: names of counties
    still 待约谈 from the previous circular's suggestions."""
    n = len(table)
    held = int(table["meeting_held"].sum())
    skipped = skipped_meeting(table)
    lines = [f"跟进调度：{n}个县（市、区）中{held}个召开了领导小组月度调度会"
             + (f"，{'、'.join(skipped)}本月未召开调度会，予以通报。" if skipped else "，均按要求召开。"),
             f"跟进督导：本月开展督导督查{int(table['supervisions'].sum())}次，"
             f"新发现问题{int(table['items_found'].sum())}项，"
             f"整改销号{int(table['items_closed'].sum())}项，逾期未整改{int(table['items_overdue'].sum())}项。"]
    interviews = int(table["interviews"].sum())
    tail = (f"；{'、'.join(pending)}上期建议约谈，至今仍待约谈，请抓紧落实。" if pending
            else "；无上期建议约谈后仍待约谈的县（市、区）。")
    lines.append(f"跟进通报约谈：本月开展约谈{interviews}次" + tail)
    lines.append(f"跟进宣传：本月推出典型案例{int(table['publicity'].sum())}个。")
    return lines
