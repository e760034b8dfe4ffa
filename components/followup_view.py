"""Streamlit pieces of the 跟进落实 page (四个跟进, domain.md §9): 约谈 cases with the record-interview form, 定期调度
meetings, 督导督查 visits (and a rectification item from a finding), 舆论宣传 cases, and the monthly checklist.

Everything is read through services.followup with the signed-in user's scope; forms appear only for roles with the
action (INTERVIEW for interviews, FOLLOWUP for the other records) and the services check again. A record is dated
inside the selected month (it belongs to that month) and never after today.
"""
from __future__ import annotations

import datetime as dt

import mimetypes

import streamlit as st

from components import cache, export_links, widgets
from domain import roles
from domain.followup import ATTACHMENT_MAX_BYTES, ATTACHMENT_TYPES, CASE_PENDING, MEETING, PUBLICITY, SUPERVISION
from domain.scope import OutOfScope
from services import followup as svc
from services.errors import user_message

TABS = ["约谈案件", "定期调度", "督导督查", "舆论宣传", "每月清单"]


def _flash(key: str) -> None:
    if msg := st.session_state.pop(f"fu_flash_{key}", None):
        st.success(msg, icon=":material/check_circle:")


def _done(key: str, msg: str) -> None:
    st.session_state[f"fu_flash_{key}"] = msg
    st.rerun()


def _date_range(ctx) -> tuple[dt.date, dt.date]:
    first, last = svc.month_bounds(ctx.month)
    return first, max(first, min(last, dt.date.today()))


def county_filter(ctx) -> str | None:
    """The county named by ?county= (checked against the scope: OutOfScope for another county), else the
    user's own county (a county operator) or None (all)."""
    scope = cache.user_scope(ctx.user)
    asked = st.query_params.get("county") or None
    svc.require_scope(scope, asked)
    return asked or scope.county_code


def _only(df, county):
    return df if county is None or df.empty else df.loc[df["county_code"] == county]


def _pick_county(ctx, key: str, county: str | None) -> str | None:
    options = [c for c in ctx.allowed_counties() if county is None or c[0] == county]
    if not options:
        return None
    names = dict(options)
    return st.selectbox("县（市、区）", list(names), format_func=names.get, key=key)


def cases_tab(ctx, county: str | None) -> None:
    scope = cache.user_scope(ctx.user)
    _flash("case")
    t = svc.cases_view(ctx.engine, ctx.month, scope)
    t = (t if county is None else t.loc[t["县(市、区)"] == dict(ctx.counties).get(county)]).reset_index(drop=True)
    st.caption("建议约谈的县（市、区）在月度通报印发后生成约谈案件。状态为截至所选月份月末的情况："
               "待约谈 → 已约谈（记录约谈）→ 已整改（该县在案件月份末未销号的整改问题全部销号）。")
    if t.empty:
        st.info("截至本月没有约谈案件。", icon=":material/info:")
        return
    shown = t.drop(columns=["case_id", "late"])
    st.table(shown.style.apply(lambda r: ["background-color: #FDE2E1" if t.loc[r.name, "late"] else ""
                                          for _ in r], axis=1), hide_index=True)
    if any(t["late"]):
        st.caption("浅红底色：上期建议约谈、至今仍待约谈（将在本月通报中点名）。")
    _case_history(ctx, t)
    _interview_history(ctx, county)
    if ctx.user.can(roles.INTERVIEW):
        _interview_form(ctx, t)


def _case_history(ctx, t) -> None:
    with st.expander("案件经过（谁、何时）", expanded=False, icon=":material/history:"):
        cols = [t[c] for c in ("case_id", "县(市、区)", "通报月份", "约谈建议")]
        labels = {int(i): f"{n}（{mo}通报 · {lv}）" for i, n, mo, lv in zip(*cols)}
        case_id = st.selectbox("约谈案件", list(labels), format_func=labels.get, key="fu_hist_case")
        st.table(svc.case_history(ctx.engine, case_id, ctx.month, cache.user_scope(ctx.user)), hide_index=True)


