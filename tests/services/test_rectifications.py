"""问题整改台账 in the browser (domain.md §9, §10, §11; issue 11): every change a version of its month, earlier
months untouched, the ledger sheet's import still merging by item id, 销号 validation, scope and audit.
Runs on SQLite and PostgreSQL (the `engine` fixture)."""
from __future__ import annotations

import copy
import datetime as dt
import io

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import delete, func, select, update

from data import audit, versions
from data import models as m
from data import repository as repo
from data.db import create
from data.workbook import ImportUser, import_workbook
from domain.scope import OutOfScope, Scope
from services import rectifications as rect
from services import circular, store
from tests.data.fixtures_workbooks import (COUNTY_A, COUNTY_B, build_xlsx, good_records, good_tables, records_b,
                                           seed_counties, sheet_table)

SEP, OCT, NOV = "2026-09", "2026-10", "2026-11"
TODAY = dt.date(2026, 11, 20)
ADMIN = ImportUser("admin", "管理员")
SUPERVISOR = ImportUser("dudao", "市级督导")
OPERATOR_A = ImportUser("op_a", "县级填报员", COUNTY_A[0])
LEADER = ImportUser("leader", "市领导")
CITY = Scope.city()
SCOPE_A = Scope.county(COUNTY_A[0])


def _import(engine, records, month, sheets=None):
    recs = copy.deepcopy(records)
    for r in recs.get("月度指标", []):
        r["month"] = month
    res = import_workbook(engine, build_xlsx(good_tables(recs, sheets)), f"台账_{month}.xlsx", month, ADMIN)
    assert res.ok, "\n".join(str(x) for x in res.errors)
    return res


def _figures(engine, month) -> dict[str, pd.DataFrame]:
    """Every figure of a month as scored now (stored results dropped first, so they are recomputed)."""
    with engine.begin() as c:
        c.execute(delete(m.ResultCache))
    r = store.month_results(engine, month)
    return {"sites": r.scores.sites.reset_index(drop=True), "counties": r.county.counties.reset_index(drop=True)}


def _versions(engine, code=None) -> int:
    stmt = select(func.count()).select_from(m.Rectification)
    if code:
        stmt = stmt.where(m.Rectification.code == code)
    with engine.connect() as c:
        return c.execute(stmt).scalar_one()


def _audit(engine, action):
    with engine.connect() as c:
        return list(c.execute(select(m.AuditLog.username, m.AuditLog.detail).where(m.AuditLog.action == action)
                              .order_by(m.AuditLog.id)))


def _records() -> dict:
    recs = good_records()
    recs["问题整改"][0]["deadline"] = "2026-08-31"
    return recs


@pytest.fixture
def db(engine):
    """甲县: ZG-001 (S001, 整改中, deadline 2026-08-31: 30 days overdue at the end of September) and ZG-002
    (已销号 on 2026-07-25); 乙县: site S101 and one item recorded in the browser, ZG-B01 (整改中)."""
    seed_counties(engine)
    _import(engine, _records(), SEP)
    _import(engine, records_b(), SEP)
    rect.create_item(engine, CITY, SUPERVISOR, SEP, code="ZG-B01", county_code=COUNTY_B[0], site_code="S101",
                     source="明察暗访", description="便民服务中心无人值守", unit="乙县民政局",
                     found_date=dt.date(2026, 9, 2), deadline=dt.date(2026, 9, 20), status="整改中", today=TODAY)
    return engine


def _codes(lst) -> list[str]:
    return list(lst.table["问题编号"])


def test_list_filters_in_the_query_and_days_overdue_at_the_months_end(db):
    lst = rect.list_items(db, CITY, SEP, today=TODAY)
    assert _codes(lst) == ["ZG-001", "ZG-B01", "ZG-002"]      # overdue (most days first), open, 已销号 last
    row = lst.table.set_index("问题编号")
    assert row.loc["ZG-001", "逾期情况"] == "超期30天" and row.loc["ZG-001", "超期天数"] == 30   # 08-31 → 09-30
    assert row.loc["ZG-B01", "逾期情况"] == "超期10天"
    assert row.loc["ZG-002", "整改状态"] == "已销号" and row.loc["ZG-002", "逾期情况"] == ""
    assert row.loc["ZG-001", "安置点"] == "阳光社区" and row.loc["ZG-001", "县（市、区）"] == "甲县"
    assert lst.overdue == [True, True, False] and (lst.total, lst.n_overdue, lst.n_closed) == (3, 2, 1)

    def only(**kw):
        return _codes(rect.list_items(db, CITY, SEP, rect.ItemFilter(**kw), today=TODAY))
    assert only(status="已销号") == ["ZG-002"]
    assert only(status="整改中") == ["ZG-001", "ZG-B01"]
    assert only(overdue=True) == ["ZG-001", "ZG-B01"]
    assert only(source="群众反映") == ["ZG-002"]
    assert only(site_code="S001") == ["ZG-001"]
    assert only(county_code=COUNTY_B[0]) == ["ZG-B01"]
    assert only(county_code=COUNTY_A[0], overdue=True) == ["ZG-001"]
    # items are versions from the month that recorded them: August knows none of them
    assert _codes(rect.list_items(db, CITY, "2026-08", today=TODAY)) == []


