"""The services' view models on the small demo database (built once per session by tests/services/conftest)."""
from __future__ import annotations

import math
import re

import io

import numpy as np
import openpyxl
import pandas as pd
import pytest

from data import repository as repo
from data.db import get_engine
from scoring.rights import coverage, gap_list
from scoring.tables import site_ranking_table
from services import accounts, errors, gaps, imports, maps, overview, profiles, ranking, results, settings, store

MONTH = "2026-10"


@pytest.fixture(scope="module")
def eng(demo_db):
    return get_engine(demo_db)


def test_months_and_lists(eng):
    ms = settings.available_months(eng)
    assert ms[-1] == MONTH and len(ms) == 14
    assert len(settings.county_list(eng)) == 8
    assert len(settings.site_options(eng)) == 68
    code = settings.county_list(eng)[0][0]
    assert 0 < len(settings.site_options(eng, code)) < 68
    assert settings.is_demo(eng)
    assert settings.short_city_name(eng).endswith("州") and len(settings.fingerprint(eng)) == 16


def test_rights_totals_match_pooled_coverage(eng):
    """The SQL totals equal scoring.rights.coverage pooled over the city and per side (§11)."""
    md = repo.load_month(eng, MONTH)
    city = coverage(md, by=())
    sides = coverage(md, by="side").set_index("side")["coverage"]
    got = overview.rights_totals(eng, MONTH)
    assert math.isclose(got.coverage, float(city["coverage"].iloc[0]), rel_tol=1e-12)
    assert math.isclose(got.coverage_in, float(sides["迁入地"]), rel_tol=1e-12)
    assert math.isclose(got.coverage_out, float(sides["迁出地"]), rel_tol=1e-12)
    per = coverage(md, by="county").set_index("county_code")["coverage"]
    for c, _ in settings.county_list(eng):
        assert math.isclose(overview.rights_totals(eng, MONTH, c).coverage, float(per[c]), rel_tol=1e-12)


def test_kpis(eng):
    k = {x.key: x for x in overview.kpis(eng, MONTH)}
    assert list(k) == ["qualified", "employment", "zero_emp", "coverage", "overdue"]
    r = results.results(eng, MONTH)
    assert k["qualified"].value == f"{int(r.sites['qualified'].sum())}/68"
    assert re.fullmatch(r"\d+\.\d%", k["employment"].value)
    assert k["zero_emp"].value == str(int(r.counties["zero_emp"].sum()))
    assert k["zero_emp"].good == "down" and k["overdue"].good == "down"
    for x in k.values():
        assert x.delta_text                      # every tile has its change on last month


def test_overview_shapes(eng):
    ov = overview.overview(eng, MONTH)
    assert len(ov.trend) == 12 and ov.trend["month"].iloc[-1] == MONTH
    assert len(ov.best) == 5 and len(ov.worst) == 5
    assert ov.best["总分"].iloc[0] >= ov.worst["总分"].iloc[0]
    flagged = ov.counties[ov.counties["flagged"]]
    assert len(ov.flags) == len(flagged)
    cm = store.month_results(eng, MONTH).county
    for f in ov.flags:
        # the reasons are the store's flag sentences (no codes), in flag order
        assert f.reasons == cm.flags.loc[cm.flags["county_code"] == f.county_code, "sentence"].tolist()
        assert f.reasons and not any(re.match(r"^F\d", x) for x in f.reasons)
    assert set(ov.counties["level"]) <= {"正常", "进度滞后", "建议约谈", "建议约谈主要负责人"}
    assert list(ov.grade_counts) == ["优秀", "良好", "合格", "不合格"] and sum(ov.grade_counts.values()) == 68


def test_wall_data(eng):
    w = overview.wall_data(eng, MONTH)
    assert len(w.top) == 10 and len(w.bottom) == 10 and w.city_name == settings.city_name(eng)
    assert len(w.map.sites) == 68 and w.kpis == overview.kpis(eng, MONTH)


