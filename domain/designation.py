"""The city's own designation (州/市/地区/盟), derived from its name, and how changes are worded (上升/下降/持平).

A 自治州 is never called 全市/市 in a sentence: ``designation('黔西南布依族苗族自治州') == '州'``. Circulars and
screens word every change with ``change_text`` (下降2.53分, 上升3位, 持平), never with a bare signed number.
"""
from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal

# (name ending, designation), longest ending first
_ENDINGS: tuple[tuple[str, str], ...] = (("自治州", "州"), ("地区", "地区"), ("盟", "盟"), ("州", "州"), ("市", "市"))
DEFAULT_DESIGNATION = "市"


def designation(city_name: str | None) -> str:
    """'黔西南布依族苗族自治州' -> '州', '毕节市' -> '市', '阿里地区' -> '地区', '锡林郭勒盟' -> '盟'."""
    n = (city_name or "").strip()
    for ending, d in _ENDINGS:
        if n.endswith(ending):
            return d
    return DEFAULT_DESIGNATION


def whole(city_name: str | None) -> str:
    """'全州' / '全市' / '全地区' / '全盟'."""
    return "全" + designation(city_name)


def localize(text: str, city_name: str | None) -> str:
    """A sentence written for a 市 said in the city's own designation (全市 -> 全州, 市易地搬迁… -> 州易地搬迁…,
    报市 -> 报州, 市级 -> 州级; '县（市、区）' is left alone), its signed changes worded (worded_changes)."""
    d = designation(city_name)
    if not text:
        return text
    text = worded_changes(text)
    if d == "市":
        return text
    for old, new in (("全市", "全" + d), ("市易地搬迁", d + "易地搬迁"), ("报市", "报" + d), ("市级", d + "级"),
                     ("市领导", d + "领导")):
        text = text.replace(old, new)
    return text


def change_text(delta, unit: str = "分", digits: int = 2, *, up: str = "上升", down: str = "下降",
                flat: str = "持平") -> str:
    """A change in words: 2.531 -> '上升2.53分', -2.53 -> '下降2.53分', 0.001 -> '持平' (at the printed precision);
    NaN/None -> '—'."""
    if delta is None:
        return "—"
    try:
        v = float(delta)
    except (TypeError, ValueError):
        return "—"
    if math.isnan(v):
        return "—"
    shown = Decimal(repr(abs(v))).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    if shown == 0:
        return flat
    return f"{up if v > 0 else down}{shown}{unit}"


_SIGNED_CHANGE = re.compile(r"(?:(?<=较上月)|(?<=中位数（))([+\-−])(\d+(?:\.\d+)?)")


def worded_changes(text: str) -> str:
    """Signed changes in a sentence worded: '较上月-2.53分' -> '较上月下降2.53分', '中位数（+0.92分）' ->
    '中位数（上升0.92分）', '较上月+0.00分' -> '较上月持平'."""
    def one(m: re.Match) -> str:
        v = float(m.group(2))
        if v == 0:
            return "持平"
        return ("上升" if m.group(1) == "+" else "下降") + m.group(2)

    # '较上月持平分' would be left by a zero change: drop the unit after 持平
    return re.sub(r"持平分", "持平", _SIGNED_CHANGE.sub(one, str(text)))
