"""Ledger import: good workbooks read back equal, lenient inputs, idempotency, scope, warnings, traceability."""
from __future__ import annotations

import datetime as dt
import json
import math

import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data import models as m
from data import repository as repo
from data.workbook import ImportUser, import_workbook
from tests.data.fixtures_workbooks import (COUNTY_A, MONTH, PREV_MONTH, build_xlsx, db_fingerprint,  # noqa: F401
                                           good_records, good_tables, good_workbook, inject_cached_values,
                                           libreoffice_files, make_id, records_b, seed_counties, sheet_table,
                                           with_changes)

ADMIN = ImportUser("admin", "管理员")
USER_A = ImportUser("op_a", "县级填报员", COUNTY_A[0])
YES = {"是": True, "否": False, None: None}


def run(engine, data: bytes, month=MONTH, user=ADMIN, name="台账.xlsx"):
    return import_workbook(engine, data, name, month, user)


def ok(result):
    assert result.ok, "\n".join(str(x) for x in result.errors)
    return result


@pytest.fixture
def db(engine):
    seed_counties(engine, boundary=True)
    return engine


def _nan(x):
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else x


def _date(x):
    if x is None or isinstance(x, dt.date):
        return x
    return dt.date.fromisoformat(x)


def assert_good_data(engine, records=None, month=MONTH):
    """The database holds exactly the good records (as typed values)."""
    rec = records or good_records()
    sites = repo.sites(engine).set_index("site_code")
    assert sorted(sites.index) == sorted(r["code"] for r in rec["安置点"])
    for r in rec["安置点"]:
        s = sites.loc[r["code"]]
        assert s.site_name == r["name"] and s.county_name == r["county"] and s.town == r["town"]
        assert s.site_type == r["site_type"] and s.lon == r["lon"] and s.lat == r["lat"]
        assert (s.households, s.population, s.batch_year) == (r["households"], r["population"], r["batch_year"])
        assert (None if pd.isna(s.built_year) else int(s.built_year)) == r["built_year"]
    hh = repo.households(engine, month).set_index("household_code")
    assert sorted(hh.index) == sorted(r["household_code"] for r in rec["搬迁户"])
    for r in rec["搬迁户"]:
        h = hh.loc[r["household_code"]]
        for k in ("site_code", "head_name", "head_id", "family_size", "labour_count", "origin_county",
                  "origin_town", "origin_village"):
            assert h[k] == r[k], k
        assert h.hukou_moved == YES[r["hukou_moved"]] and _nan(h.monitored) == YES[r["monitored"]]
        assert _nan(h.income_prev) == r["income_prev"] and _nan(h.income_curr) == r["income_curr"]
        for i in range(1, 16):
            assert _nan(h[f"R{i:02d}"]) == r[f"R{i:02d}"], (r["household_code"], i)
    lab = repo.labour(engine, month).set_index("person_id")
    assert sorted(lab.index) == sorted(r["person_id"] for r in rec["劳动力"])
    site_of = {r["household_code"]: r["site_code"] for r in rec["搬迁户"]}
    for r in rec["劳动力"]:
        x = lab.loc[r["person_id"]]
        assert (x["name"], x.household_code, x.gender) == (r["name"], r["household_code"], r["gender"])
        assert x.site_code == site_of[r["household_code"]]
        assert bool(x.trained) == YES[r["trained"]] and bool(x.certified) == YES[r["certified"]]
        assert bool(x.employed) == (r["employed"] == "已就业")
        assert _nan(x.employment_form) == r["employment_form"]
        assert _nan(x.monthly_income) == (None if r["monthly_income"] is None else float(r["monthly_income"]))
    org = repo.organisation(engine, month).set_index("site_code")
    for r in rec["组织建设"]:
        o = org.loc[r["site_code"]]
        for k, v in r.items():
            if k == "site_code":
                continue
            assert o[k] == (YES[v] if v in YES else v), k
    rep = repo.reported(engine, month).set_index("site_code")
    for r in rec["月度指标"]:
        x = rep.loc[r["site_code"]]
        for k, v in r.items():
            if k in ("site_code", "month"):
                continue
            assert _nan(x[k]) == (None if v is None else float(v)), k
    rect = repo.rectifications(engine).set_index("item_code")
    assert sorted(rect.index) == sorted(r["item_code"] for r in rec["问题整改"])
    for r in rec["问题整改"]:
        x = rect.loc[r["item_code"]]
        assert x.county_code == COUNTY_A[0] and _nan(x.site_code) == r["site_code"]
        assert (x.source, x.description, x.unit, x.status) == (r["source"], r["description"], r["unit"], r["status"])
        assert x.found_date == _date(r["found_date"]) and x.deadline == _date(r["deadline"])
        assert _nan(x.closed_date) == _date(r["closed_date"])
    fu = repo.followups(engine)
    assert len(fu) == len(rec["跟进记录"])
    for r in rec["跟进记录"]:
        x = fu[fu.title == r["title"]].iloc[0]
        assert (x.kind, x.date, x.county_code) == (r["kind"], _date(r["date"]), COUNTY_A[0])
        assert _nan(x.site_code) == r["site_code"] and _nan(x.content) == r["content"]


