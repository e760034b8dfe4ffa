"""四个跟进 records (domain.md §9): rectification ledger (问题整改台账) and follow-up record kinds.

An item is closed (已销号) only with a 销号日期; at a period's end an item not closed by then is open, and it is
overdue when its deadline has passed.
"""
from __future__ import annotations

RECT_SOURCES: tuple[str, ...] = ("督导督查", "明察暗访", "群众反映", "通报")

RECT_OPEN, RECT_IN_PROGRESS, RECT_CLOSED = "未整改", "整改中", "已销号"
RECT_STATUSES: tuple[str, ...] = (RECT_OPEN, RECT_IN_PROGRESS, RECT_CLOSED)

MEETING, SUPERVISION, CIRCULAR_INTERVIEW, PUBLICITY = "定期调度", "督导督查", "通报约谈", "舆论宣传"
FOLLOWUP_KINDS: tuple[str, ...] = (MEETING, SUPERVISION, CIRCULAR_INTERVIEW, PUBLICITY)
