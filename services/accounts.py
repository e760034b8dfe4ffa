"""Accounts: password hashing (argon2id; old pbkdf2 hashes verified and upgraded at the next sign-in), sign-in
with lockout (5 wrong passwords in a row lock the account for 15 minutes, held in the database), server-side
sessions behind a signed, expiring token (the browser's cookie), idle expiry, account administration and the
command line's account commands. Every sign-in, failure, lockout, sign-out and account change is audited.

Times are naive UTC; every function that depends on the clock takes ``now`` so tests can inject it.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine

from data import accounts as users
from data import audit
from data.db import get_setting, set_setting
from domain import roles

WERKZEUG_DEFAULT_ITERATIONS = 600_000
MAX_FAILURES = 5                                   # wrong passwords in a row before the account locks
LOCK_DURATION = dt.timedelta(minutes=15)
DEFAULT_IDLE_MINUTES = 30                          # setting 'session_idle_minutes' or env SESSION_IDLE_MINUTES
TOKEN_LIFETIME = dt.timedelta(hours=12)            # a token is refused after this even if the session is in use
SECRET_SETTING = "session_secret"
IDLE_SETTING = "session_idle_minutes"
MIN_PASSWORD_LENGTH = 8

_hasher = PasswordHasher()                         # argon2id with the library's recommended parameters
_dummy_hash: str | None = None


class AccountError(ValueError):
    """A refusal with a Chinese message for the user (unknown role or county, name taken, weak password ...)."""


@dataclass(frozen=True)
class Account:
    """A signed-in user (what the session keeps)."""
    username: str
    display_name: str
    role: str
    county_code: str | None = None
    county_name: str | None = None


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in: the account and its session token, or a Chinese message."""
    account: Account | None
    token: str | None = None
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.account is not None


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


# ------------------------------------------------------------------------------------------------ passwords
def hash_password(password: str) -> str:
    """An argon2id hash ('$argon2id$v=19$...')."""
    return _hasher.hash(password)


def _legacy_verify(password: str, stored: str) -> bool:
    """'pbkdf2_sha256$N$salt$b64' (this product before argon2) and 'pbkdf2:sha256:N$salt$hex' (werkzeug)."""
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
    return False


def verify_password(password: str, stored: str | None) -> bool:
    """True when `password` matches the stored argon2id or old pbkdf2 hash."""
    if not stored or password is None:
        return False
    try:
        if stored.startswith("$argon2"):
            return _hasher.verify(stored, password)
        return _legacy_verify(password, stored)
    except (VerifyMismatchError, VerificationError, InvalidHashError, ValueError, TypeError):
        return False


def needs_upgrade(stored: str | None) -> bool:
    """An old (pbkdf2) hash or an argon2 hash with outdated parameters."""
    if not stored:
        return False
    if not stored.startswith("$argon2"):
        return True
    try:
        return _hasher.check_needs_rehash(stored)
    except (InvalidHashError, ValueError):
        return True


