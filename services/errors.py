"""What a user is told when something fails: a short Chinese sentence, never a traceback.

Database failures (SQLAlchemy's OperationalError / IntegrityError / DatabaseError wrapping sqlite3 or psycopg
errors, and the operating system's "no space left") are told by what happened — disk full, busy (locked), read-only,
damaged, unreachable, a duplicate or a broken reference — never by the driver's English text, which may hold SQL,
paths or host names. Pages (components.shell.guard) and the command line (cli.py) both use these sentences.
"""
from __future__ import annotations

import errno

OWN_PACKAGES = ("data", "scoring", "services", "domain")

DISK_FULL = "磁盘空间不足，数据未写入。请联系系统管理员清理磁盘空间后重试"
BUSY = "数据库正忙（其他用户正在导入或修改数据），本次操作未完成，请稍后重试"
READ_ONLY = "数据库当前为只读，无法写入。请联系系统管理员"
DAMAGED = "数据库文件已损坏，请联系系统管理员从备份恢复"
UNREACHABLE = "无法连接数据库，请稍后重试；如仍有问题，请联系系统管理员"
DUPLICATE = "数据与已有记录重复（可能他人刚刚提交了相同内容），未写入。请刷新页面后重试"
BAD_REFERENCE = "数据引用了不存在的记录（如未登记的县区或安置点），未写入"
MISSING_VALUE = "缺少必填数据，未写入"
CONSTRAINT = "数据不符合数据库的约束条件，未写入"
UNAVAILABLE = "数据库暂时无法访问"

# (words in the driver's message or in the class name of the driver's error, sentence), first match wins
_DB_KINDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("disk is full", "no space left", "diskfull", "could not extend file", "could not write"), DISK_FULL),
    (("database is locked", "table is locked", "database is busy", "locknotavailable", "lock timeout",
      "deadlock", "serialization", "could not serialize", "could not obtain lock"), BUSY),
    (("readonly", "read-only", "read only"), READ_ONLY),
    (("malformed", "not a database", "corrupt"), DAMAGED),
    (("unable to open", "connection refused", "could not connect", "connection failed", "server closed",
      "connection timeout", "timeout expired", "terminating connection", "no such host",
      "name or service not known", "connection is closed", "operationalerror: connection"), UNREACHABLE),
    (("unique", "duplicate", "uniqueviolation"), DUPLICATE),
    (("foreign key", "foreignkeyviolation"), BAD_REFERENCE),
    (("not null", "notnullviolation"), MISSING_VALUE),
)


def _chain(exc: BaseException):
    """exc, the driver's error it wraps (.orig) and its causes."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        e = todo.pop(0)
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        todo += [getattr(e, "orig", None), e.__cause__, e.__context__]


def db_message(exc: BaseException) -> str | None:
    """The Chinese sentence for a database (or disk) failure, None when `exc` is not one."""
    chain = list(_chain(exc))
    if any(isinstance(e, OSError) and e.errno == errno.ENOSPC for e in chain):
        return DISK_FULL
    mods = [(type(e).__module__ or "") for e in chain]
    is_db = any(m.split(".")[0] in ("sqlalchemy", "sqlite3", "psycopg", "psycopg2") for m in mods)
    if not is_db:
        return None
    text = " ".join(f"{type(e).__name__} {str(e).splitlines()[0] if str(e) else ''}" for e in chain).lower()
    for words, sentence in _DB_KINDS:
        if any(w in text for w in words):
            return sentence
    if "integrity" in text:
        return CONSTRAINT
    return UNAVAILABLE


def user_message(exc: BaseException) -> str:
    """A short Chinese description of an error for the user. Our own packages raise Chinese messages meant for
    users; database failures are told by their kind (db_message); anything else by its kind only (its text may
    hold paths, SQL or passwords)."""
    msg = str(exc).strip()
    own = (type(exc).__module__ or "").split(".")[0] in OWN_PACKAGES
    if own and msg and any("\u4e00" <= ch <= "\u9fff" for ch in msg):
        return msg[:160]
    db = db_message(exc)
    if db:
        return db
    kind = type(exc).__name__
    if "Operational" in kind or "Database" in kind or "Interface" in kind:
        return UNAVAILABLE
    if isinstance(exc, (KeyError, LookupError)):
        return "所需数据不存在"
    return "系统内部错误"
