"""Site and county profile sections (rendering only; data from services.profiles via components.cache)."""
from __future__ import annotations

import html

import pandas as pd
import streamlit as st

from components import cache, fmt, links, place, theme, widgets
from domain import roles
from data.rights import GapFilter
from domain.scope import OutOfScope, Scope
from scoring.progress import whole_sites
from services.flags import CountyFlag
from services.profiles import CountyProfile, SiteProfile, check_county, check_household, check_site

SCOPE_HINT = "您只能查看本县（市、区）的数据。如需查看其他县（市、区），请联系系统管理员。"


def scope_gate(ctx, scope: Scope) -> bool:
    """A deep link (?site=, ?county=, ?household=) outside the user's scope: shows a Chinese message and returns
    True (the page then renders nothing else). The services refuse such requests as well (OutOfScope)."""
    qp = st.query_params
    try:
        if qp.get("county"):
            check_county(qp["county"], scope)
        if qp.get("site"):
            check_site(ctx.engine, qp["site"], scope)
        if qp.get("household"):
            check_household(ctx.engine, ctx.month, qp["household"], scope)
    except OutOfScope as exc:
        st.error(f"{exc}。{SCOPE_HINT}", icon=":material/lock:")
        return True
    return False


def _fact(label: str, value: str) -> str:
    return (f'<div class="kpi"><div class="lab">{html.escape(label)}</div>'
            f'<div class="val" style="font-size:1.25rem">{value}</div></div>')


def site_header(p: SiteProfile) -> None:
    s = p.site
    interval = ("—" if fmt.is_missing(s.get("rank_p05")) else fmt.fmt_range(s.get("rank_p05"), s.get("rank_p95")))
    prob = "—" if fmt.is_missing(s.get("qualified_prob")) else fmt.fmt_pct(100 * float(s["qualified_prob"]), 0)
    st.html(
        f'<div style="color:#455A64;font-size:.95rem;margin-bottom:.5rem">{html.escape(str(s["county_name"]))} · '
        f'{html.escape(str(s.get("town") or ""))} · {html.escape(str(s["site_type"]))} · {s["size_class"]} · '
        f'搬迁 {fmt.fmt_int(s.get("households"))} 户 {fmt.fmt_people(s["population"])} · '
        f'创建批次 {fmt.fmt_int(s.get("batch_year"))}年 · 数据完整度 {fmt.fmt_pct(100 * float(s["completeness"]), 0)}'
        + (f'（缺报：{html.escape(s["missing_codes"])}）' if s.get("missing_codes") else "") + "</div>")
    if p.why_not:
        st.html(f'<div class="flagcard" style="border-left-color:{theme.GRADE_COLORS["不合格"]}"><b>未达标原因：</b>'
                + html.escape("；".join(p.why_not)) + "</div>")
    facts = [
        ("总分", f'{fmt.fmt_num(s["total"], 2)}<small>分</small>'),
        ("等次", widgets.grade_chip(s["grade"]).replace("font-size:.8rem", "")),
        ("五好达标", ("<span style='color:%s'>✓ 达标</span>" % theme.QUALIFIED_COLORS[True]) if s["qualified"]
         else ("<span style='color:%s'>✗ 未达标</span>" % theme.QUALIFIED_COLORS[False])),
        (place.local("全市排名"), f'第{fmt.fmt_int(s["rank"])}名'
                     f'<small>/{p.n_sites} {fmt.fmt_rank_delta(s.get("delta_rank"))}</small>'),
        ("同类排名", f'第{fmt.fmt_int(s["class_rank"])}名<small>（{s["size_class"]}）</small>'),
        ("排名区间 · 达标概率", f'{interval}<small>名 · {prob}</small>'),
    ]
    widgets.tiles([_fact(lab, val) for lab, val in facts])


def household_link(ctx, site: str) -> None:
    """The site's households: its rights-gap list (one household per row, each a link to that household)."""
    if ctx.user.can(roles.page_action("pages/gaps.py")):
        st.page_link("pages/gaps.py", label="查看本安置点搬迁户权益缺口清单", icon=":material/groups:",
                     query_params={"month": ctx.month, "site": site})


def site_households(ctx, site: str, scope: Scope) -> None:
    """The site's households with a rights gap this month (in household-code order, the first HOUSEHOLDS_SHOWN),
    each linked (same tab) to its 一户一档 with the month kept. Prepared once per site, month and scope."""
    if not ctx.user.can(roles.page_action("pages/household.py")):
        return
    heading, table = cache.prepared(ctx.engine, ctx.month, scope, "site.gap_households", (site, ctx.scope_county),
                                    lambda: _gap_households(ctx, site, scope))
    if table:
        st.markdown(heading)
        st.html(table)
    else:
        st.caption("本月本安置点没有权益未落实的搬迁户。")