# ---- the good path ----

def test_filled_workbook_imports_and_reads_back_equal(db):
    data = good_workbook()
    res = ok(run(db, data))
    assert res.result == "成功" and res.messages == []
    assert res.rows == {"安置点": 2, "搬迁户": 4, "劳动力": 5, "组织建设": 2, "月度指标": 2, "问题整改": 2,
                        "跟进记录": 2}
    assert_good_data(db)
    with Session(db) as s:
        rec = s.get(m.ImportRecord, res.import_id)
        assert rec.result == "成功" and rec.month == MONTH and rec.username == "admin"
        assert rec.file_blob == data and rec.file_name == "台账.xlsx"
        import hashlib
        assert rec.sha256 == hashlib.sha256(data).hexdigest()
        assert json.loads(rec.rows_json)["搬迁户"] == 4
        audit = s.scalars(select(m.AuditLog)).all()
        assert len(audit) == 1 and audit[0].action == "导入" and "台账.xlsx" in audit[0].detail
    assert repo.data_versions(db) == {MONTH: 1}


def test_every_row_traces_to_file_sheet_and_row(db):
    data = good_workbook(titles={"搬迁户": ["甲县易地搬迁搬迁户台账", "填报单位：甲县  填报日期：2026-09-30"]})
    res = ok(run(db, data))
    with Session(db) as s:
        rows = s.execute(select(m.Household.household_code, m.Household.import_id, m.Household.source_row)
                         .order_by(m.Household.household_code)).all()
        lab = s.execute(select(m.Labourer.import_id, m.Labourer.source_row).order_by(m.Labourer.source_row)).all()
        site = s.execute(select(m.Site).where(m.Site.code == "S002")).scalar_one()
    assert [(c, i, r) for c, i, r in rows] == [("H001", res.import_id, 4), ("H002", res.import_id, 5),
                                              ("H003", res.import_id, 6), ("H004", res.import_id, 7)]
    assert [r for _, r in lab] == [2, 3, 4, 5, 6]
    assert site.import_id == res.import_id and site.source_row == 3


def test_second_import_of_same_file_changes_nothing(db):
    data = good_workbook()
    ok(run(db, data))
    before = db_fingerprint(db)
    versions = repo.data_versions(db)
    res = ok(run(db, data))
    assert res.result == "无变化"
    assert db_fingerprint(db) == before
    assert repo.data_versions(db) == versions
    with Session(db) as s:
        assert [r.result for r in s.scalars(select(m.ImportRecord).order_by(m.ImportRecord.id))] == ["成功", "无变化"]


def test_same_file_again_after_other_changes_is_written(db):
    a = good_workbook()
    ok(run(db, a))
    b = build_xlsx(good_tables(with_changes({"搬迁户": {0: {"family_size": 6}}}), ))
    ok(run(db, b))
    assert repo.households(db, MONTH).set_index("household_code").loc["H001"].family_size == 6
    res = ok(run(db, a))
    assert res.result == "成功"
    assert_good_data(db)


