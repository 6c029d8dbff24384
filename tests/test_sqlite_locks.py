"""Issue 16, defect 5: SQLite readers queued behind writers. Every session began IMMEDIATE, so
while another process held the write lock a read-only `org show` waited for it, and a writer
that waited longer than the busy timeout died with a `database is locked` traceback."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from officeflow.settings import Settings
from tests.cli_helpers import run_cli
from tests.conftest import EXAMPLE_ORG


@contextmanager
def write_lock(ledger: Settings) -> Iterator[sqlite3.Connection]:
    """Another process's writer: holds the ledger's write lock (BEGIN IMMEDIATE) until exit."""
    path = Path(ledger.database_url.removeprefix("sqlite:///"))
    holder = sqlite3.connect(path, isolation_level=None, timeout=1)
    try:
        holder.execute("BEGIN IMMEDIATE")
        yield holder
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_defect5_read_only_commands_do_not_wait_for_a_writer(org: Any, ledger: Settings) -> None:
    # A busy timeout of 1 s: a command that waited for the write lock would give up after it
    # (exit 75, "the ledger is locked"), since the writer keeps the lock until every command
    # has ended. So success proves it never waited, however slow the machine (no timing).
    env = {"OFFICEFLOW_SQLITE_BUSY_TIMEOUT_S": "1"}
    with write_lock(ledger) as holder:
        for command in (["org", "show"], ["decision", "list"], ["deliveries", "list"]):
            result = run_cli(*command, env=env)
            assert result.returncode == 0, (command, result.stderr)
            if command == ["org", "show"]:
                assert "sun.li" in result.stdout
        assert holder.in_transaction  # the writer held the lock the whole time


def test_defect5_a_writer_that_times_out_gets_a_clear_error(org: Any, ledger: Settings) -> None:
    with write_lock(ledger):
        result = run_cli(
            "org", "load", str(EXAMPLE_ORG), env={"OFFICEFLOW_SQLITE_BUSY_TIMEOUT_S": "1"}
        )
    assert result.returncode == 75, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: the ledger is locked: another officeflow command")
    assert "busy timeout (1 s, OFFICEFLOW_SQLITE_BUSY_TIMEOUT_S)" in lines[0]
    assert "try again" in lines[0]