def _gap_households(ctx, site: str, scope: Scope) -> tuple[str, str]:
    f = GapFilter(county=ctx.scope_county, sites=(site,))
    total = cache.gap_summary(ctx.engine, ctx.month, scope, f).households
    # one page of gap rows (household-code order) holds the first households' gaps whole (≤ 15 items each)
    df = cache.gap_page(ctx.engine, ctx.month, scope, f, 0)
    if not total or df.empty:
        return "", ""
    per = (df.groupby(["户编码", "户主"], sort=False)
             .agg(缺口=("事项", "size"), 事项=("事项", lambda s: "、".join(dict.fromkeys(s))),
                  责任方=("责任方", lambda s: "、".join(sorted(set(s)))))
             .reset_index())
    shown = per.head(HOUSEHOLDS_SHOWN)
    rows = []
    for r in shown.itertuples(index=False):
        href = html.escape(links.household_url(r.户编码, ctx.month).split("#")[0])
        items = html.escape(r.事项)
        rows.append(f'<tr><td><a href="{href}" target="_self">{html.escape(str(r.户编码))}</a></td>'
                    f'<td>{html.escape(str(r.户主))}</td><td class="num">{r.缺口}</td>'
                    f'<td title="{items}">{items}</td><td>{html.escape(r.责任方)}</td></tr>')
    more = f"，列出前{len(shown)}户，全部见权益缺口清单" if total > len(shown) else ""
    heading = f"##### 存在权益缺口的搬迁户（{total}户{more}，点击户编码查看一户一档）"
    return heading, (HOUSEHOLD_CSS + '<table class="hh"><tr><th>户编码</th><th>户主</th><th class="num">缺口</th>'
                     '<th>缺口事项</th><th>责任方</th></tr>' + "".join(rows) + "</table>")


HOUSEHOLDS_SHOWN = 10
HOUSEHOLD_CSS = """<style>
.hh { width: 100%; border-collapse: collapse; font-size: .9rem; table-layout: fixed; }
.hh td, .hh th { padding: .28rem .4rem; border-bottom: 1px solid #ECEFF1; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; text-align: left; }
.hh th { color: #607D8B; font-weight: 500; font-size: .8rem; }
.hh th:nth-child(1) { width: 9rem; } .hh th:nth-child(2) { width: 6rem; } .hh th:nth-child(3) { width: 3.5rem; }
.hh th:nth-child(5) { width: 8rem; } .hh .num { text-align: right; }
.hh a { color: #1565C0; text-decoration: none; } .hh a:hover { text-decoration: underline; }
</style>"""


def indicator_section(p: SiteProfile) -> None:
    lost = p.lost
    st.markdown("##### 失分指标（按失分从多到少）")
    if lost.empty:
        st.success("本月各项指标均得满分。", icon=":material/check_circle:")
    else:
        top = "；".join(f"{r.指标}失{fmt.fmt_num(r.失分, 1)}分" for r in lost.head(3).itertuples())
        st.caption(f"主要失分：{top}。“满分所需值”为该指标得满分应达到的数值。")
    with st.expander("全部22项指标得分明细", expanded=not lost.empty and len(lost) <= 8):
        st.dataframe(p.indicators, hide_index=True, width="stretch", key="ind_all",
                     column_config={"得分": st.column_config.ProgressColumn("得分", format="%.2f", min_value=0,
                                                                           max_value=6),
                                    "失分": st.column_config.NumberColumn(format="%.2f"),
                                    "计分规则": st.column_config.TextColumn(width="large")})
    if not lost.empty:
        st.dataframe(lost[["维度", "指标", "本月值", "得分", "满分", "失分", "满分所需值", "状态"]], hide_index=True,
                     width="stretch", key="ind_lost",
                     column_config={"失分": st.column_config.NumberColumn(format="%.2f"),
                                    "得分": st.column_config.NumberColumn(format="%.2f")})


def rights_section(p: SiteProfile) -> None:
    r = p.rights
    low = r[r["落实率"] < 100]
    st.caption(f"共15项权益事项；落实率＝已落实÷（应落实户数，不含不适用），未核实（漏项）计为未落实。"
               f"{len(low)}项未全部落实。")
    st.dataframe(r, hide_index=True, width="stretch", key="rights", height=38 + 35 * len(r),
                 column_config={"落实率": st.column_config.ProgressColumn("落实率", format="%.1f%%", min_value=0,
                                                                        max_value=100)})