def dummy_hash() -> str:
    """A hash to verify against for an unknown user, so that sign-in takes the same time either way."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = hash_password(secrets.token_urlsafe(16))
    return _dummy_hash


def check_new_password(password: str) -> None:
    if not password or len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"密码至少需要{MIN_PASSWORD_LENGTH}个字符")
    if password.strip() != password:
        raise AccountError("密码首尾不能是空格")


# ------------------------------------------------------------------------------------------------ sign-in
def _account(u: users.UserRecord) -> Account:
    return Account(username=u.username, display_name=u.display_name, role=u.role, county_code=u.county_code,
                   county_name=u.county_name)


def _cn_time(t: dt.datetime) -> str:
    """UTC → Beijing time for messages ('2026-12-01 14:35')."""
    return f"{t + dt.timedelta(hours=8):%Y-%m-%d %H:%M}"


WRONG = "用户名或密码不正确，或账号已停用。"


def sign_in(engine: Engine, username: str, password: str, *, now: dt.datetime | None = None,
            via: str = "密码") -> SignIn:
    """Check a user name and password: exactly one hash verification whatever the case (unknown user, disabled,
    locked or not), the lockout rule, the silent upgrade of an old hash, a new server-side session. Audited."""
    now = now or utcnow()
    username = (username or "").strip()
    u = users.find_user(engine, username) if username else None
    stored = u.password_hash if u is not None and u.password_hash else dummy_hash()
    matches = verify_password(password or "", stored)
    if u is None or not u.password_hash:
        audit.record(engine, user=username or "（空）", action=audit.LOGIN_FAILED,
                     detail="登录失败：用户不存在" if u is None else "登录失败：账号未设置密码")
        return SignIn(None, message=WRONG)
    if u.locked_until is not None and u.locked_until > now:
        audit.record(engine, user=username, action=audit.LOGIN_FAILED,
                     detail=f"登录被拒绝：账号锁定中（至 {u.locked_until:%Y-%m-%d %H:%M} UTC）")
        return SignIn(None, message=f"该账号因连续{MAX_FAILURES}次密码错误已被锁定，"
                                    f"请于 {_cn_time(u.locked_until)}（北京时间）后再试，或联系系统管理员。")
    if not u.active:
        audit.record(engine, user=username, action=audit.LOGIN_FAILED, detail="登录失败：账号已停用")
        return SignIn(None, message=WRONG)
    if not matches:
        n, until = users.register_failure(engine, username, now=now, limit=MAX_FAILURES, lock=LOCK_DURATION,
                                          detail="登录失败：密码错误")
        if until is not None:
            return SignIn(None, message=f"连续{n}次密码错误，该账号已被锁定，"
                                        f"请于 {_cn_time(until)}（北京时间）后再试。")
        return SignIn(None, message=WRONG + (f"再错{MAX_FAILURES - n}次账号将被锁定{LOCK_DURATION.seconds // 60}分钟。"
                                             if MAX_FAILURES - n <= 2 else ""))
    if needs_upgrade(u.password_hash):
        users.set_hash(engine, username, hash_password(password))
    sid = secrets.token_urlsafe(24)
    users.register_success(engine, username, now=now, session_id=sid, detail=f"登录成功（{via}）")
    return SignIn(_account(u), token=make_token(engine, sid, now=now))


def sign_in_trusted(engine: Engine, username: str, *, now: dt.datetime | None = None) -> SignIn:
    """Single sign-on: the reverse proxy vouches for `username`; the account must exist, be active and unlocked
    (its role and county apply). Audited like a password sign-in."""
    now = now or utcnow()
    u = users.find_user(engine, username)
    if u is None or not u.active or (u.locked_until is not None and u.locked_until > now):
        audit.record(engine, user=username, action=audit.LOGIN_FAILED,
                     detail="统一认证登录失败：账号不存在、已停用或锁定中")
        return SignIn(None, message="统一认证的用户在本平台没有可用账号，请联系系统管理员。")
    sid = secrets.token_urlsafe(24)
    users.register_success(engine, u.username, now=now, session_id=sid, detail="登录成功（统一认证）")
    return SignIn(_account(u), token=make_token(engine, sid, now=now))


def authenticate(engine: Engine, username: str, password: str, *, now: dt.datetime | None = None) -> Account | None:
    """The account when the user exists, is active, not locked and the password matches, else None."""
    return sign_in(engine, username, password, now=now).account


# ------------------------------------------------------------------------------------------------ sessions
def _secret(engine: Engine) -> bytes:
    s = get_setting(engine, SECRET_SETTING)
    if not s:
        set_setting(engine, SECRET_SETTING, secrets.token_hex(32))
        s = get_setting(engine, SECRET_SETTING)
    return s.encode()


def _sign(engine: Engine, payload: str) -> str:
    return hmac.new(_secret(engine), payload.encode(), hashlib.sha256).hexdigest()


def make_token(engine: Engine, session_id: str, *, now: dt.datetime | None = None) -> str:
    """'<session id>.<expires, unix seconds>.<HMAC-SHA256>' — what the browser's cookie holds."""
    now = now or utcnow()
    exp = int((now + TOKEN_LIFETIME).replace(tzinfo=dt.timezone.utc).timestamp())
    payload = f"{session_id}.{exp}"
    return f"{payload}.{_sign(engine, payload)}"


def idle_minutes(engine: Engine) -> int:
    raw = os.environ.get("SESSION_IDLE_MINUTES") or get_setting(engine, IDLE_SETTING)
    try:
        return max(1, int(raw)) if raw else DEFAULT_IDLE_MINUTES
    except ValueError:
        return DEFAULT_IDLE_MINUTES


def _session_id(engine: Engine, token: str | None, now: dt.datetime) -> str | None:
    try:
        sid, exp, sig = (token or "").split(".")
        if not hmac.compare_digest(sig, _sign(engine, f"{sid}.{exp}")):
            return None
        if int(exp) < now.replace(tzinfo=dt.timezone.utc).timestamp():
            return None
        return sid
    except ValueError:
        return None


def resume(engine: Engine, token: str | None, *, now: dt.datetime | None = None) -> Account | None:
    """The account of a valid token whose session exists, has not been idle too long, and whose user is still
    active and unlocked; the session's idle clock restarts. None otherwise (an idle session is ended)."""
    now = now or utcnow()
    sid = _session_id(engine, token, now)
    if sid is None:
        return None
    row = users.session_row(engine, sid)
    if row is None:
        return None
    username, last_seen = row
    if now - last_seen > dt.timedelta(minutes=idle_minutes(engine)):
        users.end_session(engine, sid, username=username, detail="会话超时，自动退出")
        return None
    u = users.find_user(engine, username)
    if u is None or not u.active or (u.locked_until is not None and u.locked_until > now):
        return None
    if now - last_seen > dt.timedelta(seconds=30):        # write at most twice a minute per session
        users.touch_session(engine, sid, now)
    return _account(u)