def _interview_history(ctx, county: str | None) -> None:
    scope = cache.user_scope(ctx.user)
    iv = _only_case_county(svc.interviews_view(ctx.engine, ctx.month, scope), ctx, county)
    if iv.empty:
        return
    with st.expander(f"约谈记录（{len(iv)}条）", expanded=False):
        for r in iv.itertuples():
            st.markdown(f"**{r.held_on}** 约谈对象：{r.interviewee}；约谈人：{r.interviewer}  \n{r.record}  \n"
                        f"<span style='color:#78909C'>记录人 {r.recorded_by}，{r.recorded_at:%Y-%m-%d %H:%M}</span>",
                        unsafe_allow_html=True)
            if r.attachment_name:
                st.download_button(f"下载附件：{r.attachment_name}",
                                   widgets.audited(ctx, "约谈记录附件", r.attachment_name,
                                                   lambda i=r.record_id: svc.interview_attachment(
                                                       ctx.engine, i, scope)[1]),
                                   file_name=r.attachment_name, key=f"fu_att_{r.record_id}",
                                   mime=export_links.once(mimetypes.guess_type(r.attachment_name)[0]
                                                          or "application/octet-stream"),
                                   icon=":material/attach_file:")


def _only_case_county(iv, ctx, county):
    if county is None or iv.empty:
        return iv
    cases = svc.case_states(ctx.engine, ctx.month, cache.user_scope(ctx.user))
    ids = set(cases.loc[cases["county_code"] == county, "case_id"])
    return iv.loc[iv["case_id"].isin(ids)]


def _interview_form(ctx, t) -> None:
    pending = t.loc[t["状态"].str.startswith(CASE_PENDING)]
    st.markdown("##### 记录约谈")
    if pending.empty:
        st.caption("没有待约谈的案件。")
        return
    cols = [pending[c] for c in ("case_id", "县(市、区)", "通报月份", "约谈建议")]
    labels = {int(i): f"{n}（{mo}通报 · {lv}）" for i, n, mo, lv in zip(*cols)}
    last = svc.month_bounds(ctx.month)[1]
    with st.form("fu_interview", clear_on_submit=True):
        case_id = st.selectbox("约谈案件", list(labels), format_func=labels.get, key="fu_iv_case")
        a, b = st.columns(2)
        held = a.date_input("约谈日期", value=min(dt.date.today(), last), max_value=dt.date.today(),
                            format="YYYY-MM-DD", key="fu_iv_date")
        interviewer = b.text_input("约谈人", value=ctx.user.display_name, key="fu_iv_by")
        interviewee = st.text_input("约谈对象（单位、姓名、职务）", key="fu_iv_who")
        record = st.text_area("约谈记录（简要）", key="fu_iv_text", max_chars=svc.MAX_TEXT)
        up = st.file_uploader(f"附件（可选，{'、'.join(ATTACHMENT_TYPES)}，不超过{ATTACHMENT_MAX_BYTES // 1048576}MB）",
                              type=list(ATTACHMENT_TYPES), key="fu_iv_file")
        go = st.form_submit_button("保存约谈记录", type="primary")
    if go:
        try:
            svc.record_interview(ctx.engine, case_id=case_id, held_on=held, interviewee=interviewee,
                                 interviewer=interviewer, record=record, user=ctx.user.username,
                                 role=ctx.user.role, scope=cache.user_scope(ctx.user),
                                 attachment_name=up.name if up else None, attachment=up.getvalue() if up else None)
        except (ValueError, LookupError, PermissionError) as exc:
            st.error(f"未保存：{user_message(exc)}", icon=":material/error:")
            return
        _done("case", f"已记录约谈：{labels[case_id]}，{held.isoformat()}")