def test_a_close_dated_after_the_month_is_not_shown_in_that_month(db):
    """A ledger may record 已销号 with a 销号日期 in the next month: as of the month the item is 整改中, overdue if
    late, and its 销号日期 is not shown there (it belongs to the later month)."""
    with db.begin() as c:
        c.execute(update(m.Rectification).where(m.Rectification.code == "ZG-002")
                  .values(closed_date=dt.date(2026, 10, 12), deadline=dt.date(2026, 9, 15)))
    row = rect.list_items(db, CITY, SEP, today=TODAY).table.set_index("问题编号").loc["ZG-002"]
    assert row["整改状态"] == "整改中" and row["销号日期"] == "" and row["逾期情况"] == "超期15天"
    later = rect.list_items(db, CITY, OCT, today=TODAY).table.set_index("问题编号").loc["ZG-002"]
    assert later["整改状态"] == "已销号" and later["销号日期"] == "2026-10-12"


def test_the_current_month_is_judged_today(db):
    lst = rect.list_items(db, CITY, SEP, today=dt.date(2026, 9, 10))
    row = lst.table.set_index("问题编号")
    assert lst.as_of == dt.date(2026, 9, 10)
    assert row.loc["ZG-001", "逾期情况"] == "超期10天"               # 08-31 → 09-10
    assert row.loc["ZG-B01", "逾期情况"] == ""                       # deadline 09-20 not reached yet


def test_an_october_close_is_a_version_of_october_and_september_stays_as_it_was(db):
    _import(db, _records(), OCT)                    # October's ledger: the items unchanged (no new version)
    assert rect.list_items(db, CITY, OCT, today=TODAY).table.set_index("问题编号").loc["ZG-001", "超期天数"] == 61
    oct_open = store.month_results(db, OCT).county.counties.set_index("county_code").loc[COUNTY_A[0], "overdue"]
    assert oct_open == 1
    sep_before = _figures(db, SEP)
    sep_list = rect.list_items(db, CITY, SEP, today=TODAY).table
    assert rect.close_item(db, CITY, SUPERVISOR, OCT, "ZG-001", closed_date=dt.date(2026, 10, 20),
                           note="已清理消防通道并复查", today=TODAY)
    pd.testing.assert_frame_equal(sep_list, rect.list_items(db, CITY, SEP, today=TODAY).table)
    for k, v in _figures(db, SEP).items():
        pd.testing.assert_frame_equal(sep_before[k], v, check_like=True)
    octo = rect.list_items(db, CITY, OCT, today=TODAY).table.set_index("问题编号")
    assert octo.loc["ZG-001", "整改状态"] == "已销号" and octo.loc["ZG-001", "销号日期"] == "2026-10-20"
    assert octo.loc["ZG-001", "逾期情况"] == ""
    with db.connect() as c:
        got = c.execute(select(m.Rectification.valid_from, m.Rectification.status, m.Rectification.recorded_by,
                               m.Rectification.note).where(m.Rectification.code == "ZG-001")
                        .order_by(m.Rectification.valid_from)).all()
    assert [tuple(x) for x in got] == [(SEP, "整改中", None, None), (OCT, "已销号", "dudao", "已清理消防通道并复查")]
    # the county flags read the same versions: October counts the item closed, September still overdue
    assert repo.rectifications(db, SEP).set_index("item_code").loc["ZG-001", "status"] == "整改中"
    counties = store.month_results(db, OCT).county.counties.set_index("county_code")
    assert counties.loc[COUNTY_A[0], "overdue"] == 0


