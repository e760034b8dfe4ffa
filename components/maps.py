"""Offline pydeck maps: county polygons + site points, no base-map tiles (map_provider=None).

County boundaries are simplified once (about 1 px at the wall's scale) and kept, with their label points, in a
small process-wide cache shared read-only by every session. The whole deck is serialised once per (month, scope,
colouring, selection, size) as compact JSON with coordinates at 5 decimals (``prepare``, cached by
components.cache.map_deck): a view ships the same text again instead of re-encoding megabytes of GeoJSON.
"""
from __future__ import annotations

import dataclasses
import functools
import json
import math

import numpy as np
import pandas as pd
import pydeck as pdk
import shapely
import streamlit as st
from shapely.geometry import mapping, shape

from components import fmt, place, theme

SITE_LAYER = "sites"
COUNTY_LAYER = "counties"


def view_state(bounds: tuple[float, float, float, float], width_px: int = 1100, height_px: int = 600,
               padding: float = 0.08) -> pdk.ViewState:
    """Centre and zoom that fit (min_lon, min_lat, max_lon, max_lat) into the given pixel box."""
    x0, y0, x1, y1 = bounds
    lon_span = max(x1 - x0, 0.05) * (1 + 2 * padding)
    # Web-Mercator: latitude span is stretched by 1/cos(lat)
    mid = (y0 + y1) / 2
    lat_span = max(y1 - y0, 0.05) * (1 + 2 * padding) / max(math.cos(math.radians(mid)), 0.2)
    zx = math.log2(width_px * 360 / (512 * lon_span))   # deck.gl: the world is 512 px wide at zoom 0
    zy = math.log2(height_px * 360 / (512 * lat_span))
    return pdk.ViewState(longitude=(x0 + x1) / 2, latitude=mid, zoom=round(min(zx, zy), 2), pitch=0, bearing=0)


def _site_rows(sites: pd.DataFrame, *, dark: bool) -> list[dict]:
    pop = pd.to_numeric(sites["population"], errors="coerce").fillna(0)
    rows = []
    for r, p in zip(sites.itertuples(index=False), pop):
        color = theme.rgba(theme.grade_color(r.grade), 235)
        rows.append({
            "site_code": r.site_code,
            "name": r.site_name,
            "lon": round(float(r.lon), COORD_DIGITS), "lat": round(float(r.lat), COORD_DIGITS),
            "radius": float(250 + 38 * math.sqrt(max(p, 0))),
            "color": color,
            # a crisp ring separates every dot from any county fill beneath it
            "line": theme.rgba(theme.MAP_DOT_RING_DARK if dark else theme.MAP_DOT_RING, 235),
            # tooltip fields are plain text: Streamlit HTML-escapes interpolated values, so markup lives only
            # in TOOLTIP_HTML (every picked object must carry all of TOOLTIP_FIELDS, or the braces show)
            **tip_fields(
                r.site_name,
                f"{r.county_name} · {r.size_class} · {fmt.fmt_people(p)}",
                place.local(f"总分 {fmt.fmt_num(r.total, 2)} · {r.grade} · 全市第{_int(r.rank)}名"),
                f"{'五好达标' if bool(r.qualified) else '未达标'}　短板：{r.weakest}"
                + (f"　一票否决：{r.veto_reason}" if _veto(r) else ""),
                "点击查看安置点画像"),
        })
    return rows


TOOLTIP_FIELDS = ("tip_title", "tip_1", "tip_2", "tip_3", "tip_hint")
TOOLTIP_HTML = ("<b>{tip_title}</b><br/>{tip_1}<br/>{tip_2}<br/>{tip_3}"
                "<br/><i style='opacity:.75'>{tip_hint}</i>")


def tip_fields(*values: str) -> dict[str, str]:
    """The tooltip's text fields for one map object, in TOOLTIP_FIELDS order."""
    assert len(values) == len(TOOLTIP_FIELDS)
    return dict(zip(TOOLTIP_FIELDS, (str(v) for v in values)))


def _int(x) -> str:
    return "—" if fmt.is_missing(x) else str(int(x))


def _veto(r) -> bool:
    return bool(getattr(r, "veto", False)) and not fmt.is_missing(getattr(r, "veto_reason", None))


