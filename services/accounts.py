"""Accounts: password hashing (pbkdf2), sign-in against the users table (audited), the signed-in account."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine

from data import accounts as users
from data import audit

PBKDF2_ITERATIONS = 260_000
WERKZEUG_DEFAULT_ITERATIONS = 600_000


@dataclass(frozen=True)
class Account:
    """A signed-in user (what the session keeps)."""
    username: str
    display_name: str
    role: str
    county_code: str | None = None
    county_name: str | None = None


def hash_password(password: str, *, iterations: int = PBKDF2_ITERATIONS, salt: str | None = None) -> str:
    """'pbkdf2_sha256$<iterations>$<salt>$<base64 hash>'."""
    salt = salt or secrets.token_hex(12)
    dk = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt.encode("utf-8"), iterations)
    return f"pbkdf2_sha256${iterations}${salt}${base64.b64encode(dk).decode('ascii')}"


def verify_password(password: str, stored: str | None) -> bool:
    """Checks 'pbkdf2_sha256$N$salt$b64' (also 'pbkdf2:sha256:N$salt$hex' as written by werkzeug)."""
    if not stored or password is None:
        return False
    try:
        if stored.startswith("pbkdf2_sha256$"):
            _, n, salt, want = stored.split("$", 3)
            dk = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), int(n))
            return hmac.compare_digest(base64.b64encode(dk).decode("ascii"), want)
        if stored.startswith("pbkdf2:"):
            method, salt, want = stored.split("$", 2)
            parts = method.split(":")
            algo = parts[1] if len(parts) > 1 else "sha256"
            n = int(parts[2]) if len(parts) > 2 else WERKZEUG_DEFAULT_ITERATIONS
            dk = hashlib.pbkdf2_hmac(algo, password.encode(), salt.encode(), n)
            return hmac.compare_digest(dk.hex(), want)
    except (ValueError, TypeError):
        return False
    return False


def authenticate(engine: Engine, username: str, password: str) -> Account | None:
    """The account when the user exists, is active and the password matches (the sign-in is audited), else None."""
    if not username or not password:
        return None
    u = users.find_user(engine, username)
    if u is None or not u.active or not verify_password(password, u.password_hash):
        return None
    audit.record(engine, user=u.username, action=audit.LOGIN, detail="登录成功")
    return Account(username=u.username, display_name=u.display_name, role=u.role, county_code=u.county_code,
                   county_name=u.county_name)
