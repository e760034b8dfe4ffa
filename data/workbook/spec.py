"""Sheets and columns of the ledger workbook (shared/spec/workbook.md), with the normalisation used to match
headers leniently.

Each column has an ASCII `key` (the model field where there is one), the Chinese header written into the
template, a `kind` that selects its parser and an optional list of allowed values.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from data.workbook.messages import ERROR, WARNING
from domain.followup import FOLLOWUP_KINDS, RECT_CLOSED, RECT_SOURCES, RECT_STATUSES
from domain.labour import EMPLOYED, EMPLOYMENT_FORMS, EMPLOYMENT_STATUSES, UNEMPLOYED
from domain.organisation import PLATFORMS_REGISTRY, POSTS
from domain.rights import MISSING_LABEL, RIGHTS, STATUS_CHOICES
from domain.sites import SITE_TYPES

YES_NO = ("是", "否")
GENDERS = ("男", "女")

# Column kinds (parsers live in data.workbook.parse)
CODE, TEXT, ID, INT, FLOAT, PCT, ENUM, BOOL, RIGHT, DATE, MONTH, COUNTY = (
    "code", "text", "id", "int", "float", "pct", "enum", "bool", "right", "date", "month", "county")


@dataclass(frozen=True)
class Column:
    key: str
    header: str                      # as written in the template (without the trailing *)
    kind: str
    required: bool = False
    choices: tuple[str, ...] = ()    # allowed values of ENUM columns
    min: float | None = None
    max: float | None = None
    max_len: int | None = None
    aliases: tuple[str, ...] = ()
    note: str = ""                   # shown in 填报说明
    width: float = 14
    mapping: tuple[tuple[str, object], ...] = ()   # stored value of each choice (ENUM columns that store one)
    blank_as: float | None = None    # value stored for a blank cell (else blank stays missing)
    import_month: bool = False       # a blank cell takes the import's month (required only without one)

    @property
    def title(self) -> str:
        """Header text of the template: required columns carry a trailing *."""
        return self.header + ("*" if self.required else "")

    @property
    def is_text_format(self) -> bool:
        return self.kind in (CODE, ID, MONTH)


# ---- rules between the cells of one row (evaluated by data.workbook.columns.apply_row_checks) ----

@dataclass(frozen=True)
class Compare:
    """Rows where `column` and `other` are both filled and `column` <op> `other` (op '<' or '>')."""
    column: str
    op: str
    other: str
    reason: str
    level: str = ERROR


@dataclass(frozen=True)
class Conflict:
    """Rows whose `if_column` equals `if_value` (with `if_not`: is filled and differs from it) while `cell` is
    filled (`filled`) or blank; reported on `column`."""
    column: str
    if_column: str
    if_value: object
    cell: str
    filled: bool
    reason: str
    level: str = WARNING
    if_not: bool = False


@dataclass(frozen=True)
class Derived:
    """Rows where `column` is filled and differs from the value derived from `source` (see DERIVATIONS in
    data.workbook.columns), when that derivation gives one."""
    column: str
    source: str
    derive: str
    reason: str
    level: str = WARNING


RowCheck = Compare | Conflict | Derived


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: tuple[Column, ...]
    keys: tuple[str, ...]            # columns forming the row key (duplicates are errors)
    description: str = ""
    monthly: bool = False            # rows belong to the import's month
    aliases: tuple[str, ...] = ()
    checks: tuple[RowCheck, ...] = ()   # row rules, in the order they are reported

    @property
    def needs_import_month(self) -> bool:
        """A monthly sheet without a month column of its own can only be imported for a given month."""
        return self.monthly and not any(c.import_month for c in self.columns)

    def column(self, key: str) -> Column:
        for c in self.columns:
            if c.key == key:
                return c
        raise KeyError(key)

    @property
    def anchor(self) -> Column:
        """First required column: blank / total rows are found through it."""
        return next(c for c in self.columns if c.required)


SITE_CODE_NOTE = "文本格式，与「安置点」工作表或系统中已有的安置点编码一致"
COUNTY_NOTE = "填县（市、区）全称，须为系统中已有的县"
COUNTY_ALIASES = ("县（市、区）", "所属县区")

SITES = Sheet("安置点", (
    Column("code", "安置点编码", CODE, True, max_len=32, note="文本格式，全市唯一", width=16),
    Column("name", "安置点名称", TEXT, True, max_len=128, width=24),
    Column("county", "所属县（市、区）", COUNTY, True, aliases=COUNTY_ALIASES, note=COUNTY_NOTE, width=16),
    Column("town", "所属乡镇（街道）", TEXT, max_len=64, width=16),
    Column("site_type", "安置类型", ENUM, True, SITE_TYPES, width=18),
    Column("lon", "经度", FLOAT, True, min=73, max=136, note="十进制度数，如 104.89（中国境内 73–136）"),
    Column("lat", "纬度", FLOAT, True, min=3, max=54, note="十进制度数，如 25.09（中国境内 3–54）"),
    Column("households", "搬迁户数", INT, True, min=0, note="整数，单位：户"),
    Column("population", "搬迁人数", INT, True, min=0, note="整数，单位：人；决定规模等级"),
    Column("batch_year", "创建批次", INT, True, min=2000, max=2100, note="创建年份，如 2026"),
    Column("built_year", "建成年份", INT, False, min=1949, max=2100, note="四位年份，如 2019"),
), keys=("code",), description="安置点基本情况；按安置点编码新增或更新",
    checks=(Compare("population", "<", "households", "搬迁人数少于搬迁户数，请核对"),))

HOUSEHOLDS = Sheet("搬迁户", (
    Column("household_code", "户编码", CODE, True, max_len=32, note="文本格式，全市唯一", width=16),
    Column("site_code", "安置点编码", CODE, True, max_len=32, note=SITE_CODE_NOTE, width=16),
    Column("head_name", "户主姓名", TEXT, True, max_len=64, width=12),
    Column("head_id", "户主身份证号", ID, True, note="18位居民身份证号，文本格式", width=22),
    Column("family_size", "家庭人口", INT, True, min=1, max=100, note="整数，单位：人"),
    Column("labour_count", "劳动力人数", INT, True, min=0, max=100, note="整数，不大于家庭人口"),
    Column("origin_county", "迁出县", TEXT, True, max_len=64),
    Column("origin_town", "迁出乡镇", TEXT, True, max_len=64),
    Column("origin_village", "迁出村", TEXT, True, max_len=64),
    Column("hukou_moved", "户籍是否迁入", BOOL, True, YES_NO),
    Column("monitored", "是否监测户", BOOL, False, YES_NO),
    Column("income_prev", "上年人均纯收入（元）", FLOAT, False, min=0, max=10_000_000, width=16),
    Column("income_curr", "本年人均纯收入（元）", FLOAT, False, min=0, max=10_000_000, width=16),
    *[Column(r.code, r.header, RIGHT, False, STATUS_CHOICES,
             note=f"{'/'.join(STATUS_CHOICES)}，空白表示未核实（{MISSING_LABEL}）",
             aliases=((r.name,) if r.name != r.header else ()), width=12)
      for r in RIGHTS],
), keys=("household_code",), monthly=True,
    description="导入月份的搬迁户台账快照：文件中出现的安置点，其本月搬迁户整体替换",
    checks=(Compare("labour_count", ">", "family_size", "劳动力人数大于家庭人口，请核对"),))

LABOUR = Sheet("劳动力", (
    Column("person_id", "身份证号", ID, True, note="18位居民身份证号，文本格式", width=22),
    Column("name", "姓名", TEXT, True, max_len=64, width=12),
    Column("household_code", "户编码", CODE, True, max_len=32, note="本月「搬迁户」台账中的户编码", width=16),
    Column("gender", "性别", ENUM, True, GENDERS, width=8),
    Column("trained", "是否参训", BOOL, True, YES_NO, width=10),
    Column("certified", "是否持证", BOOL, True, YES_NO, width=10),
    Column("employed", "就业状态", ENUM, True, EMPLOYMENT_STATUSES, width=10,
           mapping=((EMPLOYED, True), (UNEMPLOYED, False))),
    Column("employment_form", "就业形式", ENUM, False, EMPLOYMENT_FORMS, width=14),
    Column("monthly_income", "月收入（元）", FLOAT, False, min=0, max=1_000_000),
), keys=("person_id",), monthly=True,
    description="导入月份的劳动力台账快照：所涉安置点的本月劳动力整体替换",
    checks=(Derived("gender", "person_id", "id_gender", "性别与身份证号不一致，请核对"),
            Conflict("employment_form", "employed", False, "employment_form", True,
                     "未就业人员填写了就业形式，请核对")))

ORGANISATION = Sheet("组织建设", (
    Column("site_code", "安置点编码", CODE, True, max_len=32, note=SITE_CODE_NOTE, width=16),
    *[Column(p.key, p.label, BOOL, True, YES_NO, note="是否建成运行", width=max(14, 2 * len(p.label)))
      for p in PLATFORMS_REGISTRY],
    *[Column(f"{post}_{kind}", f"{name}{label}", INT, False, min=0, max=100_000, note="整数，空白按0处理", width=12,
             blank_as=0.0)
      for post, name in POSTS for kind, label in (("required", "应设"), ("actual", "已设"))],
), keys=("site_code",), monthly=True, description="导入月份各安置点的服务平台与双五级岗位设置")

REPORTED = Sheet("月度指标", (
    Column("site_code", "安置点编码", CODE, True, max_len=32, note=SITE_CODE_NOTE, width=16),
    Column("month", "月份", MONTH, True, note="YYYY-MM，如 2026-09；导入时已指定月份的可不填本列", import_month=True),
    Column("carriers", "产业载体数", INT, False, min=0, max=10_000, note="配套园区、帮扶车间、产业项目个数"),
    Column("collective_income", "社区集体经济年收入（万元）", FLOAT, False, min=0, max=1_000_000, width=18),
    Column("linkage_pct", "经营主体利益联结户占比（%）", PCT, False, min=0, max=100, note="0–100", width=18),
    Column("satisfaction_pct", "群众满意度（%）", PCT, False, min=0, max=100, note="0–100"),
    Column("civic_pct", "文明实践活动参与率（%）", PCT, False, min=0, max=100, note="0–100", width=16),
    Column("night_school", "本季度群众夜校宣讲场次", INT, False, min=0, max=10_000,
           aliases=("本季度群众夜校/宣讲场次",),
           width=16),
    Column("dispute_pct", "矛盾纠纷化解率（%）", PCT, False, min=0, max=100, note="0–100", width=16),
    Column("mass_incidents", "重大群体性事件数", INT, False, min=0, max=10_000, width=14),
    Column("inspection_problems", "物业环境消防检查问题数", INT, False, min=0, max=100_000,
           aliases=("物业/环境/消防检查发现问题数", "物业环境消防检查发现问题数"), width=16),
), keys=("site_code", "month"), monthly=True, description="各安置点本月上报指标；空白表示未上报（缺报）")

RECTIFICATIONS = Sheet("问题整改", (
    Column("item_code", "问题编号", CODE, True, max_len=32, note="文本格式，全市唯一", width=16),
    Column("county", "所属县（市、区）", COUNTY, True, aliases=COUNTY_ALIASES, note=COUNTY_NOTE, width=16),
    Column("site_code", "安置点编码", CODE, False, max_len=32, note="可空；填写的须属于所填县", width=16),
    Column("source", "问题来源", ENUM, True, RECT_SOURCES),
    Column("description", "问题描述", TEXT, True, width=30),
    Column("unit", "责任单位", TEXT, True, max_len=128, width=18),
    Column("found_date", "发现日期", DATE, True, note="如 2026-09-12"),
    Column("deadline", "整改时限", DATE, True, note="如 2026-10-31"),
    Column("status", "整改状态", ENUM, True, RECT_STATUSES),
    Column("closed_date", "销号日期", DATE, False, note="已销号的填写"),
), keys=("item_code",), description="问题整改台账；按问题编号新增或更新",
    checks=(Compare("deadline", "<", "found_date", "整改时限早于发现日期，请核对"),
            Compare("closed_date", "<", "found_date", "销号日期早于发现日期，请核对"),
            # §11: 已销号 requires a 销号日期 — blocking, or a clerical slip would count the item overdue
            Conflict("closed_date", "status", RECT_CLOSED, "closed_date", False,
                     f"整改状态为{RECT_CLOSED}，但未填写销号日期", level=ERROR),
            Conflict("status", "status", RECT_CLOSED, "closed_date", True,
                     f"填写了销号日期，但整改状态不是{RECT_CLOSED}", if_not=True)))

FOLLOWUPS = Sheet("跟进记录", (
    Column("kind", "类型", ENUM, True, FOLLOWUP_KINDS),
    Column("date", "日期", DATE, True, note="如 2026-09-12"),
    Column("county", "所属县（市、区）", COUNTY, True, aliases=COUNTY_ALIASES, note=COUNTY_NOTE, width=16),
    Column("site_code", "安置点编码", CODE, False, max_len=32, note="可空", width=16),
    Column("title", "标题", TEXT, True, max_len=256, width=30),
    Column("content", "内容", TEXT, False, width=40),
), keys=("kind", "date", "county", "title"), description="四个跟进记录；类型、日期、县、标题相同的视为同一条")

SHEETS: tuple[Sheet, ...] = (SITES, HOUSEHOLDS, LABOUR, ORGANISATION, REPORTED, RECTIFICATIONS, FOLLOWUPS)
SHEET_NAMES = [s.name for s in SHEETS]
BY_NAME = {s.name: s for s in SHEETS}
INSTRUCTIONS_SHEET = "填报说明"
ERRORS_SHEET = "错误清单"
IGNORED_SHEETS = (INSTRUCTIONS_SHEET, ERRORS_SHEET)

# ---- lenient matching ----

_BRACKETS = "()（）【】[]［］〔〕{}｛｝<>《》〈〉"
_OPEN, _CLOSE = "(（【[［〔{｛<《〈", ")）】]］〕}｝>》〉"
_WS = re.compile(r"\s+")
_BRACKETED = re.compile(r"[(（【\[［〔{｛<《〈][^()（）【】\[\]［］〔〕{}｛｝<>《》〈〉]*[)）】\]］〕}｝>》〉]")
_DROP = str.maketrans("", "", _BRACKETS + "*＊")


def nfkc(value: str) -> str:
    return unicodedata.normalize("NFKC", value)


def norm_full(text: str) -> str:
    """Header without whitespace, `*` and bracket characters: `所属县（市、区）*` -> `所属县市、区`."""
    return _WS.sub("", nfkc(str(text))).translate(_DROP)


def norm_bare(text: str) -> str:
    """Header without bracketed content: `上年人均纯收入（元）` -> `上年人均纯收入`."""
    s = _WS.sub("", nfkc(str(text)))
    prev = None
    while prev != s:
        prev, s = s, _BRACKETED.sub("", s)
    return s.translate(_DROP)


@dataclass
class HeaderIndex:
    """Lookup of a sheet's columns by normalised header."""
    full: dict[str, str] = field(default_factory=dict)
    bare: dict[str, str] = field(default_factory=dict)

    def match(self, text) -> str | None:
        if text is None or text == "" or not isinstance(text, str):
            return None
        f = norm_full(text)
        if not f:
            return None
        if f in self.full:
            return self.full[f]
        b = norm_bare(text)
        return self.bare.get(b) if b else None


def header_index(sheet: Sheet) -> HeaderIndex:
    idx = HeaderIndex()
    for col in sheet.columns:
        for name in (col.header, *col.aliases):
            idx.full.setdefault(norm_full(name), col.key)
            idx.bare.setdefault(norm_bare(name), col.key)
    return idx


def match_sheet_name(name: str) -> Sheet | None:
    """Known sheet for a workbook sheet name (whitespace, brackets and their content ignored)."""
    n = norm_bare(name)
    for s in SHEETS:
        if n == s.name or norm_full(name) == s.name:
            return s
    return None
