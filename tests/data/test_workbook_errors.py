"""Malformed workbooks: each is rejected as a whole, names the sheet, row and column, and leaves the database
unchanged (only the failed attempt is recorded in `imports` / `audit_log`)."""
from __future__ import annotations

import io
import json
import zipfile

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from data import models as m
from data.workbook import ImportUser, import_workbook
from tests.data.fixtures_workbooks import (COUNTY_A, MONTH, bad_check_id, build_xlsx, db_fingerprint,  # noqa: F401
                                           encrypted_xlsx, good_records, good_tables, good_workbook,
                                           legacy_xls, libreoffice_files, make_id, records_b, seed_counties,
                                           sheet_table, with_changes)

ADMIN = ImportUser("admin", "管理员")
USER_A = ImportUser("op_a", "县级填报员", COUNTY_A[0])
TEXT_HINT = '请将该列设置为"文本"格式后重新填写'


@pytest.fixture
def db(engine):
    """Counties 甲县 and 乙县 with a month of good data already imported."""
    seed_counties(engine)
    for data in (good_workbook(), build_xlsx(good_tables(records_b()))):
        res = import_workbook(engine, data, "seed.xlsx", MONTH, ADMIN)
        assert res.ok, [str(x) for x in res.errors]
    return engine


CASES: dict = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


def changed(changes, sheets=None, **kw) -> bytes:
    recs = with_changes(changes)
    if sheets:
        recs = {k: v for k, v in recs.items() if k in sheets}
    return build_xlsx(good_tables(recs), **kw)


# Each case returns (file bytes, expected [(sheet, row, column, reason part)], import kwargs).
# ---- the file itself ----

@case
def csv_renamed_to_xlsx():
    return "户编码,安置点编码\nH001,S001\n".encode("gb18030"), [(None, None, None, "不是有效的 .xlsx 文件")], {}


@case
def legacy_xls_file():
    return legacy_xls(), [(None, None, None, "旧版 .xls")], {}


@case
def encrypted_file():
    return encrypted_xlsx(), [(None, None, None, "文件已加密，请取消密码后再上传")], {}


