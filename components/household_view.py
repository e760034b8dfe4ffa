"""UI pieces of the 一户一档 page."""
from __future__ import annotations

import streamlit as st


def code_input() -> str | None:
    qp = st.query_params
    code = st.text_input("户编码", value=qp.get("household", ""), key="hv_code").strip()
    if code and code != qp.get("household"):
        st.query_params["household"] = code
    return code or None


def render(hf) -> None:
    cols = st.columns(5)
    for i, (k, v) in enumerate(hf.facts.items()):
        cols[i % 5].markdown(f"**{k}**  \n{v}")
    st.subheader("劳动力")
    st.dataframe(hf.labour, hide_index=True, width="stretch")
    st.subheader(f"权益事项（{hf.month}）")
    st.dataframe(hf.rights, hide_index=True, width="stretch", key="hv_rights")
    st.subheader("逐月档案")
    st.dataframe(hf.history, hide_index=True, width="stretch")
    st.subheader("所在安置点整改事项")
    if len(hf.rectifications):
        st.dataframe(hf.rectifications, hide_index=True, width="stretch")
    else:
        st.caption("无整改事项。")
