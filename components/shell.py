"""The app's frame: page config, database readiness, sign-in, navigation, month selector, banners, errors.

Routing design (Streamlit 1.67): the app uses the *legacy* multipage router — app.py is the start page (总览) and
every file in pages/ is a page whose URL is its file name (/ranking, /map, ...). Each page calls
``shell.page(...)`` first, which calls ``st.set_page_config(layout="wide")`` before anything else, so a deep link
opened on a freshly started server renders the requested page in the app's own frame and wide layout.
(``st.navigation`` is deliberately not used: combined with a folder named pages/ it routes the first deep link of
a fresh server through the legacy router without the app's frame; see tests/ui/test_browser.py.)
Streamlit's own page list is hidden (.streamlit/config.toml) and replaced by Chinese links filtered by role.
"""
from __future__ import annotations

import base64
import contextlib
import html
import logging
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from components import auth, cache, figures, fmt, grid, routing, serving, widgets
from components.maps import COUNTY_LAYER, SITE_LAYER
from domain import roles
from domain.calendar import period_end
from services.errors import user_message

log = logging.getLogger("dashboard.ui")

# as a data URL, read once: given a file, st.set_page_config opens and decodes the PNG on every run of every page
FAVICON = "data:image/png;base64," + base64.b64encode(
    (Path(__file__).resolve().parent.parent / "static" / "favicon.png").read_bytes()).decode("ascii")

# (script, label, icon); the action each page needs is declared in domain.roles.PAGE_ACTIONS
PAGES = [
    ("app.py", "总览", ":material/dashboard:"),
    ("pages/wall.py", "数据大屏", ":material/tv:"),
    ("pages/ranking.py", "安置点排名", ":material/format_list_numbered:"),
    ("pages/map.py", "地图", ":material/map:"),
    ("pages/site.py", "安置点画像", ":material/home_work:"),
    ("pages/county.py", "县区画像", ":material/account_balance:"),
    ("pages/circular.py", "月度通报", ":material/campaign:"),
    ("pages/followup.py", "跟进落实", ":material/event_available:"),
    ("pages/gaps.py", "权益缺口", ":material/assignment_late:"),
    ("pages/rights.py", "权益保障", ":material/grid_on:"),
    ("pages/household.py", "一户一档", ":material/family_restroom:"),
    ("pages/rectification.py", "问题整改台账", ":material/task_alt:"),
    ("pages/employment.py", "就业帮扶", ":material/work:"),
    ("pages/organisation.py", "组织建设", ":material/account_tree:"),
    ("pages/upload.py", "数据导入", ":material/upload_file:"),
    ("pages/accounts.py", "账号管理", ":material/manage_accounts:"),
    ("pages/audit.py", "审计日志", ":material/history:"),
]