@case
def truncated_zip():
    data = good_workbook()
    return data[: len(data) // 2], [(None, None, None, "已损坏或不完整")], {}


@case
def corrupt_zip_member():
    data = bytearray(good_workbook())
    zf = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = zf.getinfo("xl/worksheets/sheet2.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start + 20, start + min(info.compress_size - 4, 400)):
        data[i] = 0x5A
    return bytes(data), [("*", None, None, "损坏")], {}


@case
def empty_file():
    return b"", [(None, None, None, "文件为空")], {}


@case
def file_over_size_limit():
    return good_workbook(), [(None, None, None, "超过上限")], {"max_bytes": 2000}


@case
def word_document_renamed():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<document/>")
    return buf.getvalue(), [(None, None, None, "不是 Excel 工作簿")], {}


@case
def no_known_sheet():
    data = build_xlsx({"Sheet1": (["户编码", "安置点编码"], [["H001", "S001"]])})
    return data, [(None, None, None, "没有可导入的工作表，工作表名称应为：安置点、搬迁户、劳动力")], {}


@case
def invalid_import_month():
    return good_workbook(), [(None, None, None, "导入月份「2026-9」格式不正确")], {"month": "2026-9"}


@case
def snapshot_without_month():
    return good_workbook(sheets=["搬迁户"]), [("搬迁户", None, None, "未指定导入月份")], {"month": None}


@case
def monthly_sheet_without_month_or_month_column():
    tables = good_tables(sheets=["月度指标"])
    head, rows = tables["月度指标"]
    tables["月度指标"] = (head[:1] + head[2:], [r[:1] + r[2:] for r in rows])
    return build_xlsx(tables), [("月度指标", 1, "月份", "缺少「月份」列")], {"month": None}


# ---- structure ----

@case
def header_not_in_first_ten_rows():
    data = good_workbook(sheets=["搬迁户"], titles={"搬迁户": [f"说明第{i}行" for i in range(11)]})
    return data, [("搬迁户", None, None, "前10行中未找到表头")], {}


@case
def required_column_missing():
    tables = good_tables(sheets=["搬迁户"])
    tables["搬迁户"] = sheet_table("搬迁户", good_records()["搬迁户"], drop=("head_id",))
    return build_xlsx(tables), [("搬迁户", 1, "户主身份证号", "缺少必填列「户主身份证号」")], {}


@case
def duplicate_column():
    head, rows = sheet_table("搬迁户", good_records()["搬迁户"])
    head = head + ["户编码"]
    rows = [r + [r[0]] for r in rows]
    return build_xlsx({"搬迁户": (head, rows)}), [("搬迁户", 1, "户编码", "重复出现")], {}


@case
def duplicate_sheet():
    tables = good_tables(sheets=["搬迁户"])
    tables["搬迁户 (2)"] = tables["搬迁户"]
    return build_xlsx(tables), [("搬迁户 (2)", None, None, "重复")], {}


@case
def sheet_with_only_total_row():
    head, _ = sheet_table("劳动力", [])
    data = build_xlsx({"劳动力": (head, [[None] * len(head), ["合计"] + [None] * (len(head) - 1)])})
    return data, [("劳动力", 2, None, "没有数据行")], {}


# ---- cells ----

@case
def required_cell_empty():
    return changed({"搬迁户": {1: {"head_name": None}}}), [("搬迁户", 3, "户主姓名*", "必填项不能为空")], {}


@case
def id_check_digit_wrong():
    return changed({"搬迁户": {2: {"head_id": bad_check_id(3)}}}), [("搬迁户", 4, "户主身份证号*", "校验位错误")], {}


@case
def id_stored_as_number():
    def post(wb):
        wb["搬迁户"]["D2"].value = 522301198501010016
        wb["搬迁户"]["D2"].number_format = "General"
    return changed({}, post=post), [("搬迁户", 2, "户主身份证号*", TEXT_HINT)], {}


@case
def id_in_scientific_notation_text():
    return changed({"劳动力": {0: {"person_id": "5.22301E+17"}}}), [("劳动力", 2, "身份证号*", TEXT_HINT)], {}


@case
def id_with_impossible_birth_date():
    body = "522301" + "19851341" + "001"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    bad = body + "10X98765432"[sum(int(a) * w for a, w in zip(body, weights)) % 11]
    return changed({"搬迁户": {0: {"head_id": bad}}}), [("搬迁户", 2, "户主身份证号*", "出生日期无效")], {}


@case
def id_wrong_length():
    return changed({"搬迁户": {3: {"head_id": make_id(4)[:17]}}}), [("搬迁户", 5, "户主身份证号*", "应为18位")], {}


@case
def value_outside_list():
    return (changed({"搬迁户": {0: {"hukou_moved": "Y"}}}),
            [("搬迁户", 2, "户籍是否迁入*", "应为：是、否")], {})


@case
def rights_value_outside_list():
    return (changed({"搬迁户": {1: {"R01": "已完成"}}}),
            [("搬迁户", 3, "选民登记", "应为：已落实、未落实、不适用")], {})


@case
def employment_form_outside_list():
    return (changed({"劳动力": {0: {"employment_form": "打零工"}}}),
            [("劳动力", 2, "就业形式", "应为：帮扶车间、园区企业")], {})


@case
def non_numeric_number():
    return changed({"搬迁户": {0: {"family_size": "四口"}}}), [("搬迁户", 2, "家庭人口*", "不是有效的数字")], {}


@case
def fractional_count():
    return changed({"搬迁户": {0: {"family_size": 4.5}}}), [("搬迁户", 2, "家庭人口*", "应为整数")], {}


@case
def negative_income():
    return (changed({"搬迁户": {1: {"income_prev": -5}}}),
            [("搬迁户", 3, "上年人均纯收入（元）", "不能为负数")], {})


@case
def percentage_over_100():
    return (changed({"月度指标": {1: {"satisfaction_pct": 120}}}),
            [("月度指标", 3, "群众满意度（%）", "百分比不能超过100")], {})


@case
def labour_count_over_family_size():
    return (changed({"搬迁户": {0: {"labour_count": 5}}}),
            [("搬迁户", 2, "劳动力人数*", "劳动力人数大于家庭人口")], {})


@case
def posts_actual_negative():
    return (changed({"组织建设": {0: {"community_party_actual": -1}}}),
            [("组织建设", 2, "社区党委已设", "不能为负数")], {})


@case
def posts_required_negative():
    return (changed({"组织建设": {1: {"residents_group_required": -2}}}),
            [("组织建设", 3, "居民小组应设", "不能为负数")], {})


@case
def coordinates_outside_china():
    return (changed({"安置点": {1: {"lon": 12.5}}}),
            [("安置点", 3, "经度*", "坐标不在中国境内")], {})


@case
def population_below_households():
    return (changed({"安置点": {0: {"population": 1}}}),
            [("安置点", 2, "搬迁人数*", "搬迁人数少于搬迁户数")], {})


@case
def text_too_long():
    return (changed({"安置点": {0: {"code": "S" * 40}}}, sheets=["安置点"]),
            [("安置点", 2, "安置点编码*", "长度超过32")], {"month": None})


@case
def unknown_site_code():
    return (changed({"搬迁户": {1: {"site_code": "S999"}}}, sheets=["搬迁户"]),
            [("搬迁户", 3, "安置点编码*", "安置点编码不存在")], {})


@case
def unknown_household_code():
    return (changed({"劳动力": {2: {"household_code": "H999"}}}, sheets=["劳动力"]),
            [("劳动力", 4, "户编码*", "户编码在 2026-09 的搬迁户台账中不存在")], {})


@case
def household_code_of_another_month_is_unknown():
    # the seed's households hold from 2026-09 on (versions), so in 2026-08 nobody knows them
    return (changed({}, sheets=["劳动力"]),
            [("劳动力", 2, "户编码*", "户编码在 2026-08 的搬迁户台账中不存在")], {"month": "2026-08"})


@case
def unknown_county():
    return (changed({"安置点": {0: {"county": "丙县"}}}, sheets=["安置点"]),
            [("安置点", 2, "所属县（市、区）*", "系统中没有该县（市、区），应为：甲县、乙县")], {"month": None})


@case
def site_not_of_the_named_county():
    return (changed({"问题整改": {1: {"site_code": "S101"}}}, sheets=["问题整改"]),
            [("问题整改", 3, "安置点编码", "与所填县不一致")], {"month": None})


@case
def duplicate_household_code():
    return (changed({"搬迁户": {3: {"household_code": "H002"}}}),
            [("搬迁户", 5, "户编码*", "与第3行重复")], {})


@case
def duplicate_person_id():
    recs = good_records()
    recs["劳动力"].append(dict(recs["劳动力"][1]))
    return build_xlsx(good_tables(recs)), [("劳动力", 7, "身份证号*", "与第3行重复")], {}


@case
def duplicate_followup_key():
    recs = good_records()
    recs["跟进记录"].append(dict(recs["跟进记录"][0], content="重复"))
    return build_xlsx(good_tables(recs)), [("跟进记录", 4, "标题*", "与第2行重复")], {}


@case
def unreadable_date():
    return (changed({"问题整改": {0: {"found_date": "下个月"}}}),
            [("问题整改", 2, "发现日期*", "日期无法识别")], {})


@case
def impossible_date():
    return (changed({"问题整改": {1: {"closed_date": "2026-02-30"}}}),
            [("问题整改", 3, "销号日期", "不是有效的日期")], {})


@case
def closed_without_closing_date():
    # domain.md §11: 已销号 without a 销号日期 is a blocking error naming sheet, row and column (was a warning)
    return (changed({"问题整改": {0: {"status": "已销号", "closed_date": None}}}),
            [("问题整改", 2, "销号日期", "整改状态为已销号，但未填写销号日期")], {})


@case
def closed_before_found_date():
    return (changed({"问题整改": {1: {"closed_date": "2026-06-30"}}}),
            [("问题整改", 3, "销号日期", "销号日期早于发现日期")], {})


@case
def deadline_before_found_date():
    return (changed({"问题整改": {0: {"deadline": "2026-08-01"}}}),
            [("问题整改", 2, "整改时限*", "整改时限早于发现日期")], {})


@case
def month_column_differs_from_import_month():
    return (changed({"月度指标": {0: {"month": "2026-08"}}}),
            [("月度指标", 2, "月份*", "与导入月份 2026-09 不一致")], {})


@case
def month_column_malformed():
    return (changed({"月度指标": {1: {"month": "2026年13月"}}}),
            [("月度指标", 3, "月份*", "月份格式应为 YYYY-MM")], {})


@case
def formula_without_cached_value():
    def post(wb):
        wb["搬迁户"]["E3"] = "=1+2"
    return changed({}, post=post), [("搬迁户", 3, "家庭人口*", "公式没有计算结果")], {}


@case
def rows_of_another_county_for_county_operator():
    recs = good_records()["搬迁户"] + records_b()["搬迁户"]
    return (build_xlsx({"搬迁户": sheet_table("搬迁户", recs)}),
            [("搬迁户", 6, "安置点编码*", "不在您的管辖范围")], {"user": USER_A})


@case
def title_rows_and_error_rows_are_counted_from_the_top():
    titles = {"搬迁户": ["甲县搬迁户台账", "填报单位：甲县  填报日期：2026年9月30日"]}
    return (changed({"搬迁户": {2: {"family_size": -3}}}, titles=titles),
            [("搬迁户", 6, "家庭人口*", "不能小于1")], {})


@case
def merged_two_row_header_with_bad_cell():
    head, rows = sheet_table("组织建设", with_changes({"组织建设": {1: {"town_gov_actual": -4}}})["组织建设"])
    upper = [h[:-2] if h.endswith(("应设", "已设")) else h for h in head]
    lower = [h[-2:] if h.endswith(("应设", "已设")) else None for h in head]

    def post(wb):
        ws = wb.create_sheet("组织建设")
        ws.append(["甲县安置点组织建设情况表"])
        ws.append(upper)
        ws.append(lower)
        for r in rows:
            ws.append(r)
        for j, lo in enumerate(lower, start=1):
            if lo is None:
                ws.merge_cells(start_row=2, start_column=j, end_row=3, end_column=j)
            elif lo == "应设":
                ws.merge_cells(start_row=2, start_column=j, end_row=2, end_column=j + 1)
    # the cell's header is the combined group + sub-header text
    return build_xlsx({}, post=post), [("组织建设", 5, "乡镇政府已设", "不能为负数")], {}


@case
def blank_and_total_rows_keep_excel_row_numbers():
    head, rows = sheet_table("搬迁户", with_changes({"搬迁户": {3: {"head_id": bad_check_id(4)}}})["搬迁户"])
    blank = [None] * len(head)
    rows = rows[:2] + [blank, list(blank)] + rows[2:] + [blank, ["合计"] + [None] * (len(head) - 1)]
    return build_xlsx({"搬迁户": (head, rows)}), [("搬迁户", 7, "户主身份证号*", "校验位错误")], {}


@case
def full_width_headers_with_bad_cell():
    head, rows = sheet_table("安置点", with_changes({"安置点": {1: {"county": "丙县"}}})["安置点"])
    head = [" " + h.replace("（", "(").replace("）", ")").replace("*", " ＊") for h in head]
    return (build_xlsx({"安置点": (head, rows)}),
            [("安置点", 3, "所属县(市、区) ＊", "系统中没有该县")], {"month": None})  # surrounding spaces trimmed


@case
def several_errors_are_all_reported():
    data = changed({"搬迁户": {0: {"head_id": bad_check_id(1)}, 2: {"hukou_moved": "不详"}},
                    "劳动力": {4: {"gender": "未知"}}, "安置点": {1: {"lat": 60}}})
    return data, [("搬迁户", 2, "户主身份证号*", "校验位错误"), ("搬迁户", 4, "户籍是否迁入*", "应为：是、否"),
                  ("劳动力", 6, "性别*", "应为：男、女"), ("安置点", 3, "纬度*", "坐标不在中国境内")], {}


@pytest.mark.parametrize("name", list(CASES))
def test_malformed_workbook_is_rejected(db, name):
    data, expected, kw = CASES[name]()
    month = kw.pop("month", MONTH)
    user = kw.pop("user", ADMIN)
    before = db_fingerprint(db)
    res = import_workbook(db, data, f"{name}.xlsx", month, user, **kw)
    assert not res.ok and res.result == "失败"
    _assert_reported(res, expected)
    assert db_fingerprint(db) == before
    _assert_recorded_failure(db, res, name)


def test_libreoffice_file_with_bad_id_is_rejected(db, libreoffice_files):  # noqa: F811 (pytest fixture)
    before = db_fingerprint(db)
    res = import_workbook(db, libreoffice_files["bad_id"], "lo.xlsx", MONTH, ADMIN)
    assert not res.ok
    _assert_reported(res, [("搬迁户", 4, "户主身份证号*", "校验位错误")])
    assert db_fingerprint(db) == before


def test_at_least_25_error_classes():
    assert len(CASES) >= 25


def _assert_reported(res, expected):
    errors = res.errors
    for sheet, row, column, part in expected:
        hits = [x for x in errors if (sheet == "*" or x.sheet == sheet) and x.row == row and x.column == column
                and part in x.reason]
        assert hits, f"expected {(sheet, row, column, part)}; got:\n" + "\n".join(
            f"{(x.sheet, x.row, x.column)} {x.reason}" for x in errors)
    for x in res.messages:  # every message is complete and in Chinese
        assert x.level in ("错误", "警告") and x.reason and any("\u4e00" <= ch <= "\u9fff" for ch in x.reason)


def _assert_recorded_failure(engine, res, name):
    with Session(engine) as s:
        rec = s.get(m.ImportRecord, res.import_id)
        assert rec is not None and rec.result == "失败" and rec.file_name == f"{name}.xlsx"
        stored = json.loads(rec.messages_json)
        assert len(stored) == len(res.messages) and stored[0]["reason"] == res.messages[0].reason
        assert s.scalars(select(m.AuditLog).order_by(m.AuditLog.id.desc())).first().detail.find("失败") >= 0