def test_an_edit_of_a_month_with_a_later_version_keeps_the_later_month(db):
    rect.edit_item(db, CITY, SUPERVISOR, NOV, "ZG-B01", deadline=dt.date(2026, 12, 31), note="延期", today=TODAY)
    rect.edit_item(db, CITY, SUPERVISOR, OCT, "ZG-B01", unit="乙县民政局、街道办", today=TODAY)
    b = {mo: rect.get_item(db, CITY, mo, "ZG-B01", today=TODAY) for mo in (SEP, OCT, NOV)}
    assert b[SEP].values["unit"] == "乙县民政局" and b[SEP].values["deadline"] == dt.date(2026, 9, 20)
    assert b[OCT].values["unit"] == "乙县民政局、街道办" and b[OCT].overdue_days == 41
    assert b[NOV].values["deadline"] == dt.date(2026, 12, 31) and b[NOV].overdue_days is None
    h = rect.item_history(db, CITY, "ZG-B01")
    assert list(h["记录月份"]) == [SEP, OCT, NOV]
    assert h["变更内容"].iloc[0] == "新增登记"
    assert h["变更内容"].iloc[1] == "责任单位：乙县民政局→乙县民政局、街道办"
    # November's version, recorded first, still states the unit it had then (a later month keeps its statement)
    assert h["变更内容"].iloc[2] == "责任单位：乙县民政局、街道办→乙县民政局；整改时限：2026-09-20→2026-12-31"
    assert h["说明"].iloc[2] == "延期"
    assert set(h["记录人"]) == {"dudao"} and h["记录方式"].iloc[0] == "页面登记"


def test_nothing_changed_writes_nothing(db):
    n = _versions(db)
    assert rect.edit_item(db, CITY, SUPERVISOR, OCT, "ZG-001", unit="城关镇人民政府", today=TODAY) is False
    assert _versions(db) == n


def test_import_after_a_browser_edit_merges_by_item_id(db):
    rect.close_item(db, CITY, SUPERVISOR, OCT, "ZG-001", closed_date="2026-10-08", note="已整改", today=TODAY)
    recs = good_records()
    items = [dict(recs["问题整改"][1], unit="县人力资源和社会保障局"),
             dict(item_code="ZG-003", county="甲县", site_code="S002", source="通报", description="夜校未开课",
                  unit="新桥镇人民政府", found_date="2026-10-09", deadline="2026-11-30", status="未整改",
                  closed_date=None)]
    res = import_workbook(db, build_xlsx({"问题整改": sheet_table("问题整改", items)}), "整改_10月.xlsx", OCT, ADMIN)
    assert res.ok, res.errors
    octo = rect.list_items(db, CITY, OCT, today=TODAY).table.set_index("问题编号")
    assert sorted(octo.index) == ["ZG-001", "ZG-002", "ZG-003", "ZG-B01"]
    assert octo.loc["ZG-001", "整改状态"] == "已销号"              # the browser's close, not listed in the sheet: kept
    assert octo.loc["ZG-002", "责任单位"] == "县人力资源和社会保障局"
    assert octo.loc["ZG-003", "整改状态"] == "未整改"
    sep = rect.list_items(db, CITY, SEP, today=TODAY).table.set_index("问题编号")
    assert sep.loc["ZG-002", "责任单位"] == "县人社局"
    h = rect.item_history(db, CITY, "ZG-002")
    assert h["记录方式"].iloc[-1].startswith("台账导入")
    assert "责任单位：县人社局→县人力资源和社会保障局" in h["变更内容"].iloc[-1]
    # a browser edit after the import again records a version of its month
    rect.edit_item(db, CITY, SUPERVISOR, NOV, "ZG-003", status="整改中", today=TODAY)
    assert rect.get_item(db, CITY, OCT, "ZG-003", today=TODAY).status_at == "未整改"
    assert rect.get_item(db, CITY, NOV, "ZG-003", today=TODAY).status_at == "整改中"


@pytest.mark.parametrize("kw,expect", [
    (dict(closed_date=None, note="已整改"), "销号须填写销号日期"),
    (dict(closed_date=dt.date(2026, 10, 5), note="  "), "销号须填写销号说明"),
    (dict(closed_date=dt.date(2026, 11, 25), note="已整改"), "晚于今天"),
    (dict(closed_date=dt.date(2026, 11, 2), note="已整改"), "晚于所选月份（2026年10月）的月末"),
    (dict(closed_date=dt.date(2026, 7, 1), note="已整改"), "销号日期2026-07-01早于发现日期2026-08-05"),
    (dict(closed_date="2026-13-01", note="已整改"), "销号日期“2026-13-01”不是有效日期"),
])
def test_close_needs_a_date_and_a_note(db, kw, expect):
    n = _versions(db)
    with pytest.raises(rect.RectificationError) as e:
        rect.close_item(db, CITY, SUPERVISOR, OCT, "ZG-001", today=TODAY, **kw)
    assert expect in str(e.value)
    assert _versions(db) == n and not [a for a in _audit(db, "整改变更") if "ZG-001" in a.detail]