def county_fill(level: str, score: float | None, mode: str, *, dark: bool) -> list[int]:
    """Pale (light page) or muted (wall) county fills that never share a hue with the 等次 dots."""
    if mode == "flag":
        return theme.rgba(theme.county_fill(level, dark), 235 if not dark else 255)
    # score: neutral grey ramp between 60 and 95 (blue would swallow the 良好 dots)
    if score is None or fmt.is_missing(score):
        return [230, 230, 230, 120]
    t = min(max((float(score) - 60) / 35, 0), 1)
    lo, hi = ((241, 243, 244), (120, 144, 156)) if not dark else ((31, 51, 80), (96, 125, 139))
    c = [int(lo[i] + (hi[i] - lo[i]) * t) for i in range(3)]
    return c + [235]


SIMPLIFY_DEG = 0.001    # ≈ 100 m: below one pixel even on the 4K wall's map (a city is ~2° across 1,600 px)
COORD_DIGITS = 5        # ≈ 1 m: decimals shipped for every coordinate
GRID_DIGITS = 4         # ≈ 10 m: the grid simplified boundaries are snapped to


@functools.lru_cache(maxsize=8)
def _prepared(geoms: tuple[tuple[str, str], ...], sites: tuple[tuple[float, float], ...]) -> dict:
    """county code → (simplified GeoJSON geometry, label point clear of the site dots). Shared read-only."""
    pts = np.array(sites, dtype=float).reshape(-1, 2)
    out = {}
    for code, text in geoms:
        g = shape(json.loads(text))
        simple = shapely.set_precision(g.simplify(SIMPLIFY_DEG, preserve_topology=True), 10 ** -GRID_DIGITS)
        if simple.is_empty:
            simple = g
        lon, lat = _label_point(g, pts)
        out[code] = (_rounded(mapping(simple)), (round(lon, COORD_DIGITS), round(lat, COORD_DIGITS)))
    return out


def _rounded(obj):
    """GeoJSON with every coordinate rounded to COORD_DIGITS (no 104.89999999999999 in the JSON)."""
    if isinstance(obj, float):
        return round(obj, COORD_DIGITS)
    if isinstance(obj, (list, tuple)):
        return [_rounded(x) for x in obj]
    if isinstance(obj, dict):
        return {k: _rounded(v) for k, v in obj.items()}
    return obj


def _label_point(g, pts: np.ndarray) -> tuple[float, float]:
    """A point well inside the county and as far as possible from site dots, so that the county's name is not
    hidden under (or hiding) a dot; falls back to the representative point."""
    rep = g.representative_point()
    x0, y0, x1, y1 = g.bounds
    xs, ys = np.meshgrid(np.linspace(x0, x1, 24), np.linspace(y0, y1, 24))
    xs, ys = xs.ravel(), ys.ravel()
    inside = shapely.contains_xy(g, xs, ys)
    if not inside.any():
        return rep.x, rep.y
    xs, ys = xs[inside], ys[inside]
    cos = math.cos(math.radians((y0 + y1) / 2))
    edge = shapely.distance(g.boundary, shapely.points(xs, ys))
    if len(pts):
        d = np.sqrt(((xs[:, None] - pts[None, :, 0]) * cos) ** 2 + (ys[:, None] - pts[None, :, 1]) ** 2).min(axis=1)
    else:
        d = np.full(len(xs), np.inf)
    # the name is about three times wider than high: keep it off the edge, then away from dots, then central
    centre = np.hypot((xs - rep.x) * cos, ys - rep.y)
    score = np.minimum(d, 1.6 * edge) - 0.15 * centre
    i = int(np.argmax(score))
    return float(xs[i]), float(ys[i])


def prepared_counties(counties: pd.DataFrame, sites: pd.DataFrame) -> dict:
    geoms = tuple((str(c), g if isinstance(g, str) else json.dumps(g))
                  for c, g in zip(counties["county_code"], counties["geometry"]) if g)
    pts = tuple((round(float(a), 4), round(float(b), 4)) for a, b in zip(sites["lon"], sites["lat"]))
    return _prepared(geoms, pts)


