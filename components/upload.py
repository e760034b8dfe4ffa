"""数据导入 page: template download, upload, validation errors, error-marked copy (via data.workbook)."""
from __future__ import annotations

import streamlit as st

from components import cache
from services import dashboard as svc


def render(ctx) -> None:
    api = svc.workbook_api()
    if api is None:
        st.info("台账导入功能正在部署中，暂不可用。", icon=":material/info:")
        return
    st.info("导入功能即将开放。", icon=":material/info:")
