"""The documents process has the shape every office process has (docs/adding-a-process.md):
typed flow results, a deployment per flow, `documents-sweep` returning the common
`SweepResult`, and `--as` on every command that records an action."""

from __future__ import annotations

import typing

from prefect import Flow
from pydantic import BaseModel
from typer.main import get_command

from deployments.definitions import by_name
from flows import documents as flows
from models.common import SweepResult
from officeflow.cli import build_app

DOC_FLOWS = {
    value.name: value
    for value in vars(flows).values()
    if isinstance(value, Flow) and value.__module__ == flows.__name__
}
ACTIONS = {"propose", "comment", "distribute", "file", "review", "redraft", "cosign"}
ACTIONS |= {"sign-off", "issue", "confirm-receipt"}


def test_every_flow_returns_a_pydantic_model_and_has_a_deployment() -> None:
    assert {"document-incoming", "document-outgoing", "documents-sweep"} <= set(DOC_FLOWS)
    for name, f in DOC_FLOWS.items():
        result = typing.get_type_hints(f.fn)["return"]
        assert isinstance(result, type) and issubclass(result, BaseModel), (name, result)
        assert not f.log_prints, name
        assert by_name(name).entrypoint == f"flows/documents.py:{f.fn.__name__}"
    assert typing.get_type_hints(flows.documents_sweep.fn)["return"] is SweepResult
    assert [s.cron for s in by_name("documents-sweep").schedules] == ["0 9 * * *"]


def test_every_action_command_names_its_actor_with_as() -> None:
    group = get_command(build_app("doc")).commands["doc"]  # type: ignore[attr-defined]
    commands = group.commands
    assert set(commands) >= ACTIONS | {"confirm"}  # 签收's old name, hidden
    assert commands["confirm"].hidden and not commands["confirm-receipt"].hidden
    for name in ACTIONS:
        options = {o for p in commands[name].params for o in getattr(p, "opts", [])}
        assert "--as" in options, name
