"""问题整改台账 (domain.md §9, §10, §11): list, add, edit and close (销号) rectification items in the browser.

Every change is recorded as a new version of the item for the month it belongs to (the selected month): the
state of an earlier month never changes (§11 "History is frozen", "Rectification items"), and the ledger
sheet's import keeps merging by item id (data.versions.plan_rectifications). Each change is audited.

Who may do what is one action of domain.roles: VIEW to see items, RECTIFY to add, edit and close them; the data
scope (domain.scope.Scope) limits both — a 县级填报员 sees and records only their own county's items.

Closed and overdue are judged at the month's end (§9), or today while the month has not ended yet; days overdue
count from the deadline to that date. ``user`` arguments are the signed-in account: anything with ``username``
and ``role`` (components.auth.User, data.workbook.ImportUser).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from data import audit
from data import rectifications as store
from data.exports.rectifications import rectification_csv, rectification_workbook
from data.versions import RECT_PAYLOAD
from data.workbook import spec as S
from domain import roles
from domain.calendar import check_month, month_label, period_end
from domain.followup import RECT_CLOSED, RECT_OPEN, RECT_SOURCES, RECT_STATUSES
from domain.scope import OutOfScope, Scope

# field labels as the 问题整改 sheet names them (declared once, in data.workbook.spec)
_SHEET_KEYS = {"item_code": "code", "county": "county_code"}
LABELS: dict[str, str] = {_SHEET_KEYS.get(c.key, c.key): c.header for c in S.RECTIFICATIONS.columns}
NOTE_LABEL = "说明"
TABLE_COLUMNS = ["问题编号", "县（市、区）", "安置点", "整改状态", "逾期情况", "问题来源", "问题描述", "责任单位",
                 "发现日期", "整改时限", "销号日期", "超期天数"]
HISTORY_COLUMNS = ["记录月份", "记录方式", "记录人", "记录时间", "变更内容", "说明"]
_CODE = re.compile(r"^[0-9A-Za-z\-_]{1,32}$")


CONCURRENT_EDIT = "该事项本月已被他人修改，请刷新后重试"


class RectificationError(ValueError):
    """Input that cannot be recorded; the message (Chinese) names every field at fault and why."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("；".join(self.problems))


class NotAllowed(PermissionError):
    def __init__(self, what: str):
        names = "、".join(roles.roles_with(roles.RECTIFY))
        super().__init__(f"当前角色无权{what}（仅限{names}）")


@dataclass(frozen=True)
class ItemFilter:
    """The page's filters; None / False = any."""
    county_code: str | None = None
    site_code: str | None = None
    source: str | None = None
    status: str | None = None
    overdue: bool = False

    def describe(self, county_names: dict[str, str]) -> str:
        parts = [county_names.get(self.county_code, self.county_code) if self.county_code else None,
                 self.site_code and f"安置点{self.site_code}", self.source, self.status,
                 "仅逾期" if self.overdue else None]
        return "、".join(p for p in parts if p) or "全部"


@dataclass
class ItemList:
    month: str
    as_of: dt.date                    # closed / overdue judged at this date
    table: pd.DataFrame               # TABLE_COLUMNS (what the page shows and exports)
    codes: pd.DataFrame               # item_code, county_code, site_code per row (same order)
    overdue: list[bool]               # per row: overdue at as_of (drawn red)
    total: int
    n_overdue: int
    n_closed: int


@dataclass
class ItemView:
    """One item as of the month (its latest version at or before it)."""
    code: str
    month: str
    values: dict                      # code, county_code, site_code, source, ..., closed_date (RECT_PAYLOAD)
    county_name: str
    site_name: str | None
    status_at: str
    overdue_days: int | None
    valid_from: str                   # the month of the version shown
    note: str | None
    recorded_by: str | None


# ------------------------------------------------------------------------------------------------ reading
def _as_of(month: str, today: dt.date | None) -> dt.date:
    end = period_end(month)
    return min(end, today or dt.date.today())


def _status_at(status: str, closed_date, as_of: dt.date) -> str:
    if status == RECT_CLOSED and (closed_date is None or closed_date > as_of):
        return "整改中"
    return status