def test_snapshot_replaces_only_the_sites_in_the_file(db):
    ok(run(db, good_workbook()))
    recs = good_records()
    s001 = [dict(r) for r in recs["搬迁户"] if r["site_code"] == "S001"]
    s001[0]["family_size"] = 9
    s001 = s001[:1]  # H002 left S001 this month
    data = build_xlsx({"搬迁户": sheet_table("搬迁户", s001)})
    ok(run(db, data))
    hh = repo.households(db, MONTH).set_index("household_code")
    assert sorted(hh.index) == ["H001", "H003", "H004"]
    assert hh.loc["H001"].family_size == 9
    assert repo.data_versions(db)[MONTH] == 2


def test_other_months_are_kept(db):
    ok(run(db, good_workbook()))
    recs = good_records()
    tables = {k: sheet_table(k, recs[k]) for k in ("搬迁户", "劳动力", "组织建设")}
    ok(run(db, build_xlsx(tables), month="2026-10"))
    assert len(repo.households(db, MONTH)) == 4 and len(repo.households(db, "2026-10")) == 4
    # the October import bumps October only: September's stored results stay valid
    assert repo.data_versions(db) == {MONTH: 1, "2026-10": 1}


# ---- lenient inputs ----

LENIENT = {}


def lenient(fn):
    LENIENT[fn.__name__] = fn
    return fn


@lenient
def title_rows_above_header():
    titles = {name: ["甲县易地搬迁后续扶持台账", "填报单位：甲县发展和改革局    填报日期：2026年9月30日", ""]
              for name in good_records()}
    return good_workbook(titles=titles)


@lenient
def total_and_blank_rows():
    tables = good_tables()
    for name, (head, rows) in tables.items():
        blank = [None] * len(head)
        total = ["合计"] + [None] * (len(head) - 1)
        if name == "搬迁户":
            total = ["合 计", None, None, None, 14, 5] + [None] * (len(head) - 6)
        rows[1:1] = [blank, list(blank)]
        rows.append(blank)
        rows.append(total)
        rows.append(["填表人：张三    审核人：李四"] + [None] * (len(head) - 1))
    return build_xlsx(tables)


@lenient
def full_width_brackets_spaces_and_stars():
    tables = good_tables()

    def mangle(h: str) -> str:
        h = h.replace("（", "(").replace("）", ")") if "县" in h else h.replace("（", "【").replace("）", "】")
        h = h.replace("*", " ＊") if len(h) % 2 else h.replace("*", "*  ")
        return " " + h[:1] + " " + h[1:] + "\u3000"

    return build_xlsx({k: ([mangle(h) for h in head], rows) for k, (head, rows) in tables.items()})


@lenient
def headers_without_units_or_stars():
    tables = good_tables()
    import re
    return build_xlsx({k: ([re.sub(r"（[^）]*）", "", h).rstrip("*") for h in head], rows)
                       for k, (head, rows) in tables.items()})


@lenient
def numbers_and_dates_as_text():
    recs = good_records()
    for r in recs["搬迁户"]:
        r["family_size"] = f" {r['family_size']} "
        r["labour_count"] = str(r["labour_count"])
        if r["income_curr"] is not None:
            r["income_curr"] = f"{r['income_curr']:,}"
    for r in recs["安置点"]:
        r["lon"], r["lat"] = str(r["lon"]), str(r["lat"])
        r["batch_year"] = "２０２６" if r["code"] == "S001" else "2027"
    recs["问题整改"][0]["found_date"] = "2026年8月5日"
    recs["问题整改"][0]["deadline"] = "2026/9/30"
    recs["问题整改"][1]["found_date"] = "2026-07-01"
    recs["问题整改"][1]["deadline"] = 46235.0  # Excel serial of 2026-08-01 in a general-format cell
    recs["问题整改"][1]["closed_date"] = "2026.7.25"
    recs["月度指标"][0]["satisfaction_pct"] = "91.5%"
    recs["月度指标"][1]["month"] = "2026年9月"
    for r in recs["组织建设"]:
        r["platform_party"] = " 是 "
    recs["劳动力"][0]["gender"] = "男 "
    recs["劳动力"][2]["employment_form"] = "省外务工\u3000"
    return build_xlsx(good_tables(recs))


