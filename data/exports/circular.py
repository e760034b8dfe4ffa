"""The monthly circular's content (月度通报, domain.md §8): ``CircularData`` and the wording shared by its Excel
(circular_xlsx.py) and Word (circular_docx.py) renderings."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import pandas as pd

from data.exports.layout import DEMO_MARK, ISSUER, highlight_mask, subtitle_line
from data.formatting import date_cn, month_cn
from domain.designation import designation, localize


@dataclass
class CircularData:
    """Everything the monthly circular (domain.md §8) shows, already computed and formatted where textual.

    city_totals: label -> formatted value, in display order, e.g. {'安置点': '68个', '五好达标': '23个（序时 25个）',
      '劳动力': '12.3万人', '就业率': '93.2%', ...} (use data.formatting).
    county_table: §8 county columns (COUNTY_COLUMNS); county_flagged: bool per county row (进度滞后).
    site_table: §8 site columns (CIRCULAR_SITE_COLUMNS; extra columns such as 安置点编码 are kept in Excel only).
    lagging: [(county, [reason sentence, ...])]; interview_suggestions: [(county, '建议约谈' |
      '建议约谈主要负责人')]; praise: counties named for 争先进位.
    """
    city_name: str
    month: str
    issue_no: int
    title: str
    cutoff_date: Any                       # date or 'YYYY-MM-DD'
    catalogue_version: str
    county_table: pd.DataFrame
    site_table: pd.DataFrame
    city_totals: dict[str, str] = field(default_factory=dict)
    county_flagged: pd.Series | Sequence[bool] | None = None
    site_flagged: pd.Series | Sequence[bool] | None = None   # default: not 达标 / 不合格
    lagging: list[tuple[str, list[str]]] = field(default_factory=list)
    interview_suggestions: list[tuple[str, str]] = field(default_factory=list)
    praise: list[str] = field(default_factory=list)
    issuer: str = ISSUER
    demo: bool = False
    issue_date: Any = None                 # date printed under the title (default: cutoff_date)
    requirements: list[str] | None = None  # 五、下步要求 paragraphs (default: DEFAULT_REQUIREMENTS)
    followup: list[str] = field(default_factory=list)   # 四个跟进 paragraphs (scoring.followup.summary_lines)
    interview_cases: pd.DataFrame | None = None         # 约谈落实情况 (services.followup.case_table), may be empty
    interview_late: list[bool] = field(default_factory=list)   # per case row: still 待约谈 a month later (marked)
    site_scope: str = "auto"               # Word: 'all' | 'top_bottom' | 'auto' (all when ≤ 20 sites)

    @property
    def area(self) -> str:
        """The city's own designation for sentences (州/市/地区/盟)."""
        return designation(self.city_name)

    @property
    def whole(self) -> str:
        """'全州' for a 自治州, '全市' for a 市 (used in every sentence instead of a literal 全市)."""
        return "全" + self.area

    def say(self, text: str) -> str:
        """A sentence in the city's own designation (全市 -> 全州, 报市 -> 报州 ...)."""
        return localize(text, self.city_name)

    def requirement_paragraphs(self) -> list[str]:
        return [self.say(t) for t in (self.requirements if self.requirements is not None else DEFAULT_REQUIREMENTS)]

    @property
    def month_cn(self) -> str:
        return month_cn(self.month)

    @property
    def cutoff_cn(self) -> str:
        return date_cn(self.cutoff_date)

    @property
    def issue_date_cn(self) -> str:
        return date_cn(self.issue_date if self.issue_date is not None else self.cutoff_date)

    @property
    def issue_line(self) -> str:
        return f"{int(self.month[:4])}年第{self.issue_no}期"

    @property
    def meta_line(self) -> str:
        return subtitle_line(f"数据截至{self.cutoff_cn}", f"指标体系版本 {self.catalogue_version}",
                         f"【{DEMO_MARK}】" if self.demo else None)

    def county_flags(self) -> list[bool]:
        t = self.county_table.reset_index(drop=True)
        if self.county_flagged is None:
            names = {c for c, _ in self.lagging}
            col = "县(市、区)" if "县(市、区)" in t.columns else None
            return [bool(col and t[col].iloc[i] in names) for i in range(len(t))]
        return highlight_mask(t, self.county_flagged, None)

    def site_flags(self) -> list[bool]:
        return highlight_mask(self.site_table.reset_index(drop=True), self.site_flagged, "达标")


def standard_title(city_name: str, month: str, issue_no: int) -> str:
    return f"{city_name}易地搬迁后续扶持工作进展情况通报（{int(month[:4])}年第{issue_no}期）"


DEFAULT_REQUIREMENTS = [
    "对标补短，确保序时进度。各县（市、区）要对照五好社区创建指标体系，逐个安置点梳理本月失分指标和短板维度，"
    "制定补短措施，明确责任单位和完成时限，确保创建任务按序时进度完成。",
    "聚焦就业，动态清零零就业家庭。要加强劳动力就业帮扶和技能培训，对有劳动力但无人就业的家庭逐户落实帮扶措施，"
    "确保零就业家庭动态清零，持续提升就业率、参训率和持证率。",
    "压实责任，协同保障群众权益。迁入地、迁出地要按照职责分工，对权益事项未落实和未核实的搬迁户逐户核查、逐项落实，"
    "依托三个服务平台做好政策兑现。",
    "限时整改，按期销号。对督导督查发现的问题要建立台账、限时整改，逾期未整改的问题要说明原因并提出整改措施，"
    "防止问题反弹。",
    "加强调度，按时报送。进度滞后的县（市、区）要认真分析原因，于下月10日前将整改措施报市易地搬迁后续扶持工作"
    "领导小组办公室。各县（市、区）要按时、准确报送月度台账数据，确保数据真实完整。",
]


def reason_text(reasons: Iterable[str]) -> str:
    parts = [str(r).strip().rstrip("。；;.，, ") for r in reasons if str(r).strip()]
    return "；".join(parts) + ("。" if parts else "")


def interview_groups(c: CircularData) -> list[tuple[str, list[str]]]:
    groups: dict[str, list[str]] = {}
    for county, level in c.interview_suggestions:
        groups.setdefault(level or "建议约谈", []).append(county)
    order = sorted(groups, key=lambda lv: (0 if "主要负责人" in lv else 1, lv))
    return [(lv, groups[lv]) for lv in order]