def test_ranking_table_matches_scoring_tables(eng):
    mr = store.month_results(eng, MONTH)
    official = site_ranking_table(mr.scores, mr.mc)
    mine = ranking.ranking_table(ranking.ranking_frame(eng, MONTH), score_change=False)
    pd.testing.assert_frame_equal(mine.reset_index(drop=True), official.reset_index(drop=True), check_dtype=False)


def test_ranking_filters_and_class_view(eng):
    rk = ranking.ranking_frame(eng, MONTH)
    assert rk.size_classes == ["小型", "中型", "大型", "特大型"] and rk.grades == ["优秀", "良好", "合格", "不合格"]
    code = settings.county_list(eng)[1][0]
    f = ranking.filter_ranking(rk, ranking.RankingFilters(counties=(code,), grades=("优秀", "良好"))).sites
    assert set(f["county_code"]) == {code} and set(f["grade"]) <= {"优秀", "良好"}
    assert len(ranking.filter_ranking(rk, ranking.RankingFilters(qualified=True))) == int(rk.sites["qualified"].sum())
    t = ranking.ranking_table(rk, "class")
    order = {s: i for i, s in enumerate(rk.size_classes)}
    keys = list(zip(t["规模"].map(order), t["同类排名"]))
    assert keys == sorted(keys)


def test_ranking_workbook_bytes(eng):
    t = ranking.ranking_table(ranking.ranking_frame(eng, MONTH), score_change=False)
    wb = openpyxl.load_workbook(io.BytesIO(ranking.ranking_workbook_bytes(eng, MONTH, t)))
    ws = wb.active
    data = [r for r in ws.iter_rows(values_only=True) if isinstance(r[0], int)]
    assert len(data) == 68
    assert "演示数据" in "".join(str(c.value) for c in ws[2] if c.value)


def test_map_data(eng):
    md = maps.map_data(eng, MONTH)
    x0, y0, x1, y1 = md.bounds
    assert x0 < x1 and y0 < y1 and 100 < x0 < 110 and 20 < y0 < 30
    assert md.counties["geometry"].notna().all()
    assert md.counties["label_lon"].between(x0, x1).all()
    assert len(md.sites) == 68 and md.sites["lon"].between(x0, x1).all()
    assert [f.county_code for f in md.flags] == [f.county_code for f in overview.overview(eng, MONTH).flags]


def test_site_profile(eng):
    code = settings.site_options(eng)[7][0]
    p = profiles.site_profile(eng, MONTH, code)
    assert p.site["site_code"] == code
    assert p.dims == ["产业带动好", "就业帮扶好", "公共服务好", "精神状态好", "融入环境好"]
    assert len(p.site_dims) == 5 and p.target_dims == [14.0] * 5
    assert math.isclose(sum(p.site_dims), p.site["total"], abs_tol=0.06)
    ind = p.indicators
    assert len(ind) == 22
    assert np.allclose(ind["得分"] + ind["失分"], ind["满分"])
    assert (p.lost["失分"] > 0).all()
    assert len(p.history) == 12 and p.history["month"].iloc[-1] == MONTH
    assert len(p.rights) == 15
    assert p.organisation.reported in (True, False)
    # the profile's employment figures are the scored indicators (E1 就业率, E2 零就业家庭, E5 增收率)
    sc = results.results(eng, MONTH).indicators.set_index(["site_code", "code"])["value"]
    e = p.employment
    assert math.isclose(e.employment_rate, sc[(code, "E1")], abs_tol=1e-9)
    assert e.zero_emp == sc[(code, "E2")]
    assert math.isclose(e.income_growth, sc[(code, "E5")], abs_tol=1e-9)
    assert profiles.site_profile(eng, MONTH, "NO-SUCH-SITE") is None


def test_county_profile(eng):
    code, name = settings.county_list(eng)[4]
    p = profiles.county_profile(eng, MONTH, code)
    assert p.county["county_name"] == name
    assert set(p.sites["县"]) == {name}
    assert len(p.trend) == 12 and len(p.flag_history) == 12
    assert p.batches["安置点数"].sum() == len(p.sites)
    # the items listed as overdue are exactly those the county flag (F4) counts
    for c, _ in settings.county_list(eng):
        q = profiles.county_profile(eng, MONTH, c)
        assert (q.rectifications["是否逾期"] == "逾期").sum() == int(q.county["overdue"])


