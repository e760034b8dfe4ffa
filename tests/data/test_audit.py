"""data.audit: the one writer of audit entries — joins the caller's transaction or commits on its own."""
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from data import audit
from data import models as m


def _entries(engine):
    with Session(engine) as s:
        return [(a.username, a.action, a.detail) for a in s.scalars(select(m.AuditLog).order_by(m.AuditLog.id))]


def test_engine_entry_is_committed_at_once(engine):
    audit.record(engine, user="督导甲", action=audit.EXPORT,
                 detail=audit.export_detail("安置点排名", "2026-10", "排名.xlsx"))
    assert _entries(engine) == [("督导甲", "导出", "安置点排名；月份 2026-10；排名.xlsx")]


def test_session_entry_is_committed_or_rolled_back_with_the_work(engine):
    with pytest.raises(RuntimeError):
        with Session(engine) as s, s.begin():
            audit.record(s, user="admin", action=audit.CONFIG, detail="上传县级边界：兴义市")
            raise RuntimeError("the audited work failed")
    assert _entries(engine) == []
    with Session(engine) as s, s.begin():
        audit.record(s, user="admin", action=audit.CONFIG, detail="上传县级边界：兴义市")
    assert _entries(engine) == [("admin", "配置变更", "上传县级边界：兴义市")]


def test_unknown_action_is_refused_and_nothing_written(engine):
    with pytest.raises(ValueError, match="unknown audit action"):
        audit.record(engine, user="admin", action="删除一切")
    assert _entries(engine) == []


def test_export_detail_leaves_out_empty_parts():
    assert audit.export_detail("权益缺口清单") == "权益缺口清单"
    assert audit.export_detail("权益缺口清单", None, "12项") == "权益缺口清单；12项"
