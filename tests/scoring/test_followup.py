"""四个跟进 checklist (scoring.followup) on a hand-worked fixture over four months.

Counties: 甲县 (A) lags, is suggested for 约谈 after 2026-08, is interviewed in 2026-10 and closes its items;
乙县 (B) holds every meeting and recovers; 丙县 (C) skips its 2026-09 meeting."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from scoring import followup as fu

D = dt.date
COUNTIES = pd.DataFrame({"county_code": ["A", "B", "C"], "county_name": ["甲县", "乙县", "丙县"],
                         "sort_order": [1, 2, 3]})
FOLLOWUPS = pd.DataFrame([
    # kind, date, county, site, title, content
    ("定期调度", D(2026, 7, 20), "A", None, "7月调度会", ""),
    ("定期调度", D(2026, 7, 21), "B", None, "7月调度会", ""),
    ("定期调度", D(2026, 7, 22), "C", None, "7月调度会", ""),
    ("定期调度", D(2026, 8, 20), "A", None, "8月调度会", ""),
    ("定期调度", D(2026, 8, 21), "B", None, "8月调度会", ""),
    ("定期调度", D(2026, 8, 22), "C", None, "8月调度会", ""),
    ("督导督查", D(2026, 8, 10), "A", "A01", "8月督导", "发现2个问题"),
    ("定期调度", D(2026, 9, 20), "A", None, "9月调度会", ""),
    ("定期调度", D(2026, 9, 21), "B", None, "9月调度会", ""),
    # C skips September
    ("定期调度", D(2026, 10, 20), "A", None, "10月调度会", ""),
    ("定期调度", D(2026, 10, 21), "B", None, "10月调度会", ""),
    ("定期调度", D(2026, 10, 22), "C", None, "10月调度会", ""),
    ("通报约谈", D(2026, 10, 8), "A", None, "约谈甲县分管负责人", "已约谈"),
    ("舆论宣传", D(2026, 10, 15), "B", "B01", "乙县就业帮扶典型案例", ""),
], columns=["kind", "date", "county_code", "site_code", "title", "content"])
RECT = pd.DataFrame([
    # item, county, site, source, desc, unit, found, deadline, status, closed
    ("R1", "A", "A01", "督导督查", "服务缺位", "民政局", D(2026, 8, 10), D(2026, 9, 10), "已销号", D(2026, 10, 25)),
    ("R2", "A", "A01", "督导督查", "台账不全", "人社局", D(2026, 8, 10), D(2026, 10, 31), "已销号", D(2026, 10, 28)),
    ("R3", "B", "B01", "群众反映", "路灯损坏", "县住建局", D(2026, 9, 5), D(2026, 9, 30), "已销号", D(2026, 9, 25)),
], columns=["item_code", "county_code", "site_code", "source", "description", "unit", "found_date", "deadline",
            "status", "closed_date"])


def row(t, code):
    return t.set_index("county_code").loc[code]


def test_august_meetings_all_held_items_found():
    t = fu.checklist(COUNTIES, FOLLOWUPS, RECT, "2026-08")
    assert list(t["county_name"]) == ["甲县", "乙县", "丙县"]
    assert fu.skipped_meeting(t) == []
    assert row(t, "A")["supervisions"] == 1 and row(t, "A")["items_found"] == 2
    assert row(t, "A")["items_overdue"] == 0       # R1's deadline 9-10 not yet passed at 8-31


def test_september_skipped_meeting_and_overdue():
    t = fu.checklist(COUNTIES, FOLLOWUPS, RECT, "2026-09")
    assert fu.skipped_meeting(t) == ["丙县"]
    assert row(t, "A")["items_overdue"] == 1       # R1 past 9-10, closed only on 10-25
    assert row(t, "B")["items_closed"] == 1 and row(t, "B")["items_overdue"] == 0
    # A was suggested after August and no 约谈 is recorded by the end of September: still 待约谈
    assert fu.pending_interviews(["A"], FOLLOWUPS, "2026-09", "2026-09") == ["A"]
    lines = fu.summary_lines(t, ["甲县"])
    assert "3个县（市、区）中2个召开" in lines[0] and "丙县本月未召开调度会" in lines[0]
    assert "逾期未整改1项" in lines[1]
    assert "甲县上期建议约谈，至今仍待约谈" in lines[2]


def test_october_interview_held_items_closed():
    t = fu.checklist(COUNTIES, FOLLOWUPS, RECT, "2026-10")
    assert fu.skipped_meeting(t) == []
    assert row(t, "A")["interviews"] == 1
    assert row(t, "A")["items_closed"] == 2 and row(t, "A")["items_overdue"] == 0
    assert fu.pending_interviews(["A"], FOLLOWUPS, "2026-09", "2026-10") == []
    lines = fu.summary_lines(t, [])
    assert "均按要求召开" in lines[0]
    assert "整改销号2项，逾期未整改0项" in lines[1]
    assert "本月开展约谈1次" in lines[2] and "推出典型案例1个" in lines[3]


def test_empty_records():
    empty_f = FOLLOWUPS.iloc[0:0]
    t = fu.checklist(COUNTIES, empty_f, RECT.iloc[0:0], "2026-10")
    assert fu.skipped_meeting(t) == ["甲县", "乙县", "丙县"]
    assert int(t[["supervisions", "interviews", "publicity", "items_found"]].to_numpy().sum()) == 0
