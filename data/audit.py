"""The audit log (domain.md §10): every import, export, circular, sign-in and change is written through here.

One function does the writing::

    record(where, user="督导甲", action=EXPORT, detail="安置点排名；月份 2026-10")

``where`` is either

* an open ``Session``: the row joins the caller's transaction, so the audit entry and the work it records are
  committed (or rolled back) together; the caller commits. Use this whenever the audited work itself writes.
* an ``Engine``: the row is written and committed in a transaction of its own (for events that write nothing
  else, e.g. a download). Errors propagate: the caller decides whether the user's action may go on without
  its audit entry (a download already handed to the browser must not be lost) and says so where it catches.

The actions are the Chinese words stored in ``audit_log.action``; ``export_detail`` is the one wording of an
export entry.
"""
from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from data.models import AuditLog

IMPORT = "导入"
EXPORT = "导出"
CIRCULAR = "通报"
LOGIN = "登录"
CONFIG = "配置变更"
LOGIN_FAILED = "登录失败"
LOCKOUT = "账号锁定"
LOGOUT = "退出登录"
ACCOUNT = "账号变更"          # accounts created, disabled/enabled, role/county changed, passwords set or changed
RECTIFICATION = "整改变更"   # rectification items added, edited or closed (销号) in the browser
FOLLOWUP = "跟进记录"         # 约谈 cases opened and interviews recorded, meetings / visits / publicity added
ACTIONS = (IMPORT, EXPORT, CIRCULAR, LOGIN, CONFIG, LOGIN_FAILED, LOCKOUT, LOGOUT, ACCOUNT, RECTIFICATION, FOLLOWUP)


def record(where: Session | Engine, *, user: str, action: str, detail: str = "") -> None:
    """Write one audit entry by `user` (a username). In a Session: added to the caller's transaction (the caller
    commits). With an Engine: committed at once in its own transaction."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}; one of {ACTIONS}")
    row = AuditLog(username=user, action=action, detail=detail or "")
    if isinstance(where, Session):
        where.add(row)
        return
    with Session(where) as s, s.begin():
        s.add(row)


def export_detail(what: str, month: str | None = None, detail: str = "") -> str:
    """'安置点排名；月份 2026-10；排名.xlsx' — the wording of an export entry."""
    return "；".join(p for p in (what, month and f"月份 {month}", detail) if p)