GOOD = dict(county_code=COUNTY_A[0], site_code="S002", source="督导督查", description="公共照明损坏",
            unit="新桥镇人民政府", found_date=dt.date(2026, 10, 3), deadline=dt.date(2026, 10, 31))


@pytest.mark.parametrize("change,expect", [
    (dict(deadline=dt.date(2026, 10, 1)), "整改时限2026-10-01早于发现日期2026-10-03"),
    (dict(site_code="S999"), "安置点编码“S999”不存在"),
    (dict(site_code="S101"), "安置点“S101”不属于所填所属县（市、区）"),
    (dict(county_code="529999"), "所属县（市、区）“529999”不存在"),
    (dict(source="网络舆情"), "问题来源须为督导督查/明察暗访/群众反映/通报之一"),
    (dict(description=" ", unit=""), "未填写问题描述；未填写责任单位"),
    (dict(found_date=dt.date(2026, 11, 3), deadline=dt.date(2026, 11, 30)), "晚于所选月份（2026年10月）的月末"),
    (dict(status="已销号"), "整改状态为已销号时须填写销号日期"),
    (dict(code="ZG-001"), "问题编号“ZG-001”已存在"),
])
def test_create_refuses_bad_input_in_chinese(db, change, expect):
    n = _versions(db)
    with pytest.raises(rect.RectificationError) as e:
        rect.create_item(db, CITY, SUPERVISOR, OCT, **{**GOOD, **change}, today=TODAY)
    assert expect in str(e.value)
    assert _versions(db) == n


def test_create_generates_a_code_and_is_audited(db):
    code = rect.create_item(db, SCOPE_A, OPERATOR_A, OCT, **GOOD, today=TODAY)
    assert code == f"ZG{COUNTY_A[0]}-202610-001"
    assert rect.create_item(db, SCOPE_A, OPERATOR_A, OCT, **GOOD, today=TODAY) == f"ZG{COUNTY_A[0]}-202610-002"
    rect.close_item(db, SCOPE_A, OPERATOR_A, OCT, code, closed_date="2026-10-30", note="路灯已修复", today=TODAY)
    entries = _audit(db, "整改变更")
    mine = [a for a in entries if code in a.detail]
    assert [a.username for a in mine] == ["op_a", "op_a"]
    assert mine[0].detail.startswith(f"新增整改问题{code}；月份 2026-10")
    assert mine[1].detail.startswith(f"销号整改问题{code}") and "路灯已修复" in mine[1].detail
    assert [a.username for a in entries if "ZG-B01" in a.detail] == ["dudao"]


def test_roles_and_scope(db):
    with pytest.raises(rect.NotAllowed, match="当前角色无权登记整改问题"):
        rect.create_item(db, CITY, LEADER, OCT, **GOOD, today=TODAY)
    own = rect.list_items(db, SCOPE_A, SEP, today=TODAY)
    assert _codes(own) == ["ZG-001", "ZG-002"] and "乙县" not in own.table.to_string()
    with pytest.raises(OutOfScope):
        rect.list_items(db, SCOPE_A, SEP, rect.ItemFilter(county_code=COUNTY_B[0]), today=TODAY)
    assert _codes(rect.list_items(db, SCOPE_A, SEP, rect.ItemFilter(site_code="S101"), today=TODAY)) == []
    assert [c for c, _ in rect.filter_options(db, SCOPE_A, SEP)] == ["S001", "S002"]
    for call in (lambda: rect.get_item(db, SCOPE_A, SEP, "ZG-B01"), lambda: rect.item_history(db, SCOPE_A, "ZG-B01"),
                 lambda: rect.edit_item(db, SCOPE_A, OPERATOR_A, OCT, "ZG-B01", unit="甲", today=TODAY),
                 lambda: rect.close_item(db, SCOPE_A, OPERATOR_A, OCT, "ZG-B01", closed_date="2026-10-01", note="x",
                                         today=TODAY),
                 lambda: rect.create_item(db, SCOPE_A, OPERATOR_A, OCT, **{**GOOD, "county_code": COUNTY_B[0],
                                                                            "site_code": "S101"}, today=TODAY),
                 lambda: rect.edit_item(db, SCOPE_A, OPERATOR_A, OCT, "ZG-001", county_code=COUNTY_B[0],
                                        site_code=None, today=TODAY)):
        n = _versions(db)
        with pytest.raises(OutOfScope) as e:
            call()
        assert "不在您的数据权限范围内" in str(e.value) and "乙县" not in str(e.value)
        assert _versions(db) == n
    assert rect.get_item(db, SCOPE_A, SEP, "ZG-001").county_name == "甲县"
    assert rect.get_item(db, CITY, SEP, "NO-SUCH") is None


