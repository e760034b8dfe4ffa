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

# 约谈 cases (domain.md §6 escalation, §9 通报约谈): every 建议约谈 / 建议约谈主要负责人 of an issued circular opens a
# case of that county and month. It is 待约谈 until a 市级督导 records the interview (已约谈), and 已整改 once,
# after the interview, every rectification item of the county that was open at the end of the case's month is
# 已销号 (a case with no such item: once the county is no longer flagged in a later month). A case still 待约谈 in
# the month after its circular is marked in that month's circular.
CASE_PENDING, CASE_HELD, CASE_RECTIFIED = "待约谈", "已约谈", "已整改"
CASE_STATUSES: tuple[str, ...] = (CASE_PENDING, CASE_HELD, CASE_RECTIFIED)

# an interview's attachment (scan of the record, photo) is kept in the database: size and types are bounded
ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
ATTACHMENT_TYPES: tuple[str, ...] = ("pdf", "jpg", "jpeg", "png", "docx")
