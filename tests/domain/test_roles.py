import pytest

from domain import roles as R


def test_domain_table_of_roles_and_actions():
    assert R.ROLES == ["市领导", "市级督导", "县级填报员", "管理员"]
    assert R.ROLE_ACTIONS["市领导"] == {"view", "wall"}
    assert R.ROLE_ACTIONS["市级督导"] == {"view", "wall", "export", "circular", "followup", "interview", "import",
                                         "rectify"}
    assert R.ROLE_ACTIONS["县级填报员"] == {"view", "upload", "import", "export_own", "rectify", "followup"}
    assert R.ROLE_ACTIONS["管理员"] == {a.key for a in R.ACTIONS}


def test_scope():
    assert R.scope_of("县级填报员") == R.OWN_COUNTY and R.county_only("县级填报员")
    assert {R.scope_of(n) for n in ("市领导", "市级督导", "管理员")} == {R.CITY}
    assert R.scope_of("访客") is None and not R.county_only(None)


@pytest.mark.parametrize("role,action,ok", [
    ("市领导", R.EXPORT, False), ("市领导", "wall", True), ("市级督导", R.CIRCULAR, True),
    ("县级填报员", R.EXPORT, False), ("县级填报员", R.EXPORT_OWN, True), ("县级填报员", R.ACCOUNTS, False),
    ("管理员", R.BOUNDARIES, True), ("管理员", "configure", True), ("管理员", R.AUDIT, True),
    ("市级督导", R.AUDIT, False), ("市级督导", R.ACCOUNTS, False), ("访客", R.VIEW, False), (None, R.VIEW, False),
    ("市级督导", "no_such_action", False), ("市级督导", R.INTERVIEW, True), ("管理员", R.INTERVIEW, True),
    ("县级填报员", R.INTERVIEW, False), ("市领导", R.INTERVIEW, False), ("市领导", R.FOLLOWUP, False),
])
def test_can(role, action, ok):
    assert R.can(role, action) is ok


def test_roles_with_and_pages():
    assert R.roles_with(R.CIRCULAR) == ["市级督导", "管理员"]
    assert R.roles_with(R.UPLOAD) == ["县级填报员", "管理员"]
    assert R.roles_with(R.IMPORT) == ["市级督导", "县级填报员", "管理员"]
    assert [r for r in R.ROLES if R.may_open(r, "pages/circular.py")] == ["市级督导", "管理员"]
    assert [r for r in R.ROLES if R.may_open(r, "pages/upload.py")] == ["县级填报员", "管理员"]
    assert all(R.may_open(r, "pages/wall.py") for r in R.ROLES)
    assert all(R.page_action(p) in R.ACTION_BY_KEY for p in R.PAGE_ACTIONS)


def test_every_granted_action_is_declared():
    for role in R.ROLES_REGISTRY:
        assert role.actions <= set(R.ACTION_BY_KEY)
    assert len(R.ACTION_BY_KEY) == len(R.ACTIONS)