@lenient
def formulas_with_cached_values():
    def post(wb):
        ws = wb["搬迁户"]
        ws["E2"] = "=2+2"   # family_size of H001 = 4
        ws["F3"] = "=0+1"   # labour_count of H002 = 1
    data = good_workbook(post=post)
    return inject_cached_values(data, {("搬迁户", "E2"): "4", ("搬迁户", "F3"): "1"})


@lenient
def merged_two_row_header():
    tables = good_tables()
    head, rows = tables["组织建设"]
    upper, lower = [], []
    for h in head:
        for suffix in ("应设", "已设"):
            if h.endswith(suffix):
                upper.append(h[: -len(suffix)])
                lower.append(suffix)
                break
        else:
            upper.append(h)
            lower.append(None)

    def post(wb):
        ws = wb.create_sheet("组织建设")
        ws.append(["甲县安置点组织建设情况表"])
        ws.append(upper)
        ws.append(lower)
        for r in rows:
            ws.append(r)
        for j, (u, lo) in enumerate(zip(upper, lower), start=1):
            if lo is None:
                ws.merge_cells(start_row=2, start_column=j, end_row=3, end_column=j)
            elif lo == "应设":
                ws.merge_cells(start_row=2, start_column=j, end_row=2, end_column=j + 1)
        ws.merge_cells("A1:H1")
    del tables["组织建设"]
    return build_xlsx(tables, post=post)


@lenient
def month_column_omitted():
    tables = good_tables()
    head, rows = tables["月度指标"]
    j = head.index("月份*")
    tables["月度指标"] = ([h for i, h in enumerate(head) if i != j],
                          [[v for i, v in enumerate(r) if i != j] for r in rows])
    return build_xlsx(tables)


@lenient
def sheets_in_other_order_with_extra_sheets():
    tables = good_tables()
    order = list(reversed(list(tables)))

    def post(wb):
        wb.create_sheet("填报说明", 0)
        wb["填报说明"]["A1"] = "说明"
        wb.create_sheet("Sheet1")
    return build_xlsx({k: tables[k] for k in order}, post=post)


@pytest.mark.parametrize("case", sorted(LENIENT))
def test_lenient_input_is_accepted(db, case):
    res = ok(run(db, LENIENT[case]()))
    assert res.result == "成功"
    assert res.rows["搬迁户"] == 4
    assert_good_data(db)


def test_libreoffice_saved_file_is_accepted(db, libreoffice_files):  # noqa: F811 (pytest fixture)
    res = ok(run(db, libreoffice_files["good"]))
    assert res.result == "成功"
    assert_good_data(db)


def test_formula_cached_value_from_libreoffice(db, libreoffice_files):  # noqa: F811 (pytest fixture)
    # the LibreOffice file carries a formula in 搬迁户!E2 (=2+2) with the cached value 4
    ok(run(db, libreoffice_files["formula"]))
    assert_good_data(db)


def test_monthly_indicators_of_several_months_without_import_month(db):
    ok(run(db, good_workbook(sheets=["安置点"]), month=PREV_MONTH))
    recs = good_records()["月度指标"]
    prev = [dict(r, month=PREV_MONTH) for r in recs]
    data = build_xlsx({"月度指标": sheet_table("月度指标", prev + recs)})
    res = ok(run(db, data, month=None))
    assert len(repo.reported(db, PREV_MONTH)) == 2 and len(repo.reported(db, MONTH)) == 2
    assert {PREV_MONTH, MONTH} <= set(repo.data_versions(db))
    assert res.warnings == [] or all(w.level == "警告" for w in res.warnings)


