"""Household rights catalogue (权益事项, domain.md §7 and §11).

Each household carries one status per item: 已落实 / 未落实 / 不适用, or blank (未核实, listed as 漏项).
Coverage = 已落实 / (all but 不适用); a gap (缺口) is 未落实 or blank. Every item is the responsibility of one side
— 迁入地 (destination, 属地管理) or 迁出地 (origin, 行政管辖) — and is routed to one service platform.

R01 (选民登记) is the one item whose side depends on the household: 迁入地 when its 户籍 has moved, else 迁出地
(a blank 户籍是否迁入 counts as not moved, §11); its platform follows the side.

>>> side_for("R01", True), side_for("R01", None), platform_for("R01", False).label
('迁入地', '迁出地', '便民跟进服务中心')
"""
from __future__ import annotations

from dataclasses import dataclass

from domain.organisation import PLATFORM_CONVENIENCE, PLATFORM_PARTY, PLATFORM_RESIDENT, Platform

# ------------------------------------------------------------------------------------------------ sides
DEST, ORIGIN = "迁入地", "迁出地"
SIDES: tuple[str, str] = (DEST, ORIGIN)
SIDE_NOTES = {DEST: "属地管理地（安置点所在县、乡镇）", ORIGIN: "行政管辖地（搬迁前所在村、乡镇）"}
# Platform that takes an item whose platform follows its side (R01).
SIDE_PLATFORM: dict[str, Platform] = {DEST: PLATFORM_RESIDENT, ORIGIN: PLATFORM_CONVENIENCE}


# ------------------------------------------------------------------------------------------------ statuses
@dataclass(frozen=True)
class Status:
    label: str            # the value written in the ledger (blank: the empty cell)
    stored: int | None    # compact integer kept in the database (None = NULL = blank)
    covered: bool         # counts as done in the coverage numerator
    applicable: bool      # counts in the coverage denominator
    gap: bool             # a 缺口 routed to the responsible side


DONE = Status("已落实", 1, True, True, False)
OPEN = Status("未落实", 0, False, True, True)
NOT_APPLICABLE = Status("不适用", 9, False, False, False)
BLANK = Status("未核实", None, False, True, True)      # an empty cell: also listed as 漏项
STATUSES: tuple[Status, ...] = (DONE, OPEN, NOT_APPLICABLE, BLANK)
# The values a ledger cell may hold (blank aside), in the order the template's drop-down offers them.
STATUS_CHOICES: tuple[str, ...] = (DONE.label, OPEN.label, NOT_APPLICABLE.label)
RIGHT_DONE, RIGHT_OPEN, RIGHT_NA = DONE.label, OPEN.label, NOT_APPLICABLE.label
MISSING_LABEL = "漏项"
STATUS_BY_LABEL = {s.label: s for s in STATUSES}
STATUS_BY_STORED = {s.stored: s for s in STATUSES}


# ------------------------------------------------------------------------------------------------ items
@dataclass(frozen=True)
class RightsItem:
    code: str
    category: str
    name: str                     # the item as the catalogue names it
    header: str                   # column header of the 搬迁户 sheet
    side: str | None              # DEST / ORIGIN; None: by the household's 户籍 (R01)
    platform: Platform | None     # None: follows the side (SIDE_PLATFORM)
    short: str = ""               # at most five characters: a column of the 权益保障 matrix (whole name on hover)

    @property
    def label(self) -> str:
        """'R02 组织关系': code and short name, for narrow columns."""
        return f"{self.code} {self.short or self.header}"

    @property
    def side_by_hukou(self) -> bool:
        return self.side is None

    @property
    def side_rule(self) -> str:
        """The side rule in Chinese."""
        return self.side if self.side is not None else f"户籍已迁入为{DEST}，否则为{ORIGIN}"

    @property
    def platform_rule(self) -> str:
        if self.platform is not None:
            return self.platform.label
        return " / ".join(SIDE_PLATFORM[s].label for s in SIDES)

    def side_for(self, hukou_moved: object) -> str:
        if self.side is not None:
            return self.side
        return DEST if _is_true(hukou_moved) else ORIGIN

    def platform_for(self, hukou_moved: object) -> Platform:
        return self.platform if self.platform is not None else SIDE_PLATFORM[self.side_for(hukou_moved)]


