"""UI pieces of the 组织建设 page: the sites × (platforms, 双五级 posts) table with gaps highlighted, and the gaps."""
from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from components import links
from services.organisation import BUILT, NOT_REPORTED

_FRACTION = re.compile(r"^(\d+|—)/(\d+)$")


def _platform_style(v) -> str:
    if v == BUILT:
        return ""
    return "color:#90A4AE" if v == NOT_REPORTED else "background-color:#F8C9C4;font-weight:600"


def _post_style(v) -> str:
    m = _FRACTION.match(str(v))
    if not m:
        return "color:#90A4AE" if v == NOT_REPORTED else ""
    act = 0 if m.group(1) == "—" else int(m.group(1))
    return "background-color:#F8C9C4;font-weight:600" if act < int(m.group(2)) else ""


def _gap_style(v) -> str:
    return "background-color:#F8C9C4;font-weight:600" if isinstance(v, (int, float)) and v > 0 else ""


def site_table(view, month: str) -> None:
    show = view.sites.copy()
    show["安置点"] = [links.site_url(c, month, n) for c, n in zip(show["site_code"], show["安置点"])]
    show = show.drop(columns=["site_code"])
    sty = (show.style.map(_platform_style, subset=view.platform_labels).map(_post_style, subset=view.post_labels)
           .map(_gap_style, subset=["岗位缺口"]).format("{:.1f}", subset=["双五级配备率（%）"], na_rep="—"))
    st.dataframe(sty, hide_index=True, width="stretch", key="ov_sites",
                 column_config={"安置点": links.link_column("安置点", pinned=True)})
    st.caption("岗位列为“已设/应设”；已设少于应设、服务平台未建成的单元格标红；“未填报”表示台账未报组织建设。"
               "双五级配备率 = Σ min(已设, 应设) ÷ Σ 应设（评分指标 N1）。")


def gap_table(gaps: pd.DataFrame) -> None:
    st.subheader(f"缺口清单（{len(gaps)} 项）")
    if gaps.empty:
        st.success("本月各安置点双五级岗位与三个服务平台均已配齐。", icon=":material/check_circle:")
        return
    st.dataframe(gaps, hide_index=True, width="stretch", key="ov_gaps")
