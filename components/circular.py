"""Streamlit pieces of the 月度通报 page: issue-number chooser, preview, audited downloads, 印发, issued list.

The draft (CircularData) is kept in a small bounded cache keyed like components/cache.py (database key, data
fingerprint, month, issue number, day); the Excel/Word files are produced only when a download is clicked
(deferred download data), and every download is written to the audit log.
"""
from __future__ import annotations

import datetime as dt
import html

import streamlit as st

from components import cache, export_links, widgets
from domain import roles
from domain.designation import change_text
from domain.scope import Scope
from services import circular as circ
from services import followup

XLSX_MIME = circ.KINDS["xlsx"].mime
DOCX_MIME = circ.KINDS["docx"].mime

CSS = """<style>
.circ-head { border: 1px solid #E3E8EF; border-top: 4px solid #C00000; border-radius: 6px; padding: .7rem 1rem;
  background: #fff; margin-bottom: .6rem; }
.circ-head h2 { font-size: 1.25rem; margin: 0 0 .35rem 0; padding: 0; color: #1f2d3d; text-align: center; }
.circ-head .iss { display: flex; justify-content: space-between; color: #37474F; font-size: .92rem;
  border-bottom: 2px solid #C00000; padding-bottom: .25rem; }
.circ-head .meta { text-align: center; color: #607D8B; font-size: .85rem; margin-top: .3rem; }
.circ-head .meta.demo { color: #C00000; }
.circ-tot { display: grid; grid-template-columns: repeat(5, minmax(0, 1fr)); gap: .45rem; margin: .3rem 0 .6rem 0; }
.circ-tot > div { border: 1px solid #E3E8EF; border-radius: 6px; padding: .35rem .6rem; background: #FAFBFC; }
.circ-tot .l { color: #546E7A; font-size: .8rem; }
.circ-tot .v { color: #1f2d3d; font-size: 1.05rem; font-weight: 600; line-height: 1.35; }
.circ-tot .s { color: #607D8B; font-size: .8rem; line-height: 1.3; }
.circ-note { color: #455A64; font-size: .92rem; margin: .2rem 0 .5rem 0; }
</style>"""


@st.cache_data(max_entries=cache.SMALL, ttl=cache.TTL, show_spinner=False)
def _draft(key: str, fp: str, month: str, issue_no: int, day: str, sk: str):
    return circ.circular_data(cache.engine_for(key), month, issue_no, issue_date=dt.date.fromisoformat(day),
                              scope=Scope.from_key(sk))


def toolbar(ctx):
    """One row: 期号 (default: the month's number), Excel and Word downloads, 印发; returns the month's circular."""
    a, b, c_, d, _ = st.columns([1, 1.5, 1.5, 1.3, 1], vertical_alignment="bottom")
    with a:
        no = st.number_input("期号", min_value=1, max_value=99, step=1, value=circ.default_issue_no(ctx.month),
                             key=f"circ_no_{ctx.month}", help="默认取统计月份的月序号（如10月为第10期）")
    with st.spinner("正在生成通报…"):
        c = _draft(cache.db_key(ctx.engine), cache.fingerprint(ctx.engine), ctx.month, int(no),
                   dt.date.today().isoformat(), cache.user_scope(ctx.user).key)
    downloads(ctx, c, b, c_)
    with d:
        issue_button(ctx, c)
    if msg := st.session_state.pop("circ_flash", None):
        st.success(msg, icon=":material/check_circle:")
    done = circ.issued(ctx.engine, ctx.month, scope=cache.user_scope(ctx.user))
    if len(done):
        last = done.iloc[0]
        st.info(f"本月通报已印发 {len(done)} 次（最近一次：第{last['期号']}期第{last['版次']}版，"
                f"{last['印发时间']:%Y-%m-%d %H:%M}，{last['印发人']}）；再次印发将保存为新的版次。",
                icon=":material/info:")
    return c