def _item(code, category, name, side, platform, short, header=None) -> RightsItem:
    return RightsItem(code, category, name, header or name, side, platform, short)


POLITICAL, ECONOMIC, EDUCATION, SOCIAL = "政治权益", "经济权益", "文化教育权益", "社会保障权益"
RIGHTS: tuple[RightsItem, ...] = (
    _item("R01", POLITICAL, "选民登记（选举权、被选举权）", None, None, "选民登记", header="选民登记"),
    _item("R02", POLITICAL, "党员组织关系接转", DEST, PLATFORM_PARTY, "组织关系"),
    _item("R03", ECONOMIC, "耕地承包经营权", ORIGIN, PLATFORM_CONVENIENCE, "耕地承包"),
    _item("R04", ECONOMIC, "林地承包经营权", ORIGIN, PLATFORM_CONVENIENCE, "林地承包"),
    _item("R05", ECONOMIC, "集体收益分配", ORIGIN, PLATFORM_CONVENIENCE, "集体收益"),
    _item("R06", ECONOMIC, "耕地地力保护补贴", ORIGIN, PLATFORM_CONVENIENCE, "地力补贴"),
    _item("R07", ECONOMIC, "退耕还林及生态补偿", ORIGIN, PLATFORM_CONVENIENCE, "退耕还林"),
    _item("R08", ECONOMIC, "光伏收益分配", ORIGIN, PLATFORM_CONVENIENCE, "光伏收益"),
    _item("R09", ECONOMIC, "安置房不动产登记", DEST, PLATFORM_RESIDENT, "不动产登记"),
    _item("R10", EDUCATION, "义务教育适龄子女入学", DEST, PLATFORM_RESIDENT, "子女入学"),
    _item("R11", SOCIAL, "基本医疗保险", DEST, PLATFORM_RESIDENT, "基本医保"),
    _item("R12", SOCIAL, "大病保险", DEST, PLATFORM_RESIDENT, "大病保险"),
    _item("R13", SOCIAL, "养老保险", DEST, PLATFORM_RESIDENT, "养老保险"),
    _item("R14", SOCIAL, "农村低保", DEST, PLATFORM_RESIDENT, "农村低保"),
    _item("R15", SOCIAL, "特困人员救助供养", DEST, PLATFORM_RESIDENT, "特困供养"),
)
RIGHTS_CODES: list[str] = [r.code for r in RIGHTS]
RIGHTS_BY_CODE: dict[str, RightsItem] = {r.code: r for r in RIGHTS}
# Items by their role in the indicators (domain.md §4): P2/P3/P4 coverage items and the P5 assistance items.
EDUCATION_ITEM, MEDICAL_ITEM, PENSION_ITEM = "R10", "R11", "R13"
ASSISTANCE_ITEMS = ("R14", "R15")
# The one item whose side follows the household's 户籍 (R01).
HUKOU_ITEM = next(r.code for r in RIGHTS if r.side_by_hukou)


def item(code: str) -> RightsItem:
    """The catalogue entry of ``code`` (KeyError with a Chinese message for an unknown code)."""
    try:
        return RIGHTS_BY_CODE[code]
    except KeyError:
        raise KeyError(f"未知的权益事项编码“{code}”（应为 R01–R15）") from None


def side_for(code: str, hukou_moved: object = None) -> str:
    """Responsible side of item ``code`` for a household (``hukou_moved``: True / False / None = blank)."""
    return item(code).side_for(hukou_moved)


def platform_for(code: str, hukou_moved: object = None) -> Platform:
    """Service platform that handles item ``code`` for a household."""
    return item(code).platform_for(hukou_moved)


def fixed_side_codes(side: str) -> list[str]:
    """Codes whose side is always ``side`` (R01 excluded: it depends on the household)."""
    return [r.code for r in RIGHTS if r.side == side]


def _is_true(v: object) -> bool:
    """Only a true value counts as 户籍已迁入; None, NaN, False and blanks do not."""
    try:
        return bool(v == True)  # noqa: E712 (numpy booleans and 1 count as well)
    except (TypeError, ValueError):
        return False
