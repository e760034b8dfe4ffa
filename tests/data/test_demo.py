"""data.demo / data.cli_init: the deterministic demo city and `init`."""
from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter

import pandas as pd
import pytest
from sqlalchemy import func, select

from data import demo, geo
from data import models as m
from data.cli_init import InitError, run_init
from data.repository import data_versions, load_month, months as list_months
from domain import idnumber
from scoring.frames import RIGHTS_CODES
from tests.conftest import DB_PARAMS, make_engine

END = "2026-10"
FACTOR = 0.02


@pytest.fixture(scope="module", params=DB_PARAMS)
def demo_db(request, tmp_path_factory):
    """The full 24-month demo with few listed households, built once per database kind."""
    eng = make_engine(request.param, tmp_path_factory.mktemp("demo"), request)
    result = demo.build_demo(eng, household_factor=FACTOR, end_month=END)
    return eng, result


@pytest.fixture(scope="module")
def latest(demo_db):
    eng, _ = demo_db
    return load_month(eng, END)


def _rows(eng, model):
    with eng.connect() as c:
        return c.execute(select(model)).fetchall()


# ---------------------------------------------------------------- structure and calibration

def test_counts_and_sizes(demo_db, latest):
    eng, result = demo_db
    assert result.counties == 8 and result.sites == 68
    assert result.months[0] == "2024-11" and result.months[-1] == END and len(result.months) == 24
    assert list_months(eng) == result.months
    sites = latest.sites
    assert len(sites) == 68 and sites.site_code.is_unique and sites.site_name.is_unique
    assert set(latest.counties.county_name) == {"兴义市", "兴仁市", "普安县", "晴隆县", "贞丰县", "望谟县", "册亨县",
                                                "安龙县"}
    size = pd.cut(sites.population, [0, 800, 3000, 10000, 10**9], right=False,
                  labels=["小型", "中型", "大型", "特大型"]).value_counts()
    for name, target in zip(["小型", "中型", "大型", "特大型"], demo.CITY_SIZE_COUNTS):
        assert abs(int(size[name]) - target) <= 2, size
    assert abs(sites.population.sum() - 340_000) <= 0.05 * 340_000
    ratio = sites.population.sum() / sites.households.sum()
    assert 4.0 <= ratio <= 4.4
    batches = Counter(sites.batch_year.tolist())
    assert set(batches) == {2026, 2027, 2028} and all(20 <= n <= 25 for n in batches.values())
    assert set(sites.site_type) == {demo.URBAN, demo.RURAL}
    big = sites[sites.population >= 3000]
    assert (big.site_type == demo.URBAN).mean() > 0.8
    assert sites.site_name.str.startswith(tuple(latest.counties.county_name)).all()


def test_every_site_inside_its_county(demo_db):
    eng, _ = demo_db
    with eng.connect() as c:
        bounds = {k: v for k, v in c.execute(select(m.County.code, m.County.boundary_geojson))}
        rows = c.execute(select(m.Site.code, m.Site.county_code, m.Site.lon, m.Site.lat)).fetchall()
    assert all(bounds.values())
    for code, county, lon, lat in rows:
        assert geo.in_china(lon, lat)
        assert geo.point_in_county(lon, lat, bounds[county]), code


def test_id_numbers_valid_unique_and_plausible(latest):
    hh, lab = latest.households, latest.labour
    assert hh.head_id.map(idnumber.is_valid).all()
    assert lab.person_id.map(idnumber.is_valid).all()
    assert lab.person_id.is_unique and hh.household_code.is_unique
    assert hh.head_id.is_unique
    # area code = origin county; gender digit matches; labourers of working age
    county_code = dict(zip(latest.counties.county_name, latest.counties.county_code))
    assert (hh.head_id.str[:6] == hh.origin_county.map(county_code)).all()
    odd = lab.person_id.str[16].astype(int) % 2 == 1
    assert ((lab.gender == "男") == odd).all()
    age = 2026 - lab.person_id.str[6:10].astype(int)
    assert age.between(15, 60).all()
    # household sizes and labour
    assert (hh.labour_count <= hh.family_size).all()
    counts = lab.groupby("household_code").size().reindex(hh.household_code, fill_value=0).to_numpy()
    assert (counts == hh.labour_count.to_numpy()).all()


def test_rates_within_calibration(latest):
    hh, lab = latest.households, latest.labour
    assert 3.9 <= hh.family_size.mean() <= 4.5
    assert 0.46 <= lab.shape[0] / hh.family_size.sum() <= 0.58
    assert 0.90 <= lab.employed.mean() <= 0.96
    assert 0.80 <= lab.trained.mean() <= 0.96
    assert 0.40 <= lab.certified.mean() <= 0.65
    by_site = lab.groupby("site_code").employed.mean()
    assert by_site.median() > 0.88
    assert 15_000 <= hh.income_curr.mean() <= 17_000
    both = hh.dropna(subset=["income_prev", "income_curr"])
    growth = (both.income_curr * both.family_size).sum() / (both.income_prev * both.family_size).sum() - 1
    assert 0.07 <= growth <= 0.14
    forms = lab.loc[lab.employed, "employment_form"]
    assert forms.notna().all() and set(forms) <= set(demo.FORMS)
    assert lab.loc[~lab.employed, "employment_form"].isna().all()