def _overdue_days(status_at: str, deadline, as_of: dt.date) -> int | None:
    if status_at == RECT_CLOSED or deadline is None or deadline >= as_of:
        return None
    return (as_of - deadline).days


def list_items(engine: Engine, scope: Scope, month: str, filt: ItemFilter | None = None, *,
               today: dt.date | None = None) -> ItemList:
    """The items as of `month` inside `scope` matching `filt` (filters applied in the query). A county filter
    outside the scope raises OutOfScope."""
    month = check_month(month)
    filt = filt or ItemFilter()
    as_of = _as_of(month, today)
    q = store.ItemQuery(month=month, end=period_end(month), as_of=as_of, county_code=scope.narrow(filt.county_code),
                        site_code=filt.site_code or None, source=filt.source or None, status=filt.status or None,
                        overdue=filt.overdue)
    df = store.items(engine, q)
    status = [_status_at(s, c, as_of) for s, c in zip(df["status"], df["closed_date"])]
    days = [_overdue_days(s, d, as_of) for s, d in zip(status, df["deadline"])]
    table = pd.DataFrame({
        "问题编号": df["item_code"], "县（市、区）": df["county_name"],
        "安置点": [n or c or "—" for n, c in zip(df["site_name"], df["site_code"])],
        "问题来源": df["source"], "问题描述": df["description"], "责任单位": df["unit"],
        "发现日期": df["found_date"].map(_iso), "整改时限": df["deadline"].map(_iso), "整改状态": status,
        # a 销号日期 after the month's end belongs to a later month: as of this month the item is still 整改中
        "销号日期": [_iso(c) if st == RECT_CLOSED else "" for st, c in zip(status, df["closed_date"])],
        "超期天数": pd.array([d for d in days], dtype="Int64"),
        "逾期情况": [f"超期{d}天" if d is not None else "" for d in days]}, columns=TABLE_COLUMNS)
    # what needs action first: overdue items (most days first), then open ones, closed (已销号) last; the query's
    # county / found-date order within each group
    order = sorted(range(len(df)), key=lambda i: (0, -days[i]) if days[i] is not None
                   else ((2, 0) if status[i] == RECT_CLOSED else (1, 0)))
    table = table.iloc[order]
    days = [days[i] for i in order]
    status = [status[i] for i in order]
    overdue = [d is not None for d in days]
    return ItemList(month=month, as_of=as_of, table=table.reset_index(drop=True),
                    codes=df[["item_code", "county_code", "site_code"]].iloc[order].reset_index(drop=True),
                    overdue=overdue,
                    total=len(df), n_overdue=sum(overdue), n_closed=sum(s == RECT_CLOSED for s in status))


def _iso(v) -> str:
    return v.isoformat() if isinstance(v, dt.date) else ""


def _require_item_scope(engine: Engine, scope: Scope, code: str) -> bool:
    """True when the item exists; OutOfScope when any of its versions belongs to a county outside `scope`."""
    counties = store.item_counties(engine, code)
    if counties and not all(scope.allows(c) for c in counties):
        raise OutOfScope("该整改问题")
    return bool(counties)


def get_item(engine: Engine, scope: Scope, month: str, code: str, *, today: dt.date | None = None) -> ItemView | None:
    """The item as of `month`; None when it was not yet recorded then (or does not exist); OutOfScope for an
    item of another county (nothing of it is returned)."""
    month = check_month(month)
    if not _require_item_scope(engine, scope, code):
        return None
    v = store.item(engine, code, month)
    if v is None:
        return None
    as_of = _as_of(month, today)
    status = _status_at(v["status"], v["closed_date"], as_of)
    site_name = dict(store.sites_of(engine, month, v["county_code"])).get(v["site_code"]) if v["site_code"] else None
    return ItemView(code=code, month=month, values={k: v[k] for k in ("code", *RECT_PAYLOAD)},
                    county_name=store.county_names(engine).get(v["county_code"], v["county_code"]),
                    site_name=site_name, status_at=status, overdue_days=_overdue_days(status, v["deadline"], as_of),
                    valid_from=v["valid_from"], note=v["note"], recorded_by=v["recorded_by"])