BASE_CSS = """
<style>
/* Streamlit adds its own fullscreen button to plotly's toolbar, outside plotly's locale: its tooltip in Chinese */
.modebar-btn[data-title="Fullscreen"]::after { content: "全屏显示" !important; }
.modebar-btn[data-title="Exit fullscreen"]::after, .modebar-btn[data-title="Close fullscreen"]::after {
  content: "退出全屏" !important; }
/* st.file_uploader has no API for its button and instructions, which Streamlit writes in English */
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p { font-size: 0; }
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after {
  content: "选择文件"; font-size: .9rem; }
[data-testid="stFileUploaderDropzoneInstructions"] span { font-size: 0; }
[data-testid="stFileUploaderDropzoneInstructions"] span::after {
  content: "或将文件拖放到此处（单个文件不超过50MB，仅限 .xlsx）"; font-size: .85rem; }
[data-testid="stMainBlockContainer"] { padding: 1rem 2rem 2rem 2rem; }
[data-testid="stSidebarHeader"] { height: 0.5rem; min-height: 0.5rem; padding: 0; }
[data-testid="stSidebarUserContent"] { padding-top: 0.5rem; }
.dash-title { display:flex; align-items:baseline; gap:1rem; flex-wrap:wrap; margin: 0 0 .4rem 0; }
.dash-title h1 { font-size: 1.65rem; margin: 0; padding: 0; font-weight: 700; color: #1f2d3d; }
.dash-title .asof { color: #607D8B; font-size: .92rem; }
.demo-banner { background: repeating-linear-gradient(135deg,#FFF8E1,#FFF8E1 12px,#FFF3CD 12px,#FFF3CD 24px);
  border: 1px solid #F0C36D; color: #7A5200; border-radius: 6px; padding: .35rem .8rem; font-size: .9rem;
  margin-bottom: .6rem; }
.demo-banner b { color: #B25E00; }
.brand { font-weight: 700; font-size: 1.05rem; color: #B22222; line-height: 1.35; margin-bottom: .2rem; }
.brand small { display:block; color:#607D8B; font-weight: 400; font-size: .78rem; }
.tiles { display: grid; gap: 1rem; margin-bottom: .2rem; }
@media (max-width: 640px) { .tiles { grid-template-columns: 1fr !important; } }
.kpi { border: 1px solid #E3E8EF; border-radius: 8px; padding: .5rem .8rem; background: #FFFFFF; }
.kpi.full { min-height: 130px; }
.kpi .lab { color: #546E7A; font-size: .86rem; }
.kpi .val { font-size: 1.75rem; font-weight: 700; color: #1f2d3d; line-height: 1.25; white-space: nowrap; }
.kpi .val small { font-size: .95rem; font-weight: 500; color: #546E7A; margin-left: .15rem; }
.kpi .sub { font-size: .8rem; color: #78909C; line-height: 1.3; overflow: hidden; display: -webkit-box;
  -webkit-line-clamp: 2; -webkit-box-orient: vertical; }
.kpi .dl { font-size: .82rem; }
.sites { width: 100%; border-collapse: collapse; font-size: .9rem; table-layout: fixed; }
.sites td, .sites th { padding: .28rem .25rem; border-bottom: 1px solid #ECEFF1; white-space: nowrap;
  overflow: hidden; text-overflow: ellipsis; }
.sites th:nth-child(1) { width: 2.1rem; } .sites th:nth-child(3) { width: 3.3rem; }
.sites th:nth-child(4) { width: 3.2rem; } .sites th:nth-child(5) { width: 5.1rem; }
.sites td.name { white-space: normal; overflow-wrap: anywhere; line-height: 1.3; }
.sites .veto-tag { display:inline-block; margin-left:.3rem; padding:0 .3rem; border-radius:3px; font-size:.72rem;
  color:#fff; background:#C62828; line-height:1.4; vertical-align: middle; }
.sites th { color: #607D8B; font-weight: 500; text-align: left; font-size: .8rem; }
.sites td.num { text-align: right; font-variant-numeric: tabular-nums; }
.sites a { color: #1f2d3d; text-decoration: none; } .sites a:hover { color: #B22222; text-decoration: underline; }
.kpi .up { color: #1B7F3B; } .kpi .down { color: #C62828; } .kpi .flat { color: #78909C; }
.chip { display:inline-block; padding: 0 .45rem; border-radius: 10px; color: #fff; font-size: .8rem;
  margin-right: .25rem; line-height: 1.5; }
.flagcard { border-left: 4px solid #E65100; background: #FFF7F0; padding: .4rem .7rem; margin-bottom: .4rem;
  border-radius: 4px; font-size: .9rem; }
.flagcard b { color: #1f2d3d; }
.legend span { display:inline-flex; align-items:center; margin-right: .9rem; font-size: .85rem; color:#37474F; }
.legend i { width: 12px; height: 12px; border-radius: 50%; display:inline-block; margin-right: .3rem; }
.legend i.sq { border-radius: 2px; }
</style>
"""


@dataclass
class Ctx:
    engine: object
    user: auth.User
    month: str
    months: list[str]
    demo: bool
    counties: list[tuple[str, str]]     # (code, name), in official order

    @property
    def scope_county(self) -> str | None:
        """County a 县级填报员 is limited to (None = all)."""
        return self.user.county_code if self.user.county_only else None

    def allowed_counties(self) -> list[tuple[str, str]]:
        c = self.scope_county
        return [x for x in self.counties if c is None or x[0] == c]


