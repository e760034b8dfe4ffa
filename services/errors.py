"""What a user is told when something fails: a short Chinese sentence, never a traceback."""
from __future__ import annotations

OWN_PACKAGES = ("data", "scoring", "services", "domain")


def user_message(exc: BaseException) -> str:
    """A short Chinese description of an error for the user. Our own packages raise Chinese messages meant for
    users; anything else is described by its kind only (its text may hold paths, SQL or passwords)."""
    msg = str(exc).strip()
    own = (type(exc).__module__ or "").split(".")[0] in OWN_PACKAGES
    if own and msg and any("\u4e00" <= ch <= "\u9fff" for ch in msg):
        return msg[:160]
    kind = type(exc).__name__
    if "Operational" in kind or "Database" in kind or "Interface" in kind:
        return "数据库暂时无法访问"
    if isinstance(exc, (KeyError, LookupError)):
        return "所需数据不存在"
    return "系统内部错误"
