"""One colour scheme for the whole app: 等次, flags, dimensions, plus plotly/pydeck helpers.

Every page takes its colours from here so that 优秀 is the same green on the overview, the ranking table,
the map and the wall screen.
"""
from __future__ import annotations

from components import fmt

GRADES = ["优秀", "良好", "合格", "不合格"]
GRADE_COLORS = {
    "优秀": "#1B7F3B",    # green
    "良好": "#2E6FD8",    # blue
    "合格": "#E0A100",    # amber
    "不合格": "#C62828",  # red
}
GRADE_NONE = "#9E9E9E"   # no score (缺报 / not scored)

# County flags (进度滞后) and escalation levels, §6
FLAG_COLORS = {
    "正常": "#1B7F3B",
    "进度滞后": "#B7791F",   # amber-brown: the yellow family of its map fill, far from 建议约谈's red
    "建议约谈": "#C62828",
    "建议约谈主要负责人": "#7B1FA2",
}
FLAG_ORDER = ["正常", "进度滞后", "建议约谈", "建议约谈主要负责人"]
# County fills on the maps: pale (light pages) or muted (wall) so that the saturated 等次 dots on top of them keep
# their contrast — 正常 is neutral grey, never the 优秀 green; the three warning levels step yellow → orange-red →
# purple so that 进度滞后 and 建议约谈 cannot be confused. Dots also carry a ring (dark on pages, light on the wall).
MAP_DOT_RING = "#263238"
MAP_DOT_RING_DARK = "#E8F1FF"
COUNTY_FILLS = {
    "正常": "#DCE3E8",
    "进度滞后": "#FFF1B8",
    "建议约谈": "#F9C0C8",
    "建议约谈主要负责人": "#D9C2EC",
}
COUNTY_FILLS_DARK = {
    "正常": "#1F3350",
    "进度滞后": "#5E5418",
    "建议约谈": "#6B2030",
    "建议约谈主要负责人": "#44285E",
}
QUALIFIED_COLORS = {True: "#1B7F3B", False: "#C62828"}
PLAN_COLOR = "#6D4C41"     # plan / 序时进度 line
ACCENT = "#B22222"         # primary (matches .streamlit/config.toml)
NEUTRAL = "#455A64"
CITY_MEAN_COLOR = "#78909C"
TARGET_COLOR = "#1B7F3B"

DIMENSION_COLORS = ["#5C6BC0", "#26A69A", "#42A5F5", "#EC407A", "#8D6E63"]

FONT_FAMILY = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif'

# Wall screen (数据大屏) — dark
WALL_BG = "#07142B"
WALL_PANEL = "#0D2145"
WALL_TEXT = "#E8F1FF"
WALL_MUTED = "#8FA9D6"
WALL_ACCENT = "#4FC3F7"


def hex_to_rgb(color: str) -> list[int]:
    c = color.lstrip("#")
    return [int(c[i:i + 2], 16) for i in (0, 2, 4)]


def rgba(color: str, alpha: int = 255) -> list[int]:
    """[r, g, b, a] for pydeck."""
    return hex_to_rgb(color) + [int(alpha)]


def grade_color(grade: str | None) -> str:
    return GRADE_COLORS.get(grade or "", GRADE_NONE)


def flag_level(flagged: bool, consecutive: int = 0, interview_months: int = 2, head_months: int = 3) -> str:
    """Chinese flag level of a county from its flag state and consecutive flagged months (§6)."""
    if not flagged:
        return "正常"
    if consecutive >= head_months:
        return "建议约谈主要负责人"
    if consecutive >= interview_months:
        return "建议约谈"
    return "进度滞后"


def county_fill(level: str, dark: bool = False) -> str:
    return (COUNTY_FILLS_DARK if dark else COUNTY_FILLS).get(level, NEUTRAL)


def change_word(delta, digits: int = 2, unit: str = "") -> str:
    """A change in words (上升1.25分 / 下降2.53分 / 持平), as circulars write it, rounded half up (§11); '—' when
    unknown."""
    if fmt.is_missing(delta):
        return fmt.DASH
    r = fmt.round_half_up(float(delta), digits)
    if r == 0:
        return "持平"
    return f"{'上升' if r > 0 else '下降'}{abs(r):.{digits}f}{unit}"


