"""A CLI command's flow runs in the running stack's warm web process (issue 15 §4,
`officeflow.flowcalls`): the same Prefect flow run on the stack's server, the same ledger rows,
door and mail as when it runs in the command's own process; the endpoint refuses anyone without
the home's auth string, from elsewhere than this machine, or naming another flow, and then runs
nothing; without the web process the command runs the flow itself.

One `officeflow up` for the module (about 30 s to start on 2 cores), stopped at the end.
"""

from __future__ import annotations

import base64
import getpass
import json
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from officeflow.flowcalls import PATH, ledger_id
from officeflow.mailcatcher import free_port, read_outbox
from officeflow.stack import AUTH_FILE, STACK_FILE, StackInfo
from tests.stack_helpers import stack_env, start_stack, stop_stack

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.slow


@dataclass
class Stack:
    info: StackInfo
    home: Path
    env: dict[str, str]  # a user's shell: OFFICEFLOW_HOME only, no PREFECT_* variable

    @property
    def auth(self) -> str:
        return (self.home / AUTH_FILE).read_text(encoding="utf-8").strip()

    def cli(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "officeflow"), *args],
            env=env or self.env,
            capture_output=True,
            text=True,
            timeout=180,
            cwd=ROOT,
        )

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.home / "ledger.db") as conn:
            return conn.execute(sql).fetchall()

    def prefect(self, path: str, body: Any) -> Any:
        """The stack's locked-down Prefect API (HTTP Basic, and a CSRF token for a POST)."""
        basic = {"authorization": "Basic " + base64.b64encode(self.auth.encode()).decode()}
        url = self.info.api_url
        with urllib.request.urlopen(
            urllib.request.Request(f"{url}/csrf-token?client=t", headers=basic), timeout=10
        ) as r:
            csrf = {"prefect-csrf-token": json.load(r)["token"], "prefect-csrf-client": "t"}
        headers = {"content-type": "application/json", **basic, **csrf}
        request = urllib.request.Request(url + path, json.dumps(body).encode(), headers)
        with urllib.request.urlopen(request, timeout=10) as r:
            return json.load(r)

    def flow_runs(self, flow: str) -> list[dict[str, Any]]:
        """The runs of one flow called by a command, not by a deployment (the worker runs the
        scheduled sweeps of the same flows meanwhile)."""
        body = {
            "flows": {"name": {"any_": [flow]}},
            "flow_runs": {"deployment_id": {"is_null_": True}},
        }
        return list(self.prefect("/flow_runs/filter", body))

    def web_log(self) -> str:
        return (self.home / "logs" / "web.log").read_text(encoding="utf-8", errors="replace")

    def post(self, body: Any, headers: dict[str, str]) -> int:
        request = urllib.request.Request(
            self.info.local_web_url + PATH,
            json.dumps(body).encode(),
            {"content-type": "application/json", **headers},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as r:
                return int(r.status)
        except urllib.error.HTTPError as error:
            return int(error.code)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    home = tmp_path_factory.mktemp("stack") / "office"
    env = stack_env(home, COLUMNS="200")
    log = tmp_path_factory.mktemp("stack-log") / "up.log"
    proc, info = start_stack(home, env, log, web_port=True)
    try:
        assert info.local_web_url.startswith("http://127.0.0.1:")
        yield Stack(info, home, env)
    finally:
        stop_stack(proc)


def test_a_flow_command_runs_in_the_stacks_web_process(stack: Stack) -> None:
    created = stack.cli("decision", "create", "examples/decision.yaml")
    assert created.returncode == 0, created.stderr
    assert "decision recorded 1 with assignments 1, 2; 5 notices sent" in created.stdout
    assert "Decision 1:" in created.stdout  # the command's own output follows
    # It ran in the web process (its log holds the flow run), as a real flow run on the server.
    assert "for flow 'decision-implementation'" in stack.web_log()
    runs = stack.flow_runs("decision-implementation")
    assert len(runs) == 1
    assert runs[0]["state_type"] == "COMPLETED"
    assert runs[0]["parameters"]["decision"]["title"].startswith("关于做好国庆假期")
    # The ledger: the decision and its assignments, recorded through the CLI's door by this user.
    assert stack.rows("select count(*) from assignments") == [(2,)]
    recorded = stack.rows(
        "select action, via, operator from events where action like '%.issued' order by id"
    )
    assert [a for a, _, _ in recorded] == [
        "decision.issued",
        "assignment.issued",
        "assignment.issued",
    ]
    assert {(via, operator) for _, via, operator in recorded} == {("cli", getpass.getuser())}
    # The mail arrived at the stack's mail catcher: one message per notice, to its person.
    mail = read_outbox(Path(stack.info.outbox))
    to = sorted(msg["To"].addresses[0].addr_spec for _, msg in mail)
    sent = stack.rows("select address from deliveries where status = 'sent' and channel = 'email'")
    assert len(to) == 5 and to == sorted(a for (a,) in sent)
    assert "wu.qiang@example.gov.cn" in to  # the first assignment's owner
    # Again: the same file records and sends nothing new (the ledger's keys, in the stack too).
    again = stack.cli("decision", "create", "examples/decision.yaml")
    assert again.returncode == 0, again.stderr
    assert "already recorded as 1" in again.stdout and "0 notices sent" in again.stdout
    assert len(read_outbox(Path(stack.info.outbox))) == len(mail)


def test_errors_in_the_stack_exit_as_they_would_in_process(stack: Stack) -> None:
    reported = stack.cli("incident", "report", "examples/incident.yaml")
    assert reported.returncode == 0, reported.stderr
    assert "for flow 'emergency-response'" in stack.web_log()
    runs = len(stack.flow_runs("incident-close"))
    events = stack.rows("select count(*) from events")
    # Refused before the flow, in the CLI process as before: the same sentence, exit 77.
    refused = stack.cli("incident", "close", "1", "--summary", "x", "--as", "cao.yan")
    assert refused.returncode == 77, refused.stderr
    assert refused.stderr.strip() == (
        "error: 'cao.yan' (曹艳) may not close (incident 1): only the duty officers (on duty now "
        "or by role), the office director and the leaders may"
    )
    bad = stack.cli("incident", "close", "999", "--summary", "x", "--as", "zhao.min")
    assert (bad.returncode, bad.stderr.strip()) == (2, "error: incident: no incident 999")
    assert len(stack.flow_runs("incident-close")) == runs
    assert stack.rows("select count(*) from events") == events
    # An error raised inside the flow in the web process comes back as the same exception
    # (the CLI then exits with its code and sentence).
    code = (
        "from officeflow.flowcalls import run_in_stack\n"
        "try:\n"
        "    run_in_stack('flows.emergency:incident_close',\n"
        "                 {'incident_id': 999, 'params': {'summary': 'x'}, 'actor': 'zhao.min'})\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=stack.env, capture_output=True, text=True, cwd=ROOT
    )
    assert out.stdout.strip() == "InputError incident: no incident 999", out.stderr
    assert stack.rows("select count(*) from events") == events


def test_the_endpoint_refuses_and_runs_nothing(stack: Stack) -> None:
    body = {
        "flow": "flows.supervision:supervision_sweep",
        "params": {},
        "operator": "mallory",
        "ledger": ledger_id(f"sqlite:///{(stack.home / 'ledger.db').resolve()}"),
    }
    bearer = {"authorization": f"Bearer {stack.auth}"}
    events = stack.rows("select count(*) from events")
    runs = len(stack.flow_runs("supervision-sweep"))

    assert stack.post(body, {}) == 401  # no auth string
    assert stack.post(body, {"authorization": "Bearer officeflow:guess"}) == 401
    assert stack.post(body, {"authorization": f"Basic {stack.auth}"}) == 401
    # The auth string, but through a proxy (a forwarding header): refused.
    assert stack.post(body, {**bearer, "x-forwarded-for": "203.0.113.9"}) == 403
    # Only the CLI's flows: not a deployment-only flow, not any other Python callable.
    for target in ("flows.delivery:delivery_retry", "os:system", "flows.supervision:flow"):
        assert stack.post({**body, "flow": target}, bearer) == 404
    # Another ledger: the CLI runs the flow itself.
    assert stack.post({**body, "ledger": "0" * 16}, bearer) == 409

    assert stack.rows("select count(*) from events") == events
    assert len(stack.flow_runs("supervision-sweep")) == runs
    assert "mallory" not in stack.web_log()
    # The same request with the auth string runs it, as the CLI door and the given user.
    assert stack.post(body, bearer) == 200
    assert len(stack.flow_runs("supervision-sweep")) == runs + 1


def test_flows_at_once_in_the_web_process_keep_their_own_door(stack: Stack) -> None:
    """Three requests at once (the pool's threads): each decision's events carry its own
    caller: nothing leaks from one request to another."""
    from concurrent.futures import ThreadPoolExecutor

    from models.supervision_input import DecisionSpec
    from officeflow.flowcalls import to_json
    from officeflow.inputs import load_yaml_model

    spec, _ = load_yaml_model(ROOT / "examples" / "decision.yaml", DecisionSpec)
    bearer = {"authorization": f"Bearer {stack.auth}"}
    ledger = ledger_id(f"sqlite:///{(stack.home / 'ledger.db').resolve()}")
    users = ["alice", "bob", "carol"]

    def post(user: str) -> int:
        decision = spec.model_copy(update={"title": f"并发测试 {user}", "source_ref": user})
        body = {
            "flow": "flows.supervision:decision_implementation",
            "params": {"decision": to_json(decision)},
            "operator": user,
            "ledger": ledger,
        }
        return stack.post(body, bearer)

    with ThreadPoolExecutor(len(users)) as pool:
        assert list(pool.map(post, users)) == [200] * len(users)
    rows = stack.rows(
        "select d.source_ref, e.via, e.operator from events e join decisions d "
        "on e.object_type = 'decision' and e.object_id = d.id where d.source_ref in "
        "('alice', 'bob', 'carol')"
    )
    assert sorted(rows) == [(u, "cli", u) for u in users]


def test_the_endpoint_refuses_another_address() -> None:
    """From anywhere but the loopback address (here the test client's), even with the auth
    string, nothing runs (403)."""
    from fastapi.testclient import TestClient

    from officeflow.settings import get_settings
    from officeflow.stack import auth_string
    from officeflow.web.app import create_app

    settings = get_settings()
    secret = auth_string(settings.home, create=True)
    client = TestClient(create_app(settings))  # its address is "testclient"
    response = client.post(
        PATH,
        json={"flow": "flows.supervision:supervision_sweep", "params": {}},
        headers={"authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 403


def test_without_the_web_process_the_command_runs_the_flow_itself(stack: Stack) -> None:
    """A stack whose web process does not answer: the command runs the flow in its own
    process (reporting to the stack's server), and never fails for it."""
    info = json.loads((stack.home / STACK_FILE).read_text())
    saved = json.dumps(info)
    info["local_web_url"] = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    (stack.home / STACK_FILE).write_text(json.dumps(info))
    runs = len(stack.flow_runs("emergency-sweep"))
    log_before = stack.web_log().count("for flow 'emergency-sweep'")
    try:
        swept = stack.cli("incident", "sweep")
    finally:
        (stack.home / STACK_FILE).write_text(saved)
    assert swept.returncode == 0, swept.stderr
    assert "0 escalations, 0 reminders" in swept.stdout
    assert len(stack.flow_runs("emergency-sweep")) == runs + 1
    assert stack.web_log().count("for flow 'emergency-sweep'") == log_before
    # On a set clock (OFFICEFLOW_NOW, or --now … --send) too: the web process keeps the real one.
    timed = stack.cli(
        "incident", "sweep", env={**stack.env, "OFFICEFLOW_NOW": "2026-09-21T09:00:00+08:00"}
    )
    assert timed.returncode == 0, timed.stderr
    assert len(stack.flow_runs("emergency-sweep")) == runs + 2
    assert stack.web_log().count("for flow 'emergency-sweep'") == log_before
    # With the web process back, the same command runs there.
    again = stack.cli("incident", "sweep")
    assert again.returncode == 0, again.stderr
    assert stack.web_log().count("for flow 'emergency-sweep'") == log_before + 1


def test_every_flow_command_names_an_allowed_flow_with_its_parameters() -> None:
    """Each literal `run_flow(...)` in the hand-written commands names a flow of the allow-list,
    by its parameters' names (a typo would only show when that command ran); the generated
    commands run their declared action's flow as (id, params, actor); and the allow-list
    (derived from the declarations) holds nothing else."""
    import ast
    import importlib
    import inspect

    from officeflow import actions
    from officeflow.flowcalls import FLOWS

    named = set()
    for path in sorted((ROOT / "officeflow" / "cli").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "run_flow":
                if not isinstance(node.args[0], ast.Constant):
                    continue  # officeflow/cli/actions.py: a declared action's flow, below
                target = node.args[0].value
                named.add(target)
                module, name = target.split(":")
                flow = getattr(importlib.import_module(module), name)
                inspect.signature(flow.fn).bind(**{k.arg: None for k in node.keywords if k.arg})
    for action in actions.all_actions():
        if action.cli_runs_flow:
            assert action.flow
            named.add(action.flow)
            flow = actions.resolve(action.flow)
            inspect.signature(flow.fn).bind(
                **{action.obj.id_param: None, "params": None, "actor": None}
            )
    assert named == FLOWS
    assert len(named) >= 20