def preview(c) -> None:
    st.html(CSS)
    esc = html.escape
    st.html(f'<div class="circ-head"><h2>{esc(c.title)}</h2><div class="iss"><span>{esc(c.issuer)}</span>'
            f'<span>{esc(c.issue_date_cn)}</span></div>'
            f'<div class="meta{" demo" if c.demo else ""}">{esc(c.meta_line)}</div></div>')
    st.markdown("##### 一、总体情况")
    cards = "".join(f'<div><div class="l">{esc(k)}</div><div class="v">{esc(v.split("（", 1)[0])}</div>'
                    f'<div class="s">{esc(v.split("（", 1)[1].rstrip("）")) if "（" in v else ""}</div></div>'
                    for k, v in c.city_totals.items())
    st.html(f'<div class="circ-tot">{cards}</div>')
    st.markdown("##### 二、进度滞后县（市、区）及原因")
    level = dict(c.interview_suggestions)
    if c.lagging:
        st.html("".join(
            f'<div class="flagcard"><b>{esc(n)}</b>{"（" + esc(level[n]) + "）" if n in level else ""}：'
            f'{esc(c.say("；".join(r)))}。</div>' for n, r in c.lagging))
    else:
        st.success("本月没有进度滞后的县（市、区）。", icon=":material/check_circle:")
    st.markdown("##### 三、约谈建议 · 争先进位")
    groups: dict[str, list[str]] = {}
    for n, lv in c.interview_suggestions:
        groups.setdefault(lv, []).append(n)
    lines = [f"**{lv}**：{'、'.join(ns)}" for lv, ns in sorted(groups.items(), key=lambda g: "主要负责人" not in g[0])]
    st.markdown("\n\n".join(lines) or "本月无建议约谈的县（市、区）。")
    st.markdown(f"**争先进位（通报表扬）**：{'、'.join(c.praise) if c.praise else '本月无'}")
    if c.followup:
        st.markdown("##### 四个跟进落实情况")
        st.markdown("\n\n".join(f"{i}. {c.say(t)}" for i, t in enumerate(c.followup, start=1)))
        cases = c.interview_cases
        if cases is not None and len(cases):
            late = list(c.interview_late)
            st.table(cases.reset_index(drop=True).style.apply(
                lambda r: ["background-color: #FDE2E1" if late[r.name] else "" for _ in r], axis=1), hide_index=True)
            st.caption("约谈案件落实情况（浅红底色：上期建议约谈、至今仍待约谈）。详见“跟进落实”页面。")
    t1, t2 = st.tabs(["各县（市、区）进展", "安置点排名"])
    with t1:
        flags = c.county_flags()
        sty = c.county_table.style.apply(
            lambda row: ["background-color: #FDE2E1" if flags[row.name] else "" for _ in row], axis=1
        ).format(COUNTY_FORMATS, na_rep="—")
        st.dataframe(sty, hide_index=True, width="stretch", key="circ_counties", column_config=COUNTY_WIDTHS)
        st.caption("浅红底色：本月进度滞后的县（市、区）。达标/序时：五好达标安置点数/按创建计划应达到的序时进度。")
    with t2:
        st.dataframe(c.site_table.drop(columns=["安置点编码"], errors="ignore"), hide_index=True, width="stretch",
                     height=420, key="circ_sites", column_config={"总分": st.column_config.NumberColumn(format="%.2f")})


# one number style per table: counts with thousands separators, rates with one decimal, the change in words
COUNTY_FORMATS = {"就业率": "{:.1f}%", "参训率": "{:.1f}%", "持证率": "{:.1f}%", "权益落实率": "{:.1f}%",
                  "搬迁人口": "{:,.0f}", "劳动力": "{:,.0f}", "零就业家庭": "{:,.0f}", "整改逾期": "{:,.0f}",
                  "县均得分": "{:.2f}", "较上月": lambda v: change_text(v, unit="")}
