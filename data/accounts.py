"""The users table: look a user up for sign-in (password checks live in services.accounts)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

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


def find_user(engine: Engine, username: str) -> UserRecord | None:
    """The user named `username` with their county's name, or None."""
    with Session(engine) as s:
        u = s.execute(select(m.User).where(m.User.username == username)).scalar_one_or_none()
        if u is None:
            return None
        county = s.get(m.County, u.county_code) if u.county_code else None
        return UserRecord(username=u.username, display_name=u.display_name or u.username, role=u.role,
                          county_code=u.county_code, county_name=county.name if county else None,
                          password_hash=u.password_hash, active=bool(u.active))
