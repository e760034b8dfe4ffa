"""One snapshot per page read (issue 13): load_month reads sites, households, labourers, … in several queries; an
import committing between two of them must be seen entirely or not at all — on SQLite (WAL) as on PostgreSQL."""
from __future__ import annotations

from sqlalchemy import text

from data import repository as repo
from data.demo import build_demo
from data.db import create

MONTH = "2026-10"


def test_load_month_is_one_snapshot_while_another_connection_commits(engine, monkeypatch):
    build_demo(engine, household_factor=0.01, months=1, end_month=MONTH)
    before = repo.load_month(engine, MONTH)
    assert len(before.households) > 0
    writer = create(engine.url.render_as_string(hide_password=False), upgrade=False)
    real_households, wrote = repo.households, []

    def households_after_a_commit(eng, *args, **kwargs):
        # another connection (an import in another process) commits after the sites were read ...
        with writer.begin() as conn:
            conn.execute(text("UPDATE households SET family_size = family_size + 100"))
            conn.execute(text("UPDATE sites SET name = name || '（新）'"))
        wrote.append(True)
        return real_households(eng, *args, **kwargs)      # ... and before the households are

    monkeypatch.setattr(repo, "households", households_after_a_commit)
    during = repo.load_month(engine, MONTH)
    monkeypatch.undo()
    assert wrote
    # the reader saw the month as it was when it started: old sites and old households, never the new households
    # beside the old sites
    assert list(during.sites["site_name"]) == list(before.sites["site_name"])
    assert list(during.households["family_size"]) == list(before.households["family_size"])
    after = repo.load_month(engine, MONTH)                  # a new read sees the whole change
    assert (after.households["family_size"].to_numpy() == before.households["family_size"].to_numpy() + 100).all()
    assert after.sites["site_name"].str.endswith("（新）").all()
    writer.dispose()