def _records(ctx, kind: str, county: str | None, key: str) -> None:
    scope = cache.user_scope(ctx.user)
    df = _only(svc.records_view(ctx.engine, kind, ctx.month, scope), county)
    if df.empty:
        st.info(f"本月没有{kind}记录。", icon=":material/info:")
    else:
        cols = [c for c in df.columns if c not in ("id", "county_code", "site_codes") and (df[c] != "").any()]
        st.table(df[cols], hide_index=True)


def _site_choice(ctx, county: str | None, key: str) -> str | None:
    if county is None:
        return None
    sites = svc.sites_of(ctx.engine, county, ctx.month, cache.user_scope(ctx.user))
    names = {"": "（不指定）", **dict(sites)}
    return st.selectbox("安置点", list(names), format_func=names.get, key=key) or None


def _sites_choice(ctx, county: str | None, key: str) -> list[str]:
    if county is None:
        return []
    names = dict(svc.sites_of(ctx.engine, county, ctx.month, cache.user_scope(ctx.user)))
    return st.multiselect("督导的安置点（可多选）", list(names), format_func=names.get, key=key,
                          placeholder="选择本次督导督查的安置点")


def _add(ctx, key: str, **kw) -> None:
    try:
        svc.add_record(ctx.engine, user=ctx.user.username, role=ctx.user.role, scope=cache.user_scope(ctx.user),
                       **kw)
    except (ValueError, LookupError, PermissionError, OutOfScope) as exc:
        st.error(f"未保存：{user_message(exc)}", icon=":material/error:")
        return
    _done(key, f"已保存{kw['kind']}记录：{kw['title']}（{kw['date'].isoformat()}）")


def meetings_tab(ctx, county: str | None) -> None:
    _flash("meet")
    st.caption("县（市、区）易地搬迁后续扶持工作领导小组每月召开调度会；本月未召开的县（市、区）在月度通报中点名。")
    _records(ctx, MEETING, county, "meet")
    if not ctx.user.can(roles.FOLLOWUP):
        return
    first, last = _date_range(ctx)
    with st.expander("新增调度会记录", expanded=False, icon=":material/add:"):
        with st.form("fu_meet", clear_on_submit=True):
            code = _pick_county(ctx, "fu_meet_county", county)
            day = st.date_input("会议日期", value=last, min_value=first, max_value=last, format="YYYY-MM-DD",
                                key="fu_meet_date")
            title = st.text_input("会议名称", value=f"{int(ctx.month[5:])}月领导小组调度会", key="fu_meet_title")
            who = st.text_area("参会人员", key="fu_meet_who", height=70)
            issues = st.text_area("研究的问题", key="fu_meet_issues")
            go = st.form_submit_button("保存", type="primary")
        if go:
            _add(ctx, "meet", kind=MEETING, date=day, county_code=code, title=title, participants=who, content=issues)


def visits_tab(ctx, county: str | None) -> None:
    _flash("visit")
    st.caption("督导督查发现的问题每行一条；可将发现的问题登记为整改问题（问题整改台账，来源“督导督查”）。")
    _records(ctx, SUPERVISION, county, "visit")
    if not ctx.user.can(roles.FOLLOWUP):
        return
    first, last = _date_range(ctx)
    with st.expander("新增督导督查记录", expanded=False, icon=":material/add:"):
        code = _pick_county(ctx, "fu_visit_county", county)
        with st.form("fu_visit", clear_on_submit=True):
            sites = _sites_choice(ctx, code, "fu_visit_sites")
            day = st.date_input("督导日期", value=last, min_value=first, max_value=last, format="YYYY-MM-DD",
                                key="fu_visit_date")
            title = st.text_input("督导事项", value=f"{int(ctx.month[5:])}月督导督查", key="fu_visit_title")
            found = st.text_area("发现的问题（每行一条）", key="fu_visit_found")
            go = st.form_submit_button("保存", type="primary")
        if go:
            _add(ctx, "visit", kind=SUPERVISION, date=day, county_code=code, site_codes=sites, title=title,
                 content=found)
    _finding_form(ctx, county)