def test_sites_only_file_needs_a_month(db):
    """Sites, rectification items and follow-up records are kept as versions from the month of their import
    (domain.md §11 "History is frozen"), so a file of only those sheets must name its month."""
    res = run(db, good_workbook(sheets=["安置点", "问题整改", "跟进记录"]), month=None)
    assert not res.ok and "未指定导入月份" in res.errors[0].reason
    assert repo.sites(db).empty
    res = ok(run(db, good_workbook(sheets=["安置点", "问题整改", "跟进记录"]), month=MONTH))
    assert res.rows == {"安置点": 2, "问题整改": 2, "跟进记录": 2}
    assert repo.sites(db, PREV_MONTH).empty and len(repo.sites(db, MONTH)) == 2
    assert repo.data_versions(db) == {MONTH: 1}


# ---- scope ----

@pytest.fixture
def two_counties(db):
    ok(run(db, good_workbook()))
    ok(run(db, build_xlsx(good_tables(records_b()))))
    return db


def test_county_operator_may_import_own_county(two_counties):
    recs = with_changes({"搬迁户": {0: {"family_size": 5}}})
    res = ok(run(two_counties, build_xlsx({"搬迁户": sheet_table("搬迁户", recs["搬迁户"])}), user=USER_A))
    assert res.result == "成功"


def test_county_operator_cannot_import_other_county_households(two_counties):
    db = two_counties
    recs = good_records()["搬迁户"] + records_b()["搬迁户"]
    before = db_fingerprint(db)
    res = run(db, build_xlsx({"搬迁户": sheet_table("搬迁户", recs)}), user=USER_A)
    assert not res.ok and res.result == "失败"
    bad = [x for x in res.errors if "管辖范围" in x.reason]
    assert [(x.sheet, x.row, x.column) for x in bad] == [("搬迁户", 6, "安置点编码*")]
    assert "乙县" in bad[0].reason and "甲县" in bad[0].reason
    assert db_fingerprint(db) == before


def test_county_operator_cannot_import_site_or_rectification_of_other_county(two_counties):
    db = two_counties
    recs = good_records()
    recs["安置点"].append(dict(records_b()["安置点"][0], code="S102"))
    recs["问题整改"][1]["county"] = "乙县"
    recs["跟进记录"][0]["county"] = "乙县"
    before = db_fingerprint(db)
    res = run(db, build_xlsx(good_tables(recs)), user=USER_A)
    assert not res.ok
    got = {(x.sheet, x.row, x.column) for x in res.errors if "管辖范围" in x.reason}
    assert got == {("安置点", 4, "所属县（市、区）*"), ("问题整改", 3, "所属县（市、区）*"),
                   ("跟进记录", 2, "所属县（市、区）*")}
    assert db_fingerprint(db) == before


def test_county_operator_cannot_move_other_county_site(two_counties):
    db = two_counties
    site = dict(records_b()["安置点"][0], county="甲县")  # S101 belongs to 乙县 in the database
    res = run(db, build_xlsx({"安置点": sheet_table("安置点", [site])}), month=None, user=USER_A)
    assert not res.ok
    assert [(x.row, x.column) for x in res.errors] == [(2, "安置点编码*")]
    assert "乙县" in res.errors[0].reason


def test_county_operator_labour_of_other_county(two_counties):
    db = two_counties
    lab = dict(good_records()["劳动力"][0], person_id=make_id(501), household_code="H101")
    res = run(db, build_xlsx({"劳动力": sheet_table("劳动力", [lab])}), user=USER_A)
    assert not res.ok
    assert [(x.sheet, x.row, x.column) for x in res.errors] == [("劳动力", 2, "户编码*")]


def test_leader_may_not_import(db):
    before = db_fingerprint(db)
    res = run(db, good_workbook(), user=ImportUser("boss", "市领导"))
    assert not res.ok and "无导入权限" in res.errors[0].reason
    assert db_fingerprint(db) == before


