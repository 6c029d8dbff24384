"""The Prefect doors of a running stack (issue 30): what the API auth string lets a caller do to
a flow run, and what the locked-down server answers without it.

- A run cannot set the `office` pool's job variables: no `env` (the clock, `OFFICEFLOW_NOW`), no
  `command`. The server refuses such a run at creation (422), and a run that slips past that
  check (a bare `POST /flow_runs/`, which Prefect does not validate) still starts the flow the
  normal way: the pool's job template has no such variables, so they never reach the process.
- A run with an unknown parameter is refused at creation, naming it.
- Without the auth string a GET gets 401 and a POST 403 "Missing CSRF token."; the API's
  documentation pages (`/docs`, `/redoc`, `/openapi.json`) are not served.

One `officeflow up` (server, worker, mail catcher; no web pages) for the module, on 127.0.0.1.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from deployments.definitions import POOL, QUEUE
from officeflow.stack import StackInfo, client_env
from tests.stack_helpers import stack_env, start_stack, stop_stack

ROOT = Path(__file__).resolve().parent.parent
ACKNOWLEDGE = "incident-acknowledge"
REPORT = "emergency-response"
TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}

pytestmark = pytest.mark.slow


@dataclass
class Doors:
    info: StackInfo
    home: Path
    auth: str
    proc: subprocess.Popen[bytes]

    def request(
        self,
        url: str,
        body: Any = None,
        *,
        method: str | None = None,
        auth: bool = True,
        csrf: bool = True,
    ) -> tuple[int, str]:
        """Status and body text of one request; with ``auth`` the auth string (HTTP Basic) and,
        on a request with a body and ``csrf``, a CSRF token, as the Prefect client sends them."""
        headers = {"content-type": "application/json"}
        if auth:
            headers |= basic(self.auth)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            if auth and csrf:
                headers |= csrf_headers(self.info.api_url, self.auth)
        # Retried on 503 (the server's SQLite was locked: nothing was written), as the Prefect
        # client does.
        for attempt in range(1, 7):
            request = urllib.request.Request(url, data, headers, method=method)
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    return response.status, response.read().decode()
            except urllib.error.HTTPError as error:
                status, text = error.code, error.read().decode()
            if status != 503:
                break
            time.sleep(attempt)
        return status, text

    def api(self, path: str, body: Any = None) -> Any:
        status, text = self.request(self.info.api_url + path, body)
        assert status in (200, 201), f"{path}: {status} {text}"
        return json.loads(text)

    def deployment(self, name: str) -> dict[str, Any]:
        return dict(self.api(f"/deployments/name/{name}/{name}"))

    def run_count(self, deployment: str) -> int:
        return int(self.api("/flow_runs/count", {"deployments": {"name": {"any_": [deployment]}}}))

    def wait(
        self, run_id: str, timeout: float = 120, until: Callable[[], bool] = lambda: False
    ) -> dict[str, Any]:
        """The flow run once it has ended (the worker polls every 2 s), or as soon as ``until``
        holds."""
        deadline = time.monotonic() + timeout
        while True:
            run = self.api(f"/flow_runs/{run_id}")
            if run["state"] and run["state"]["type"] in TERMINAL or until():
                return dict(run)
            assert time.monotonic() < deadline, f"run {run_id} still {run['state']}"
            time.sleep(1)

    def rows(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.home / "ledger.db") as conn:
            return conn.execute(sql, args).fetchall()


def basic(auth: str) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(auth.encode()).decode()}


def csrf_headers(api_url: str, auth: str, client: str = "officeflow-doors") -> dict[str, str]:
    request = urllib.request.Request(f"{api_url}/csrf-token?client={client}", headers=basic(auth))
    with urllib.request.urlopen(request, timeout=10) as response:
        token = json.load(response)["token"]
    return {"prefect-csrf-token": token, "prefect-csrf-client": client}


@pytest.fixture(scope="module")
def doors(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Doors]:
    home = tmp_path_factory.mktemp("doors") / "office"
    log = tmp_path_factory.mktemp("doors-log") / "up.log"
    proc, info = start_stack(home, stack_env(home), log)
    try:
        yield Doors(info, home, client_env(home)["PREFECT_API_AUTH_STRING"], proc)
    finally:
        stop_stack(proc)


@pytest.fixture(scope="module")
def incident(doors: Doors) -> int:
    """An incident reported through the `emergency-response` deployment an hour ago; its grade
    II alert went to the duty officers, xu.lei among them."""
    report = yaml.safe_load((ROOT / "examples" / "incident.yaml").read_text(encoding="utf-8"))
    report["occurred_at"] = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
    deployment = doors.deployment(REPORT)
    run = doors.api(
        f"/deployments/{deployment['id']}/create_flow_run", {"parameters": {"report": report}}
    )
    ended = doors.wait(run["id"])
    assert ended["state"]["type"] == "COMPLETED", ended["state"]
    return int(doors.rows("select max(id) from incidents")[0][0])


CLOCK = {"env": {"OFFICEFLOW_NOW": "2030-01-01T09:00:00+08:00"}}


def command(marker: Path) -> dict[str, Any]:
    return {"command": f"sh -c 'touch {marker}'"}


def acknowledgements(doors: Doors, incident_id: int) -> list[str]:
    return [
        str(at)
        for (at,) in doors.rows(
            "select at from events where action = 'incident.acknowledged' and object_id = ?",
            str(incident_id),
        )
    ]


def test_the_office_pool_offers_a_run_no_job_variable(doors: Doors) -> None:
    """The pool's job template: fixed values only, and a variables schema that admits none."""
    pool = doors.api(f"/work_pools/{POOL}")
    template = pool["base_job_template"]
    assert template["variables"]["properties"] == {}
    assert template["variables"]["additionalProperties"] is False
    assert "{{" not in json.dumps(template["job_configuration"])
    assert not {"env", "command", "working_dir"} & set(template["job_configuration"])