def sign_out(engine: Engine, token: str | None, *, now: dt.datetime | None = None) -> None:
    """End the token's session everywhere (every tab and browser holding it). Audited."""
    sid = _session_id(engine, token, now or utcnow())
    if sid:
        users.end_session(engine, sid, username=None, detail="退出登录")


# ------------------------------------------------------------------------------------------------ administration
def authorise(engine: Engine, by: str, action: roles.Action) -> None:
    """The service's own check, whatever the page showed: an account acting (`by`) must be active and its role
    must hold the named `action`. A name that is no account (the command line, run on the server itself; the
    demo's role switcher, where anyone may be 管理员) is not an account to check."""
    u = users.find_user(engine, by)
    if u is not None and (not u.active or not roles.can(u.role, action)):
        audit.record(engine, user=by, action=audit.ACCOUNT if action == roles.ACCOUNTS else audit.EXPORT,
                     detail=f"被拒绝：无权{action.label}")
        raise AccountError(f"当前账号无权{action.label}")


def _role_and_county(engine: Engine, role: str, county: str | None) -> tuple[str, str | None, str | None]:
    r = roles.role(role) or roles.ROLE_BY_KEY.get(role)
    if r is None:
        raise AccountError(f"未知角色“{role}”，可选：{'、'.join(roles.ROLES)}")
    if r.county_only:
        if not county:
            raise AccountError(f"角色“{r.name}”必须指定所属县（市、区）（--county 县名或代码）")
        found = users.find_county(engine, county)
        if found is None:
            raise AccountError(f"未知县（市、区）“{county}”：数据库中没有该名称或代码的县（市、区）")
        return r.name, found[0], found[1]
    if county:
        found = users.find_county(engine, county)
        if found is None:
            raise AccountError(f"未知县（市、区）“{county}”：数据库中没有该名称或代码的县（市、区）")
        return r.name, found[0], found[1]
    return r.name, None, None


def create_account(engine: Engine, username: str, password: str, role: str, *, county: str | None = None,
                   display_name: str | None = None, by: str) -> Account:
    """Create an active account (audited). Raises AccountError with a Chinese message."""
    authorise(engine, by, roles.ACCOUNTS)
    username = (username or "").strip()
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise AccountError("用户名不能为空、不能含空格，且不超过64个字符")
    role_name, code, cname = _role_and_county(engine, role, county)
    check_new_password(password)
    try:
        users.create_user(engine, username=username, display_name=(display_name or username).strip()[:64],
                          role=role_name, county_code=code, password_hash=hash_password(password), by=by,
                          detail=f"创建账号 {username}（{role_name}{'，' + cname if cname else ''}）")
    except ValueError as exc:
        raise AccountError(str(exc)) from None
    return Account(username, display_name or username, role_name, code, cname)


def _require(engine: Engine, username: str) -> users.UserRecord:
    u = users.find_user(engine, username)
    if u is None:
        raise AccountError(f"账号“{username}”不存在")
    return u


def set_password(engine: Engine, username: str, password: str, *, by: str) -> None:
    """Set (reset) a password, unlock the account and end its sessions (audited)."""
    if by != username:
        authorise(engine, by, roles.ACCOUNTS)
    _require(engine, username)
    check_new_password(password)
    what = "修改本人密码" if by == username else f"重置账号 {username} 的密码"
    users.update_user(engine, username, by=by, detail=what, end_sessions=True, password_hash=hash_password(password),
                      failed_logins=0, locked_until=None)


def change_own_password(engine: Engine, username: str, old: str, new: str) -> None:
    """A user changes their own password; the old one must be right."""
    u = _require(engine, username)
    if not verify_password(old, u.password_hash):
        audit.record(engine, user=username, action=audit.ACCOUNT, detail="修改本人密码失败：原密码不正确")
        raise AccountError("原密码不正确")
    set_password(engine, username, new, by=username)


def set_active(engine: Engine, username: str, active: bool, *, by: str) -> None:
    authorise(engine, by, roles.ACCOUNTS)
    _require(engine, username)
    if not active and username == by:
        raise AccountError("不能停用自己的账号")
    users.update_user(engine, username, by=by, detail=f"{'启用' if active else '停用'}账号 {username}",
                      end_sessions=not active, active=active, failed_logins=0, locked_until=None)


def change_role(engine: Engine, username: str, role: str, county: str | None, *, by: str) -> None:
    """Change role and county (audited; the user's sessions end so the new scope applies at once)."""
    authorise(engine, by, roles.ACCOUNTS)
    _require(engine, username)
    role_name, code, cname = _role_and_county(engine, role, county)
    users.update_user(engine, username, by=by, end_sessions=True, role=role_name, county_code=code,
                      detail=f"变更账号 {username} 的角色为 {role_name}{'，' + cname if cname else ''}")


def list_accounts(engine: Engine) -> list[users.UserRecord]:
    return users.list_users(engine)
