"""Small rendering helpers shared by pages: KPI tiles, flag cards, grade chips, table column configs."""
from __future__ import annotations

import html
from urllib.parse import quote

import pandas as pd
import streamlit as st

from components import fmt, theme
from services.audit import log_export
from services.flags import CountyFlag
from services.overview import Kpi


def audited(ctx, what: str, detail: str, build):
    """The `data=` of an st.download_button: a callable run when the user clicks (the file is built then, and
    served only to this session), which writes the export to the audit log first. When the audit entry cannot be
    written the file is not produced (every export is audited, domain.md §10)."""
    def run():
        log_export(ctx.engine, ctx.user.username, what, ctx.month, detail)
        return build()
    return run


def kpi_tile(k: Kpi) -> str:
    d = k.delta
    if d is None or fmt.is_missing(d) or round(float(d), 6) == 0:
        cls, arrow = "flat", ""
    else:
        better = (d > 0) == (k.good == "up")
        cls = "up" if better else "down"
        arrow = "▲" if d > 0 else "▼"
    delta = k.delta_text or ""
    sub = html.escape(k.sub or "")
    return (f'<div class="kpi full"><div class="lab">{html.escape(k.label)}</div>'
            f'<div class="val">{html.escape(str(k.value))}<small>{html.escape(k.unit or "")}</small></div>'
            f'<div class="dl {cls}">{arrow}较上月 {html.escape(delta)}</div>'
            f'<div class="sub" title="{sub}">{sub or "&nbsp;"}</div></div>')


def kpi_row(kpis: list[Kpi]) -> None:
    cols = st.columns(len(kpis))
    for c, k in zip(cols, kpis):
        with c:
            st.html(kpi_tile(k))


def grade_chip(grade: str) -> str:
    return f'<span class="chip" style="background:{theme.grade_color(grade)}">{html.escape(grade)}</span>'


def flag_chip(level: str) -> str:
    color = theme.FLAG_COLORS.get(level, theme.NEUTRAL)
    return f'<span class="chip" style="background:{color}">{html.escape(level)}</span>'


def flag_cards(flags: list[CountyFlag], empty_text: str = "本月没有进度滞后的县（市、区）。") -> None:
    if not flags:
        st.success(empty_text, icon=":material/check_circle:")
        return
    out = []
    for f in flags:
        color = theme.FLAG_COLORS.get(f.level, theme.NEUTRAL)
        streak = f"（连续{f.consecutive}个月）" if f.consecutive >= 2 else ""
        out.append(f'<div class="flagcard" style="border-left-color:{color}">{flag_chip(f.level)}'
                   f'<b>{html.escape(f.county_name)}</b>{streak}：{html.escape("；".join(f.reasons))}</div>')
    st.html("".join(out))


def grade_text_color(v) -> str:
    c = theme.GRADE_COLORS.get(v)
    return f"color: {c}; font-weight: 600" if c else ""


def style_grades(df: pd.DataFrame, cols=("等次",)):
    """pandas Styler colouring 等次 cells and 达标 ✓/✗ (numbers keep 2 decimals: a Styler's display text wins over
    column_config formats)."""
    sty = df.style.format(precision=2, na_rep="—")
    if "总分较上月" in df.columns:
        sty = sty.format("{:+.2f}", subset=["总分较上月"], na_rep="—")
    for c in cols:
        if c in df.columns:
            sty = sty.map(grade_text_color, subset=[c])
    if "达标" in df.columns:
        sty = sty.map(lambda v: f"color: {theme.QUALIFIED_COLORS[True]}" if v in (True, "是", "✓")
                      else f"color: {theme.QUALIFIED_COLORS[False]}", subset=["达标"])
    return sty


def site_list(df: pd.DataFrame, month: str) -> None:
    """Compact site list (排名/安置点/总分/等次/较上月); names link to the site profile."""
    rows = []
    for r in df.itertuples(index=False):
        color = theme.grade_color(r.等次)
        href = html.escape(f"/site?site={quote(str(r.site_code))}&month={quote(str(month))}")
        rows.append(f'<tr><td class="num">{fmt.fmt_int(r.排名)}</td>'
                    f'<td><a href="{href}" target="_self">{html.escape(str(r.安置点))}</a></td>'
                    f'<td class="num">{fmt.fmt_num(r.总分, 2)}</td>'
                    f'<td style="color:{color};font-weight:600">{html.escape(str(r.等次))}</td>'
                    f'<td class="num">{fmt.fmt_delta(r.较上月)}</td></tr>')
    st.html('<table class="sites"><tr><th>排名</th><th>安置点</th><th style="text-align:right">总分</th>'
            '<th>等次</th><th style="text-align:right">较上月</th></tr>' + "".join(rows) + "</table>")


def flag_legend() -> None:
    st.html('<div class="legend">' + "".join(
        f'<span><i class="sq" style="background:{theme.FLAG_COLORS[f]}"></i>{f}</span>' for f in theme.FLAG_ORDER)
        + "</div>")


def site_table(table: pd.DataFrame, key: str, height: int | None = None) -> None:
    """A §8-style site table (from services.ranking.ranking_table) with grades coloured."""
    show = table.copy()
    show["达标"] = show["达标"].map({True: "✓ 达标", False: "✗ 未达标"})
    cfg = {"安置点编码": None, "总分": st.column_config.NumberColumn(format="%.2f"),
           "总分较上月": st.column_config.NumberColumn(format="%+.2f")}
    st.dataframe(style_grades(show), hide_index=True, width="stretch", key=key, column_config=cfg,
                 height=height or min(38 + 35 * len(show), 460))