def build_deck(md: dict, *, mode: str = "flag", dark: bool = False, height: int = 600, width: int = 1100,
               labels: bool = True, selected_county: str | None = None, scale: float = 1.0,
               padding: float = 0.08) -> pdk.Deck:
    """Deck for services.maps.map_data(): counties shaded by flag level or score, sites by 等次, county
    names on top (on a label point clear of the dots). `scale` enlarges text and dots for the 4K wall."""
    counties: pd.DataFrame = md.counties
    prep = prepared_counties(counties, md.sites)
    features = []
    centroids = []
    for r in counties.itertuples(index=False):
        if r.county_code not in prep:
            continue
        geometry, (lon, lat) = prep[r.county_code]
        fill = county_fill(r.level, r.score, mode, dark=dark)
        sel = selected_county and r.county_code == selected_county
        expected = getattr(r, "expected_floor", None)
        expected = int(math.floor(float(r.expected) + 1e-9)) if fmt.is_missing(expected) else int(expected)
        features.append({
            "type": "Feature", "geometry": geometry,
            "properties": {
                "county_code": r.county_code, "name": r.county_name, "fill": fill,
                "line": [178, 34, 34, 255] if sel else ([143, 169, 214, 220] if dark else [96, 110, 120, 230]),
                "width": 4 if sel else 1.5,
                **tip_fields(
                    r.county_name,
                    place.local(f"县均得分 {fmt.fmt_num(r.score, 2)} · 全市第{_int(r.rank)}名"),
                    f"达标 {int(r.qualified)} 个 / 序时进度 {expected} 个",
                    f"{r.level}" + (f"：{place.local(r.reasons_text)}" if r.reasons_text else ""),
                    "点击查看县区画像"),
            }})
        centroids.append({"name": r.county_name, "lon": lon, "lat": lat})
    layers = [
        pdk.Layer("GeoJsonLayer", id=COUNTY_LAYER, data={"type": "FeatureCollection", "features": features},
                  stroked=True, filled=True, pickable=True, auto_highlight=True,
                  get_fill_color="properties.fill", get_line_color="properties.line",
                  get_line_width="properties.width", line_width_units=pdk.types.String("pixels"),
                  highlight_color=[255, 255, 255, 60] if dark else [0, 0, 0, 28]),
        pdk.Layer("ScatterplotLayer", id=SITE_LAYER, data=_site_rows(md.sites, dark=dark),
                  get_position=["lon", "lat"], get_radius="radius", radius_units=pdk.types.String("meters"),
                  radius_min_pixels=round(4 * scale), radius_max_pixels=round(24 * scale), get_fill_color="color",
                  get_line_color="line", stroked=True, line_width_units=pdk.types.String("pixels"),
                  get_line_width=max(1, round(1.5 * scale)), pickable=True, auto_highlight=True),
    ]
    if labels and centroids:
        # drawn after the dots, on a translucent pill: the name stays readable wherever it lands
        layers.append(pdk.Layer("TextLayer", id="county_labels", data=centroids, get_position=["lon", "lat"],
                                get_text="name", get_size=round((15 if not dark else 19) * scale),
                                size_units=pdk.types.String("pixels"),
                                get_color=[232, 241, 255, 255] if dark else [33, 43, 50, 255],
                                character_set=pdk.types.String("auto"), font_family=pdk.types.String(theme.FONT_FAMILY),
                                font_weight=600, background=True,
                                get_background_color=[7, 20, 43, 170] if dark else [255, 255, 255, 190],
                                background_padding=[round(5 * scale), round(2 * scale)],
                                get_text_anchor=pdk.types.String("middle"),
                                get_alignment_baseline=pdk.types.String("center"), pickable=False))
    return pdk.Deck(layers=layers, initial_view_state=view_state(md.bounds, width, height, padding),
                    map_provider=None,  # no tiles; map_style left unset so Streamlit adds no base map
                    tooltip={"html": TOOLTIP_HTML,
                             "style": {"backgroundColor": "#263238", "color": "#fff",
                                       "fontSize": f"{round(13 * scale)}px",
                                       "fontFamily": theme.FONT_FAMILY, "maxWidth": f"{round(340 * scale)}px",
                                       "whiteSpace": "normal", "lineHeight": "1.5", "borderRadius": "4px",
                                       "boxShadow": "0 2px 8px rgba(0,0,0,.35)"}})


