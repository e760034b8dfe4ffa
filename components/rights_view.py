"""UI pieces of the 权益保障 page: filters, the coloured matrix, the cell chooser and the paged household list."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from components import cache, export_links, links, place, widgets
from domain import roles
from domain.organisation import PLATFORMS
from domain.scope import Scope
from domain.rights import RIGHTS, RIGHTS_CODES, SIDES
from services import rights as rights_svc
from services import worklist as wl_svc
from services.rights import KINDS


_NAMES = {r.code: r.name for r in RIGHTS}


@dataclass(frozen=True)
class Filters:
    by: str
    side: str | None
    platform: str | None
    value: str


@dataclass(frozen=True)
class Cell:
    group: str | None           # site code (by site) or county code (by county); None = all
    item: str | None
    kind: str
    by: str = "site"

    @property
    def site(self) -> str | None:
        return self.group if self.by == "site" else None

    @property
    def county(self) -> str | None:
        return self.group if self.by == "county" else None


_CELL_KEYS = ("rv_cell_group", "rv_cell_item", "rv_cell_kind")


def filters(ctx) -> Filters:
    c1, c2, c3, c4 = st.columns(4)
    by = c1.radio("汇总层级", ["site", "county"], format_func={"site": "安置点", "county": "县（市、区）"}.get,
                  horizontal=True, key="rv_by")
    side = c2.selectbox("责任方", [None, *SIDES], format_func=lambda s: s or "全部", key="rv_side")
    plat = c3.selectbox("服务平台", [None, *[p[1] for p in PLATFORMS]], format_func=lambda s: s or "全部",
                        key="rv_platform")
    value = c4.radio("显示", ["coverage", "gaps", "open", "blank"], horizontal=True, key="rv_value",
                     format_func={"coverage": "覆盖率", "gaps": "缺口数", "open": "未落实", "blank": "漏项"}.get)
    return Filters(by=by, side=side, platform=plat, value=value)


# shared read-only (cache_resource): the counts of a province are one SQL scan of every household; keyed by the data
# fingerprint, so an import shows at once
@st.cache_resource(max_entries=24, ttl=cache.TTL, show_spinner="正在汇总权益事项…")
def _counts(key: str, fp: str, month: str, sk: str):
    return rights_svc.rights_counts(cache.engine_for(key), month, Scope.from_key(sk))


def matrix_view(ctx, scope: Scope, f: Filters):
    """The matrix of the user's scope; the counts behind it are read once per month, scope and data version."""
    counts = _counts(cache.db_key(ctx.engine), cache.fingerprint(ctx.engine), ctx.month, scope.key)
    return rights_svc.rights_matrix(ctx.engine, ctx.month, scope, by=f.by, side=f.side, platform=f.platform,
                                    counts=counts)


def _coverage_colour(v) -> str:
    if v is None or pd.isna(v):
        return "color:#90A4AE"
    if v >= 95:
        return "background-color:#C8E6C9"
    if v >= 85:
        return "background-color:#FFF3CD"
    return "background-color:#F8C9C4"


def _count_colour(v, top: float) -> str:
    if v is None or pd.isna(v) or top <= 0 or v <= 0:
        return ""
    alpha = 0.15 + 0.65 * float(v) / top
    return f"background-color:rgba(211,47,47,{alpha:.2f})"


NAME_WIDTH, ITEM_WIDTH = 290, 108       # px: a regular grid, so a cell is where one expects it


def matrix(view, f: Filters) -> None:
    """The coloured matrix; a click on a cell (single-cell selection) lists the households behind it below (a click
    on a name: all the gaps of that site or county)."""
    t: pd.DataFrame = getattr(view, f.value)
    names = {r.code: r.label for r in RIGHTS}          # short enough for the column; the whole name on hover
    unit = _unit(f)
    t = t.rename(columns=names)
    items = list(t.columns)
    t = t.reset_index(names=unit)
    if f.value == "coverage":
        sty = t.style.format("{:.1f}", na_rep="—", subset=items).map(_coverage_colour, subset=items)
    else:
        top = float(t[items].max().max()) if len(t) and t[items].notna().any().any() else 0.0
        sty = t.style.format("{:.0f}", na_rep="—", subset=items).map(lambda v: _count_colour(v, top), subset=items)
    cfg = {unit: st.column_config.TextColumn(unit, width=NAME_WIDTH, pinned=True),
           **{names[r.code]: st.column_config.NumberColumn(names[r.code], width=ITEM_WIDTH,
                                                            help=f"{r.code} {r.name}（{r.category}）")
              for r in RIGHTS if names[r.code] in items}}
    event = st.dataframe(sty, hide_index=True, column_config=cfg, height=min(35 * (len(t) + 1) + 3, 560),
                         key=f"rv_matrix_{f.by}_{f.value}", on_select="rerun", selection_mode="single-cell")
    st.caption(f"{len(t)} 行 × {len(RIGHTS_CODES)} 项；“—”表示该单元格无属于所选责任方/平台的事项。"
               f"点击单元格即在下方列出其背后的搬迁户，点击{unit}名称列出其全部缺口户。")
    _apply_click(event, view, f)


def _unit(f: Filters) -> str:
    return "安置点" if f.by == "site" else "县（市、区）"


