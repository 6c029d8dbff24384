"""Issue 16, defect 5: SQLite readers queued behind writers. Every session began IMMEDIATE, so
while another process held the write lock a read-only `org show` waited for it, and a writer
that waited longer than the busy timeout died with a `database is locked` traceback."""

from __future__ import annotations

import sqlite3
import time
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
    busy_timeout = 120
    env = {"OFFICEFLOW_SQLITE_BUSY_TIMEOUT_S": str(busy_timeout)}
    with write_lock(ledger) as holder:
        for command in (["org", "show"], ["decision", "list"], ["deliveries", "list"]):
            started = time.monotonic()
            result = run_cli(*command, env=env, timeout=busy_timeout + 60)
            elapsed = time.monotonic() - started
            assert result.returncode == 0, (command, result.stderr)
            # Well under the busy timeout: the command did not wait for the lock (starting
            # the CLI takes several seconds on a busy test machine).
            assert elapsed < busy_timeout / 2, (command, elapsed)
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
