"""Small rendering helpers shared by pages: KPI tiles, flag cards, grade chips, table column configs."""
from __future__ import annotations

import html
from typing import Callable
from urllib.parse import quote

import pandas as pd
import streamlit as st

from components import fmt, links, place, theme
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
    delta = theme.worded_delta(k.delta_text) if k.delta_text else ""      # 上升/下降/持平, as circulars word it
    sub = html.escape(k.sub or "")
    # one fact per line ('年度计划23个 · 序时进度21个'): never a lone '个' wrapped onto a third line
    lines = "<br>".join(html.escape(x.strip()) for x in (k.sub or "").split("·") if x.strip())
    return (f'<div class="kpi full"><div class="lab">{html.escape(k.label)}</div>'
            f'<div class="val">{html.escape(str(k.value))}<small>{html.escape(k.unit or "")}</small></div>'
            f'<div class="dl {cls}">{arrow}较上月{html.escape(delta)}</div>'
            f'<div class="sub" title="{sub}">{lines or "&nbsp;"}</div></div>')


def tiles(cells: list[str]) -> None:
    """A row of equal tiles as ONE element (a CSS grid with the columns' gap; one tile per line on a phone).
    st.columns with an st.html per tile sent 2n+1 messages on every view."""
    st.html(f'<div class="tiles" style="grid-template-columns:repeat({max(len(cells), 1)},minmax(0,1fr))">'
            + "".join(cells) + "</div>")


def kpi_row(kpis: list[Kpi]) -> None:
    tiles([kpi_tile(k) for k in kpis])


def grade_chip(grade: str) -> str:
    return f'<span class="chip" style="background:{theme.grade_color(grade)}">{html.escape(grade)}</span>'


def flag_chip(level: str) -> str:
    color = theme.FLAG_COLORS.get(level, theme.NEUTRAL)
    return f'<span class="chip" style="background:{color}">{html.escape(level)}</span>'


def flag_cards(flags: list[CountyFlag], empty_text: str = "本月没有进度滞后的县（市、区）。") -> None:
    if not flags:
        st.success(place.local(empty_text), icon=":material/check_circle:")
        return
    out = []
    for f in flags:
        color = theme.FLAG_COLORS.get(f.level, theme.NEUTRAL)
        streak = f"（连续{f.consecutive}个月）" if f.consecutive >= 2 else ""
        out.append(f'<div class="flagcard" style="border-left-color:{color}">{flag_chip(f.level)}'
                   f'<b>{html.escape(f.county_name)}</b>{streak}：{html.escape(place.local("；".join(f.reasons)))}</div>')
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
        sty = sty.map(qualified_style, subset=["达标"])
    return sty


QUALIFIED_TEXT = {True: "✓ 达标", False: "✗ 未达标"}
INTERVAL_HELP = "稳健性分析：维度权重±25%、目标值±10%随机扰动后的5%–95%名次区间"


def qualified_value(v) -> bool | None:
    """The one reading of a 达标 cell (bool, 是/否, ✓/✗ with or without words) -> True / False / None."""
    if v is None or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, bool) or hasattr(v, "dtype"):
        return bool(v)
    t = str(v).strip()
    if t.startswith("✓") or t in ("是", "达标", "已达标"):
        return True
    if t.startswith("✗") or t in ("否", "未达标"):
        return False
    return None


def qualified_style(v) -> str:
    """Cell style of a 达标 value: green for 达标, red for 未达标, nothing for blank."""
    q = qualified_value(v)
    return "" if q is None else f"color: {theme.QUALIFIED_COLORS[q]}; font-weight: 600"


def vetoes(sites: pd.DataFrame) -> dict[str, str]:
    """site_code -> 一票否决 reason of the vetoed sites in a ranking frame."""
    v = sites[sites["veto"].fillna(False).astype(bool)]
    return {str(c): (str(w) if not fmt.is_missing(w) else "一票否决") for c, w in zip(v["site_code"], v["veto_reason"])}


def site_list(df: pd.DataFrame, month: str, vetoed: dict[str, str] | None = None) -> None:
    """Compact site list (排名/安置点/总分/等次/较上月得分); names link to the site profile; a vetoed site (不合格
    whatever its score) is tagged 一票否决 with its reason on hover."""
    rows = []
    for r in df.itertuples(index=False):
        color = theme.grade_color(r.等次)
        href = html.escape(f"/site?site={quote(str(r.site_code))}&month={quote(str(month))}")
        why = (vetoed or {}).get(str(r.site_code))
        tag = (f'<span class="veto-tag" title="不合格原因：{html.escape(why)}">一票否决</span>' if why else "")
        name = html.escape(str(r.安置点))
        rows.append(f'<tr><td class="num">{fmt.fmt_int(r.排名)}</td>'
                    f'<td class="name" title="{name}"><a href="{href}" target="_self">{name}</a>{tag}</td>'
                    f'<td class="num">{fmt.fmt_num(r.总分, 2)}</td>'
                    f'<td style="color:{color};font-weight:600">{html.escape(str(r.等次))}</td>'
                    f'<td class="num">{fmt.fmt_delta(r.较上月)}</td></tr>')
    st.html('<table class="sites"><tr><th>排名</th><th>安置点</th><th style="text-align:right">总分</th>'
            '<th>等次</th><th style="text-align:right">较上月得分</th></tr>' + "".join(rows) + "</table>")