def test_trend_improves(demo_db):
    eng, _ = demo_db
    first, last = load_month(eng, "2024-11"), load_month(eng, END)
    assert last.labour.employed.mean() > first.labour.employed.mean()
    assert last.labour.certified.mean() > first.labour.certified.mean() + 0.05

    def done(h):
        return (h[RIGHTS_CODES] == "已落实").sum().sum() / (h[RIGHTS_CODES] != "不适用").sum().sum()

    assert done(last.households) > done(first.households)


# ---------------------------------------------------------------- planted trouble

def test_planted_trouble_in_latest_month(demo_db, latest):
    eng, result = demo_db
    hh, lab = latest.households, latest.labour
    # zero-employment households (E2)
    employed = lab.groupby("household_code").employed.any()
    zero = hh[(hh.labour_count > 0) & ~hh.household_code.map(employed).fillna(False).astype(bool)]
    assert len(zero) >= 3 and zero.site_code.nunique() >= 3
    # unenrolled school-age child (P2 < 100) and 应保未保 (P5)
    assert (hh.R10 == "未落实").any()
    assert ((hh.R14 == "未落实") | (hh.R15 == "未落实")).any()
    # blank rights (漏项) and 不适用 R10 for households without school-age children
    assert hh[RIGHTS_CODES].isna().any().any()
    assert (hh.R10 == "不适用").mean() > 0.3
    # a mass incident (S4 veto), exactly once in the whole period
    with eng.connect() as c:
        incidents = c.execute(select(m.ReportedIndicator.month, m.ReportedIndicator.site_code)
                              .where(m.ReportedIndicator.mass_incidents > 0)).fetchall()
    assert len(incidents) == 1 and incidents[0][0] == END
    # missing platforms (P1) and missing reports (缺报: rows and cells)
    org = latest.organisation
    assert (~org[["platform_party", "platform_resident", "platform_convenience"]].astype(bool)).any(axis=1).sum() >= 3
    assert len(latest.reported) < 68
    assert latest.reported.drop(columns="site_code").isna().any().any()
    # overdue rectification items in at least two counties
    r = latest.rectifications
    pe = latest.period_end
    open_ = (r.status != "已销号") | r.closed_date.isna()
    overdue = r[open_ & (pd.to_datetime(r.deadline).dt.date < pe)]
    assert overdue.county_code.nunique() >= 2
    assert set(r.status) <= {"未整改", "整改中", "已销号"}
    assert ((r.status == "已销号") == r.closed_date.notna()).all()
    # follow-up records of every kind
    assert set(latest.followups.kind) == {"定期调度", "督导督查", "通报约谈", "舆论宣传"}


def test_users_settings_and_versions(demo_db):
    eng, result = demo_db
    with eng.connect() as c:
        users = c.execute(select(m.User.username, m.User.role, m.User.county_code)).fetchall()
        settings = {k: v for k, v in c.execute(select(m.Setting.key, m.Setting.value))}
    roles = Counter(u.role for u in users)
    assert roles == {"市领导": 1, "市级督导": 1, "管理员": 1, "县级填报员": 8}
    assert ("operator_兴义市", "县级填报员", "522301") in [tuple(u) for u in users]
    assert settings["city_code"] == "522300" and settings["city_name"] == "黔西南布依族苗族自治州"
    assert settings["demo"] == "1"
    versions = data_versions(eng)
    assert set(versions) == set(result.months) | {"static"}


def test_scores_tell_the_story(sqlite_engine):
    """Calibration against the scoring engine: 达标 sites, vetoes, flagged counties."""
    import scoring.engine as engine_mod
    import scoring.progress as progress
    from scoring.catalogue import load_catalogue

    catalogue = load_catalogue()
    demo.build_demo(sqlite_engine, household_factor=0.1, end_month=END)
    prev = engine_mod.score_month(load_month(sqlite_engine, "2026-09"), catalogue)
    cur = engine_mod.score_month(load_month(sqlite_engine, END), catalogue, prev)
    s = cur.sites
    # the full demo (household_factor=1) has about 28 达标 sites; fewer listed households score a little lower
    assert 18 <= int(s.qualified.sum()) <= 35
    reasons = "；".join(s.veto_reason)
    assert "零就业" in reasons and "群体性事件" in reasons and "入学" in reasons
    first = engine_mod.score_month(load_month(sqlite_engine, "2024-11"), catalogue)
    assert first.sites.qualified.sum() < 8 and first.sites.total.mean() < s.total.mean() - 10
    # county flags and escalation: A 3+ months, B exactly 2
    pairs, previous = [], None
    for month in ["2026-06", "2026-07", "2026-08", "2026-09", END]:
        md = load_month(sqlite_engine, month)
        previous = engine_mod.score_month(md, catalogue, previous)
        pairs.append((md, previous))
    counties = progress.county_progress(pairs, catalogue)[-1].counties.set_index("county_name")
    assert counties.loc["望谟县", "consecutive"] >= 3 and counties.loc["望谟县", "creation_lag"]
    assert counties.loc["册亨县", "consecutive"] == 2
    assert counties.loc["望谟县", "coverage_out"] < 90
    assert (counties.overdue > 0).sum() >= 2