class PreparedDeck:
    """A deck serialised once: st.pydeck_chart only calls ``to_json()`` and reads the tooltip (and ``width``,
    ``mapbox_key``, ``layers``), so every view of the same map ships this text without encoding it again."""
    __slots__ = ("spec", "_tooltip", "width", "mapbox_key", "layers", "deck_widget")

    def __init__(self, spec: str, tooltip: dict | None):
        self.spec, self._tooltip = spec, tooltip
        self.width = self.mapbox_key = self.layers = self.deck_widget = None

    def to_json(self) -> str:
        return self.spec


def prepare(deck: pdk.Deck) -> PreparedDeck:
    """The deck as compact JSON (pydeck indents its output: ~3.7× the bytes at province scale)."""
    spec = json.dumps(json.loads(deck.to_json()), separators=(",", ":"), ensure_ascii=False)
    return PreparedDeck(spec, getattr(deck, "_tooltip", None))


# deck.gl places its tooltip at the pointer (`transform: translate(x, y)`) and lets it run past the canvas edge,
# where the chart's frame cuts it off: flip it to the other side of the pointer when it would not fit.
TOOLTIP_CLAMP_JS = r"""
<script>
(function(){
  if (window.__deckTipClamp) return; window.__deckTipClamp = true;
  function fix(tip){
    if (tip.style.display === 'none') return;
    var m = /translate\(\s*(-?[\d.]+)px,\s*(-?[\d.]+)px\)/.exec(tip.style.transform || '');
    var frame = tip.closest("[data-testid='stDeckGlJsonChart']");
    if (!m || !frame) return;
    var x = +m[1], y = +m[2], f = frame.getBoundingClientRect(), t = tip.getBoundingClientRect();
    var w = t.width, h = t.height, left = t.left - x, top = t.top - y;   // the tooltip's origin on screen
    var nx = x, ny = y;
    if (left + x + w > f.right - 2) nx = x - w - 14;
    if (left + nx < f.left + 2) nx = f.left + 2 - left;
    if (top + y + h > f.bottom - 2) ny = y - h - 14;
    if (top + ny < f.top + 2) ny = f.top + 2 - top;
    if (nx !== x || ny !== y) tip.style.transform = 'translate(' + nx + 'px, ' + ny + 'px)';
  }
  new MutationObserver(function(muts){
    muts.forEach(function(mu){
      var t = mu.target;
      if (t.classList && t.classList.contains('deck-tooltip')) fix(t);
    });
  }).observe(document.body, {subtree: true, attributes: true, attributeFilter: ['style']});
})();
</script>
"""


def keep_tooltips_inside() -> None:
    """Once per page: keeps deck.gl tooltips inside their map (see TOOLTIP_CLAMP_JS)."""
    st.html(TOOLTIP_CLAMP_JS, unsafe_allow_javascript=True)


def worded_flags(flags: list) -> list:
    """The flagged counties with their changes worded (较上月下降2.72分, not 较上月-2.72分)."""
    return [dataclasses.replace(f, reasons=[place.local(x) for x in f.reasons]) for f in flags]


def legend_html(mode: str = "flag", dark: bool = False, vertical: bool = False) -> str:
    color = theme.WALL_TEXT if dark else "#37474F"
    parts = [f'<span style="color:{color}"><b>安置点等次：</b></span>']
    parts += [f'<span style="color:{color}"><i style="background:{theme.GRADE_COLORS[g]}"></i>{g}</span>'
              for g in theme.GRADES]
    if mode == "flag":
        parts.append(f'<span style="color:{color}"><b>县区：</b></span>')
        parts += [f'<span style="color:{color}"><i class="sq" style="background:{theme.county_fill(f, dark)};'
                  f'border:1px solid #78909C"></i>{f}</span>' for f in theme.FLAG_ORDER]
    else:
        parts.append(f'<span style="color:{color}"><b>县区底色：</b>县均得分越高灰色越深（60分→95分）</span>')
    parts.append(f'<span style="color:{color}">圆点大小表示搬迁人口</span>')
    style = ' style="display:flex;flex-direction:column;gap:.25rem"' if vertical else ""
    return f'<div class="legend"{style}>' + "".join(parts) + "</div>"
