"""The users and user_sessions tables: accounts, lockout counters, server-side sign-in sessions, and the audit
entries of account changes written in the same transaction. Password hashing and the rules (how many failures
lock, for how long, idle expiry) live in services.accounts; times are naive UTC."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, delete, or_, select
from sqlalchemy.orm import Session

from data import audit
from data import models as m


@dataclass(frozen=True)
class UserRecord:
    username: str
    display_name: str
    role: str
    county_code: str | None
    county_name: str | None
    password_hash: str | None
    active: bool
    failed_logins: int = 0
    locked_until: dt.datetime | None = None


def _record(s: Session, u: m.User) -> UserRecord:
    county = s.get(m.County, u.county_code) if u.county_code else None
    return UserRecord(username=u.username, display_name=u.display_name or u.username, role=u.role,
                      county_code=u.county_code, county_name=county.name if county else None,
                      password_hash=u.password_hash, active=bool(u.active), failed_logins=u.failed_logins or 0,
                      locked_until=u.locked_until)


def _get(s: Session, username: str) -> m.User | None:
    return s.execute(select(m.User).where(m.User.username == username)).scalar_one_or_none()


def find_user(engine: Engine, username: str) -> UserRecord | None:
    """The user named `username` with their county's name, or None."""
    with Session(engine) as s:
        u = _get(s, username)
        return None if u is None else _record(s, u)


def list_users(engine: Engine) -> list[UserRecord]:
    with Session(engine) as s:
        return [_record(s, u) for u in s.execute(select(m.User).order_by(m.User.id)).scalars()]


def find_county(engine: Engine, name_or_code: str) -> tuple[str, str] | None:
    """(code, name) of the county with that code or Chinese name, or None."""
    with Session(engine) as s:
        c = s.execute(select(m.County).where(or_(m.County.code == name_or_code, m.County.name == name_or_code))
                      ).scalars().first()
        return None if c is None else (c.code, c.name)


def create_user(engine: Engine, *, username: str, display_name: str, role: str, county_code: str | None,
                password_hash: str, by: str, detail: str) -> None:
    """Insert an account and its audit entry in one transaction (raises ValueError when the name is taken)."""
    with Session(engine) as s, s.begin():
        if _get(s, username) is not None:
            raise ValueError(f"用户名“{username}”已存在")
        s.add(m.User(username=username, display_name=display_name, role=role, county_code=county_code,
                     password_hash=password_hash, active=True, failed_logins=0))
        audit.record(s, user=by, action=audit.ACCOUNT, detail=detail)


def update_user(engine: Engine, username: str, *, by: str, detail: str, end_sessions: bool = False,
                **fields) -> None:
    """Change fields of an account (role, county_code, active, display_name, password_hash, failed_logins,
    locked_until) with its audit entry; `end_sessions` signs the user out everywhere. KeyError if unknown."""
    with Session(engine) as s, s.begin():
        u = _get(s, username)
        if u is None:
            raise KeyError(username)
        for k, v in fields.items():
            setattr(u, k, v)
        if end_sessions:
            s.execute(delete(m.UserSession).where(m.UserSession.username == username))
        audit.record(s, user=by, action=audit.ACCOUNT, detail=detail)


def set_hash(engine: Engine, username: str, password_hash: str) -> None:
    """Replace a stored hash without an audit entry (the silent upgrade of an old hash at sign-in)."""
    with Session(engine) as s, s.begin():
        u = _get(s, username)
        if u is not None:
            u.password_hash = password_hash


def register_failure(engine: Engine, username: str, *, now: dt.datetime, limit: int, lock: dt.timedelta,
                     detail: str) -> tuple[int, dt.datetime | None]:
    """Count one wrong password (row locked while counting); at `limit` in a row lock until now + lock and reset
    the counter. Audits the failure (and the lockout). Returns (failures in a row, locked_until or None)."""
    with Session(engine) as s, s.begin():
        u = s.execute(select(m.User).where(m.User.username == username).with_for_update()).scalar_one_or_none()
        if u is None:
            audit.record(s, user=username, action=audit.LOGIN_FAILED, detail=detail)
            return 0, None
        u.failed_logins = (u.failed_logins or 0) + 1
        n = u.failed_logins
        audit.record(s, user=username, action=audit.LOGIN_FAILED, detail=f"{detail}（连续第{n}次）")
        if n >= limit:
            u.locked_until = now + lock
            u.failed_logins = 0
            audit.record(s, user=username, action=audit.LOCKOUT,
                         detail=f"连续{n}次密码错误，账号锁定至 {u.locked_until:%Y-%m-%d %H:%M} (UTC)")
            return n, u.locked_until
        return n, None


def register_success(engine: Engine, username: str, *, now: dt.datetime, session_id: str, detail: str) -> None:
    """Reset the failure counter, open a server-side session and audit the sign-in, in one transaction."""
    with Session(engine) as s, s.begin():
        u = _get(s, username)
        u.failed_logins = 0
        u.locked_until = None
        s.add(m.UserSession(id=session_id, username=username, created_at=now, last_seen=now))
        audit.record(s, user=username, action=audit.LOGIN, detail=detail)


def session_row(engine: Engine, session_id: str) -> tuple[str, dt.datetime] | None:
    """(username, last_seen) of a session, or None when it was ended."""
    with Session(engine) as s:
        r = s.get(m.UserSession, session_id)
        return None if r is None else (r.username, r.last_seen)


def touch_session(engine: Engine, session_id: str, now: dt.datetime) -> None:
    with Session(engine) as s, s.begin():
        r = s.get(m.UserSession, session_id)
        if r is not None:
            r.last_seen = now


def end_session(engine: Engine, session_id: str, *, username: str | None, detail: str | None) -> bool:
    """Delete a session (audited as a sign-out when `detail` is given). True when it existed."""
    with Session(engine) as s, s.begin():
        r = s.get(m.UserSession, session_id)
        if r is None:
            return False
        s.delete(r)
        if detail is not None:
            audit.record(s, user=username or r.username, action=audit.LOGOUT, detail=detail)
        return True