def test_a_run_cannot_set_the_clock_or_a_command(
    doors: Doors, incident: int, tmp_path: Path
) -> None:
    """Job variables at run creation are refused (422, naming the variable), and no run is made;
    nothing is acknowledged, nothing is run."""
    marker = tmp_path / "ran-a-command"
    deployment = doors.deployment(ACKNOWLEDGE)
    ack = {"incident_id": incident, "params": {}, "actor": "xu.lei"}
    before = doors.run_count(ACKNOWLEDGE)
    for variables, named in (
        (CLOCK, "env"),
        (command(marker), "command"),
        ({"env.OFFICEFLOW_NOW": "2030-01-01T09:00:00+08:00"}, "env.OFFICEFLOW_NOW"),
        ({"working_dir": "/tmp"}, "working_dir"),
    ):
        status, text = doors.request(
            f"{doors.info.api_url}/deployments/{deployment['id']}/create_flow_run",
            {"parameters": ack, "job_variables": variables},
        )
        assert status == 422, (variables, status, text)
        assert named in text, text
    assert doors.run_count(ACKNOWLEDGE) == before
    assert not marker.exists()
    assert acknowledgements(doors, incident) == []


def test_job_variables_that_slip_past_the_check_never_reach_the_process(
    doors: Doors, incident: int, tmp_path: Path
) -> None:
    """Prefect does not check the job variables of a bare `POST /flow_runs/`. Such a run still
    starts the flow the normal way: the acknowledgement is recorded as of the office's clock,
    not 2030, and the command never runs."""
    marker = tmp_path / "ran-a-command"
    deployment = doors.deployment(ACKNOWLEDGE)
    ack = {"incident_id": incident, "params": {}, "actor": "xu.lei"}

    def bare_run(variables: dict[str, Any]) -> str:
        run = doors.api(
            "/flow_runs/",
            {
                "flow_id": deployment["flow_id"],
                "deployment_id": deployment["id"],
                "work_pool_name": POOL,
                "work_queue_name": QUEUE,
                "parameters": ack,
                "job_variables": variables,
                "state": {
                    "type": "SCHEDULED",
                    "name": "Scheduled",
                    "state_details": {"scheduled_time": dt.datetime.now(dt.UTC).isoformat()},
                },
            },
        )
        assert run["job_variables"] == variables  # stored as given: the server did not check
        return str(run["id"])

    ended = doors.wait(bare_run(CLOCK))
    recorded = acknowledgements(doors, incident)
    assert len(recorded) == 1, recorded
    assert "2026" <= recorded[0] < "2030", recorded
    assert doors.rows("select count(*) from events where at >= '2030-01-01'") == [(0,)]
    assert ended["state"]["type"] == "COMPLETED", ended["state"]

    # The command would touch the marker and end without reporting a state: wait for either.
    ended = doors.wait(bare_run(command(marker)), until=marker.exists)
    assert not marker.exists()
    # It ran the flow (not the command), which found the incident already acknowledged.
    assert ended["state"]["type"] in ("COMPLETED", "FAILED"), ended["state"]
    assert len(acknowledgements(doors, incident)) == 1


