"""Issue 30, finding 9: the CLI's ``--as``. With ``OFFICEFLOW_CLI_OPERATORS`` set, the
operating-system user running a command may act only as the people it is mapped to (``*``:
anyone): otherwise exit 77 before anything is written. The OS user is recorded as the events'
``operator``. ``decision create`` records the decision in its issuing leader's name (``--as``,
checked the same way), never as ``system``. Run as a user would (the console script)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from models.ledger import Event
from models.supervision import Decision, ProgressReport
from officeflow import actors, db
from officeflow.mailcatcher import MailCatcher
from officeflow.settings import parse_cli_operators
from tests import board_helpers
from tests.cli_helpers import run_cli
from tests.conftest import ROOT

ME = actors.os_user()  # the account of this process's real user id


def events_of(action: str) -> list[tuple[str, str | None, str | None]]:
    with db.read_scope() as s:
        rows = s.scalars(select(Event).where(Event.action == action).order_by(Event.id))
        return [(e.actor, e.via, e.operator) for e in rows]


def test_the_mapping_decides_whom_the_os_user_may_act_as(make_org: Any) -> None:
    known = board_helpers.build(make_org)
    green = str(known["green"])  # owned by p1-1
    env = {"OFFICEFLOW_NOW": board_helpers.NOW}
    command = ("assignment", "report-progress", green, "--progress", "70", "--note", "过半")

    refused = run_cli(
        *command, "--as", "p1-1", env={**env, "OFFICEFLOW_CLI_OPERATORS": f"{ME}=p1-0"}
    )
    assert refused.returncode == 77, refused.stderr
    assert f"the operating-system user {ME!r} may not act as 'p1-1'" in refused.stderr
    assert f"系统用户 {ME} 无权以 p1-1 的名义操作" in refused.stderr
    unmapped = run_cli(*command, "--as", "p1-1", env={**env, "OFFICEFLOW_CLI_OPERATORS": "alice=*"})
    assert unmapped.returncode == 77 and "act as nobody" in unmapped.stderr
    assert events_of("assignment.progress") == []  # nothing was written

    allowed = run_cli(
        *command, "--as", "p1-1", env={**env, "OFFICEFLOW_CLI_OPERATORS": f"alice=*;{ME}=p1-0,p1-1"}
    )
    assert allowed.returncode == 0, allowed.stderr
    admin = run_cli(
        "assignment", "report-progress", green, "--progress", "80", "--as", "p1-1",
        env={**env, "OFFICEFLOW_CLI_OPERATORS": f"{ME}=*"},
    )  # fmt: skip
    assert admin.returncode == 0, admin.stderr
    # Recorded: the person it asserted, through the CLI, by this OS user.
    assert events_of("assignment.progress") == [("p1-1", "cli", ME)] * 2
    with db.read_scope() as s:
        assert s.scalar(select(ProgressReport.progress).order_by(ProgressReport.id.desc())) == 80
    # Unset: --as is the caller's assertion, checked only by the policy.
    unset = run_cli(*command[:3], "--progress", "90", "--as", "p1-1", env=env)
    assert unset.returncode == 0, unset.stderr


def test_a_malformed_mapping_is_refused_naming_the_setting() -> None:
    assert parse_cli_operators("alice=zhang.wei, li.na;root=*;alice=wu.qiang") == {
        "alice": frozenset({"zhang.wei", "li.na", "wu.qiang"}),
        "root": frozenset({"*"}),
    }
    for bad in ("alice", "=zhang.wei", "alice=", "alice=,"):
        with pytest.raises(ValueError, match="OFFICEFLOW_CLI_OPERATORS"):
            parse_cli_operators(bad)
    shown = run_cli("decision", "list", env={"OFFICEFLOW_CLI_OPERATORS": "alice"})
    assert shown.returncode != 0 and "OFFICEFLOW_CLI_OPERATORS" in shown.stderr


def test_decision_create_is_recorded_in_the_issuing_leaders_name(
    org: Any, mail_office: MailCatcher, prefect_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**prefect_env, "OFFICEFLOW_NOW": "2026-09-21T10:00:00+08:00"}
    decision = str(ROOT / "examples" / "decision.yaml")  # issued_by: chen.zhiqiang
    forbidden = run_cli(
        "decision", "create", decision,
        env={**env, "OFFICEFLOW_CLI_OPERATORS": f"{ME}=li.na"},
    )  # fmt: skip
    assert forbidden.returncode == 77, forbidden.stderr
    assert "may not act as 'chen.zhiqiang'" in forbidden.stderr
    other = run_cli("decision", "create", decision, "--as", "li.na", env=env)
    assert other.returncode == 2
    assert "issued by 'chen.zhiqiang', but --as names 'li.na'" in other.stderr
    with db.read_scope() as s:
        assert s.scalar(select(Decision.id)) is None  # nothing recorded

    created = run_cli(
        "decision", "create", decision, "--as", "chen.zhiqiang",
        env={**env, "OFFICEFLOW_CLI_OPERATORS": f"{ME}=chen.zhiqiang"},
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert events_of("decision.issued") == [("chen.zhiqiang", "cli", ME)]
    assert {a for a, _, _ in events_of("assignment.issued")} == {"chen.zhiqiang"}
