"""The meeting process has the shape every office process has (docs/adding-a-process.md):
typed flow results, one handler per step kind, `meeting-sweep` returning the common
`SweepResult`, one flow per declared action, and `--as` as the actor option of every command
that records an action."""

from __future__ import annotations

import typing
from typing import Any

import pytest
from prefect import Flow
from pydantic import BaseModel
from typer.core import TyperOption
from typer.main import get_command

from deployments.definitions import by_name
from flows import meeting as flows
from models.common import SweepResult
from models.meeting import StepKind
from models.meeting_input import MeetingSweepResult
from officeflow import actions
from officeflow import meeting as service
from officeflow.cli import build_app

MEETING_FLOWS = {
    value.name: value
    for value in vars(flows).values()
    if isinstance(value, Flow) and value.__module__ == flows.__name__
}


def test_every_meeting_flow_returns_a_pydantic_model_and_prints_nothing() -> None:
    assert len(MEETING_FLOWS) == 9, sorted(MEETING_FLOWS)
    for name, f in MEETING_FLOWS.items():
        result = typing.get_type_hints(f.fn)["return"]
        assert isinstance(result, type) and issubclass(result, BaseModel), (name, result)
        assert not f.log_prints, name


def test_the_sweep_is_meeting_sweep_and_returns_the_common_result() -> None:
    assert MEETING_FLOWS["meeting-sweep"] is flows.meeting_sweep
    assert typing.get_type_hints(flows.meeting_sweep.fn)["return"] is MeetingSweepResult
    assert issubclass(MeetingSweepResult, SweepResult)
    assert MeetingSweepResult().process == "meeting"
    assert by_name("meeting-sweep").entrypoint == "flows/meeting.py:meeting_sweep"
    assert [s.cron for s in by_name("meeting-sweep").schedules] == ["*/5 * * * *"]


def test_the_preparation_deployment_describes_what_the_flow_does() -> None:
    description = by_name("meeting-preparation").description
    assert "attendance" not in description  # no such step exists
    assert "call for topics" in description and "meeting-sweep" in description


def test_every_step_kind_has_exactly_one_handler() -> None:
    assert set(service.STEP_HANDLERS) == set(StepKind)
    assert all(callable(h) for h in service.STEP_HANDLERS.values())


def test_every_declared_action_has_its_flow_named_after_it() -> None:
    declared = [a for a in actions.all_actions() if a.obj.name == "meeting"]
    assert {a.verb for a in declared} == {
        "submit-topic",
        "approve-agenda",
        "submit-materials",
        "reschedule",
        "cancel",
        "record-minutes",
        "register-attendance",
    }
    for a in declared:
        assert a.flow is not None
        assert MEETING_FLOWS[a.deployment_name] is actions.resolve(a.flow), a.key
        actions.check_service(a)


def _commands() -> dict[str, Any]:
    root = get_command(build_app("meeting"))
    return root.commands["meeting"].commands  # type: ignore[attr-defined,no-any-return]


def _options(command: str) -> set[str]:
    params = _commands()[command].params
    return {opt for p in params if isinstance(p, TyperOption) for opt in p.opts}


@pytest.mark.parametrize(
    "command",
    [
        "create",
        "submit-topic",
        "approve-agenda",
        "submit-materials",
        "reschedule",
        "cancel",
        "record-minutes",
        "register-attendance",
    ],
)
def test_the_actor_is_as_everywhere(command: str) -> None:
    options = _options(command)
    assert "--as" in options and "--by" not in options, options


def test_no_meeting_command_has_another_actor_flag() -> None:
    for name in _commands():
        assert not _options(name) & {"--by", "--person", "--actor"}, name
