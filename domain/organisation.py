"""Site organisation (domain.md §2): the three service platforms and the 双五级 posts.

Keys are the column stems used by the month frames and the database (``platform_party``,
``town_party_required`` / ``town_party_actual`` ...); labels are the Chinese names users see.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Platform:
    key: str
    label: str
    serves: str           # what the platform handles (domain.md §2)


PLATFORM_PARTY = Platform("platform_party", "党群服务中心", "党务服务、党员组织关系接转")
PLATFORM_RESIDENT = Platform("platform_resident", "居民事务服务中心", "迁入地权益落实与后续扶持")
PLATFORM_CONVENIENCE = Platform("platform_convenience", "便民跟进服务中心", "迁出地权益落实")
PLATFORMS_REGISTRY: tuple[Platform, ...] = (PLATFORM_PARTY, PLATFORM_RESIDENT, PLATFORM_CONVENIENCE)
PLATFORM_BY_LABEL = {p.label: p for p in PLATFORMS_REGISTRY}

# (key, label) pairs, the form the frames, models and workbook columns iterate over.
PLATFORMS: list[tuple[str, str]] = [(p.key, p.label) for p in PLATFORMS_REGISTRY]

PARTY_LINE, ADMIN_LINE = "党组织体系", "行政管理体系"


@dataclass(frozen=True)
class Post:
    key: str
    label: str
    line: str             # PARTY_LINE or ADMIN_LINE


# domain.md §2 order: party line then administrative line, top to bottom.
POSTS_REGISTRY: tuple[Post, ...] = (
    Post("town_party", "乡镇党委", PARTY_LINE),
    Post("community_party", "社区党委", PARTY_LINE),
    Post("general_branch", "党总支", PARTY_LINE),
    Post("branch", "党支部", PARTY_LINE),
    Post("party_group", "党小组", PARTY_LINE),
    Post("town_gov", "乡镇政府", ADMIN_LINE),
    Post("residents_committee", "社区居委会", ADMIN_LINE),
    Post("residents_group", "居民小组", ADMIN_LINE),
    Post("chief_building", "总楼长", ADMIN_LINE),
    Post("building", "分楼长", ADMIN_LINE),
)
POSTS: list[tuple[str, str]] = [(p.key, p.label) for p in POSTS_REGISTRY]
