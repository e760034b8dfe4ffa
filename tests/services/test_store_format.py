"""The stored-result format: Parquet frames + JSON meta, never pickle; readable by the columns a view needs."""
import pickle

import pandas as pd
import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from data import models as m
from data import result_store
from data.demo import build_demo
from services import store

RAN = []


class _Payload:
    """Unpickling this would run code (append to RAN): what a database writer could plant in a pickle store."""

    def __reduce__(self):
        return (RAN.append, ("code ran",))


@pytest.fixture
def demo_engine(sqlite_engine):
    build_demo(sqlite_engine, months=2, end_month="2026-10", household_factor=0.02)
    return sqlite_engine


def test_round_trip_is_exact_and_not_pickle(demo_engine):
    first = store.month_results(demo_engine, "2026-10")
    raw = result_store.load(demo_engine, "sites", "2026-10", "v1").payload
    assert raw.startswith(result_store.MAGIC) and b"\x80\x05" not in raw[:8]
    again = store.month_results(demo_engine, "2026-10")
    assert again.from_store
    pd.testing.assert_frame_equal(first.scores.sites, again.scores.sites)
    pd.testing.assert_frame_equal(first.scores.indicators, again.scores.indicators)
    pd.testing.assert_frame_equal(first.mc, again.mc)
    assert again.scores.dimension_columns == first.scores.dimension_columns
    for name in ("counties", "flags", "sites"):
        pd.testing.assert_frame_equal(getattr(first.county, name), getattr(again.county, name))
    assert again.county.praise == first.county.praise and again.county.praise_codes == first.county.praise_codes


def test_a_planted_pickle_never_runs_and_is_recomputed(demo_engine):
    good = store.month_results(demo_engine, "2026-10")
    with Session(demo_engine) as s, s.begin():
        s.execute(update(m.ResultCache).where(m.ResultCache.kind == "sites")
                  .values(payload=pickle.dumps(_Payload())))
    RAN.clear()
    got = store.month_results(demo_engine, "2026-10")
    assert RAN == []
    assert not got.from_store  # refused and recomputed, same figures
    pd.testing.assert_frame_equal(good.scores.sites, got.scores.sites)
    assert store.month_results(demo_engine, "2026-10").from_store  # and stored again in the safe format


def test_reads_only_the_frames_and_columns_asked_for(demo_engine):
    store.month_results(demo_engine, "2026-10")
    raw = result_store.load(demo_engine, "sites", "2026-10", "v1").payload
    frames, meta = result_store.unpack(raw, frames=["sites"], columns={"sites": ["site_code"]})
    assert list(frames) == ["sites"] and list(frames["sites"].columns) == ["site_code"]
    assert len(frames["sites"]) == 68 and meta["month"] == "2026-10"


@pytest.mark.parametrize("junk", [b"", b"DSR1", b"DSR1\x00\x00\x00\x05{}}}}", b"not a payload"])
def test_junk_payloads_are_refused_with_value_error_family(junk):
    with pytest.raises(result_store.PAYLOAD_ERRORS):
        result_store.unpack(junk)
