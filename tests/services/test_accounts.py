"""Accounts: argon2id hashing and the upgrade of old hashes, sign-in with lockout (clock injected), sessions
behind signed tokens (idle expiry, sign-out everywhere), the audit trail, and the account commands."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cli import data_main
from data import models as m
from data.db import create, set_setting
from services import accounts

ROOT = Path(__file__).resolve().parents[2]
T0 = dt.datetime(2026, 12, 1, 6, 0, 0)
PW = "正确密码2026"


@pytest.fixture()
def db(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'acc.db'}"
    eng = create(url)
    with Session(eng) as s, s.begin():
        s.add(m.County(code="522301", name="兴义市", city_code="522300", sort_order=1))
        s.add(m.County(code="522323", name="普安县", city_code="522300", sort_order=2))
    set_setting(eng, "demo", "0")
    eng.dispose()
    return url


@pytest.fixture()
def eng(db):
    e = create(db)
    accounts.create_account(e, "zhang", PW, "市级督导", display_name="张督导", by="测试")
    yield e
    e.dispose()


def audit_rows(e, action=None):
    with Session(e) as s:
        q = select(m.AuditLog).order_by(m.AuditLog.id)
        if action:
            q = q.where(m.AuditLog.action == action)
        return [(r.username, r.action, r.detail) for r in s.execute(q).scalars()]


def user_row(e, name):
    with Session(e) as s:
        return s.execute(select(m.User).where(m.User.username == name)).scalar_one()


# ------------------------------------------------------------------------------------------------ hashing
def test_argon2id_hash_and_old_pbkdf2_hash_upgraded_on_sign_in(eng):
    h = accounts.hash_password("秘密pw12")
    assert h.startswith("$argon2id$") and accounts.verify_password("秘密pw12", h)
    assert not accounts.verify_password("wrong", h) and not accounts.verify_password("x", None)
    salt = "abc123"
    dk = hashlib.pbkdf2_hmac("sha256", b"old-secret", salt.encode(), 1000)
    old = f"pbkdf2_sha256$1000${salt}${base64.b64encode(dk).decode()}"
    with Session(eng) as s, s.begin():
        s.add(m.User(username="old", display_name="旧账号", role="市领导", password_hash=old, active=True))
    assert accounts.verify_password("old-secret", old) and accounts.needs_upgrade(old)
    assert not accounts.sign_in(eng, "old", "wrong-one", now=T0).ok
    assert user_row(eng, "old").password_hash == old                 # a failure never rewrites the hash
    assert accounts.sign_in(eng, "old", "old-secret", now=T0).ok
    new = user_row(eng, "old").password_hash
    assert new.startswith("$argon2id$") and accounts.verify_password("old-secret", new)
    assert accounts.sign_in(eng, "old", "old-secret", now=T0).ok


def test_one_hash_verification_for_unknown_known_disabled_and_locked_users(eng, monkeypatch):
    calls = []
    real = accounts.verify_password
    monkeypatch.setattr(accounts, "verify_password", lambda p, h: calls.append(h) or real(p, h))
    accounts.sign_in(eng, "nobody", PW, now=T0)
    assert len(calls) == 1 and calls[0] == accounts.dummy_hash()   # unknown user: a real argon2 verification
    calls.clear()
    accounts.sign_in(eng, "zhang", "wrong", now=T0)
    assert len(calls) == 1 and calls[0] == user_row(eng, "zhang").password_hash
    calls.clear()
    accounts.set_active(eng, "zhang", False, by="admin")
    accounts.sign_in(eng, "zhang", PW, now=T0)
    assert len(calls) == 1


# ------------------------------------------------------------------------------------------------ sign-in
def test_sign_in_success_unknown_and_disabled_user_audited(eng):
    r = accounts.sign_in(eng, "zhang", PW, now=T0)
    assert r.ok and r.account.role == "市级督导" and r.account.display_name == "张督导" and r.token
    assert ("zhang", "登录", "登录成功（密码）") in audit_rows(eng)
    r = accounts.sign_in(eng, "nobody", PW, now=T0)
    assert not r.ok and "不正确" in r.message
    assert ("nobody", "登录失败", "登录失败：用户不存在") in audit_rows(eng)
    accounts.set_active(eng, "zhang", False, by="admin")
    assert ("admin", "账号变更", "停用账号 zhang") in audit_rows(eng)
    r = accounts.sign_in(eng, "zhang", PW, now=T0)
    assert not r.ok and ("zhang", "登录失败", "登录失败：账号已停用") in audit_rows(eng)
    accounts.set_active(eng, "zhang", True, by="admin")
    assert accounts.sign_in(eng, "zhang", PW, now=T0).ok


def test_five_wrong_passwords_lock_for_15_minutes_in_any_session_then_expire(eng):
    for i in range(4):
        r = accounts.sign_in(eng, "zhang", "wrong", now=T0 + dt.timedelta(seconds=i))
        assert not r.ok and "已被锁定" not in r.message
    assert "再错1次" in r.message
    assert user_row(eng, "zhang").failed_logins == 4 and user_row(eng, "zhang").locked_until is None
    r = accounts.sign_in(eng, "zhang", "wrong", now=T0 + dt.timedelta(seconds=5))
    assert not r.ok and "锁定" in r.message and "14:15" in r.message       # 06:15 UTC = 14:15 Beijing time
    assert user_row(eng, "zhang").locked_until == T0 + dt.timedelta(seconds=5, minutes=15)
    assert [a for a in audit_rows(eng, "账号锁定") if a[0] == "zhang"]
    # the right password is refused while locked, whatever the process or session (state is in the DB)
    other = create(str(eng.url))
    r = accounts.sign_in(other, "zhang", PW, now=T0 + dt.timedelta(minutes=14))
    assert not r.ok and "锁定" in r.message and "14:15" in r.message
    other.dispose()
    assert "锁定中" in audit_rows(eng, "登录失败")[-1][2]
    # after 15 minutes the right password works and the counter starts again
    r = accounts.sign_in(eng, "zhang", PW, now=T0 + dt.timedelta(minutes=15, seconds=6))
    assert r.ok
    u = user_row(eng, "zhang")
    assert u.failed_logins == 0 and u.locked_until is None


def test_a_success_resets_the_count_of_wrong_passwords(eng):
    for i in range(4):
        accounts.sign_in(eng, "zhang", "wrong", now=T0)
    assert accounts.sign_in(eng, "zhang", PW, now=T0).ok
    for i in range(4):
        assert "已被锁定" not in accounts.sign_in(eng, "zhang", "wrong", now=T0).message
    assert user_row(eng, "zhang").locked_until is None and user_row(eng, "zhang").failed_logins == 4


# ------------------------------------------------------------------------------------------------ sessions
def test_token_resumes_until_idle_timeout_and_sign_out_ends_it_everywhere(eng):
    set_setting(eng, accounts.IDLE_SETTING, "30")
    tok = accounts.sign_in(eng, "zhang", PW, now=T0).token
    assert accounts.resume(eng, tok, now=T0 + dt.timedelta(minutes=29)).username == "zhang"
    # activity restarts the idle clock
    assert accounts.resume(eng, tok, now=T0 + dt.timedelta(minutes=58)).username == "zhang"
    assert accounts.resume(eng, tok, now=T0 + dt.timedelta(minutes=89)) is None            # idle > 30 min
    assert any("超时" in d for _, _, d in audit_rows(eng, "退出登录"))
    assert accounts.resume(eng, tok, now=T0 + dt.timedelta(minutes=90)) is None            # ended for good
    tok = accounts.sign_in(eng, "zhang", PW, now=T0).token
    assert accounts.resume(eng, tok, now=T0) is not None
    accounts.sign_out(eng, tok, now=T0)
    assert accounts.resume(eng, tok, now=T0) is None
    assert ("zhang", "退出登录", "退出登录") in audit_rows(eng)


def test_forged_altered_or_expired_tokens_are_refused(eng):
    tok = accounts.sign_in(eng, "zhang", PW, now=T0).token
    sid, exp, sig = tok.split(".")
    assert accounts.resume(eng, f"{sid}.{int(exp) + 3600}.{sig}", now=T0) is None
    assert accounts.resume(eng, f"{sid}.{exp}.{'0' * len(sig)}", now=T0) is None
    assert accounts.resume(eng, "garbage", now=T0) is None and accounts.resume(eng, None, now=T0) is None
    assert accounts.resume(eng, tok, now=T0 + accounts.TOKEN_LIFETIME + dt.timedelta(seconds=1)) is None


def test_disabling_or_changing_role_ends_sessions(eng):
    tok = accounts.sign_in(eng, "zhang", PW, now=T0).token
    accounts.change_role(eng, "zhang", "县级填报员", "普安县", by="admin")
    assert accounts.resume(eng, tok, now=T0) is None
    assert ("admin", "账号变更", "变更账号 zhang 的角色为 县级填报员，普安县") in audit_rows(eng)
    r = accounts.sign_in(eng, "zhang", PW, now=T0)
    assert r.account.county_code == "522323" and r.account.county_name == "普安县"


# ------------------------------------------------------------------------------------------------ administration
def test_account_changes_validated_and_audited(eng):
    with pytest.raises(accounts.AccountError, match="未知角色"):
        accounts.create_account(eng, "x1", PW, "局长", by="admin")
    with pytest.raises(accounts.AccountError, match="未知县"):
        accounts.create_account(eng, "x1", PW, "县级填报员", county="火星县", by="admin")
    with pytest.raises(accounts.AccountError, match="必须指定所属县"):
        accounts.create_account(eng, "x1", PW, "县级填报员", by="admin")
    with pytest.raises(accounts.AccountError, match="已存在"):
        accounts.create_account(eng, "zhang", PW, "市领导", by="admin")
    with pytest.raises(accounts.AccountError, match="至少"):
        accounts.create_account(eng, "x1", "short", "市领导", by="admin")
    accounts.create_account(eng, "op", PW, "县级填报员", county="522301", by="admin")
    assert ("admin", "账号变更", "创建账号 op（县级填报员，兴义市）") in audit_rows(eng)
    with pytest.raises(accounts.AccountError, match="原密码不正确"):
        accounts.change_own_password(eng, "op", "wrong", "新的密码2027")
    accounts.change_own_password(eng, "op", PW, "新的密码2027")
    assert ("op", "账号变更", "修改本人密码") in audit_rows(eng)
    assert not accounts.sign_in(eng, "op", PW, now=T0).ok and accounts.sign_in(eng, "op", "新的密码2027", now=T0).ok
    accounts.create_account(eng, "boss", PW, "管理员", by="admin")
    with pytest.raises(accounts.AccountError, match="不能停用自己"):
        accounts.set_active(eng, "boss", False, by="boss")


def test_services_refuse_an_account_without_the_named_action(eng):
    """Whatever a page shows: an account whose role lacks 管理账号 / 查阅审计日志 is refused by the services
    (audited); a 管理员 account, and the command line (no account), may."""
    from services import audit as audit_service
    from services.audit import AuditQuery

    accounts.create_account(eng, "op", PW, "县级填报员", county="522301", by="命令行")
    accounts.create_account(eng, "boss", PW, "管理员", by="命令行")
    for act in (lambda: accounts.create_account(eng, "x2", PW, "市领导", by="zhang"),
                lambda: accounts.set_active(eng, "op", False, by="zhang"),
                lambda: accounts.set_password(eng, "op", "别人的新密码", by="zhang"),
                lambda: accounts.change_role(eng, "op", "管理员", None, by="op")):
        with pytest.raises(accounts.AccountError, match="当前账号无权管理账号"):
            act()
    with pytest.raises(accounts.AccountError, match="无权查阅审计日志"):
        audit_service.export_log(eng, "zhang", AuditQuery(), "csv")
    for look in (lambda: audit_service.search_log(eng, "op", AuditQuery()),
                 lambda: audit_service.log_filters(eng, "op")):
        with pytest.raises(accounts.AccountError, match="无权查阅审计日志"):          # reading the log, too
            look()
    assert user_row(eng, "op").active and user_row(eng, "op").role == "县级填报员"
    assert accounts.sign_in(eng, "op", PW, now=T0).ok
    refusals = [(u, d) for u, _, d in audit_rows(eng) if d.startswith("被拒绝")]
    assert refusals == [("zhang", "被拒绝：无权管理账号")] * 3 + [("op", "被拒绝：无权管理账号"),
                                                              ("zhang", "被拒绝：无权查阅审计日志")] + \
        [("op", "被拒绝：无权查阅审计日志")] * 2
    accounts.set_active(eng, "op", False, by="boss")                      # a 管理员 account may
    assert not user_row(eng, "op").active
    assert audit_service.export_log(eng, "boss", AuditQuery(), "csv").startswith("\ufeff".encode())


# ------------------------------------------------------------------------------------------------ command line
def run_cli(db, *args, stdin="") -> subprocess.CompletedProcess:
    env = dict(os.environ, DATABASE_URL=db)
    return subprocess.run([sys.executable, "-m", "data", *args], input=stdin, capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)


def test_cli_create_set_password_list_with_password_from_stdin(db):
    r = run_cli(db, "create-user", "admin1", "--role", "管理员", "--display-name", "王管理", stdin="管理员密码2026\n")
    assert r.returncode == 0, r.stderr
    assert "已创建账号 admin1（管理员）" in r.stdout and "管理员密码2026" not in r.stdout + r.stderr
    r = run_cli(db, "create-user", "op1", "--role", "县级填报员", "--county", "兴义市", stdin="填报密码2026\nignored\n")
    assert r.returncode == 0, r.stderr
    e = create(db)
    assert accounts.sign_in(e, "op1", "填报密码2026", now=T0).account.county_code == "522301"
    r = run_cli(db, "set-password", "op1", stdin="另一个密码2026\n")
    assert r.returncode == 0, r.stderr
    assert not accounts.sign_in(e, "op1", "填报密码2026", now=T0).ok
    assert accounts.sign_in(e, "op1", "另一个密码2026", now=T0).ok
    r = run_cli(db, "list-users")
    assert r.returncode == 0
    lines = r.stdout.splitlines()
    assert any(ln.split("\t")[:4] == ["admin1", "王管理", "管理员", "—"] for ln in lines)
    assert any(ln.split("\t")[:5] == ["op1", "op1", "县级填报员", "兴义市", "正常"] for ln in lines)
    assert all("$argon2" not in ln for ln in lines)
    details = [d for u, a, d in audit_rows(e, "账号变更") if u == "命令行"]
    assert "创建账号 admin1（管理员）" in details and "重置账号 op1 的密码" in details
    e.dispose()


def test_cli_unknown_role_or_county_is_a_chinese_error(db):
    r = run_cli(db, "create-user", "u1", "--role", "局长", stdin="密码密码密码\n")
    assert r.returncode != 0 and "未知角色“局长”" in r.stderr
    r = run_cli(db, "create-user", "u1", "--role", "县级填报员", "--county", "火星县", stdin="密码密码密码\n")
    assert r.returncode != 0 and "未知县（市、区）“火星县”" in r.stderr
    r = run_cli(db, "set-password", "nobody", stdin="密码密码密码\n")
    assert r.returncode != 0 and "不存在" in r.stderr
    e = create(db)
    assert accounts.list_accounts(e) == []
    e.dispose()


def test_cli_password_is_never_an_argument(db, capsys):
    with pytest.raises(SystemExit) as exc:
        data_main(["create-user", "u1", "--role", "市领导", "--password", "x"])
    assert exc.value.code == 2 and "无法识别的参数" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------------ audit log page
def test_audit_log_search_paged_and_export_formula_safe(eng):
    import csv
    import io

    import openpyxl

    from services import audit as audit_service
    from services.audit import AuditQuery

    for i in range(7):
        accounts.sign_in(eng, "zhang", "wrong" if i % 2 else PW, now=T0)
    accounts.sign_in(eng, "=HYPERLINK(\"http://x\")", "pw", now=T0)
    q = AuditQuery(user="zhang", action="登录失败")
    page1, total = audit_service.search_log(eng, "命令行", q, page=1, per_page=2)
    assert total == 3 and len(page1) == 2 and list(page1.columns) == ["时间", "用户", "操作", "内容"]
    page2, _ = audit_service.search_log(eng, "命令行", q, page=2, per_page=2)
    assert len(page2) == 1 and set(page1["操作"]) | set(page2["操作"]) == {"登录失败"}
    _, n = audit_service.search_log(eng, "命令行", AuditQuery(text="不存在"))
    assert n == 1
    _, n = audit_service.search_log(eng, "命令行", AuditQuery(start=T0.date() + dt.timedelta(days=400)))
    assert n == 0
    q = AuditQuery(text="HYPERLINK")
    rows = list(csv.reader(io.StringIO(audit_service.export_log(eng, "admin", q, "csv").decode("utf-8-sig"))))
    assert [r[1] for r in rows[1:]] == ["'=HYPERLINK(\"http://x\")"]
    wb = openpyxl.load_workbook(io.BytesIO(audit_service.export_log(eng, "admin", q, "xlsx")))
    users = [c for c in wb.active["B"][1:]]              # the CSV export's own entry matches the text too
    assert [c.value for c in users] == ["admin", "=HYPERLINK(\"http://x\")"]     # the value unchanged, as text
    assert all(c.data_type == "s" for c in users) and users[1].quotePrefix
    assert not [c for row in wb.active.iter_rows() for c in row if c.data_type == "f"]
    exports = audit_rows(eng, "导出")
    assert [u for u, _, d in exports if "审计日志" in d] == ["admin", "admin"]


def test_audit_log_reads_in_beijing_time_stored_in_utc(eng):
    """An entry stored at 17:30 UTC on 1 December is 01:30 on 2 December in Beijing: the search by date finds it on
    2 December (Beijing days), the export writes Beijing time under 时间（北京时间）, the stored value is unchanged."""
    import csv
    import io

    from services import audit as audit_service
    from services.audit import AuditQuery

    stored = dt.datetime(2026, 12, 1, 17, 30, 5)
    with Session(eng) as s, s.begin():
        s.add(m.AuditLog(at=stored, username="night", action="登录", detail="夜间登录"))
    day = lambda d: AuditQuery(user="night", start=d, end=d)  # noqa: E731
    found, n = audit_service.search_log(eng, "命令行", day(dt.date(2026, 12, 2)))
    assert n == 1 and found["时间"].iloc[0] == stored
    assert audit_service.search_log(eng, "命令行", day(dt.date(2026, 12, 1)))[1] == 0
    rows = list(csv.reader(io.StringIO(
        audit_service.export_log(eng, "admin", AuditQuery(user="night"), "csv").decode("utf-8-sig"))))
    assert rows[0][0] == "时间（北京时间）" and rows[1][0] == "2026-12-02 01:30:05"
    with Session(eng) as s:
        assert s.execute(select(m.AuditLog.at).where(m.AuditLog.username == "night")).scalar_one() == stored
