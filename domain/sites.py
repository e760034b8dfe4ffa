"""Site types (domain.md §2). Size classes are in :mod:`domain.sizes`."""
from __future__ import annotations

URBAN, RURAL = "城镇集中安置区", "农村集中安置点"
SITE_TYPES: tuple[str, str] = (URBAN, RURAL)