# ---------------------------------------------------------------- determinism

def _checksums(eng) -> dict[str, str]:
    out = {}
    with eng.connect() as c:
        for table in m.Base.metadata.sorted_tables:
            pk = list(table.primary_key.columns)
            rows = c.execute(select(table).order_by(*pk)).fetchall()
            out[table.name] = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()
    return out


def test_deterministic(tmp_path, request):
    a = make_engine("sqlite", tmp_path, request)
    b = make_engine("sqlite", tmp_path, request)
    ra = demo.build_demo(a, household_factor=0.01, months=4, end_month=END)
    rb = demo.build_demo(b, household_factor=0.01, months=4, end_month=END)
    assert ra.rows == rb.rows
    assert _checksums(a) == _checksums(b)
    c = make_engine("sqlite", tmp_path, request)
    demo.build_demo(c, household_factor=0.01, months=4, end_month=END, seed=7)
    assert _checksums(c)["households"] != _checksums(a)["households"]


def test_end_month_default_and_refusal(sqlite_engine):
    assert demo.default_end_month(dt.date(2026, 11, 29)) == "2026-10"
    assert demo.default_end_month(dt.date(2027, 1, 3)) == "2026-12"
    demo.build_demo(sqlite_engine, household_factor=0.01, months=2, end_month="2026-01")
    with pytest.raises(demo.DemoError, match="已有"):
        demo.build_demo(sqlite_engine, household_factor=0.01, months=2)


def test_other_city_builds(sqlite_engine):
    r = demo.build_demo(sqlite_engine, city="安顺市", household_factor=0.01, months=2, end_month=END)
    assert r.sites == 68 and r.city_name == "安顺市"
    md = load_month(sqlite_engine, END)
    assert md.sites.county_code.isin(md.counties.county_code).all()
    assert md.households.head_id.map(idnumber.is_valid).all()


def test_province_scale(sqlite_engine):
    r = demo.build_demo(sqlite_engine, city="522300", scale="province", household_factor=0.01, months=3,
                        end_month=END)
    assert 950 <= r.sites <= 1050 and r.city_name == "贵州省"
    assert r.counties > 80
    with sqlite_engine.connect() as c:
        ledger_months = [x for (x,) in c.execute(select(m.LedgerSnapshot.month).distinct()
                                                 .where(m.LedgerSnapshot.kind == "households")
                                                 .order_by(m.LedgerSnapshot.month))]
        pop = c.execute(select(func.sum(m.Site.population))).scalar_one()
    assert ledger_months == ["2026-09", "2026-10"]
    assert abs(pop / demo.PEOPLE_PER_HOUSEHOLD - demo.PROVINCE_HOUSEHOLDS) < 0.05 * demo.PROVINCE_HOUSEHOLDS


# ---------------------------------------------------------------- init command

def test_init_city_without_demo(engine):
    line = run_init(engine, "黔西南州", demo=False)
    assert "黔西南布依族苗族自治州" in line and "8个县" in line
    with engine.connect() as c:
        counties = c.execute(select(m.County.name, m.County.boundary_geojson)).fetchall()
        settings = {k: v for k, v in c.execute(select(m.Setting.key, m.Setting.value))}
    assert len(counties) == 8 and all(g for _, g in counties)
    assert settings["city_code"] == "522300"
    assert "未做更改" in run_init(engine, "522300", demo=False)
    with pytest.raises(InitError, match="其他城市"):
        run_init(engine, "安顺市", demo=False)
    with pytest.raises(InitError, match="未找到城市"):
        run_init(engine, "火星市", demo=False)


def test_init_demo_then_noop_and_refusals(engine):
    run_init(engine, "522300", demo=False)   # counties first, then the demo on top is allowed
    line = run_init(engine, "522300", demo=True, household_factor=0.01, months=2, end_month=END)
    assert line.startswith("已生成演示数据：黔西南布依族苗族自治州，8个县（市、区），68个安置点，2个月")
    again = run_init(engine, "黔西南州", demo=True)
    assert again.startswith("演示数据已存在") and "未做更改" in again
    with pytest.raises(InitError):
        run_init(engine, "安顺市", demo=True)


def test_init_demo_refuses_non_empty_database(sqlite_engine):
    from sqlalchemy.orm import Session

    run_init(sqlite_engine, "522300", demo=False)
    with Session(sqlite_engine) as s, s.begin():
        s.add(m.Site(code="X1", valid_from="2026-10", name="某安置点", county_code="522301", site_type=demo.URBAN,
                     lon=104.9, lat=25.09, households=10, population=40, batch_year=2026))
    with pytest.raises(InitError, match="已有安置点"):
        run_init(sqlite_engine, "522300", demo=True)
