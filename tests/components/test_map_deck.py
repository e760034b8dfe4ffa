"""The map's deck is serialised once per month, scope and view (issue 13): compact JSON equal to what pydeck would
send, coordinates at 5 decimals at most, and the same prepared object served to every later view."""
from __future__ import annotations

import json
import re

from components import cache, maps
from data.demo import build_demo
from domain.scope import Scope
from services import maps as maps_svc

MONTH = "2026-10"


def test_prepared_deck_is_pydecks_json_compact_and_cached(sqlite_engine, monkeypatch):
    build_demo(sqlite_engine, household_factor=0.01, months=1, end_month=MONTH)
    md = maps_svc.map_data(sqlite_engine, MONTH, scope=Scope.city())
    deck = maps.build_deck(md, mode="flag", height=620, width=960)
    prepared = maps.prepare(deck)
    assert json.loads(prepared.to_json()) == json.loads(deck.to_json())        # the same map
    assert len(prepared.to_json()) < len(deck.to_json()) / 2                      # without pydeck's indentation
    assert prepared._tooltip == deck._tooltip
    layers = json.loads(prepared.to_json())["layers"]
    coords = json.dumps([layers[0]["data"]["features"][0]["geometry"], layers[1]["data"][0]["lon"]])
    decimals = [len(d) for d in re.findall(r"\.(\d+)", coords)]
    assert decimals and max(decimals) <= maps.COORD_DIGITS

    # through the cache: one prepared deck per (month, scope, view), shared by every later view
    monkeypatch.setattr(cache, "fingerprint", lambda eng: "fp")
    cache._ENGINES[cache.db_key(sqlite_engine)] = sqlite_engine
    a = cache.map_deck(sqlite_engine, MONTH, Scope.city(), height=620, width=960)
    assert cache.map_deck(sqlite_engine, MONTH, Scope.city(), height=620, width=960) is a
    assert json.loads(a.to_json()) == json.loads(deck.to_json())
    county = md.counties["county_code"].iloc[0]
    own = cache.map_deck(sqlite_engine, MONTH, Scope.county(county), height=620, width=960)
    assert own is not a and len(json.loads(own.to_json())["layers"][0]["data"]["features"]) == 1
    cache.clear()
