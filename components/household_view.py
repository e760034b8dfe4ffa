"""UI pieces of the 一户一档 page."""
from __future__ import annotations

import streamlit as st

from components import fmt

HINT = "从权益缺口、权益保障或就业帮扶的搬迁户清单点击户编码进入，或在上方输入户编码后按回车查看该户档案。"


def code_input() -> str | None:
    qp = st.query_params
    code = st.text_input("户编码", value=qp.get("household", ""), key="hv_code",
                         placeholder="输入户编码后按回车").strip()
    if code and code != qp.get("household"):
        st.query_params["household"] = code
    return code or None


def hint() -> None:
    """What to do on the page opened without a household."""
    st.info(HINT, icon=":material/person_search:")


def _rows_height(n: int) -> int:
    return (max(n, 1) + 1) * 35 + 3


def render(hf) -> None:
    facts = dict(hf.facts)
    if "台账月份" in facts:
        facts["台账月份"] = fmt.month_cn(facts["台账月份"])
    cols = st.columns(5)
    for i, (k, v) in enumerate(facts.items()):
        cols[i % 5].markdown(f"**{k}**  \n{v}")
    st.subheader("劳动力")
    st.dataframe(hf.labour, hide_index=True, width="stretch")
    st.subheader(f"权益事项（{fmt.month_cn(hf.month)}）")
    st.dataframe(hf.rights, hide_index=True, width="stretch", key="hv_rights", height=_rows_height(len(hf.rights)))
    st.subheader("逐月档案")
    history = hf.history.copy()
    if "月份" in history:
        history["月份"] = [fmt.month_cn(m) for m in history["月份"]]
    st.dataframe(history, hide_index=True, width="stretch")
    st.subheader("所在安置点整改事项")
    if len(hf.rectifications):
        rect = hf.rectifications.copy()
        if "整改时限" in rect:
            rect["整改时限"] = [fmt.date_cn(d) for d in rect["整改时限"]]
        st.dataframe(rect, hide_index=True, width="stretch")
    else:
        st.caption("无整改事项。")