def grade_legend() -> None:
    st.html('<div class="legend">' + "".join(
        f'<span><i class="sq" style="background:{theme.GRADE_COLORS[g]}"></i>{g}</span>' for g in theme.GRADES)
        + "</div>")


TEXT_TABLE_CSS = """<style>
.tt-box { overflow-y: auto; border: 1px solid #E6E9EF; border-radius: 6px; }
.tt { width: 100%; border-collapse: collapse; font-size: .88rem; }
.tt th { position: sticky; top: 0; background: #F7F9FA; color: #607D8B; font-weight: 500; text-align: left;
  font-size: .82rem; z-index: 1; }
.tt td, .tt th { padding: .3rem .5rem; border-bottom: 1px solid #ECEFF1; vertical-align: top;
  white-space: normal; overflow-wrap: anywhere; line-height: 1.45; }
.tt td.nw, .tt th.nw { white-space: nowrap; overflow-wrap: normal; }
</style>"""


def _cell_text(v) -> str:
    if fmt.is_missing(v):
        return "—"
    if hasattr(v, "strftime"):
        return v.strftime("%Y-%m-%d")
    return str(v)


def text_table(df: pd.DataFrame, wrap: tuple[str, ...], *, max_height: int | None = None,
               styles: dict[str, Callable[[object], str]] | None = None,
               hrefs: dict[str, Callable[[object], str]] | None = None) -> None:
    """A read-only table whose long text columns (`wrap`) wrap onto more lines instead of being cut off (a
    data grid cuts them at 1366 px); the other columns keep to one line. The header stays in view while the
    table scrolls inside `max_height` px. A column of `hrefs` links each cell (same tab) to href(value)."""
    head = "".join(f'<th class="{"" if c in wrap else "nw"}">{html.escape(str(c))}</th>' for c in df.columns)
    rows = []
    for r in df.itertuples(index=False):
        cells = []
        for c, v in zip(df.columns, r):
            style = (styles or {}).get(c, lambda _v: "")(v)
            text = html.escape(_cell_text(v))
            if hrefs and c in hrefs:
                text = f'<a href="{html.escape(hrefs[c](v))}" target="_self">{text}</a>'
            cells.append(f'<td class="{"" if c in wrap else "nw"}" style="{style}">{text}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    box = f"max-height:{max_height}px" if max_height else ""
    st.html(TEXT_TABLE_CSS + f'<div class="tt-box" style="{box}"><table class="tt"><tr>{head}</tr>'
            + "".join(rows) + "</table></div>")


def flag_legend() -> None:
    st.html('<div class="legend">' + "".join(
        f'<span><i class="sq" style="background:{theme.FLAG_COLORS[f]}"></i>{f}</span>' for f in theme.FLAG_ORDER)
        + "</div>")


# What an official reads first stays left of the five dimension columns, inside 1366 px: rank, site, county,
# total, grade, 达标, changes and the weakest dimension; details (completeness, dimensions, interval) follow.
_KEY_COLUMNS = ["排名", "安置点", "县", "总分", "等次", "达标", "较上月", "总分较上月", "短板", "指标完整度", "缺报"]
_CLASS_KEY_COLUMNS = ["规模", "同类排名", "安置点", "县", "总分", "等次", "达标", "较上月", "总分较上月", "短板",
                      "指标完整度", "缺报"]


def grid_order(columns: list[str], view: str) -> list[str]:
    """Display order of the ranking grid's columns (the exported table keeps the official §8 order)."""
    key = _CLASS_KEY_COLUMNS if view == "class" else _KEY_COLUMNS
    first = [c for c in key if c in columns]
    return first + [c for c in columns if c not in first and c != "安置点编码"]


def site_table(table: pd.DataFrame, key: str, height: int | None = None, month: str | None = None) -> None:
    """A §8-style site table (from services.ranking.ranking_table) with grades coloured; with `month`, site
    names link to their profiles."""
    show = table.copy()
    show["达标"] = show["达标"].map(QUALIFIED_TEXT)
    cfg = {"安置点编码": None, "总分": st.column_config.NumberColumn(format="%.2f", width=62),
           "较上月": st.column_config.TextColumn("较上月名次", width=80),
           "总分较上月": st.column_config.NumberColumn("较上月得分", format="%+.2f", width=80),
           "排名区间": st.column_config.TextColumn(width=80)}
    if month:
        show = links.add_site_links(show, month)
        cfg["安置点"] = links.link_column("安置点", width=180, pinned=True)
    st.dataframe(style_grades(show), hide_index=True, width="stretch", key=key, column_config=cfg,
                 height=height or min(38 + 35 * len(show), 38 + 35 * 25),
                 column_order=grid_order(list(show.columns), "overall"))


def restore(key: str, valid) -> None:
    """Streamlit drops a widget's state when a page without that widget runs. The pages keep a user's choices under
    `_keep_<key>` (`keep`) and put them back here, when the widget is about to be drawn again, as far as they are
    still offered (`valid(value)`; for a list, the items still offered)."""
    if key in st.session_state:
        return
    kept = st.session_state.get("_keep_" + key)
    if isinstance(kept, list):
        st.session_state[key] = [x for x in kept if valid(x)]
    elif kept is not None and valid(kept):
        st.session_state[key] = kept


def keep(*keys: str) -> None:
    """Remember the widgets' current values (see `restore`)."""
    for key in keys:
        if key in st.session_state:
            st.session_state["_keep_" + key] = st.session_state[key]
