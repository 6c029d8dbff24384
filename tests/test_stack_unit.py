"""Pieces of `officeflow up` and `officeflow demo` that need no servers."""

from __future__ import annotations

import socket
from pathlib import Path

import yaml

from officeflow.cli.stack import _parameters_for, demo_runs
from officeflow.mailcatcher import MailCatcher
from officeflow.stack import LocalStack, StackInfo, client_env, pick_port, port_is_free

ROOT = Path(__file__).resolve().parent.parent


def test_a_taken_port_is_replaced_by_a_free_one() -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        taken = held.getsockname()[1]
        assert not port_is_free("127.0.0.1", taken)
        other = pick_port("127.0.0.1", taken)
    assert other != taken and other > 0


def test_worker_environment_points_at_the_same_ledger_and_the_catcher(tmp_path: Path) -> None:
    stack = LocalStack(home=tmp_path / "rel" / ".." / "office", port=4321)
    stack.catcher = MailCatcher(port=2525)
    env = stack.worker_env()
    assert env["OFFICEFLOW_HOME"] == str((tmp_path / "office").resolve())
    assert Path(env["OFFICEFLOW_HOME"]).is_absolute()
    assert (env["OFFICEFLOW_SMTP_HOST"], env["OFFICEFLOW_SMTP_PORT"]) == ("127.0.0.1", "2525")
    assert env["PREFECT_API_URL"] == "http://127.0.0.1:4321/api"
    assert env["PREFECT_HOME"] == str(stack.home / "prefect")
    # The worker is a client of the locked-down server: it sends the auth string, and holds
    # nothing of the server's own settings.
    secret = (stack.home / "prefect-auth").read_text(encoding="utf-8").strip()
    assert env["PREFECT_API_AUTH_STRING"] == secret
    assert "PREFECT_SERVER_API_AUTH_STRING" not in env

    server = stack.prefect_env()
    assert server["PREFECT_UI_API_URL"] == "http://127.0.0.1:4321/api"
    assert server["PREFECT_SERVER_API_PORT"] == "4321"
    assert server["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    assert server["PREFECT_SERVER_API_AUTH_STRING"] == secret
    assert server["PREFECT_SERVER_API_CORS_ALLOWED_ORIGINS"] == "http://127.0.0.1:4321"
    assert server["PREFECT_SERVER_API_CSRF_PROTECTION_ENABLED"] == "true"
    # The web app and other clients read the same credentials.
    assert client_env(stack.home) == {"PREFECT_API_AUTH_STRING": secret}


def test_stack_info_round_trip(tmp_path: Path) -> None:
    assert StackInfo.read(tmp_path) is None
    (tmp_path / "stack.json").write_text(
        '{"api_url": "http://127.0.0.1:1/api", "ui_url": "http://127.0.0.1:1", '
        '"smtp_host": "127.0.0.1", "smtp_port": 2, "outbox": "/x", "pids": {"server": 3}}'
    )
    info = StackInfo.read(tmp_path)
    assert info is not None and info.pids == {"server": 3}


def test_demo_wraps_an_example_as_the_flows_one_parameter() -> None:
    schema = {"properties": {"decision": {}}, "required": ["decision"]}
    path = ROOT / "examples" / "decision.yaml"
    params = _parameters_for(schema, path)
    assert params == {"decision": yaml.safe_load(path.read_text(encoding="utf-8"))}
    assert demo_runs()[0] == ("decision-implementation", "examples/decision.yaml")
