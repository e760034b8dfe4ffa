"""The city's own designation in on-screen words (domain.designation): a 自治州 reads 全州/州级, a 市 全市/市级.

Screens, like the circular, word every sentence and label naming the whole city through `local`; role names
(市级督导, 市领导) are declared in domain.roles and shown as declared."""
from __future__ import annotations

import threading
import time

from data.db import get_engine
from domain.designation import localize, whole
from services import settings

_TTL = 60.0                                     # seconds a city name is reused before it is read again
_MEMO: dict[str, tuple[float, str]] = {}
_LOCK = threading.Lock()


def city_name() -> str | None:
    """The configured database's city name (read at most once a minute); None without a database."""
    try:
        eng = get_engine()
        key = str(eng.url)
        with _LOCK:
            got = _MEMO.get(key)
        if got is None or time.monotonic() - got[0] > _TTL:
            got = (time.monotonic(), settings.city_name(eng))
            with _LOCK:
                _MEMO[key] = got
        return got[1]
    except Exception:  # noqa: BLE001 - no database yet: the words stay as written (全市)
        return None


def local(text: str) -> str:
    """'县均得分居全市倒数第1位' -> '县均得分居全州倒数第1位' for 黔西南布依族苗族自治州 (signed changes worded)."""
    return localize(text, city_name())


def whole_city() -> str:
    """'全州' / '全市' / '全地区' / '全盟'."""
    return whole(city_name())