def worded_changes(text: str) -> str:
    """Rewrites signed changes in a sentence ('较上月-2.72分', '（+0.92分）') as 下降2.72分 / 上升0.92分."""
    import re

    def one(m: re.Match) -> str:
        v = float(m.group(2))
        word = "持平" if v == 0 else ("上升" if m.group(1) == "+" else "下降")
        return word if v == 0 else f"{word}{m.group(2)}"

    return re.sub(r"(?<=较上月)([+\-−])(\d+(?:\.\d+)?)", one, str(text))


def worded_delta(text: str | None) -> str:
    """'+4个' → '上升4个', '-0.3个百分点' → '下降0.3个百分点', '+0户' → '持平'; anything else unchanged."""
    import re

    m = re.match(r"^\s*([+\-−])\s*(\d+(?:\.\d+)?)(.*)$", str(text or ""))
    if not m:
        return str(text or "—")
    if float(m.group(2)) == 0:
        return "持平"
    return ("上升" if m.group(1) == "+" else "下降") + m.group(2) + m.group(3)


def plotly_layout(dark: bool = False, height: int | None = None, scale: float = 1.0, **extra) -> dict:
    """Base plotly layout (Chinese font, quiet grid, no plotly logo) for light pages or the wall screen.
    `scale` multiplies font sizes and margins (the wall passes the screen's size relative to 1920×1080)."""
    text = WALL_TEXT if dark else "#263238"
    grid = "rgba(143,169,214,0.18)" if dark else "rgba(0,0,0,0.08)"
    layout = dict(
        font=dict(family=FONT_FAMILY, color=text, size=round(13 * scale)),
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        margin=dict(l=round(10 * scale), r=round(10 * scale), t=round(36 * scale), b=round(10 * scale)),
        hoverlabel=dict(font=dict(family=FONT_FAMILY)),
        # the legend's text and symbols grow with the screen too (plotly draws them in pixels)
        legend=dict(orientation="h", yanchor="top", y=-0.12, xanchor="center", x=0.5,
                    itemwidth=max(30, round(30 * scale)), font=dict(color=text, size=round(13 * scale))),
        title=dict(x=0, font=dict(color=text)),
        xaxis=dict(gridcolor=grid, zerolinecolor=grid),
        yaxis=dict(gridcolor=grid, zerolinecolor=grid),
        separators=".,",
    )
    if height:
        layout["height"] = height
    layout.update(extra)
    return layout


# plotly.js's own zh-CN strings for the chart toolbar, passed with every chart (no locale file is loaded from
# anywhere: the app is offline)
PLOTLY_ZH_CN = {
    "Autoscale": "自动缩放", "Box Select": "矩形框选", "Lasso Select": "套索选择", "Pan": "平移", "Zoom": "缩放",
    "Zoom in": "放大", "Zoom out": "缩小", "Reset": "重置", "Reset axes": "重置坐标轴", "Reset view": "重置视图",
    "Reset views": "重置视图", "Download plot": "下载图表", "Download plot as a png": "下载图表（PNG图片）",
    "Download plot as a PNG": "下载图表（PNG图片）", "Fullscreen": "全屏显示", "Exit fullscreen": "退出全屏",
    "Close fullscreen": "退出全屏",
    "Double-click to zoom back out": "双击恢复原始比例", "Show closest data on hover": "悬停时显示最近的数据",
    "Compare data on hover": "悬停时比较数据", "Toggle Spike Lines": "切换辅助线",
    "Toggle show closest data on hover": "切换悬停显示最近数据", "Snapshot succeeded": "图片已生成",
    "Taking snapshot - this may take a few seconds": "正在生成图片，请稍候",
    "Sorry, there was a problem downloading your snapshot!": "抱歉，下载图片时出现问题！",
    "Produced with Plotly.js": "由Plotly.js生成", "Orbital rotation": "轨道旋转", "Turntable rotation": "转台旋转",
    "Reset camera to default": "重置视角", "Reset camera to last save": "恢复上次保存的视角",
}
PLOTLY_CONFIG = {"displaylogo": False,
                 "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d", "toggleSpikelines"],
                 "locale": "zh-CN", "locales": {"zh-CN": {"dictionary": PLOTLY_ZH_CN}},
                 "toImageButtonOptions": {"format": "png", "scale": 2}}
