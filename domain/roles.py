"""Roles, the named actions each may perform, and their data scope (domain.md §10).

Pages, services and commands check **actions**, never role names: ``can(user.role, EXPORT)``. To add a capability
(an accounts page, an audit page, follow-up editing ...) declare one :class:`Action` below, grant it to the roles
in ``ROLES`` and name it in ``PAGE_ACTIONS`` if a page needs it; nothing else changes.

| role       | scope       | actions                                                                 |
|------------|-------------|-------------------------------------------------------------------------|
| 市领导     | whole city  | view, wall                                                              |
| 市级督导   | whole city  | view, wall, export, circular, followup, interview, import, rectify      |
| 县级填报员 | own county  | view, upload, import, export_own, rectify, followup (own county only)   |
| 管理员     | whole city  | every action (incl. accounts, configure, boundaries, audit)             |
"""
from __future__ import annotations

from dataclasses import dataclass


# ------------------------------------------------------------------------------------------------ actions
@dataclass(frozen=True)
class Action:
    key: str              # what code checks
    label: str            # what users read ("该功能仅限…")


VIEW = Action("view", "查看数据")
WALL = Action("wall", "数据大屏")
EXPORT = Action("export", "导出排名表与通报")
EXPORT_OWN = Action("export_own", "导出本县工作清单")
CIRCULAR = Action("circular", "印发月度通报")
FOLLOWUP = Action("followup", "编辑四个跟进记录")       # a county operator: their own county's records
INTERVIEW = Action("interview", "记录约谈情况")
UPLOAD = Action("upload", "上传本县月度台账")
IMPORT = Action("import", "导入月度台账")          # the import service itself (web upload, command line)
ACCOUNTS = Action("accounts", "管理账号")
CONFIGURE = Action("configure", "管理指标配置")
BOUNDARIES = Action("boundaries", "更新县级边界")
AUDIT = Action("audit", "查阅审计日志")
RECTIFY = Action("rectify", "登记、修改与销号整改问题")   # within the user's scope (a county operator: own county)

ACTIONS: tuple[Action, ...] = (VIEW, WALL, EXPORT, EXPORT_OWN, CIRCULAR, FOLLOWUP, INTERVIEW, UPLOAD, IMPORT,
                               ACCOUNTS, CONFIGURE, BOUNDARIES, AUDIT, RECTIFY)
ACTION_BY_KEY = {a.key: a for a in ACTIONS}


# ------------------------------------------------------------------------------------------------ scope
CITY, OWN_COUNTY = "city", "county"           # data scope kinds
SCOPE_LABELS = {CITY: "全市", OWN_COUNTY: "本县（市、区）"}


# ------------------------------------------------------------------------------------------------ roles
@dataclass(frozen=True)
class Role:
    name: str                         # the Chinese role name, stored on accounts
    key: str                          # ASCII key (demo user names, URLs)
    scope: str                        # CITY or OWN_COUNTY
    actions: frozenset[str]           # Action keys
    summary: str                      # one line for the role switcher / accounts page

    def can(self, action: str | Action) -> bool:
        return _key(action) in self.actions

    @property
    def county_only(self) -> bool:
        return self.scope == OWN_COUNTY


def _keys(*actions: Action) -> frozenset[str]:
    return frozenset(a.key for a in actions)


LEADER = Role("市领导", "leader", CITY, _keys(VIEW, WALL), "全市汇总、数据大屏")
SUPERVISOR = Role("市级督导", "supervisor", CITY,
                  _keys(VIEW, WALL, EXPORT, CIRCULAR, FOLLOWUP, INTERVIEW, IMPORT, RECTIFY),
                  "全市各页面、导出、印发通报、编辑跟进记录")
COUNTY_OPERATOR = Role("县级填报员", "operator", OWN_COUNTY, _keys(VIEW, UPLOAD, IMPORT, EXPORT_OWN, RECTIFY, FOLLOWUP),
                       "本县数据、上传本县台账、导出本县工作清单、记录本县跟进情况")
ADMIN = Role("管理员", "admin", CITY, _keys(*ACTIONS), "全部功能，含账号、指标配置与县级边界")

ROLES_REGISTRY: tuple[Role, ...] = (LEADER, SUPERVISOR, COUNTY_OPERATOR, ADMIN)
ROLES: list[str] = [r.name for r in ROLES_REGISTRY]             # display order
ROLE_BY_NAME: dict[str, Role] = {r.name: r for r in ROLES_REGISTRY}
ROLE_BY_KEY: dict[str, Role] = {r.key: r for r in ROLES_REGISTRY}
ROLE_ACTIONS: dict[str, frozenset[str]] = {r.name: r.actions for r in ROLES_REGISTRY}
ROLE_LEADER, ROLE_SUPERVISOR, ROLE_COUNTY, ROLE_ADMIN = LEADER.name, SUPERVISOR.name, COUNTY_OPERATOR.name, ADMIN.name


def _key(action: str | Action) -> str:
    return action.key if isinstance(action, Action) else action


def role(name: str) -> Role | None:
    """The role of that Chinese name, or None for an unknown name."""
    return ROLE_BY_NAME.get(name)


def can(role_name: str | None, action: str | Action) -> bool:
    """May a user of ``role_name`` perform ``action``? Unknown roles may do nothing."""
    r = ROLE_BY_NAME.get(role_name or "")
    return r is not None and r.can(action)


def roles_with(action: str | Action) -> list[str]:
    """Names of the roles that may perform ``action``, in display order."""
    return [r.name for r in ROLES_REGISTRY if r.can(action)]


def scope_of(role_name: str | None) -> str | None:
    """CITY or OWN_COUNTY; None for an unknown role."""
    r = ROLE_BY_NAME.get(role_name or "")
    return None if r is None else r.scope


def county_only(role_name: str | None) -> bool:
    return scope_of(role_name) == OWN_COUNTY


# ------------------------------------------------------------------------------------------------ pages
# The action each page needs (script path relative to the app's root). The wall screen needs only VIEW so that
# every signed-in role can open it (the behaviour so far); a county operator sees it limited to their county.
PAGE_ACTIONS: dict[str, str] = {
    "app.py": VIEW.key,
    "pages/wall.py": VIEW.key,
    "pages/ranking.py": VIEW.key,
    "pages/map.py": VIEW.key,
    "pages/site.py": VIEW.key,
    "pages/county.py": VIEW.key,
    "pages/circular.py": CIRCULAR.key,
    "pages/followup.py": VIEW.key,
    "pages/gaps.py": VIEW.key,
    "pages/rights.py": VIEW.key,
    "pages/household.py": VIEW.key,
    "pages/employment.py": VIEW.key,
    "pages/organisation.py": VIEW.key,
    "pages/upload.py": UPLOAD.key,
    "pages/accounts.py": ACCOUNTS.key,
    "pages/audit.py": AUDIT.key,
    "pages/rectification.py": VIEW.key,
}


def page_action(script: str) -> str:
    """Action a page needs (VIEW for a page not listed)."""
    return PAGE_ACTIONS.get(script, VIEW.key)


def may_open(role_name: str | None, script: str) -> bool:
    return can(role_name, page_action(script))