def test_export_is_the_filtered_table_formula_safe_and_audited(db):
    rect.create_item(db, CITY, SUPERVISOR, OCT, **{**GOOD, "description": "=HYPERLINK(\"http://x\")"}, today=TODAY)
    filt = rect.ItemFilter(county_code=COUNTY_A[0])
    data = rect.export_items(db, CITY, SUPERVISOR, OCT, filt, "xlsx", city_name="某州", today=TODAY)
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    cells = [c for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert "某州问题整改台账（2026年10月）" in cells and "ZG-B01" not in cells
    assert sum(1 for c in cells if isinstance(c, str) and c.startswith("ZG")) == 3
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    text = rect.export_items(db, SCOPE_A, OPERATOR_A, OCT, rect.ItemFilter(overdue=True), "csv",
                             today=TODAY).decode("utf-8-sig")
    assert "ZG-001" in text and "ZG-002" not in text and "ZG-B01" not in text
    text = rect.export_items(db, SCOPE_A, OPERATOR_A, OCT, None, "csv", today=TODAY).decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "ZG-B01" not in text
    entries = _audit(db, "导出")
    assert [a.username for a in entries] == ["dudao", "op_a", "op_a"]
    assert "问题整改台账Excel；月份 2026-10；甲县；3项" == entries[0].detail
    assert "问题整改台账CSV" in entries[1].detail and "仅逾期" in entries[1].detail


def test_the_page_counts_what_the_circular_counts(db):
    """The ledger page and the circular's 问题整改 figures read the same versions with the same rule (§9)."""
    rect.close_item(db, CITY, SUPERVISOR, OCT, "ZG-B01", closed_date="2026-10-03", note="已恢复值守", today=TODAY)
    for month in (SEP, OCT):
        lst = rect.list_items(db, CITY, month, today=TODAY)
        totals = circular.rectification_totals(db, month)
        assert (lst.total, lst.n_overdue, lst.n_closed) == (totals.found, totals.overdue, totals.closed), month
    assert rect.list_items(db, CITY, OCT, today=TODAY).n_overdue == 1


@pytest.mark.parametrize("earlier_october_version", [False, True])
def test_two_people_saving_the_same_item_in_the_same_month_at_once(db, monkeypatch, earlier_october_version):
    """The second save, planned before the first was committed, is refused in Chinese; the first stays whole."""
    if earlier_october_version:
        rect.edit_item(db, CITY, SUPERVISOR, OCT, "ZG-B01", note="十月初修改", unit="乙县民政局（十月）", today=TODAY)
    other = create(db.url.render_as_string(hide_password=False))      # the other person's session: its own engine
    real, raced = versions.plan_rectifications, []

    def plan_then_let_the_other_save(*args, **kwargs):
        planned = real(*args, **kwargs)
        if not raced:
            raced.append(True)
            assert rect.edit_item(other, CITY, ADMIN, OCT, "ZG-B01", unit="乙县乡村振兴局", today=TODAY)
        return planned

    monkeypatch.setattr(versions, "plan_rectifications", plan_then_let_the_other_save)
    n, audits = _versions(db, "ZG-B01"), len(_audit(db, audit.RECTIFICATION))
    try:
        with pytest.raises(rect.RectificationError, match="^该事项本月已被他人修改，请刷新后重试$"):
            rect.edit_item(db, CITY, SUPERVISOR, OCT, "ZG-B01", deadline=dt.date(2026, 12, 31), note="延期",
                           today=TODAY)
    finally:
        other.dispose()
    assert raced
    oct_item = rect.get_item(db, CITY, OCT, "ZG-B01", today=TODAY).values
    assert oct_item["unit"] == "乙县乡村振兴局" and oct_item["deadline"] == dt.date(2026, 9, 20)
    assert _versions(db, "ZG-B01") == n + (0 if earlier_october_version else 1)
    assert [u for u, _ in _audit(db, audit.RECTIFICATION)[audits:]] == ["admin"]    # the refused save left none
    assert rect.get_item(db, CITY, SEP, "ZG-B01", today=TODAY).values["unit"] == "乙县民政局"