def item_history(engine: Engine, scope: Scope, code: str) -> pd.DataFrame:
    """Every recorded version of the item, oldest first: month, how (page or import), who, when, what changed
    (field: old → new) and the note. OutOfScope for another county's item."""
    _require_item_scope(engine, scope, code)
    h = store.history(engine, code)
    names = store.county_names(engine)
    rows, prev = [], None
    for v in h.to_dict("records"):
        how = f"台账导入（导入编号{v['import_id']}）" if v["import_id"] is not None else "页面登记"
        rows.append({"记录月份": v["valid_from"], "记录方式": how, "记录人": v["recorded_by"] or "—",
                     "记录时间": v["recorded_at"].strftime("%Y-%m-%d %H:%M") if v["recorded_at"] else "—",
                     "变更内容": _changes(prev, v, names), "说明": v["note"] or ""})
        prev = v
    return pd.DataFrame(rows, columns=HISTORY_COLUMNS)


def _shown(field: str, value, names: dict[str, str]) -> str:
    if value is None or value == "":
        return "—"
    if field == "county_code":
        return names.get(value, value)
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _changes(prev: dict | None, cur: dict, names: dict[str, str]) -> str:
    if prev is None:
        return "新增登记"
    diffs = [f"{LABELS[f]}：{_shown(f, prev[f], names)}→{_shown(f, cur[f], names)}"
             for f in RECT_PAYLOAD if prev[f] != cur[f]]
    return "；".join(diffs) or "无变化"


def filter_options(engine: Engine, scope: Scope, month: str) -> list[tuple[str, str]]:
    """(site_code, site_name) of the sites existing at `month` inside `scope` (the site filter's choices)."""
    return store.sites_of(engine, check_month(month), None if scope.is_city else scope.county_code)


# ------------------------------------------------------------------------------------------------ writing
def _allowed(user, what: str) -> None:
    if not roles.can(getattr(user, "role", None), roles.RECTIFY):
        raise NotAllowed(what)


def _date(v, label: str, problems: list[str]) -> dt.date | None:
    if v is None or v == "":
        return None
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    try:
        return dt.date.fromisoformat(str(v).strip())
    except ValueError:
        problems.append(f"{label}“{v}”不是有效日期（如 2026-10-12）")
        return None


