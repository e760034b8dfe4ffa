"""First start: an empty default database gets the demo city, every month scored before the first view."""
from __future__ import annotations

from typing import Callable

from sqlalchemy import Engine

from data import db, demo
from services import store

Progress = Callable[[float, str], None]


def build_demo_if_empty(engine: Engine, on_progress: Progress | None = None) -> None:
    """Build the demo city when the database is empty. `on_progress(fraction, text)` reports progress in
    Chinese (writing the months, then scoring them: each about half of the time)."""
    if not db.is_empty(engine):
        return
    report = on_progress or (lambda _f, _t: None)
    report(0.0, "正在生成演示数据…")
    demo.build_demo(engine, on_month=lambda d, n: report(0.5 * d / n, f"正在生成演示数据：已写入{d}/{n}个月的台账"))
    report(0.5, "正在计算各月评分…")
    # score every month once now, so no page waits for the history
    store.precompute(engine, on_month=lambda d, n: report(0.5 + 0.5 * d / n, f"正在计算评分：已完成{d}/{n}个月"))
    report(1.0, "演示数据已就绪")
