"""The 四个跟进 loop over four hand-worked months (tests/services/followup_city.py): county A flagged in July and
August → 建议约谈 in August → the August circular is issued → a 待约谈 case → still 待约谈 at the end of September
(marked in September's circular) → the interview is recorded (dated 09-15) → September's circular reports it →
A's item is closed in October → October's circular reports the case 已整改. County B recovers in August; county C
skipped its August meeting and is named. Earlier months keep the state they had. Run on SQLite and on PostgreSQL."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select

from cli import scoring_main
from data import models as m
from data import repository as repo
from domain.scope import OutOfScope, Scope
from services import circular as circ
from services import followup as fu
from tests.conftest import DB_PARAMS, make_engine
from tests.services.followup_city import build_followup_city

CITY = Scope.city()


def _circ(e, month):
    return circ.circular_data(e, month, issue_date=dt.date(2026, 11, 3))


@pytest.fixture(scope="module", params=DB_PARAMS)
def story(request, tmp_path_factory):
    """The whole story, once on SQLite and once on PostgreSQL."""
    e = make_engine(request.param, tmp_path_factory.mktemp("fucity"), request)
    url = e.url.render_as_string(hide_password=False)
    city = build_followup_city(e)
    a, b, c = (n for _, n in city.counties)
    snap = {"jul": _circ(e, "2026-07")}
    circ.issue(e, "2026-07", "supervisor")
    snap["aug"] = _circ(e, "2026-08")
    circ.issue(e, "2026-08", "supervisor")
    circ.issue(e, "2026-08", "supervisor")                 # a second edition opens no second case
    snap["cases_aug"] = fu.case_states(e, "2026-08", CITY)
    snap["sep_before"] = _circ(e, "2026-09")
    snap["files_sep_before"] = circ.files(snap["sep_before"])
    case_id = int(snap["cases_aug"]["case_id"].iloc[0])
    fu.record_interview(e, case_id=case_id, held_on=dt.date(2026, 9, 15), interviewee=f"{a}民政局 王局长",
                        interviewer="市级督导 李某", record="通报滞后原因，要求10月底前整改销号", user="supervisor",
                        role="市级督导", scope=CITY, attachment_name="约谈记录.pdf", attachment=b"%PDF-1.4 record")
    snap["sep"] = _circ(e, "2026-09")
    snap["aug_after"] = _circ(e, "2026-08")
    snap["oct"] = _circ(e, "2026-10")
    snap["files_oct"] = circ.files(snap["oct"])
    return e, url, city, (a, b, c), case_id, snap


def test_july_flags_a_and_b_nothing_to_interview(story):
    _, _, _, (a, b, c), _, s = story
    j = s["jul"]
    assert [n for n, _ in j.lagging] == [a, b]
    assert all(r == ["问题整改逾期1项"] for _, r in j.lagging)
    assert j.interview_suggestions == [] and j.interview_cases.empty
    assert "均按要求召开" in j.followup[0]


def test_august_suggests_a_b_recovered_c_skipped_its_meeting(story):
    _, _, _, (a, b, c), _, s = story
    g = s["aug"]
    assert [n for n, _ in g.lagging] == [a] and g.interview_suggestions == [(a, "建议约谈")]
    assert "3个县（市、区）中2个召开" in g.followup[0] and f"{c}本月未召开调度会" in g.followup[0]
    assert b not in g.followup[0]


def test_issuing_august_opens_one_case_audited(story):
    e, _, _, (a, b, c), _, s = story
    cases = s["cases_aug"]
    assert list(zip(cases["county_name"], cases["month"], cases["level"], cases["status"])) == [
        (a, "2026-08", "建议约谈", "待约谈")]
    assert cases["flags"].iloc[0] == "F4" and cases["reason"].iloc[0] == "问题整改逾期1项"
    with e.connect() as conn:
        rows = conn.execute(select(m.InterviewCase.created_by, m.InterviewCase.circular_id)).all()
        detail = conn.execute(select(m.AuditLog.detail).where(m.AuditLog.action == "跟进记录")).scalars().all()
    assert len(rows) == 1 and rows[0][0] == "supervisor" and rows[0][1] is not None
    assert fu.opened_by(e, rows[0][1], CITY) == [a] and fu.opened_by(e, rows[0][1], Scope.county("X")) == []
    assert any(f"约谈案件（待约谈）：{a}" in d for d in detail)


def test_september_marks_a_still_pending_before_the_interview(story):
    _, _, _, (a, _, _), _, s = story
    p = s["sep_before"]
    assert f"{a}（8月通报建议约谈）至今仍待约谈" in p.followup[2]
    t = p.interview_cases
    assert list(t["状态"]) == ["待约谈（逾期未约谈）"] and p.interview_late == [True]
    wb = load_workbook(io.BytesIO(s["files_sep_before"]["xlsx"]))
    body = "".join(str(v) for row in wb["通报正文"].iter_rows(values_only=True) for v in row if v)
    assert "至今仍待约谈" in body and "约谈落实" in wb.sheetnames
    ws = wb["约谈落实"]
    hit = [r for r in ws.iter_rows() if any(c.value == a for c in r)]
    assert len(hit) == 1 and str(hit[0][0].fill.fgColor.rgb).endswith("FDE2E1")
    doc = Document(io.BytesIO(s["files_sep_before"]["docx"]))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "约谈案件落实情况" in text and "至今仍待约谈" in text
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    assert "待约谈（逾期未约谈）" in cells


def test_september_reports_the_interview(story):
    _, _, _, (a, _, _), _, s = story
    p = s["sep"]
    assert "本月开展约谈1次" in p.followup[2]
    assert f"{a}（8月通报建议约谈）已于9月15日约谈" in p.followup[2] and "至今仍待约谈" not in p.followup[2]
    row = p.interview_cases.iloc[0]
    assert row["状态"] == "已约谈" and row["约谈日期"] == "2026-09-15" and row["关联整改（已销号/总数）"] == "0/1"
    assert p.interview_late == [False]


def test_earlier_months_keep_their_state(story):
    _, _, _, _, _, s = story
    aug = s["aug_after"]
    assert list(aug.interview_cases["状态"]) == ["待约谈"]          # the interview was held in September
    assert aug.followup == s["aug"].followup


def test_october_reports_the_case_rectified(story):
    _, _, _, (a, _, _), _, s = story
    o = s["oct"]
    assert f"{a}（1项问题）约谈后问题已整改销号" in o.followup[2]
    assert "已于" not in o.followup[2]                          # the interview was reported in September
    row = o.interview_cases.iloc[0]
    assert row["状态"] == "已整改" and row["整改销号日期"] == "2026-10-12" and row["关联整改（已销号/总数）"] == "1/1"
    assert o.lagging == [] and "均按要求召开" in o.followup[0]
    doc = Document(io.BytesIO(s["files_oct"]["docx"]))
    assert "已整改" in [c.text for t in doc.tables for row in t.rows for c in row.cells]


def test_case_history_who_and_when(story):
    e, _, city, (a, _, _), case_id, _ = story
    aug = fu.case_history(e, case_id, "2026-08", CITY)
    assert len(aug) == 1 and aug["经办人"].iloc[0] == "supervisor" and "生成约谈案件（待约谈）" in aug["经过"].iloc[0]
    oct_ = fu.case_history(e, case_id, "2026-10", CITY)
    assert list(oct_["经办人"]) == ["supervisor", "supervisor", "—"]
    assert "2026-09-15约谈" in oct_["经过"].iloc[1] and oct_["时间"].iloc[2] == "2026-10-12"
    assert "已整改" in oct_["经过"].iloc[2] and len(fu.case_history(e, case_id, "2026-09", CITY)) == 2
    with pytest.raises(OutOfScope):
        fu.case_history(e, case_id, "2026-10", Scope.county(city.counties[1][0]))


def test_checklist_per_county(story):
    e, _, _, (a, b, c), _, _ = story
    aug = fu.checklist_view(e, "2026-08", CITY).set_index("县(市、区)")
    assert aug.loc[c, "召开调度会"] == "否" and aug.loc[a, "召开调度会"] == "是"
    assert aug.loc[a, "待约谈案件"] == 1 and aug.loc[b, "整改销号（项）"] == 1
    sep = fu.checklist_view(e, "2026-09", CITY).set_index("县(市、区)")
    assert sep.loc[a, "约谈（次）"] == 1 and sep.loc[a, "待约谈案件"] == 0


def test_only_supervisors_record_interviews_and_inputs_are_checked(story):
    e, _, city, (a, b, _), case_id, _ = story
    own_b = Scope.county(city.counties[1][0])
    kw = dict(case_id=case_id, held_on=dt.date(2026, 9, 20), interviewee="某", interviewer="某", record="记录",
              user="x")
    with pytest.raises(PermissionError, match="无权记录约谈情况"):
        fu.record_interview(e, role="市领导", scope=CITY, **kw)
    with pytest.raises(PermissionError, match="无权记录约谈情况"):
        fu.record_interview(e, role="县级填报员", scope=own_b, **kw)
    with pytest.raises(ValueError, match="不能重复记录"):
        fu.record_interview(e, role="市级督导", scope=CITY, **kw)
    with pytest.raises(ValueError, match="超过5MB"):
        fu.record_interview(e, role="管理员", scope=CITY, attachment_name="a.pdf",
                            attachment=b"x" * (5 * 1024 * 1024 + 1), **kw)
    with pytest.raises(ValueError, match="类型不支持"):
        fu.record_interview(e, role="管理员", scope=CITY, attachment_name="a.exe", attachment=b"MZ", **kw)
    rid = int(fu.interviews_view(e, "2026-10", CITY)["record_id"].iloc[0])
    name, blob = fu.interview_attachment(e, rid, CITY)
    assert name == "约谈记录.pdf" and blob.startswith(b"%PDF")
    with pytest.raises(OutOfScope):
        fu.interview_attachment(e, rid, own_b)
    assert fu.cases_view(e, "2026-10", own_b).empty                # B has no case; A's is not shown to B
    assert len(fu.cases_view(e, "2026-10", Scope.county(city.counties[0][0]))) == 1


def test_county_operator_records_own_county_only(story):
    e, _, city, (a, b, _), _, _ = story
    code_a, code_b = city.counties[0][0], city.counties[1][0]
    own = Scope.county(code_a)
    rid = fu.add_record(e, kind="督导督查", date=dt.date(2026, 10, 9), county_code=code_a, title="10月督导",
                        content="1. 楼道堆放杂物\n2. 公示栏未更新", user=f"operator_{a}", role="县级填报员", scope=own)
    with pytest.raises(OutOfScope):
        fu.add_record(e, kind="定期调度", date=dt.date(2026, 10, 9), county_code=code_b, title="x", participants="y",
                      user=f"operator_{a}", role="县级填报员", scope=own)
    with pytest.raises(PermissionError):
        fu.add_record(e, kind="舆论宣传", date=dt.date(2026, 10, 9), county_code=code_a, title="x",
                      user="leader", role="市领导", scope=CITY)
    with pytest.raises(ValueError, match="参会人员"):
        fu.add_record(e, kind="定期调度", date=dt.date(2026, 10, 9), county_code=code_a, title="补开调度会",
                      user=f"operator_{a}", role="县级填报员", scope=own)
    mine = fu.records_view(e, "督导督查", "2026-10", own)
    assert list(mine["id"]) == [rid] and set(fu.records_view(e, "定期调度", "2026-10", own)["county_code"]) == {code_a}
    assert fu.records_view(e, "督导督查", "2026-10", Scope.county(code_b)).empty
    assert fu.findings(mine["内容"].iloc[0]) == ["楼道堆放杂物", "公示栏未更新"]
    with e.connect() as conn:
        row = conn.execute(select(m.FollowUp.valid_from, m.FollowUp.recorded_by).where(m.FollowUp.id == rid)).one()
    assert tuple(row) == ("2026-10", f"operator_{a}")
    code = fu.item_from_finding(e, record_id=rid, finding="楼道堆放杂物", unit="社区居委会",
                                deadline=dt.date(2026, 11, 9), user=f"operator_{a}", role="县级填报员", scope=own)
    items = repo.rectifications(e, "2026-10").set_index("item_code")
    assert items.loc[code, "county_code"] == code_a and items.loc[code, "status"] == "未整改"
    assert items.loc[code, "source"] == "督导督查" and code not in set(repo.rectifications(e, "2026-09")["item_code"])
    with pytest.raises(LookupError):
        fu.item_from_finding(e, record_id=rid, finding="x", unit="y", deadline=dt.date(2026, 11, 9),
                             user=f"operator_{b}", role="县级填报员", scope=Scope.county(code_b))


def test_command_line_issue_needs_a_circular_role(story, tmp_path):
    e, url, _, _, _, _ = story
    before = len(circ.issued(e))
    assert scoring_main(["circular", "--month", "2026-10", "--out", str(tmp_path / "o.xlsx"), "--issue",
                         "--user", "leader", "--database", url]) == 2
    assert scoring_main(["circular", "--month", "2026-10", "--out", str(tmp_path / "o.xlsx"), "--issue",
                         "--user", "supervisor", "--database", url]) == 0
    assert len(circ.issued(e)) == before + 1
    wb = load_workbook(tmp_path / "o.xlsx")
    assert "约谈落实" in wb.sheetnames


def test_a_visit_names_several_sites_and_a_finding_becomes_an_item_of_one(story):
    e, _, city, (a, b, _), _, _ = story
    code_a, code_b = city.counties[0][0], city.counties[1][0]
    own = [s for s in city.sites if s["county_code"] == code_a]
    other = next(s for s in city.sites if s["county_code"] == code_b)
    assert len(own) == 2
    first, second = own[1]["code"], own[0]["code"]
    kw = dict(kind="督导督查", date=dt.date(2026, 10, 12), county_code=code_a, user="supervisor", role="市级督导",
              scope=CITY)
    with pytest.raises(ValueError, match=other["code"]):
        fu.add_record(e, title="跨县督导", site_codes=[first, other["code"]], **kw)
    rid = fu.add_record(e, title="10月联合督导", site_codes=[first, second], content="1. 就业台账缺失\n2. 门禁损坏",
                        **kw)
    view = fu.records_view(e, "督导督查", "2026-10", CITY).set_index("id")
    assert view.loc[rid, "site_codes"] == f"{first},{second}"
    assert view.loc[rid, "安置点"] == f"{own[1]['name']}、{own[0]['name']}"
    assert fu.visit_sites(e, rid, CITY) == [(first, own[1]["name"]), (second, own[0]["name"])]
    with e.connect() as conn:                      # readers of one site see the first
        assert conn.execute(select(m.FollowUp.site_code).where(m.FollowUp.id == rid)).scalar() == first
    with pytest.raises(ValueError, match="不是该次督导督查的安置点"):
        fu.item_from_finding(e, record_id=rid, finding="门禁损坏", unit="物业", deadline=dt.date(2026, 11, 30),
                             user="supervisor", role="市级督导", scope=CITY, site_code=other["code"])
    code = fu.item_from_finding(e, record_id=rid, finding="门禁损坏", unit="物业", deadline=dt.date(2026, 11, 30),
                                user="supervisor", role="市级督导", scope=CITY, site_code=second)
    item = repo.rectifications(e, "2026-10").set_index("item_code").loc[code]
    assert item["site_code"] == second and item["county_code"] == code_a
    with pytest.raises(LookupError):
        fu.visit_sites(e, rid, Scope.county(code_b))
    # an older record with one site_code only (no rows of its own) still reads as naming that site
    with e.begin() as conn:
        conn.execute(m.FollowUp.__table__.insert().values(
            kind="督导督查", date=dt.date(2026, 10, 13), county_code=code_a, site_code=first, title="旧记录",
            content="1. 旧问题", valid_from="2026-10"))
    old = fu.records_view(e, "督导督查", "2026-10", CITY)
    assert old.loc[old["标题"] == "旧记录", "安置点"].iloc[0] == own[1]["name"]
