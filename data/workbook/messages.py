"""Validation messages: one record per problem, shown to users in Chinese."""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

ERROR, WARNING = "错误", "警告"


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