def employment_section(p: SiteProfile) -> None:
    e = p.employment
    vals = [("搬迁户（台账）", fmt.fmt_int(e.households, "户")), ("劳动力", fmt.fmt_int(e.labour, "人")),
            ("就业率", fmt.fmt_pct(e.employment_rate)), ("参训率", fmt.fmt_pct(e.training_rate)),
            ("持证率", fmt.fmt_pct(e.certified_rate)), ("零就业家庭", fmt.fmt_int(e.zero_emp, "户"))]
    widgets.tiles([_fact(lab, v) for lab, v in vals])
    a, b = st.columns([1, 1])
    with a:
        st.caption("已就业劳动力的就业形式")
        st.dataframe(e.forms, hide_index=True, width="stretch", key="forms")
    with b:
        st.caption("收入")
        st.markdown(f"- 人均纯收入同比增长：**{fmt.fmt_pct(e.income_growth)}**\n"
                    f"- 劳动力平均月收入：**{fmt.fmt_num(e.avg_income, 0)} 元**")


def organisation_section(p: SiteProfile) -> None:
    o = p.organisation
    if not o.reported:
        st.warning("本月未报送组织建设情况（双五级与服务平台）。", icon=":material/warning:")
        return
    a, b = st.columns([1, 2])
    with a:
        st.caption("三个服务平台")
        st.dataframe(o.platforms, hide_index=True, width="stretch", key="platforms")
    with b:
        st.caption(f"双五级岗位（健全率 {fmt.fmt_pct(o.complete_rate)}）")
        st.dataframe(o.posts, hide_index=True, width="stretch", key="posts")


def rectification_section(rect: pd.DataFrame, month: str) -> None:
    """The items of a site or county; each 编号 opens the item on the 问题整改台账 page (same tab, month kept)."""
    if rect.empty:
        st.info("暂无问题整改事项。", icon=":material/info:")
        return
    n_over = int((rect["是否逾期"] == "逾期").sum())
    st.caption(f"共{len(rect)}项，未销号{int((rect['状态'] != '已销号').sum())}项，逾期{n_over}项。"
               "点击编号在问题整改台账中查看、修改或销号。")
    # 问题描述 and 责任单位 wrap (a data grid cut them off at 1366 px)
    widgets.text_table(rect, wrap=("问题描述", "责任单位"), max_height=460,
                       styles={"是否逾期": lambda v: "color:#C62828;font-weight:600" if v == "逾期" else ""},
                       hrefs={"编号": lambda code: links.rectification_url(code, month)})


def county_header(p: CountyProfile) -> None:
    c = p.county
    level = c["level"]
    st.html(f'<div style="margin-bottom:.4rem">{widgets.flag_chip(level)}'
            f'<span style="color:#455A64">县均得分{place.whole_city()}第{fmt.fmt_int(c["rank"])}名'
            f'（共{p.n_counties}个县区）</span></div>')
    if c["flagged"]:
        widgets.flag_cards([CountyFlag(county_code=c["county_code"], county_name=c["county_name"], level=level,
                                       reasons=list(c["reasons"]), consecutive=int(c.get("consecutive", 0)))])
    vals = [("安置点", f'{int(c["sites"])}<small>个</small>'), ("搬迁人口", fmt.fmt_people(c["population"])),
            ("五好达标 / 序时进度", f'{int(c["qualified"])}<small> / {whole_sites(c["expected"])}个</small>'),
            ("县均得分", f'{fmt.fmt_num(c["score"], 2)}'
                         f'<small> {theme.change_word(c.get("delta_score"), 2)}</small>'),
            ("就业率", fmt.fmt_pct(c["employment_rate"])),
            ("整改逾期", f'{int(c["overdue"])}<small>项</small>')]
    widgets.tiles([_fact(lab, v) for lab, v in vals])


def flag_history(fh: pd.DataFrame) -> None:
    show = pd.DataFrame({"月份": fh["month"].map(fmt.month_cn), "达标": fh["qualified"],
                         "序时进度": fh["expected"].map(whole_sites),
                         "是否滞后": fh["flagged"].map({True: "进度滞后", False: "正常"}),
                         "原因": fh["reasons"].map(place.local).replace("", "—")}).iloc[::-1]
    # 原因 wraps (a data grid cut it off at 1366 px); twelve months scroll inside the chart's height
    widgets.text_table(show, wrap=("原因",), max_height=300,
                       styles={"是否滞后": lambda v: f"color:{theme.FLAG_COLORS['进度滞后']};font-weight:600"
                               if v == "进度滞后" else ""})
