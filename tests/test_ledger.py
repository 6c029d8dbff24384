import datetime as dt
from pathlib import Path
from typing import Any

import pendulum
import pytest
from sqlalchemy import inspect, select, text, update
from sqlalchemy.exc import DatabaseError

from models.ledger import Event
from officeflow import clock, db, events
from officeflow.settings import Settings
from tests.cli_helpers import run_cli
from tests.conftest import both_backends

backend = both_backends  # these tests run on SQLite and on PostgreSQL


def test_db_upgrade_creates_the_ledger_and_is_repeatable(office_env: Any) -> None:
    first = run_cli("db", "upgrade")
    assert first.returncode == 0, first.stderr
    assert (office_env.home / "ledger.db").exists()
    again = run_cli("db", "upgrade")
    assert again.returncode == 0
    tables = set(inspect(db.get_engine()).get_table_names())
    assert {
        "departments",
        "people",
        "person_roles",
        "contact_points",
        "notices",
        "deliveries",
        "events",
    } <= tables


def test_timestamps_are_stored_as_utc_and_sort_correctly(ledger: Settings) -> None:
    shanghai = pendulum.datetime(2026, 9, 21, 9, 30, tz="Asia/Shanghai")  # 01:30Z
    utc_later = pendulum.datetime(2026, 9, 21, 3, 0, tz="UTC")
    with db.session_scope() as s:
        events.record(s, action="b", object_type="t", object_id=1, at=utc_later)
        events.record(s, action="a", object_type="t", object_id=1, at=shanghai)
    with db.session_scope() as s:
        rows = events.history(s, object_type="t", object_id=1)
    assert [r.action for r in rows] == ["a", "b"]
    assert rows[0].at == shanghai and rows[0].at.tzinfo is not None
    with db.get_engine().connect() as conn:
        raw = conn.execute(text("SELECT at FROM events ORDER BY id LIMIT 1")).scalar()
    assert str(raw).startswith("2026-09-21 03:00:00")


def test_naive_datetimes_are_refused(ledger: Settings) -> None:
    with pytest.raises(Exception, match="naive datetime"), db.session_scope() as s:
        events.record(s, action="x", object_type="t", object_id=1, at=dt.datetime(2026, 1, 1))


def test_event_log_is_append_only(ledger: Settings) -> None:
    with db.session_scope() as s:
        events.record(s, action="made", object_type="t", object_id=1)
    with pytest.raises(DatabaseError, match="append-only"), db.session_scope() as s:
        s.execute(update(Event).values(action="forged"))
    with pytest.raises(DatabaseError, match="append-only"), db.session_scope() as s:
        s.execute(text("DELETE FROM events"))
    with db.session_scope() as s:
        assert s.scalars(select(Event.action)).all() == ["made"]


def test_clock_override_from_environment_and_code(office_env: Any) -> None:
    office_env.set(now="2026-09-21T09:00:00+08:00")
    assert clock.now() == pendulum.datetime(2026, 9, 21, 1, tz="UTC")
    with clock.frozen("2026-10-09T10:00:00+08:00"):
        assert clock.now().isoformat() == "2026-10-09T02:00:00+00:00"
    assert clock.now().day == 21
    with pytest.raises(ValueError, match="needs an offset"):
        office_env.set(now="2026-09-21T09:00:00")


def test_settings_reject_bad_values(office_env: Any) -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        office_env.set(timezone="Mars/Olympus")
    with pytest.raises(ValueError, match="locale"):
        office_env.set(timezone="Asia/Shanghai", locale="fr")


def test_models_and_migrations_agree_and_a_new_revision_branches(tmp_path: Path) -> None:
    """`officeflow db revision` autogenerates against a ledger at every head: with no table
    added to models/ it finds nothing to do (every model has its migration), and the file it
    writes branches from the revision named by --after."""
    from officeflow import db

    path = db.new_revision(
        "nothing new", "0099_probe", after="0001_foundation", version_path=tmp_path
    )
    text = path.read_text(encoding="utf-8")
    assert path.parent == tmp_path
    assert "down_revision = '0001_foundation'" in text
    assert "op.create_table" not in text and "op.add_column" not in text, text
