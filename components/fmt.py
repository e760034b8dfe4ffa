"""Chinese number formats for the UI. The shared rules live in data.formatting (exports use the same ones);
this module adds the few UI-only forms (KPI deltas)."""
from __future__ import annotations

from data.formatting import (DASH, beijing_now, beijing_time, date_cn, fmt_bool, fmt_delta, fmt_int,  # noqa: F401
                             fmt_num, fmt_pct, fmt_people, fmt_range, fmt_rank_delta, fmt_score, is_missing, mask_id,
                             month_cn, round_half_up)


def signed(x, digits: int = 1, unit: str = "") -> str:
    """KPI change: '+1.2个百分点' style pieces; zero -> '持平'."""
    if is_missing(x):
        return DASH
    r = round_half_up(float(x), digits)
    if r == 0:
        return "持平"
    s = f"{abs(r):.{digits}f}" if digits else f"{int(abs(r))}"
    return ("+" if r > 0 else "-") + s + unit
