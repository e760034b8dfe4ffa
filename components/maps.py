"""Offline pydeck maps: county polygons + site points, no base-map tiles (map_provider=None)."""
from __future__ import annotations

import json
import math

import pandas as pd
import pydeck as pdk

from components import fmt, theme

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
            "lon": float(r.lon), "lat": float(r.lat),
            "radius": float(250 + 38 * math.sqrt(max(p, 0))),
            "color": color,
            "line": [255, 255, 255, 255] if not dark else [7, 20, 43, 255],
            # tooltip fields are plain text: Streamlit HTML-escapes interpolated values, so markup lives only
            # in TOOLTIP_HTML (every picked object must carry all of TOOLTIP_FIELDS, or the braces show)
            **tip_fields(
                r.site_name,
                f"{r.county_name} · {r.size_class} · {fmt.fmt_people(p)}",
                f"总分 {fmt.fmt_num(r.total, 2)} · {r.grade} · 全市第{_int(r.rank)}名",
                f"{'五好达标' if bool(r.qualified) else '未达标'}　短板：{r.weakest}",
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


def county_fill(level: str, score: float | None, mode: str, *, dark: bool) -> list[int]:
    if mode == "flag":
        return theme.rgba(theme.FLAG_COLORS.get(level, theme.NEUTRAL), 70 if not dark else 95)
    # score: shade from light to deep blue between 60 and 95
    if score is None or fmt.is_missing(score):
        return [200, 200, 200, 60]
    t = min(max((float(score) - 60) / 35, 0), 1)
    lo, hi = (219, 234, 254), (30, 64, 175)
    c = [int(lo[i] + (hi[i] - lo[i]) * t) for i in range(3)]
    return c + [150 if not dark else 170]


def build_deck(md, *, mode: str = "flag", dark: bool = False, height: int = 600, width: int = 1100,
               labels: bool = True, selected_county: str | None = None) -> pdk.Deck:
    """Deck for services.maps.map_data(): counties shaded by flag level or score, sites by 等次."""
    counties: pd.DataFrame = md.counties
    features = []
    centroids = []
    for r in counties.itertuples(index=False):
        if not r.geometry:
            continue
        fill = county_fill(r.level, r.score, mode, dark=dark)
        sel = selected_county and r.county_code == selected_county
        features.append({
            "type": "Feature", "geometry": json.loads(r.geometry) if isinstance(r.geometry, str) else r.geometry,
            "properties": {
                "county_code": r.county_code, "name": r.county_name, "fill": fill,
                "line": [178, 34, 34, 255] if sel else ([143, 169, 214, 200] if dark else [90, 90, 90, 200]),
                "width": 4 if sel else 1.5,
                **tip_fields(
                    r.county_name,
                    f"县均得分 {fmt.fmt_num(r.score, 2)} · 全市第{_int(r.rank)}名",
                    f"达标 {int(r.qualified)} 个 / 序时进度 {fmt.fmt_num(r.expected, 1)} 个",
                    f"{r.level}" + (f"：{r.reasons_text}" if r.reasons_text else ""),
                    "点击查看县区画像"),
            }})
        centroids.append({"name": r.county_name, "lon": r.label_lon, "lat": r.label_lat})
    layers = [
        pdk.Layer("GeoJsonLayer", id=COUNTY_LAYER, data={"type": "FeatureCollection", "features": features},
                  stroked=True, filled=True, pickable=True, auto_highlight=True,
                  get_fill_color="properties.fill", get_line_color="properties.line",
                  get_line_width="properties.width", line_width_units=pdk.types.String("pixels"),
                  highlight_color=[255, 255, 255, 60]),
    ]
    if labels and centroids:
        layers.append(pdk.Layer("TextLayer", id="county_labels", data=centroids, get_position=["lon", "lat"],
                                get_text="name", get_size=15 if not dark else 20, size_units=pdk.types.String("pixels"),
                                get_color=[232, 241, 255, 230] if dark else [55, 71, 79, 230],
                                character_set=pdk.types.String("auto"), font_family=pdk.types.String(theme.FONT_FAMILY),
                                get_text_anchor=pdk.types.String("middle"),
                                get_alignment_baseline=pdk.types.String("center"), pickable=False))
    layers.append(pdk.Layer("ScatterplotLayer", id=SITE_LAYER, data=_site_rows(md.sites, dark=dark),
                            get_position=["lon", "lat"], get_radius="radius", radius_units=pdk.types.String("meters"),
                            radius_min_pixels=4, radius_max_pixels=26, get_fill_color="color",
                            get_line_color="line", stroked=True, line_width_min_pixels=1, pickable=True,
                            auto_highlight=True))
    return pdk.Deck(layers=layers, initial_view_state=view_state(md.bounds, width, height),
                    map_provider=None,  # no tiles; map_style left unset so Streamlit adds no base map
                    tooltip={"html": TOOLTIP_HTML,
                             "style": {"backgroundColor": "#263238", "color": "#fff", "fontSize": "13px",
                                       "fontFamily": theme.FONT_FAMILY, "maxWidth": "340px",
                                       "whiteSpace": "normal", "lineHeight": "1.5"}})


def legend_html(mode: str = "flag", dark: bool = False, vertical: bool = False) -> str:
    color = theme.WALL_TEXT if dark else "#37474F"
    parts = [f'<span style="color:{color}"><b>安置点等次：</b></span>']
    parts += [f'<span style="color:{color}"><i style="background:{theme.GRADE_COLORS[g]}"></i>{g}</span>'
              for g in theme.GRADES]
    if mode == "flag":
        parts.append(f'<span style="color:{color}"><b>县区：</b></span>')
        parts += [f'<span style="color:{color}"><i class="sq" style="background:{theme.FLAG_COLORS[f]};opacity:.55"></i>{f}</span>'
                  for f in theme.FLAG_ORDER]
    else:
        parts.append(f'<span style="color:{color}"><b>县区底色：</b>县均得分越高颜色越深（60分→95分）</span>')
    parts.append(f'<span style="color:{color}">圆点大小表示搬迁人口</span>')
    style = ' style="display:flex;flex-direction:column;gap:.25rem"' if vertical else ""
    return f'<div class="legend"{style}>' + "".join(parts) + "</div>"