def test_rights_gaps_masked_and_complete(eng):
    g = gaps.rights_gaps(eng, MONTH)
    full = gap_list(repo.load_month(eng, MONTH))
    assert len(g) == len(full) > 0
    assert g["身份证号"].str.fullmatch(r"\d{6}\*{8}[\dX]{4}").all()
    code = settings.county_list(eng)[0][0]
    gc = gaps.rights_gaps(eng, MONTH, code)
    assert set(gc["county_code"]) == {code} and len(gc) == int((g["county_code"] == code).sum())


def test_passwords_and_authenticate(login_db):
    h = accounts.hash_password("秘密pw")
    assert h.startswith("$argon2id$") and accounts.verify_password("秘密pw", h)
    assert not accounts.verify_password("wrong", h) and not accounts.verify_password("x", None)
    e = get_engine(login_db)
    before = repo.table_counts(e)["audit_log"]
    assert accounts.authenticate(e, "supervisor", "督导2026").role == "市级督导"
    assert repo.table_counts(e)["audit_log"] == before + 1            # a sign-in is audited
    assert accounts.authenticate(e, "supervisor", "nope") is None
    assert accounts.authenticate(e, "nobody", "督导2026") is None
    assert repo.table_counts(e)["audit_log"] == before + 3            # and so are both failures
    u = accounts.authenticate(e, "op_test", "填报2026")
    assert u.role == "县级填报员" and u.county_code and u.county_name


def test_import_ledger_reports_errors_without_writing(eng):
    before = repo.table_counts(eng)
    res = imports.import_ledger(eng, b"not a workbook", "坏文件.xlsx", MONTH, "tester", "管理员", None)
    assert not res.ok and res.n_errors >= 1 and len(res.messages) >= 1
    assert list(res.messages.columns) == ["级别", "工作表", "行号", "列", "单元格内容", "问题说明"]
    after = repo.table_counts(eng)
    for t in ("households", "labourers", "sites"):
        assert before[t] == after[t]
    tpl = imports.ledger_template(["兴义市"])
    assert tpl[:2] == b"PK"


def test_user_message_never_leaks_internals():
    assert errors.user_message(RuntimeError("secret path /etc/x")) == "系统内部错误"
    assert errors.user_message(KeyError("x")) == "所需数据不存在"


def test_import_month_options():
    assert imports.import_month_options(["2026-09", "2026-10"]) == ["2026-09", "2026-10", "2026-11"]
    assert imports.import_month_options(["2026-12"]) == ["2026-12", "2027-01"]
    assert imports.import_month_options([f"2025-{i:02d}" for i in range(1, 13)] + ["2026-01"])[0] == "2025-02"


def test_why_not_qualified_names_every_shortfall(eng):
    """Each non-达标 site's reasons follow the catalogue standard: total below 85, dimensions below 14, vetoes."""
    r = results.results(eng, MONTH)
    dims = [c for c in r.sites.columns if c.startswith("dim_")]
    checked = 0
    memo = results.provider(eng)          # one reading of the months for all the profiles below
    for code in r.sites.loc[~r.sites["qualified"], "site_code"]:
        s = r.sites.set_index("site_code").loc[code]
        why = profiles.site_profile(eng, MONTH, code, res=memo).why_not
        assert why, code
        assert (s["total"] < 85) == any(w.startswith("总分") for w in why)
        assert sum(float(s[c]) < 14 for c in dims) == sum("低于14分" in w for w in why)
        assert (bool(s["veto"]) and bool(s["veto_reason"])) == (s["veto_reason"] in why if s["veto_reason"] else False)
        checked += 1
    assert checked > 0
    assert profiles.site_profile(eng, MONTH, r.sites.loc[r.sites["qualified"], "site_code"].iloc[0],
                                 res=memo).why_not == []