def _validate(engine: Engine, scope: Scope, month: str, values: dict, today: dt.date) -> dict:
    """The values to record, checked; RectificationError naming every problem, OutOfScope for a county outside
    the scope."""
    p: list[str] = []
    v = dict(values)
    for f in ("description", "unit", "site_code"):
        v[f] = (str(v.get(f) or "")).strip() or None
    county = v.get("county_code")
    names = store.county_names(engine)
    if not county:
        p.append(f"未填写{LABELS['county_code']}")
    elif county not in names:
        p.append(f"{LABELS['county_code']}“{county}”不存在")
    else:
        scope.require(county, "所填县（市、区）的整改问题")
    if v["site_code"]:
        site_county = store.site_county(engine, v["site_code"], month)
        if site_county is None:
            p.append(f"{LABELS['site_code']}“{v['site_code']}”不存在")
        elif county and site_county != county:
            p.append(f"安置点“{v['site_code']}”不属于所填{LABELS['county_code']}")
    if v.get("source") not in RECT_SOURCES:
        p.append(f"{LABELS['source']}须为{'/'.join(RECT_SOURCES)}之一")
    if v.get("status") not in RECT_STATUSES:
        p.append(f"{LABELS['status']}须为{'/'.join(RECT_STATUSES)}之一")
    if not v["description"]:
        p.append(f"未填写{LABELS['description']}")
    if not v["unit"]:
        p.append(f"未填写{LABELS['unit']}")
    elif len(v["unit"]) > 128:
        p.append(f"{LABELS['unit']}超过128个字")
    found = v["found_date"] = _date(v.get("found_date"), LABELS["found_date"], p)
    deadline = v["deadline"] = _date(v.get("deadline"), LABELS["deadline"], p)
    closed = v["closed_date"] = _date(v.get("closed_date"), LABELS["closed_date"], p)
    end = period_end(month)
    if found is None and not any(LABELS["found_date"] in x for x in p):
        p.append(f"未填写{LABELS['found_date']}")
    elif found is not None and found > min(end, today):
        p.append(f"{LABELS['found_date']}{found.isoformat()}晚于" + (
            "今天" if today < end else f"所选月份（{month_label(month)}）的月末，请切换到发现当月登记"))
    if deadline is None and not any(LABELS["deadline"] in x for x in p):
        p.append(f"未填写{LABELS['deadline']}")
    elif deadline is not None and found is not None and deadline < found:
        p.append(f"{LABELS['deadline']}{deadline.isoformat()}早于{LABELS['found_date']}{found.isoformat()}")
    if v.get("status") == RECT_CLOSED:
        if closed is None and not any(LABELS["closed_date"] in x for x in p):
            p.append(f"整改状态为{RECT_CLOSED}时须填写{LABELS['closed_date']}")
        elif closed is not None:
            if closed > today:
                p.append(f"{LABELS['closed_date']}{closed.isoformat()}晚于今天，不能提前销号")
            elif closed > end:
                p.append(f"{LABELS['closed_date']}{closed.isoformat()}晚于所选月份（{month_label(month)}）的月末，"
                         "请切换到销号当月登记")
            if found is not None and closed < found:
                p.append(f"{LABELS['closed_date']}{closed.isoformat()}早于{LABELS['found_date']}{found.isoformat()}")
    elif closed is not None:
        v["closed_date"] = None               # reopened or never closed: no 销号日期
    if p:
        raise RectificationError(p)
    return {k: v.get(k) for k in ("code", *RECT_PAYLOAD)}


def _next_code(engine: Engine, county: str, found: dt.date) -> str:
    prefix = f"ZG{county}-{found:%Y%m}-"
    seqs = [int(c[len(prefix):]) for c in store.codes_like(engine, prefix) if c[len(prefix):].isdigit()]
    return f"{prefix}{max(seqs, default=0) + 1:03d}"


def _detail(verb: str, code: str, month: str, values: dict, note: str | None) -> str:
    return "；".join(x for x in (f"{verb}整改问题{code}", f"月份 {month}", f"整改状态 {values['status']}",
                                 note and f"说明：{note[:100]}") if x)


def create_item(engine: Engine, scope: Scope, user, month: str, *, county_code: str, source: str, description: str,
                unit: str, found_date, deadline, site_code: str | None = None, status: str = RECT_OPEN,
                closed_date=None, note: str | None = None, code: str | None = None,
                today: dt.date | None = None) -> str:
    """Record a new item as of `month` (its first version); returns its code (generated when not given:
    ZG<county>-<YYYYMM of the found date>-<seq>). RectificationError / OutOfScope / NotAllowed (Chinese)."""
    _allowed(user, "登记整改问题")
    month = check_month(month)
    today = today or dt.date.today()
    code = (code or "").strip() or None
    p: list[str] = []
    if code is not None and not _CODE.match(code):
        p.append(f"{LABELS['code']}“{code}”只能由字母、数字、- 和 _ 组成，且不超过32个字符")
    elif code is not None and store.item_counties(engine, code):
        p.append(f"{LABELS['code']}“{code}”已存在，请修改该问题或另取编号")
    values = _validate(engine, scope, month, dict(code=code, county_code=county_code, site_code=site_code,
                                                    source=source, description=description, unit=unit,
                                                    found_date=found_date, deadline=deadline, status=status,
                                                    closed_date=closed_date), today)
    if p:
        raise RectificationError(p)
    if status == RECT_CLOSED and not (note or "").strip():
        raise RectificationError([f"登记为{RECT_CLOSED}的问题须填写销号说明"])
    values["code"] = code or _next_code(engine, values["county_code"], values["found_date"])
    try:
        store.write(engine, month, values, user=user.username, note=(note or "").strip() or None,
                    detail=_detail("新增", values["code"], month, values, note))
    except store.ConcurrentWrite:
        raise RectificationError([f"{LABELS['code']}“{values['code']}”刚被他人登记，请刷新后重试"]) from None
    return values["code"]


