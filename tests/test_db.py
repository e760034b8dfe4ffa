from sqlalchemy import inspect

from data.db import create, current_revision, get_setting, set_setting


def test_schema_is_migrated_on_both_databases(engine):
    assert current_revision(engine) == "0005"
    tables = set(inspect(engine).get_table_names())
    assert {"sites", "households", "labourers", "imports", "result_cache", "users", "user_sessions",
            "interview_cases", "interview_records", "followup_sites"} <= tables
    assert {"participants", "recorded_by"} <= {c["name"] for c in inspect(engine).get_columns("followups")}
    assert {"failed_logins", "locked_until"} <= {c["name"] for c in inspect(engine).get_columns("users")}


def test_upgrade_keeps_existing_data(tmp_path):
    url = f"sqlite:///{tmp_path/'keep.db'}"
    eng = create(url)
    set_setting(eng, "city_name", "黔西南布依族苗族自治州")
    eng.dispose()
    eng2 = create(url)  # a second start upgrades in place, never recreates
    assert get_setting(eng2, "city_name") == "黔西南布依族苗族自治州"
    mode = eng2.connect().exec_driver_sql("PRAGMA journal_mode").scalar()
    assert mode == "wal"
