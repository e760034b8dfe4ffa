"""County flags of a month as the pages show them (进度滞后 and escalation, with the flag sentences)."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class CountyFlag:
    """A county flagged this month, with the flag sentences (reasons) and its streak."""
    county_code: str
    county_name: str
    level: str
    reasons: list[str]
    consecutive: int = 0


def flag_list(counties: pd.DataFrame) -> list[CountyFlag]:
    """Flagged counties of a MonthView county frame, longest streak first, then lowest score."""
    f = counties[counties["flagged"]].sort_values(["consecutive", "score"], ascending=[False, True])
    return [CountyFlag(r.county_code, r.county_name, r.level, list(r.reasons), int(r.consecutive))
            for r in f.itertuples()]
