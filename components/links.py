"""Drill-down links: every site, county and household named in a table is a link to its profile, month kept."""
from __future__ import annotations

from urllib.parse import urlencode

import pandas as pd
import streamlit as st

# Drill-down links: relative URLs carrying the month; the name shown rides in the fragment (never sent to the
# server) and is cut out again by the LinkColumn's display_text.
LINK_TEXT = r"#(.*)$"


def site_url(code, month: str, name) -> str:
    return f"/site?{urlencode({'month': month, 'site': code})}#{name}"


def county_url(code, month: str, name) -> str:
    return f"/county?{urlencode({'month': month, 'county': code})}#{name}"


def household_url(code, month: str) -> str:
    """The household's 一户一档 page."""
    return f"/household?{urlencode({'month': month, 'household': code})}#{code}"


def rectification_url(code, month: str) -> str:
    """The item on the 问题整改台账 page (selected by ?item=), month kept."""
    return f"/rectification?{urlencode({'month': month, 'item': code})}"


def link_column(label: str, width=None, pinned: bool | None = None, help: str | None = None):
    return st.column_config.LinkColumn(label, display_text=LINK_TEXT, width=width, pinned=pinned,
                                       help=help or f"点击{label}名称打开其画像（新标签页）")


def add_site_links(show: pd.DataFrame, month: str, counties: dict[str, str] | None = None) -> pd.DataFrame:
    """Turn 安置点 (and 县, given name -> code) cells into profile links; 安置点编码 must be present."""
    out = show.copy()
    if "安置点编码" in out.columns and "安置点" in out.columns:
        out["安置点"] = [site_url(c, month, n) for c, n in zip(out["安置点编码"], out["安置点"])]
    if counties and "县" in out.columns:
        out["县"] = [county_url(counties[n], month, n) if n in counties else n for n in out["县"]]
    return out
