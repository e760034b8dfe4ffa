"""How long uploaded ledger files are kept.

Only a *successful* import keeps its original file (`imports.file_blob`), so that each stored number can be
traced to its file, sheet and row; failed, refused and unchanged attempts keep their record and messages but not
the file (a wrong county's ledger is not somebody else's business to keep). Originals are kept for a
configurable period and then removed by `purge_originals`, run from the command line
(`python -m data purge-originals [--days N]`) or a scheduled job; the import record itself stays.

    LEDGER_KEEP_ORIGINALS_DAYS   default 1095 (three years)
"""
from __future__ import annotations

import datetime as dt
import os

from sqlalchemy import Engine, and_, or_, update
from sqlalchemy.orm import Session

from data import audit
from data import models as m

DEFAULT_KEEP_DAYS = 3 * 365
SUCCESS = "成功"


def keep_days(env=None) -> int:
    env = os.environ if env is None else env
    try:
        days = int(str(env.get("LEDGER_KEEP_ORIGINALS_DAYS", DEFAULT_KEEP_DAYS)).strip())
    except ValueError:
        return DEFAULT_KEEP_DAYS
    return days if days >= 0 else DEFAULT_KEEP_DAYS


def purge_originals(engine: Engine, *, days: int | None = None, now: dt.datetime | None = None,
                    user: str = "系统") -> int:
    """Remove the original files of imports older than `days` (default: keep_days()) and of every import
    that did not succeed; returns how many files were removed. Audited (one entry) when anything was removed."""
    days = keep_days() if days is None else days
    if days < 0:
        raise ValueError("保留天数不能为负数")
    now = now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)  # created_at is stored in UTC
    cutoff = now - dt.timedelta(days=days)
    rec = m.ImportRecord
    stmt = (update(rec)
            .where(rec.file_blob.is_not(None),
                   or_(rec.result != SUCCESS, and_(rec.created_at.is_not(None), rec.created_at < cutoff)))
            .values(file_blob=None)
            .execution_options(synchronize_session=False))
    with Session(engine) as s, s.begin():
        n = s.execute(stmt).rowcount or 0
        if n:
            audit.record(s, user=user, action=audit.IMPORT,
                         detail=f"清理导入原件：删除{n}个文件（成功导入的原件保留{days}天，"
                                f"{cutoff:%Y-%m-%d %H:%M} 之前的及未成功导入的不再保留）")
    return n