def test_county_operator_without_county_is_rejected(db):
    res = run(db, good_workbook(), user=ImportUser("op", "县级填报员", None))
    assert not res.ok and "未设置所属县" in res.errors[0].reason


# ---- warnings do not block ----

def test_warnings_do_not_block(db):
    # previous month's indicators for the jump check
    prev = [dict(r, month=PREV_MONTH) for r in good_records()["月度指标"]]
    ok(run(db, good_workbook(sheets=["安置点"]), month=PREV_MONTH))
    ok(run(db, build_xlsx({"月度指标": sheet_table("月度指标", prev)}), month=PREV_MONTH))
    recs = with_changes({
        "安置点": {1: {"lon": 106.5}},                         # inside China, outside 甲县's boundary
        "搬迁户": {0: {"labour_count": 3}},                     # 3 declared, 2 listed in 劳动力
        # 91.5 -> 40; 0.7 looks like a fraction
        "月度指标": {0: {"satisfaction_pct": 40, "night_school": 3, "civic_pct": 0.7}},
        "劳动力": {1: {"gender": "男"}},                         # ID says female
    })
    res = ok(run(db, build_xlsx(good_tables(recs))))
    assert res.result == "成功"
    got = {(x.sheet, x.row, x.column) for x in res.warnings}
    assert ("安置点", 3, "经度*") in got
    assert ("搬迁户", 2, "劳动力人数*") in got
    assert ("月度指标", 2, "群众满意度（%）") in got
    assert ("月度指标", 2, "文明实践活动参与率（%）") in got
    assert ("劳动力", 3, "性别*") in got
    assert all(x.level == "警告" for x in res.messages)
    assert repo.households(db, MONTH).set_index("household_code").loc["H001"].labour_count == 3
    with Session(db) as s:
        rec = s.get(m.ImportRecord, res.import_id)
        assert len(json.loads(rec.messages_json)) == len(res.messages)
    marked = res.marked_copy
    assert marked is not None


def test_row_rule_warnings_name_their_cell(db):
    """The warnings the sheets declare between cells of one row (spec.Sheet.checks)."""
    recs = with_changes({
        "问题整改": {0: {"closed_date": "2026-09-10"}},         # a closing date while still 整改中
        "劳动力": {1: {"employment_form": "县内务工"}},           # 未就业 with an employment form
    })
    res = ok(run(db, build_xlsx(good_tables(recs))))
    got = {(x.sheet, x.row, x.column, x.reason) for x in res.warnings}
    assert ("问题整改", 2, "整改状态*", "填写了销号日期，但整改状态不是已销号") in got
    assert ("劳动力", 3, "就业形式", "未就业人员填写了就业形式，请核对") in got


def test_household_moving_to_another_site_is_a_warning(db):
    ok(run(db, good_workbook()))
    recs = good_records()["搬迁户"]
    moved = [dict(r) for r in recs if r["site_code"] == "S002"] + [dict(recs[0], site_code="S002")]
    res = ok(run(db, build_xlsx({"搬迁户": sheet_table("搬迁户", moved)})))
    assert [(x.row, x.column) for x in res.warnings] == [(4, "户编码*")]
    hh = repo.households(db, MONTH).set_index("household_code")
    assert hh.loc["H001"].site_code == "S002" and "H002" in hh.index


def test_import_counts_in_db(db):
    ok(run(db, good_workbook()))
    with Session(db) as s:
        assert s.scalar(select(func.count()).select_from(m.Household)) == 4
        assert s.scalar(select(func.count()).select_from(m.Labourer)) == 5


def test_unexpected_error_is_recorded_and_writes_nothing(db, monkeypatch):
    from data.workbook import importer

    def boom(*a, **k):
        raise RuntimeError("模拟故障")
    monkeypatch.setattr(importer, "validate", boom)
    before = db_fingerprint(db)
    res = run(db, good_workbook())
    assert not res.ok and res.result == "失败" and "系统错误" in res.errors[0].reason
    assert db_fingerprint(db) == before
    with Session(db) as s:
        assert s.get(m.ImportRecord, res.import_id).result == "失败"
