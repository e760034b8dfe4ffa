"""数据导入 page: template download, upload, validation errors, error-marked copy (via data.workbook)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from components import cache, fmt
from services import imports


def render(ctx) -> None:
    scope = ctx.scope_county
    counties = ctx.allowed_counties()
    st.caption("按月上传本县（市、区）的台账工作簿（.xlsx）。系统逐项校验，全部通过才导入（全有或全无）；"
               "有错误时不写入任何数据，可下载标注了错误单元格的副本修改后重新上传。"
               + (f"当前账号只能导入{ctx.user.county_name}的数据。" if scope else ""))
    c1, c2, c3 = st.columns([1, 1, 2])
    with c1:
        months = imports.import_month_options(ctx.months)
        month = st.selectbox("台账所属月份", months, index=len(months) - 2 if len(months) > 1 else 0,
                             format_func=fmt.month_cn, key="imp_month")
    with c2:
        st.download_button("下载空白模板", imports.ledger_template([n for _, n in counties]),
                           file_name="易地搬迁后续扶持月度台账模板.xlsx", icon=":material/download:",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="dl_tpl")
    up = st.file_uploader("选择台账文件（.xlsx）", type=["xlsx"], key="imp_file")
    if up is not None and st.button("校验并导入", type="primary", icon=":material/upload:", key="imp_go"):
        with st.spinner("正在校验台账…"):
            res = imports.import_ledger(ctx.engine, up.getvalue(), up.name, month, ctx.user.username,
                                        ctx.user.role, scope)
            st.session_state["imp_result"] = (up.file_id, res)
        cache.clear()
    # the result belongs to the file it was computed for: a removed or replaced file takes its result with it
    file_id, res = st.session_state.get("imp_result") or (None, None)
    if res is not None and up is not None and file_id == up.file_id:
        show_result(res)


def show_result(res: imports.ImportOutcome) -> None:
    if res.ok:
        rows = "、".join(f"{k}{v}行" for k, v in res.rows.items() if v)
        st.success(f"导入成功（{fmt.month_cn(res.month)}）：{rows or '无新增数据'}。相关月份的得分将自动重新计算。"
                   if not res.unchanged else "文件内容与已导入的数据相同，未作修改。",
                   icon=":material/check_circle:")
    else:
        st.error(f"校验未通过：共{res.n_errors}处错误，未导入任何数据。请按下表修改后重新上传。",
                 icon=":material/error:")
    msgs: pd.DataFrame = res.messages
    if len(msgs):
        message_table(msgs)
    if res.marked:
        st.download_button("下载标注错误的副本", res.marked, file_name="标注错误_" + res.file_name,
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           icon=":material/download:", key="dl_marked")


WRAPPED_ROWS = 300      # up to this many messages are shown as a wrapping table (问题说明 never cut off)


def message_table(msgs: pd.DataFrame) -> None:
    """The validation messages: blank (not None) where a message has no row, 问题说明 wide and wrapped."""
    show = msgs.copy()
    if "行号" in show.columns:
        show["行号"] = [("" if pd.isna(v) else str(int(v))) for v in show["行号"]]
    show = show.fillna("")
    if len(show) <= WRAPPED_ROWS:
        sty = (show.style.hide(axis="index")
               .set_table_styles([{"selector": "th", "props": "white-space: nowrap; text-align: left"},
                                  {"selector": "td", "props": "white-space: nowrap; vertical-align: top"}])
               .set_properties(subset=["问题说明"], **{"white-space": "normal", "min-width": "24rem"})
               .set_properties(subset=["单元格内容"], **{"white-space": "normal", "max-width": "14rem",
                                                       "word-break": "break-all"}))
        st.table(sty)
    else:
        st.dataframe(show, hide_index=True, width="stretch", key="imp_msgs", height=38 + 35 * 20,
                     column_config={"级别": st.column_config.TextColumn(width=56, pinned=True),
                                    "工作表": st.column_config.TextColumn(width=110, pinned=True),
                                    "行号": st.column_config.TextColumn(width=56, pinned=True),
                                    "列": st.column_config.TextColumn(width=90),
                                    "问题说明": st.column_config.TextColumn(width=640)})
