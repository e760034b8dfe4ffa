"""SQLAlchemy 2.x models. Schema changes go through Alembic (data/migrations).

Rights statuses are stored as small integers (see RIGHT_CODES) to keep monthly snapshots compact;
`data.repository` maps them back to their Chinese values.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, SmallInteger,
                        String, Text, UniqueConstraint, func)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from domain.organisation import POSTS
from domain.rights import RIGHTS_CODES, STATUSES

# Stored code -> Chinese status (declared with the statuses in domain.rights). NULL = blank (未核实 / 漏项).
RIGHT_CODES = {s.stored: s.label for s in STATUSES if s.stored is not None}
RIGHT_VALUES = {v: k for k, v in RIGHT_CODES.items()}


class Base(DeclarativeBase):
    pass


class Setting(Base):
    """Key/value settings: city_code, city_name, demo ('1'), active catalogue version."""
    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class County(Base):
    __tablename__ = "counties"
    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    city_code: Mapped[str] = mapped_column(String(12))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    boundary_geojson: Mapped[str | None] = mapped_column(Text, nullable=True)


class Site(Base):
    """A version of a site's attributes (安置点): holds from month `valid_from` until `valid_to` (exclusive; NULL =
    still holding). A site exists from the first month a ledger reported it (domain.md §11 "History is frozen")."""
    __tablename__ = "sites"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(32))
    valid_from: Mapped[str] = mapped_column(String(7))
    valid_to: Mapped[str | None] = mapped_column(String(7), nullable=True)
    name: Mapped[str] = mapped_column(String(128))
    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"))
    town: Mapped[str | None] = mapped_column(String(64), nullable=True)
    site_type: Mapped[str] = mapped_column(String(16))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    households: Mapped[int] = mapped_column(Integer)
    population: Mapped[int] = mapped_column(Integer)
    batch_year: Mapped[int] = mapped_column(Integer)
    built_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    import_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    source_row: Mapped[int | None] = mapped_column(Integer, nullable=True)
    __table_args__ = (UniqueConstraint("code", "valid_from", name="uq_sites_code_from"),)


class Household(Base):
    """A version of a relocated household (搬迁户): holds from `valid_from` until `valid_to` (exclusive, NULL = open).
    Written by the import of a month only where the household changed (data.versions)."""
    __tablename__ = "households"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    valid_from: Mapped[str] = mapped_column(String(7))
    valid_to: Mapped[str | None] = mapped_column(String(7), nullable=True)
    household_code: Mapped[str] = mapped_column(String(32))
    site_code: Mapped[str] = mapped_column(String(32))
    head_name: Mapped[str] = mapped_column(String(64))
    head_id: Mapped[str] = mapped_column(String(18))
    family_size: Mapped[int] = mapped_column(Integer)
    labour_count: Mapped[int] = mapped_column(Integer)
    origin_county: Mapped[str] = mapped_column(String(64))
    origin_town: Mapped[str] = mapped_column(String(64))
    origin_village: Mapped[str] = mapped_column(String(64))
    hukou_moved: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    monitored: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    income_prev: Mapped[float | None] = mapped_column(Float, nullable=True)
    income_curr: Mapped[float | None] = mapped_column(Float, nullable=True)
    import_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    source_row: Mapped[int | None] = mapped_column(Integer, nullable=True)
    __table_args__ = (UniqueConstraint("household_code", "valid_from", name="uq_households_code_from"),
                      Index("ix_households_site", "site_code"), Index("ix_households_from", "valid_from"))


for _code in RIGHTS_CODES:  # one compact status column per rights item: r01 .. r15
    setattr(Household, _code.lower(), mapped_column(_code.lower(), SmallInteger, nullable=True))
    Household.__annotations__[_code.lower()] = Mapped[int | None]


class Labourer(Base):
    """A version of a labourer (劳动力), holding from `valid_from` until `valid_to` (exclusive, NULL = open)."""
    __tablename__ = "labourers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    valid_from: Mapped[str] = mapped_column(String(7))
    valid_to: Mapped[str | None] = mapped_column(String(7), nullable=True)
    person_id: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(64))
    household_code: Mapped[str] = mapped_column(String(32))
    site_code: Mapped[str] = mapped_column(String(32))
    gender: Mapped[str] = mapped_column(String(2))
    trained: Mapped[bool] = mapped_column(Boolean)
    certified: Mapped[bool] = mapped_column(Boolean)
    employed: Mapped[bool] = mapped_column(Boolean)
    employment_form: Mapped[str | None] = mapped_column(String(16), nullable=True)
    monthly_income: Mapped[float | None] = mapped_column(Float, nullable=True)
    import_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    source_row: Mapped[int | None] = mapped_column(Integer, nullable=True)
    __table_args__ = (UniqueConstraint("person_id", "valid_from", name="uq_labourers_person_from"),
                      Index("ix_labourers_site", "site_code"), Index("ix_labourers_from", "valid_from"))


class SiteOrganisation(Base):
    """A version of a site's organisation (组织建设: three platforms and the ten 双五级 posts), holding from
    `valid_from` until `valid_to` (exclusive, NULL = open)."""
    __tablename__ = "site_organisation"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    valid_from: Mapped[str] = mapped_column(String(7))
    valid_to: Mapped[str | None] = mapped_column(String(7), nullable=True)
    site_code: Mapped[str] = mapped_column(String(32))
    platform_party: Mapped[bool] = mapped_column(Boolean)
    platform_resident: Mapped[bool] = mapped_column(Boolean)
    platform_convenience: Mapped[bool] = mapped_column(Boolean)
    import_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    source_row: Mapped[int | None] = mapped_column(Integer, nullable=True)
    __table_args__ = (UniqueConstraint("site_code", "valid_from", name="uq_site_organisation_site_from"),)


for _post, _ in POSTS:
    for _kind in ("required", "actual"):
        _col = f"{_post}_{_kind}"
        setattr(SiteOrganisation, _col, mapped_column(_col, Integer, nullable=False, default=0))
        SiteOrganisation.__annotations__[_col] = Mapped[int]


class ReportedIndicator(Base):
    """Monthly reported indicators (月度指标); NULL = not reported (缺报)."""
    __tablename__ = "reported_indicators"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    month: Mapped[str] = mapped_column(String(7))
    site_code: Mapped[str] = mapped_column(String(32))
    carriers: Mapped[float | None] = mapped_column(Float, nullable=True)
    collective_income: Mapped[float | None] = mapped_column(Float, nullable=True)
    linkage_pct: Mapped[float | None] = mapped_column(Float, nullable=True)
    satisfaction_pct: Mapped[float | None] = mapped_column(Float, nullable=True)
    civic_pct: Mapped[float | None] = mapped_column(Float, nullable=True)
    night_school: Mapped[float | None] = mapped_column(Float, nullable=True)
    dispute_pct: Mapped[float | None] = mapped_column(Float, nullable=True)
    mass_incidents: Mapped[float | None] = mapped_column(Float, nullable=True)
    inspection_problems: Mapped[float | None] = mapped_column(Float, nullable=True)
    import_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    source_row: Mapped[int | None] = mapped_column(Integer, nullable=True)
    __table_args__ = (UniqueConstraint("month", "site_code", name="uq_reported_month_site"),)


class Rectification(Base):
    """问题整改台账: one row per recorded version of an item. A version holds from month `valid_from` (the month of
    the import or edit that recorded it) until the item's next version; an item's state at a month's end is its
    latest version at or before that month (domain.md §11 "Rectification items"), so a later edit never changes an
    earlier month."""
    __tablename__ = "rectifications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(32))
    valid_from: Mapped[str] = mapped_column(String(7))
    county_code: Mapped[str] = mapped_column(String(12))
    site_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    source: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(128))
    found_date: Mapped[dt.date] = mapped_column(Date)
    deadline: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(8))
    closed_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)                # e.g. 销号说明
    recorded_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    recorded_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    import_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    source_row: Mapped[int | None] = mapped_column(Integer, nullable=True)
    __table_args__ = (UniqueConstraint("code", "valid_from", name="uq_rectifications_code_from"),)


class LedgerSnapshot(Base):
    """Which snapshot sheet (households / labour / organisation) of which site a month's import stated. A version
    written for month m holds until the next month whose import stated the same site again (data.versions)."""
    __tablename__ = "ledger_snapshots"
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    scope: Mapped[str] = mapped_column(String(32), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)


class FollowUp(Base):
    """四个跟进 records: 定期调度 / 督导督查 / 通报约谈 / 舆论宣传."""
    __tablename__ = "followups"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(8))
    date: Mapped[dt.date] = mapped_column(Date)
    county_code: Mapped[str] = mapped_column(String(12))
    site_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    title: Mapped[str] = mapped_column(String(256))
    content: Mapped[str | None] = mapped_column(Text, nullable=True)
    valid_from: Mapped[str | None] = mapped_column(String(7), nullable=True)   # month of the import that recorded it
    import_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    source_row: Mapped[int | None] = mapped_column(Integer, nullable=True)
    participants: Mapped[str | None] = mapped_column(Text, nullable=True)     # 定期调度: who attended
    recorded_by: Mapped[str | None] = mapped_column(String(64), nullable=True)  # added in the browser: who, when
    recorded_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    __table_args__ = (UniqueConstraint("kind", "date", "county_code", "title", name="uq_followups_key"),)


class FollowUpSite(Base):
    """The sites a follow-up record names (a 督导督查 visit may cover several sites of its county). A record without
    rows here names at most `FollowUp.site_code` (records from before these rows existed, ledger imports)."""
    __tablename__ = "followup_sites"
    followup_id: Mapped[int] = mapped_column(ForeignKey("followups.id"), primary_key=True)
    site_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)         # the order the user chose them in


class InterviewCase(Base):
    """约谈 case: a 建议约谈 / 建议约谈主要负责人 of an issued circular (one per month and county; re-issuing the month
    adds none). Opened 待约谈 by whoever issued the circular (created_by / created_at); see domain.followup."""
    __tablename__ = "interview_cases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    month: Mapped[str] = mapped_column(String(7))                     # the circular's month
    county_code: Mapped[str] = mapped_column(String(12))
    level: Mapped[str] = mapped_column(String(16))                    # 建议约谈 / 建议约谈主要负责人
    flags: Mapped[str] = mapped_column(String(64), default="")        # "F1、F4"
    reason: Mapped[str] = mapped_column(Text, default="")             # the flags' sentences, "；"-joined
    circular_id: Mapped[int | None] = mapped_column(ForeignKey("circulars.id"), nullable=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    __table_args__ = (UniqueConstraint("month", "county_code", name="uq_interview_cases_month_county"),)


class InterviewRecord(Base):
    """An interview held on a case (待约谈 → 已约谈): when, who was interviewed, by whom, a short record, an optional
    attachment kept in the database. `valid_from` = the month of the interview date (the month it belongs to)."""
    __tablename__ = "interview_records"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("interview_cases.id"), index=True)
    valid_from: Mapped[str] = mapped_column(String(7))
    held_on: Mapped[dt.date] = mapped_column(Date)
    interviewee: Mapped[str] = mapped_column(String(256))
    interviewer: Mapped[str] = mapped_column(String(256))
    record: Mapped[str] = mapped_column(Text, default="")
    attachment_name: Mapped[str | None] = mapped_column(String(256), nullable=True)
    attachment_blob: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime)


class ImportRecord(Base):
    """Audit of every ledger import, with the original file kept."""
    __tablename__ = "imports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
    username: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(256))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    month: Mapped[str | None] = mapped_column(String(7), nullable=True)
    rows_json: Mapped[str] = mapped_column(Text, default="{}")       # {"搬迁户": 1234, ...}
    result: Mapped[str] = mapped_column(String(16))                   # 成功 / 失败 / 无变化
    messages_json: Mapped[str] = mapped_column(Text, default="[]")   # errors and warnings
    file_blob: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))            # 市领导 / 市级督导 / 县级填报员 / 管理员
    county_code: Mapped[str | None] = mapped_column(String(12), nullable=True)
    password_hash: Mapped[str | None] = mapped_column(String(256), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")   # wrong passwords in a row
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)    # UTC, naive


class UserSession(Base):
    """A signed-in browser: the cookie's signed token names this row; sign-out deletes it (everywhere)."""
    __tablename__ = "user_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)        # random, URL-safe
    username: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)            # UTC, naive
    last_seen: Mapped[dt.datetime] = mapped_column(DateTime)             # UTC, naive; idle expiry counts from here


class AuditLog(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))          # 导入 / 导出 / 配置变更 / 登录 ...
    detail: Mapped[str] = mapped_column(Text, default="")


class DataVersion(Base):
    """Bumped whenever data of a month changes; result fingerprints are built from these."""
    __tablename__ = "data_versions"
    month: Mapped[str] = mapped_column(String(7), primary_key=True)   # 'static' for sites/counties
    version: Mapped[int] = mapped_column(Integer, default=0)


class ResultCache(Base):
    """Computed results per (kind, month, catalogue version), valid while the fingerprint matches."""
    __tablename__ = "result_cache"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    month: Mapped[str] = mapped_column(String(7))
    catalogue_version: Mapped[str] = mapped_column(String(32))
    fingerprint: Mapped[str] = mapped_column(String(64))
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
    __table_args__ = (UniqueConstraint("kind", "month", "catalogue_version", name="uq_result_cache_key"),)


class Circular(Base):
    """Issued monthly circulars (通报), kept and re-downloadable."""
    __tablename__ = "circulars"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    month: Mapped[str] = mapped_column(String(7))
    issue_no: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(256))
    catalogue_version: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
    username: Mapped[str] = mapped_column(String(64))
    xlsx_blob: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    docx_blob: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