@contextlib.contextmanager
def guard(what: str = "页面"):
    """Show a Chinese error instead of a traceback (Streamlit's control-flow exceptions pass through)."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - the user must never see a traceback
        log.exception("error in %s", what)
        st.error(f"{what}加载时出错：{user_message(exc)}。请刷新页面重试；如仍有问题，请联系系统管理员。",
                 icon=":material/error:")


def page(title: str, script: str, *, wall: bool = False, month_selector: bool = True,
         needs_data: bool = True) -> Ctx | None:
    """Set up a page. Returns the context, or None when the page must not render (login shown / no data)."""
    st.set_page_config(page_title=f"{title} · 易地搬迁后续扶持", page_icon=FAVICON,
                       layout="wide", initial_sidebar_state="collapsed" if wall else "auto")
    st.html(BASE_CSS)
    routing.install()       # the page list read once per process, not on every run (components/routing.py)
    grid.install()          # shared tables converted for the browser once, not on every view (components/grid.py)
    figures.install()       # and shared charts (components/figures.py)
    serving.install()       # one event-loop wake-up per batch of messages (components/serving.py)
    try:
        engine = cache.engine()
        if not cache.ready(engine):
            return None
        cache.pin_fingerprint(engine)      # one data version for the whole run
        demo = cache.is_demo(engine)
        counties = cache.county_list(engine)
    except Exception as exc:  # noqa: BLE001
        log.exception("database not available")
        st.error(f"无法连接数据库：{user_message(exc)}。请联系系统管理员。", icon=":material/error:")
        return None

    if demo and not auth.demo_allowed():
        st.error(auth.DEMO_LOCAL_ONLY, icon=":material/lock:")
        return None
    user = auth.current_user(engine, demo, counties)
    if user is None:
        auth.login_form(engine)
        return None

    months = cache.months(engine)
    month = _month_from_state(months)
    _sidebar(engine, user, demo, counties, months, month_selector, current=script)
    month = st.session_state.get("month") or month
    if demo and not wall:
        st.html('<div class="demo-banner"><b>演示数据</b>　当前连接的是演示数据库，所有人员、数据均为模拟生成，'
                '仅用于功能演示，不代表真实情况。</div>')
    if not user.can(roles.page_action(script)):
        names = roles.roles_with(roles.page_action(script))
        hint = (f"演示模式下可在左侧“演示角色”中切换为{'或'.join(names)}后使用。" if demo
                else f"该功能仅限{'、'.join(names)}使用，如需权限请联系系统管理员。")
        st.warning(f"当前角色（{user.role}）无权使用“{title}”功能。{hint}", icon=":material/lock:")
        return None
    if not months and needs_data:
        st.info("数据库中还没有任何月份的台账数据。请县级填报员通过“数据导入”上传月度台账。", icon=":material/info:")
        return None
    return Ctx(engine=engine, user=user, month=month, months=months, demo=demo, counties=counties)


def _month_from_state(months: list[str]) -> str | None:
    if not months:
        return None
    qp = st.query_params.get("month")
    if qp in months and st.session_state.get("_month_qp") != qp:
        st.session_state["month"] = qp
        st.session_state["_month_qp"] = qp
    if st.session_state.get("month") not in months:
        st.session_state["month"] = months[-1]
    if st.query_params.get("month") != st.session_state["month"]:
        # the URL always names the month shown (links copied from the address bar keep it)
        st.query_params["month"] = st.session_state["month"]
        st.session_state["_month_qp"] = st.session_state["month"]
    return st.session_state["month"]


def _on_month_change():
    st.session_state["month"] = st.session_state["_month_widget"]
    st.session_state["_month_qp"] = st.session_state["month"]
    st.query_params["month"] = st.session_state["month"]


_MENU_PAGES: dict[tuple[str, str], st.Page] = {}


def _menu_page(script: str) -> st.Page:
    """The st.Page of a menu entry, made once per process. st.page_link given a file name resolves it on the disk
    (realpath, stat) every time: sixteen links on every run of every session were about a tenth of the server's
    samples under load. The page object is the one Streamlit registers for that file (same URL path and file)."""
    run = get_script_run_ctx()
    where = str(run.pages_manager.main_script_parent) if run else ""
    page = _MENU_PAGES.get((where, script))
    if page is None:
        page = _MENU_PAGES[(where, script)] = st.Page(script, default=script == "app.py")
    return page


def _sidebar(engine, user, demo, counties, months, month_selector: bool, current: str) -> None:
    with st.sidebar:
        st.html('<div class="brand">易地搬迁后续扶持<br>监测督导平台<small>五好社区创建 · 月度监测</small></div>')
        if months and month_selector:
            opts = list(reversed(months))
            st.session_state["_month_widget"] = st.session_state.get("month", opts[0])
            st.selectbox("统计月份", opts, key="_month_widget", format_func=fmt.month_cn, on_change=_on_month_change,
                         help="所有页面按所选月份显示；历史月份可随时回看")
        if demo:
            # near the top: with the full menu below it, a switcher at the foot of the sidebar sits at the bottom
            # edge of a 1366×768 screen, where its list cannot open
            auth.demo_switcher(counties)
        for script, label, icon in PAGES:
            if not user.can(roles.page_action(script)):
                continue
            # every menu link carries the month, so the URL after navigation still says which month is shown
            st.page_link(_menu_page(script), label=label, icon=icon,
                         query_params={"month": st.session_state["month"]} if st.session_state.get("month") else None)
        st.divider()
        scope = f"（{user.county_name}）" if user.county_only and user.county_name else ""
        st.caption(f"当前用户：{user.display_name} · {user.role}{scope}")
        if not demo:
            auth.account_menu(engine, user)


def title(text: str, ctx: Ctx | None = None, extra: str = "") -> None:
    """Page title with the 数据截至 date of the selected month."""
    asof = ""
    if ctx is not None and ctx.month:
        asof = f"统计月份：{fmt.month_cn(ctx.month)}　数据截至：{fmt.date_cn(period_end(ctx.month))}"
    # the title is often data (a site's or county's name): escaped, so markup in a name shows as text
    st.html(f'<div class="dash-title"><h1>{html.escape(text)}</h1>'
            f'<span class="asof">{html.escape(asof)}{html.escape(extra)}</span></div>')


def forward_deep_links(ctx: Ctx) -> None:
    """/?site=X or /?county=X on the start page open the site / county profile."""
    qp = st.query_params
    keep = {"month": ctx.month}
    if qp.get("site"):
        st.switch_page("pages/site.py", query_params={**keep, "site": qp["site"]})
    if qp.get("county"):
        st.switch_page("pages/county.py", query_params={**keep, "county": qp["county"]})


def open_selection(ctx: Ctx, event) -> None:
    """Map click: a site opens its profile, a county its county profile (via query params)."""
    try:
        objs = (event.selection or {}).get("objects", {}) if event is not None else {}
    except AttributeError:
        objs = {}
    site = (objs.get(SITE_LAYER) or [None])[0]
    if site and site.get("site_code"):
        st.switch_page("pages/site.py", query_params={"month": ctx.month, "site": site["site_code"]})
    county = (objs.get(COUNTY_LAYER) or [None])[0]
    if county:
        code = (county.get("properties") or {}).get("county_code") or county.get("county_code")
        if code:
            st.switch_page("pages/county.py", query_params={"month": ctx.month, "county": code})


def _pick(param: str, options: list[tuple[str, str]], label: str, not_found: str) -> str | None:
    """A chooser bound to the query parameter `param` (deep links), limited to `options` [(code, name)]."""
    if not options:
        return None
    codes = [c for c, _ in options]
    key, seen = f"{param}_pick", f"_{param}_qp"
    qp = st.query_params.get(param)
    if not qp:          # back from another page (the menu's links carry only the month): the last choice again
        widgets.restore(key, lambda c: c in codes)
        if st.session_state.get(key) in codes:
            st.query_params[param] = qp = st.session_state[key]
            st.session_state[seen] = qp
    if qp in codes and st.session_state.get(seen) != qp:
        st.session_state[key] = qp
        st.session_state[seen] = qp
    elif qp and qp not in codes and st.session_state.get(seen) != qp:
        st.session_state[seen] = qp
        st.warning(not_found, icon=":material/warning:")
    if st.session_state.get(key) not in codes:
        st.session_state[key] = codes[0]

    def changed():
        st.query_params[param] = st.session_state[key]
        st.session_state[seen] = st.session_state[key]

    c, _ = st.columns([2, 3])
    with c:
        st.selectbox(label, codes, key=key, format_func=dict(options).get, on_change=changed)
    widgets.keep(key)
    return st.session_state[key]


def pick_site(ctx: Ctx) -> str | None:
    """Site chooser bound to ?site= (deep link) and limited to the user's county."""
    return _pick("site", cache.site_options(ctx.engine, ctx.scope_county), "选择安置点",
                 "链接中的安置点不存在或不在您的权限范围内，已显示第一个安置点。")


def pick_county(ctx: Ctx) -> str | None:
    """County chooser bound to ?county=; a 县级填报员 only gets their own county."""
    return _pick("county", ctx.allowed_counties(), "选择县（市、区）",
                 "链接中的县（市、区）不存在或不在您的权限范围内。")