def _finding_form(ctx, county: str | None) -> None:
    scope = cache.user_scope(ctx.user)
    df = _only(svc.records_view(ctx.engine, SUPERVISION, ctx.month, scope), county)
    df = df.loc[df["内容"].map(lambda c: bool(svc.findings(c)))] if not df.empty else df
    if df.empty:
        return
    with st.expander("由发现的问题登记整改", expanded=False, icon=":material/playlist_add:"):
        visits = {int(i): f"{d} {n} · {t}" for i, d, n, t in zip(df["id"], df["日期"], df["县(市、区)"], df["标题"])}
        vid = st.selectbox("督导督查记录", list(visits), format_func=visits.get, key="fu_find_visit")
        items = svc.findings(df.set_index("id").loc[vid, "内容"])
        at = dict(svc.visit_sites(ctx.engine, vid, scope))
        with st.form("fu_finding", clear_on_submit=True):
            text = st.selectbox("发现的问题", items, key="fu_find_text")
            site = (st.selectbox("问题所在安置点", list(at), format_func=at.get, key="fu_find_site")
                    if len(at) > 1 else next(iter(at), None))
            a, b = st.columns(2)
            unit = a.text_input("责任单位", key="fu_find_unit")
            day = dt.date.fromisoformat(df.set_index("id").loc[vid, "日期"])
            deadline = b.date_input("整改时限", value=day + dt.timedelta(days=30), min_value=day,
                                    format="YYYY-MM-DD", key="fu_find_deadline")
            go = st.form_submit_button("登记为整改问题", type="primary")
        if go:
            try:
                code = svc.item_from_finding(ctx.engine, record_id=vid, finding=text, unit=unit, deadline=deadline,
                                             user=ctx.user.username, role=ctx.user.role, scope=scope,
                                             site_code=site)
            except (ValueError, LookupError, PermissionError) as exc:
                st.error(f"未登记：{user_message(exc)}", icon=":material/error:")
                return
            _done("visit", f"已登记整改问题 {code}：{text}")


def publicity_tab(ctx, county: str | None) -> None:
    _flash("pub")
    _records(ctx, PUBLICITY, county, "pub")
    if not ctx.user.can(roles.FOLLOWUP):
        return
    first, last = _date_range(ctx)
    with st.expander("新增典型案例", expanded=False, icon=":material/add:"):
        code = _pick_county(ctx, "fu_pub_county", county)
        with st.form("fu_pub", clear_on_submit=True):
            title = st.text_input("标题", key="fu_pub_title")
            site = _site_choice(ctx, code, "fu_pub_site")
            day = st.date_input("日期", value=last, min_value=first, max_value=last, format="YYYY-MM-DD",
                                key="fu_pub_date")
            summary = st.text_area("摘要", key="fu_pub_summary")
            go = st.form_submit_button("保存", type="primary")
        if go:
            _add(ctx, "pub", kind=PUBLICITY, date=day, county_code=code, site_code=site, title=title,
                 content=summary)


def checklist_tab(ctx, county: str | None) -> None:
    t = _only(svc.checklist_view(ctx.engine, ctx.month, cache.user_scope(ctx.user)), county)
    st.caption("每县（市、区）本月：是否召开领导小组调度会、督导督查与约谈次数、典型案例、整改问题发现/销号/逾期，"
               "以及截至月末仍待约谈的案件数。")
    st.table(t.drop(columns=["county_code"]).style.apply(
        lambda r: ["background-color: #FDE2E1" if r["召开调度会"] == "否" else "" for _ in r], axis=1),
        hide_index=True)


def render(ctx) -> None:
    """The page body: the county named by ?county= (within the scope), then one tab per record kind."""
    county = county_filter(ctx)
    for tab, draw in zip(st.tabs(TABS), (cases_tab, meetings_tab, visits_tab, publicity_tab, checklist_tab)):
        with tab:
            draw(ctx, county)