def _apply_click(event, view, f: Filters) -> None:
    """A newly clicked cell sets the chooser below (group, item, kind) and the deep link, and goes to page 1."""
    try:
        cells = list(event.selection.cells) if event is not None else []
    except AttributeError:
        cells = []
    if not cells:
        return
    row, col = cells[0]
    if not (0 <= int(row) < len(view.groups)):
        return
    code = str(col).split(" ", 1)[0]
    clicked = (f.by, view.groups[int(row)], code if code in RIGHTS_CODES else None, f.value)
    if st.session_state.get("_rv_clicked") == clicked:
        return                      # the selection stays on reruns: apply it once
    st.session_state["_rv_clicked"] = clicked
    _, group, item, value = clicked
    kind = value if value in ("open", "blank") else "gap"
    st.session_state.update({"rv_cell_group": group, "rv_cell_item": item, "rv_cell_kind": kind, "rv_page": 0})
    st.query_params.update({"cell": group, "kind": kind})
    if item:
        st.query_params["item"] = item
    else:
        st.query_params.pop("item", None)


def cell_chooser(ctx, view, f: Filters) -> Cell:
    """Which households to list: a group (site or county), an item and a kind; bound to ?cell=&item=&kind=."""
    st.subheader("单元格背后的搬迁户")
    qp = st.query_params
    groups = [None, *view.groups]
    items = [None, *RIGHTS_CODES]
    if "rv_cell_group" not in st.session_state:        # first run: from the deep link
        st.session_state["rv_cell_group"] = qp.get("cell") if qp.get("cell") in groups else None
        st.session_state["rv_cell_item"] = qp.get("item") if qp.get("item") in items else None
        st.session_state["rv_cell_kind"] = qp.get("kind") if qp.get("kind") in KINDS else "gap"
    if st.session_state.get("rv_cell_group") not in groups:
        st.session_state["rv_cell_group"] = None
    unit = _unit(f)

    def changed():
        st.session_state["rv_page"] = 0
        for k, q in zip(_CELL_KEYS, ("cell", "item", "kind")):
            v = st.session_state.get(k)
            if v is None:
                st.query_params.pop(q, None)
            else:
                st.query_params[q] = v
    c1, c2, c3 = st.columns(3)
    group = c1.selectbox(unit, groups, key="rv_cell_group", on_change=changed, placeholder="全部",
                         format_func=lambda s: "全部" if s is None else f"{view.names.get(s, s)}（{s}）")
    item = c2.selectbox("事项", items, key="rv_cell_item", on_change=changed, placeholder="全部事项",
                        format_func=lambda c: "全部事项" if c is None else f"{c} {_NAMES[c]}")
    kind = c3.radio("类型", list(KINDS), format_func=KINDS.get, horizontal=True, key="rv_cell_kind",
                    on_change=changed)
    return Cell(group=group, item=item, kind=kind, by=f.by)


def pager_state() -> int:
    return int(st.session_state.get("rv_page", 0))


def household_table(ctx, hp, page: int, size: int) -> None:
    pages = max(1, -(-hp.total // size))
    page = min(page, pages - 1)
    st.markdown(f"共 **{hp.total:,}** 户，第 {page + 1:,} / {pages:,} 页（每页 {size} 户）")
    df = hp.rows.copy()
    df["户编码"] = [links.household_url(c, ctx.month) for c in hp.codes]
    st.dataframe(df, hide_index=True, width="stretch", key="rv_households",
                 column_config={"户编码": st.column_config.LinkColumn(
                     "户编码", display_text=links.LINK_TEXT, help="点击打开一户一档（新标签页）")})
    c1, c2, _ = st.columns([1, 1, 6])
    if c1.button("上一页", disabled=page == 0, key="rv_prev"):
        st.session_state["rv_page"] = page - 1
        st.rerun()
    if c2.button("下一页", disabled=page >= pages - 1, key="rv_next"):
        st.session_state["rv_page"] = page + 1
        st.rerun()


def worklist_download(ctx, scope: Scope) -> None:
    """Work list workbook for the user's county (a city user picks a county), built and audited when clicked."""
    if not (ctx.user.can(roles.EXPORT) or ctx.user.can(roles.EXPORT_OWN)):
        return
    counties = [x for x in ctx.counties if scope.allows(x[0])]
    opts = [c for c, _ in counties] if not scope.is_city else [None, *[c for c, _ in counties]]
    if not opts:
        return
    names = dict(counties)
    whole = place.whole_city()                                  # 全州 for a 自治州
    c1, c2 = st.columns([2, 3])
    county = c1.selectbox("工作清单范围", opts, format_func=lambda c: whole if c is None else names.get(c, c),
                          key="rv_wl_county")

    def build() -> bytes:
        return wl_svc.worklist_xlsx(wl_svc.worklist(ctx.engine, ctx.month, county, scope), ctx.month)
    label = names.get(county, whole)
    c2.download_button("导出走访工作清单（Excel，按服务平台分表）",
                       widgets.audited(ctx, "走访工作清单", label, build),
                       file_name=f"走访工作清单_{label}_{ctx.month}.xlsx",
                       mime=export_links.once("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                       icon=":material/download:", key="dl_worklist")
