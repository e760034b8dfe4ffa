"""Validation messages: one record per problem, shown to users in Chinese.

Every message masks resident ID numbers (value and reason) when it is created, so stored messages, the upload
error table, the marked copy's 错误清单 and the command line never show a full ID. Also here: the cap on how many
messages are listed in detail, and the check for invisible and direction-control characters in codes and names.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from dataclasses import asdict, dataclass

ERROR, WARNING = "错误", "警告"

# ---- ID numbers ----

# a run of 14-20 digits (optionally ending in X): 18-digit resident IDs, old 15-digit ones, and mistyped
# lengths of either; phone numbers (11 digits) and codes with letters are left alone
_ID_RUN = re.compile(r"(?<![0-9A-Za-z])([0-9]{6})([0-9]{4,10})([0-9]{3}[0-9Xx])(?![0-9A-Za-z])")


def mask_ids(text: str | None) -> str | None:
    """Resident ID numbers in `text` masked: the region code (6 digits) and the last 4 kept, e.g.
    522301********1234."""
    if not text or not isinstance(text, str):
        return text
    return _ID_RUN.sub(lambda m: m.group(1) + "*" * len(m.group(2)) + m.group(3), text)


def display_value(value) -> str | None:
    """A cell value as the user would recognise it."""
    if value is None:
        return None
    if isinstance(value, float):
        if value != value:
            return None
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value) if abs(value) < 1e15 else f"{value:.6G}"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S") if (value.hour or value.minute or value.second) \
            else value.strftime("%Y-%m-%d")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    text = str(value)
    return text if text != "" else None


@dataclass
class Message:
    sheet: str | None        # sheet name as in the file (None: the whole file)
    row: int | None          # Excel row number, 1-based
    column: str | None       # header text as in the file, or as in the template when the column is missing
    value: str | None
    reason: str
    level: str = ERROR
    col_index: int | None = None   # 0-based column of the cell in the file (for the marked copy)

    def __post_init__(self):
        self.value = mask_ids(self.value) if isinstance(self.value, str) else self.value
        self.reason = mask_ids(self.reason)

    @property
    def is_error(self) -> bool:
        return self.level == ERROR

    def to_dict(self) -> dict:
        d = asdict(self)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Message":
        return cls(**{k: d.get(k) for k in ("sheet", "row", "column", "value", "reason", "level", "col_index")})

    def __str__(self) -> str:
        where = []
        if self.sheet is not None:
            where.append(f"工作表「{self.sheet}」")
        if self.row is not None:
            where.append(f"第{self.row}行")
        if self.column is not None:
            where.append(f"「{self.column}」")
        head = "".join(where) or "文件"
        value = f"值 {self.value}：" if self.value not in (None, "") else ""
        return f"{head}：{value}{self.reason}"


def msg(sheet, row, column, value, reason, level=ERROR, col_index=None) -> Message:
    return Message(sheet, row, column, display_value(value), reason, level, col_index)


# ---- how many messages are listed in detail ----

DEFAULT_LISTED = 1000


def listed_limit() -> int:
    """Messages listed in detail in the upload page's table and in the stored import record
    (LEDGER_MAX_LISTED_MESSAGES); all are counted, and the marked copy's 错误清单 lists every one."""
    try:
        n = int(os.environ.get("LEDGER_MAX_LISTED_MESSAGES", DEFAULT_LISTED))
    except ValueError:
        return DEFAULT_LISTED
    return n if n > 0 else DEFAULT_LISTED


def listed(messages: list[Message], limit: int | None = None) -> list[Message]:
    """The first `limit` messages (errors before warnings, each in file order), followed by one line saying
    how many more there are, when there are more."""
    limit = listed_limit() if limit is None else limit
    if len(messages) <= limit:
        return list(messages)
    errors = [x for x in messages if x.level == ERROR]
    ordered = errors + [x for x in messages if x.level != ERROR] if len(errors) < len(messages) else messages
    shown = ordered[:limit]
    rest = ordered[limit:]
    n_err = sum(1 for x in rest if x.level == ERROR)
    what = "、".join(p for p in (f"{n_err}个错误" if n_err else "", f"{len(rest) - n_err}条警告"
                                  if len(rest) > n_err else "") if p)
    note = Message(None, None, None, None,
                   f"共{len(messages)}条问题，此处只列出前{limit}条，另有{what}未逐条列出；"
                   f"完整清单见「标注错误的副本」中的「错误清单」工作表",
                   ERROR if n_err else WARNING)
    return shown + [note]


# ---- invisible and direction-control characters ----

_INVISIBLE_NAMES = {
    0x00AD: "软连字符", 0x034F: "组合用字形连接符", 0x061C: "阿拉伯文字母标记", 0x115F: "韩文填充符",
    0x1160: "韩文填充符", 0x17B4: "高棉文元音符", 0x17B5: "高棉文元音符", 0x180E: "蒙古文元音分隔符",
    0x200B: "零宽空格", 0x200C: "零宽非连接符", 0x200D: "零宽连接符", 0x200E: "从左至右标记",
    0x200F: "从右至左标记", 0x2028: "行分隔符", 0x2029: "段分隔符", 0x202A: "从左至右嵌入",
    0x202B: "从右至左嵌入", 0x202C: "方向格式结束", 0x202D: "从左至右强制", 0x202E: "从右至左强制",
    0x2060: "零宽不换行符", 0x2061: "不可见函数符", 0x2062: "不可见乘号", 0x2063: "不可见分隔符",
    0x2064: "不可见加号", 0x2066: "从左至右隔离", 0x2067: "从右至左隔离", 0x2068: "首强隔离",
    0x2069: "方向隔离结束", 0x3164: "韩文填充符", 0xFEFF: "字节顺序标记（BOM）", 0xFFA0: "半角韩文填充符",
}
_INVISIBLE = re.compile("[" + "".join(re.escape(chr(c)) for c in _INVISIBLE_NAMES) +
                        "\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u206a-\u206f"
                        "\ufff0-\ufffb\U000e0000-\U000e007f\ue000-\uf8ff]")


def invisible_char(text) -> str | None:
    """A description of the first invisible, control or direction-control character in `text` (such a
    character makes a look-alike code or name), or None when there is none."""
    if not isinstance(text, str):
        return None
    m = _INVISIBLE.search(text)
    if m is None:
        return None
    ch = m.group(0)
    code = ord(ch)
    name = _INVISIBLE_NAMES.get(code)
    if name is None:
        cat = unicodedata.category(ch)
        name = {"Cc": "控制字符", "Co": "私用区字符", "Cf": "格式控制字符"}.get(cat, "不可见字符")
    return f"{name}（U+{code:04X}）"


def has_invisible(texts) -> bool:
    """Fast test of many strings at once (one search over their join)."""
    joined = "\n".join(t for t in texts if isinstance(t, str))
    return _INVISIBLE.search(joined) is not None