# narrow columns for short figures, so all fifteen fit beside the sidebar at 1366 px (较上月 was cut)
COUNTY_WIDTHS = {"序号": st.column_config.Column(width=40), "排名": st.column_config.Column(width=40),
                 "安置点数": st.column_config.Column(width=62), "就业率": st.column_config.Column(width=56),
                 "参训率": st.column_config.Column(width=56), "持证率": st.column_config.Column(width=56),
                 "整改逾期": st.column_config.Column(width=62), "较上月": st.column_config.Column(width=72)}


def downloads(ctx, c, a, b) -> None:
    if not ctx.user.can(roles.EXPORT):
        return
    with a:
        st.download_button("下载Excel通报（可打印）",
                           widgets.audited(ctx, "月度通报Excel（草稿）", c.title, lambda: circ.draft_file(c, "xlsx")),
                           file_name=circ.file_name(c, c.month, "xlsx"),
                           mime=export_links.once(XLSX_MIME), type="primary", icon=":material/download:",
                           key="circ_dl_xlsx")
    with b:
        st.download_button("下载Word草稿（可编辑）",
                           widgets.audited(ctx, "月度通报Word（草稿）", c.title, lambda: circ.draft_file(c, "docx")),
                           file_name=circ.file_name(c, c.month, "docx"),
                           mime=export_links.once(DOCX_MIME), icon=":material/description:", key="circ_dl_docx")


def issue_button(ctx, c) -> None:
    if not ctx.user.can(roles.CIRCULAR):
        return
    with st.popover("印发本期通报", icon=":material/campaign:"):
        st.markdown(f"将按当前数据印发 **{c.title}**，保存Excel与Word文件并记入审计日志。")
        if st.button("确认印发", type="primary", key="circ_issue"):
            with st.spinner("正在印发…"):
                row = circ.issue(ctx.engine, c.month, ctx.user.username, c.issue_no, scope=cache.user_scope(ctx.user))
            opened = followup.opened_by(ctx.engine, row, cache.user_scope(ctx.user))
            st.session_state["circ_flash"] = f"已印发：{c.title}" + (
                f"；已生成约谈案件{len(opened)}件（{'、'.join(opened)}），请在“跟进落实”页面记录约谈" if opened else "")


def issued_table(ctx) -> None:
    st.markdown("##### 已印发通报")
    scope = cache.user_scope(ctx.user)
    df = circ.issued(ctx.engine, scope=scope)
    if df.empty:
        st.caption("尚未印发任何通报。")
        return
    st.dataframe(df.drop(columns=["id"]), hide_index=True, width="stretch", key="circ_issued",
                 column_config={"印发时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})
    if not ctx.user.can(roles.EXPORT):
        return
    rows = {int(r.id): r for r in df.itertuples()}
    a, b, c2, _ = st.columns([2, 1, 1, 2], vertical_alignment="bottom")
    with a:
        cid = st.selectbox("重新下载", list(rows), key="circ_pick", label_visibility="collapsed",
                           format_func=lambda i: f"{rows[i].月份[:4]}年第{rows[i].期号}期 · 第{rows[i].版次}版"
                                             f"（{rows[i].印发时间:%Y-%m-%d %H:%M} {rows[i].印发人}）")
    r = rows[cid]
    eng = ctx.engine
    for col, kind, label in ((b, "xlsx", "下载Excel"), (c2, "docx", "下载Word")):
        with col:
            st.download_button(label, widgets.audited(ctx, f"已印发通报{circ.KINDS[kind].label}",
                                                      f"{r.标题} 第{r.版次}版（{r.月份}）",
                                                      lambda k=kind: circ.download(eng, cid, k, scope)),
                               key=f"circ_re_{kind}", file_name=circ.file_name(r.标题, f"{r.月份}_第{r.版次}版", kind),
                               mime=export_links.once(circ.KINDS[kind].mime), icon=":material/download:")
