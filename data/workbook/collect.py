"""Parsed sheets and the message collector the validation steps share."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from data.workbook import spec as S
from data.workbook.messages import ERROR, Message, display_value
from data.workbook.reader import SheetFrame


@dataclass
class Table:
    """Parsed sheet: `values[key]` typed arrays aligned with `rows` (Excel row numbers)."""
    frame: SheetFrame
    values: dict[str, np.ndarray] = field(default_factory=dict)
    raw: dict[str, np.ndarray] = field(default_factory=dict)
    bad: np.ndarray | None = None
    empty: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def spec(self) -> S.Sheet:
        return self.frame.spec

    @property
    def rows(self) -> np.ndarray:
        return self.frame.rows

    @property
    def n(self) -> int:
        return len(self.frame.rows)

    def frame_df(self) -> pd.DataFrame:
        df = pd.DataFrame({k: v for k, v in self.values.items()}, copy=False)
        df["row"] = self.rows
        return df


class Collector:
    def __init__(self):
        self.messages: list[Message] = []

    def add(self, message: Message) -> None:
        self.messages.append(message)

    def sheet(self, name: str | None, reason: str, level: str = ERROR, row: int | None = None,
              column: str | None = None) -> None:
        self.messages.append(Message(name, row, column, None, reason, level))

    def cells(self, t: Table, key: str, where, reason, level: str = ERROR, value=None) -> None:
        """One message per selected row. `where`: bool mask or index array; `reason`: str, per-row array or a
        function of the row index (evaluated for the selected rows only)."""
        is_mask = getattr(getattr(where, "dtype", None), "kind", "") == "b"
        idx = np.flatnonzero(where) if is_mask else np.asarray(where, dtype=int)
        if len(idx) == 0:
            return
        col = t.frame.col_of(key)
        header = t.frame.header_of(key)
        raw = t.raw.get(key)
        for i in idx:
            if level != ERROR and t.bad is not None and t.bad[i]:
                continue  # a row with an error gets no further warnings
            r = reason if isinstance(reason, str) else (reason(i) if callable(reason) else reason[i])
            v = value[i] if value is not None else (raw[i] if raw is not None else None)
            self.messages.append(Message(t.frame.name, int(t.rows[i]), header, display_value(v), r, level, col))
            if level == ERROR and t.bad is not None:
                t.bad[i] = True

    def cells_list(self, t: Table, key: str, idx: list[int], reasons: list[str], level: str) -> None:
        """One message per row index with its own reason."""
        if idx:
            arr = np.full(t.n, None, dtype=object)
            arr[idx] = reasons
            self.cells(t, key, np.asarray(idx, dtype=int), arr, level)

    @property
    def has_errors(self) -> bool:
        return any(m.level == ERROR for m in self.messages)