def test_a_run_with_an_unknown_parameter_is_refused_at_creation(
    doors: Doors, incident: int
) -> None:
    deployment = doors.deployment(ACKNOWLEDGE)
    before = doors.run_count(ACKNOWLEDGE)
    status, text = doors.request(
        f"{doors.info.api_url}/deployments/{deployment['id']}/create_flow_run",
        {"parameters": {"incident_id": incident, "params": {}, "actor": "xu.lei", "bogus": 1}},
    )
    assert status == 409, (status, text)  # Prefect's answer to parameters its schema refuses
    assert "'bogus' was unexpected" in text, text
    assert doors.run_count(ACKNOWLEDGE) == before


def test_without_the_auth_string_a_get_gets_401_and_a_post_403(doors: Doors) -> None:
    """What docs/permissions.md says: the CSRF check comes before the auth check, so a POST
    without either is refused for its missing CSRF token; nothing is read or written."""
    api = doors.info.api_url
    assert doors.request(api + "/admin/version", auth=False) == (
        401,
        '{"exception_message":"Unauthorized"}',
    )
    status, text = doors.request(api + "/flows/filter", {}, auth=False)
    assert (status, json.loads(text)) == (403, {"detail": "Missing CSRF token."})
    # With a CSRF token (which anyone may fetch) but no auth string: 401.
    token = doors.request(api + "/csrf-token?client=x", auth=False)
    assert token[0] == 401
    # Only the health probes answer.
    assert doors.request(api + "/health", auth=False) == (200, "true")


def test_the_api_documentation_is_not_served(doors: Doors) -> None:
    ui, api = doors.info.ui_url, doors.info.api_url
    for url in (
        ui + "/docs",
        ui + "/docs/oauth2-redirect",
        ui + "/redoc",
        ui + "/openapi.json",
        api + "/docs",
        api + "/redoc",
        api + "/openapi.json",
        ui + "/docs/",
        ui + "//openapi.json",
        api + "//docs",
    ):
        for auth in (False, True):
            status, text = doors.request(url, auth=auth)
            assert status in (401, 404), (url, auth, status)
            assert "swagger" not in text.lower() and '"openapi"' not in text, url


def test_registering_locks_the_template_of_a_pool_an_older_version_made(
    prefect_api: None,
) -> None:
    """A pool created with Prefect's default process template (as every version before issue 30
    did) gets the locked template when the deployments are registered again."""
    import uuid

    from prefect import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.workers.process import ProcessWorker

    from deployments.register import ensure_pool, job_template

    name = f"office-{uuid.uuid4().hex[:8]}"
    with get_client(sync_client=True) as client:
        client.create_work_pool(
            WorkPoolCreate(
                name=name,
                type="process",
                base_job_template=ProcessWorker.get_default_base_job_template(),
            )
        )
        assert "env" in client.read_work_pool(name).base_job_template["variables"]["properties"]
        assert ensure_pool(name) is False  # it existed
        assert client.read_work_pool(name).base_job_template == job_template()
        assert ensure_pool(name) is False  # and again: nothing to change
        assert client.read_work_pool(name).base_job_template == job_template()