def _current(engine: Engine, scope: Scope, month: str, code: str) -> dict:
    if not _require_item_scope(engine, scope, code):
        raise RectificationError([f"{LABELS['code']}“{code}”不存在"])
    cur = store.item(engine, code, month)
    if cur is None:
        raise RectificationError([f"问题“{code}”在所选月份（{month_label(month)}）尚未登记，"
                                  "请切换到登记当月或之后的月份"])
    return {k: cur[k] for k in ("code", *RECT_PAYLOAD)}


def edit_item(engine: Engine, scope: Scope, user, month: str, code: str, *, note: str | None = None,
              today: dt.date | None = None, **changes) -> bool:
    """Record the item with `changes` (any of RECT_PAYLOAD but the code) as its version of `month`; the state of
    earlier months is untouched. False when nothing changed. Closing through here needs the same 销号日期 and note
    as close_item."""
    _allowed(user, "修改整改问题")
    month = check_month(month)
    unknown = set(changes) - set(RECT_PAYLOAD)
    if unknown:
        raise RectificationError([f"不能修改的字段：{'、'.join(sorted(unknown))}"])
    cur = _current(engine, scope, month, code)
    values = _validate(engine, scope, month, {**cur, **changes}, today or dt.date.today())
    if values["status"] == RECT_CLOSED and cur["status"] != RECT_CLOSED and not (note or "").strip():
        raise RectificationError(["销号须填写销号说明"])
    verb = "销号" if values["status"] == RECT_CLOSED and cur["status"] != RECT_CLOSED else "修改"
    try:
        return store.write(engine, month, values, user=user.username, note=(note or "").strip() or None,
                           detail=_detail(verb, code, month, values, note))
    except store.ConcurrentWrite:
        raise RectificationError([CONCURRENT_EDIT]) from None


def close_item(engine: Engine, scope: Scope, user, month: str, code: str, *, closed_date, note: str,
               today: dt.date | None = None) -> bool:
    """销号: the item becomes 已销号 from `month` with its 销号日期 (required, not in the future, not after the month's
    end) and a note (required)."""
    _allowed(user, "销号整改问题")
    p: list[str] = []
    if closed_date is None or closed_date == "":
        p.append(f"销号须填写{LABELS['closed_date']}")
    if not (note or "").strip():
        p.append("销号须填写销号说明")
    if p:
        raise RectificationError(p)
    return edit_item(engine, scope, user, month, code, note=note, today=today, status=RECT_CLOSED,
                     closed_date=closed_date)


# ------------------------------------------------------------------------------------------------ export
def export_items(engine: Engine, scope: Scope, user, month: str, filt: ItemFilter | None, fmt: str, *,
                 city_name: str = "", today: dt.date | None = None) -> bytes:
    """The filtered table (as the page shows it) as .xlsx or .csv, audited before it is handed over."""
    lst = list_items(engine, scope, month, filt, today=today)
    desc = (filt or ItemFilter()).describe(store.county_names(engine))
    if fmt == "csv":
        data = rectification_csv(lst.table)
    else:
        data = rectification_workbook(lst.table, title=f"{city_name}问题整改台账（{month_label(month)}）",
                                      subtitle=f"统计日期：{lst.as_of.isoformat()}　筛选：{desc}　共{lst.total}项，"
                                               f"逾期{lst.n_overdue}项，已销号{lst.n_closed}项",
                                      overdue=lst.overdue)
    audit.record(engine, user=user.username, action=audit.EXPORT,
                 detail=audit.export_detail("问题整改台账" + ("CSV" if fmt == "csv" else "Excel"), month,
                                            f"{desc}；{lst.total}项"))
    return data


__all__ = ["HISTORY_COLUMNS", "ItemFilter", "ItemList", "ItemView", "LABELS", "NotAllowed", "RectificationError",
           "TABLE_COLUMNS", "close_item", "create_item", "edit_item", "export_items", "filter_options", "get_item",
           "item_history", "list_items"]
