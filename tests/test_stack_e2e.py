"""The main job end to end: `officeflow up` as a user runs it, the real Prefect server, worker and
mail catcher, and the Prefect UI in Debian's Chromium.

One stack per module (about 30 s to start); every server is on 127.0.0.1 and stopped with Ctrl-C
(SIGINT) at the end, which must leave no child process behind.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import getaddresses
from pathlib import Path
from typing import Any

import pytest

from deployments.definitions import DEPLOYMENTS, LIMITS, POOL, by_name
from deployments.register import missing_reason
from officeflow.mailcatcher import read_outbox
from officeflow.stack import StackInfo, client_env
from tests import prefect_ui as ui
from tests.stack_helpers import stack_env, start_stack

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
OUTPUT = ROOT / "test-output"

# --- the emergency-response form: adjust here if the IncidentReport fields change -----------
EMERGENCY = "emergency-response"
INCIDENT_TITLE = "浏览器测试：某路段桥梁垮塌"
INCIDENT_TEXT = {  # label → value, for text fields
    "Title": INCIDENT_TITLE,
    "Location": "某区滨江大道与解放路交叉口",
    "Reported By": "wang.fang",
    "Description": "桥梁中段垮塌，多辆车辆坠落，现场正在搜救。",
    "Department": "emergency-management",
}
INCIDENT_SELECTS = {"Category": "accident"}  # "Select <EnumName>" button → option
INCIDENT_NUMBERS = {  # label → value, for number inputs
    "Deaths (Optional)": 1,
    "Serious Injuries (Optional)": 3,
}
INCIDENT_OCCURRED_AT = ("Occurred At", dt.datetime(2026, 9, 21, 1, 30))  # UTC in the picker
INCIDENT_TABLE, INCIDENT_TITLE_COLUMN = "incidents", "title"

# --- the decision-implementation form --------------------------------------------------------
DECISION = "decision-implementation"
DECISION_TITLE = "浏览器测试：关于做好冬季供暖保障工作的批示"

pytestmark = pytest.mark.slow
# In CI (.ci/run installs it) a missing browser is a failure, not a skip.
needs_browser = pytest.mark.skipif(
    not ui.CHROMIUM.exists() and not os.environ.get("CI"),
    reason="needs Debian's chromium: apt-get install chromium (.ci/run does)",
)


@dataclass
class Stack:
    info: StackInfo
    home: Path
    env: dict[str, str]
    proc: subprocess.Popen[bytes]

    @property
    def ledger(self) -> Path:
        return self.home / "ledger.db"

    @property
    def auth(self) -> str:
        """The API auth string `officeflow up` generated for this home."""
        return self.env["PREFECT_API_AUTH_STRING"]

    def api(self, path: str, body: Any = None) -> Any:
        """The locked-down API: HTTP Basic with the auth string, and a CSRF token on a POST."""
        headers = {"content-type": "application/json", **basic(self.auth)}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers |= csrf_headers(self.info.api_url, self.auth)
        request = urllib.request.Request(self.info.api_url + path, data, headers)
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    def flow_run_count(self, deployment: str) -> int:
        """Runs of one deployment (scheduled deployments make runs of their own meanwhile)."""
        body = {"deployments": {"name": {"any_": [deployment]}}}
        return int(self.api("/flow_runs/count", body))

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.ledger) as conn:
            return conn.execute(sql).fetchall()

    def outbox(self) -> list[Any]:
        return read_outbox(Path(self.info.outbox))

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / args[0]), *args[1:]],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=ROOT,
        )


def basic(auth: str) -> dict[str, str]:
    import base64

    return {"authorization": "Basic " + base64.b64encode(auth.encode()).decode()}


def csrf_headers(api_url: str, auth: str, client: str = "officeflow-e2e") -> dict[str, str]:
    request = urllib.request.Request(f"{api_url}/csrf-token?client={client}", headers=basic(auth))
    with urllib.request.urlopen(request, timeout=10) as response:
        token = json.load(response)["token"]
    return {"prefect-csrf-token": token, "prefect-csrf-client": client}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    home = tmp_path_factory.mktemp("stack") / "office"
    env = stack_env(home, COLUMNS="200")
    log = tmp_path_factory.mktemp("stack-log") / "up.log"
    proc, info = start_stack(home, env, log)
    try:
        env.update(PREFECT_API_URL=info.api_url, PREFECT_HOME=str(home / "prefect"))
        env["PREFECT_API_AUTH_STRING"] = client_env(home)["PREFECT_API_AUTH_STRING"]
        yield Stack(info, home, env, proc)
    finally:
        # Ctrl-C, as a user would stop it, and a second impatient one during the shutdown.
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            time.sleep(0.3)  # while it is stopping the worker and the server
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
            raise
    text = log.read_text()
    assert code == 0, text
    assert "stopped: worker, Prefect server and mail catcher" in text
    for pid in info.pids.values():
        with pytest.raises(ProcessLookupError):
            os.killpg(pid, 0)  # the child's whole process group is gone
    assert not (home / "stack.json").exists()


def test_up_registers_every_deployment_with_its_schedules(stack: Stack) -> None:
    from prefect import get_client
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings

    listed = stack.cli("prefect", "deployment", "ls")
    assert listed.returncode == 0, listed.stderr
    with (
        temporary_settings(
            updates={PREFECT_API_URL: stack.info.api_url, PREFECT_API_AUTH_STRING: stack.auth}
        ),
        get_client(sync_client=True) as client,
    ):
        registered = {d.name: d for d in client.read_deployments()}
        pool = client.read_work_pool(POOL)
        limits = {lim.name: lim for lim in client.read_global_concurrency_limits()}
    assert pool.type == "process"
    for limit in LIMITS:
        assert limits[limit.name].limit == limit.limit
    ready = [d for d in DEPLOYMENTS if missing_reason(d) is None]
    assert DECISION in {d.name for d in ready}
    for d in ready:
        got = registered[d.name]
        assert d.name in listed.stdout
        assert got.work_pool_name == POOL
        assert got.description == d.description
        assert got.parameter_openapi_schema and got.enforce_parameter_schema
        crons = {(s.schedule.cron, s.schedule.timezone) for s in got.schedules}
        assert crons == {(s.cron, s.zone) for s in d.schedules}
    assert set(registered) == {d.name for d in ready}  # the others are skipped, not half-made


def test_wrong_or_missing_parameters_are_refused_naming_the_field(stack: Stack) -> None:
    decision = {
        "title": "参数校验",
        "issued_by": "chen.zhiqiang",
        "issued_on": "2026-09-21",
        "assignments": [
            {
                "lead_department": "emergency-management",
                "task": "t",
                "acceptance_standard": "s",
                "due_in_workdays": 3,
            }
        ],
    }
    cases = [
        ({**decision, "priority": "whenever"}, "decision.priority"),
        ({**decision, "issued_on": "next tuesday"}, "decision.issued_on"),
        (
            {**decision, "assignments": [{**decision["assignments"][0], "due_in_workdays": "x"}]},
            "decision.assignments[0].due_in_workdays",
        ),
        ({k: v for k, v in decision.items() if k != "issued_by"}, "'issued_by' is a required"),
        (None, "'decision' is a required property"),
    ]
    runs_before = stack.flow_run_count(DECISION)
    decisions_before = stack.rows("select count(*) from decisions")[0][0]
    deployment_id = stack.api(f"/deployments/name/{DECISION}/{DECISION}")["id"]
    for i, (value, named) in enumerate(cases):
        if i in (0, len(cases) - 1):  # as a user types it, through the prefect CLI
            args = ["prefect", "deployment", "run", f"{DECISION}/{DECISION}"]
            if value is not None:
                args += ["--param", "decision=" + json.dumps(value, ensure_ascii=False)]
            result = stack.cli(*args)
            output = " ".join((result.stdout + result.stderr).split())
            assert result.returncode != 0, output
        else:  # the same server check, straight through the API (each CLI call costs ~3 s)
            with pytest.raises(urllib.error.HTTPError) as refused:
                stack.api(
                    f"/deployments/{deployment_id}/create_flow_run",
                    {"parameters": {"decision": value}},
                )
            output = refused.value.read().decode()
        assert named in output, output
    assert stack.flow_run_count(DECISION) == runs_before
    assert stack.rows("select count(*) from decisions")[0][0] == decisions_before


@needs_browser
def test_decision_submitted_in_the_ui_runs_and_sends_notices(
    stack: Stack, request: pytest.FixtureRequest
) -> None:
    out = OUTPUT / request.node.name
    out.mkdir(parents=True, exist_ok=True)
    mail_before = len(stack.outbox())
    with ui.browser_page(out / "failure.png", auth_string=stack.auth) as page:
        # The UI lists every registered deployment.
        page.goto(stack.info.ui_url + "/v2/deployments")
        registered = [d for d in DEPLOYMENTS if missing_reason(d) is None]
        assert len(registered) == len(DEPLOYMENTS)  # every flow exists
        page.get_by_text(f"{len(registered)} Deployments").first.wait_for()
        # The list pages by ten: find each scheduled one through the search box.
        search = page.get_by_placeholder("Search deployments")
        for d in registered:
            if d.schedules:
                search.fill(d.name)
                page.get_by_role("link", name=d.name, exact=True).first.wait_for()
        page.screenshot(path=str(out / "deployments.png"), full_page=True)
        search.fill("")
        ui.open_custom_run(page, stack.info.ui_url, DECISION)
        ui.fill(page, "Title", DECISION_TITLE)
        ui.fill(page, "Issued By", "chen.zhiqiang")
        ui.pick_date(page, "Issued On", dt.date(2026, 11, 23))
        ui.choose(page, "Priority", "urgent")
        page.get_by_role("button", name="Add item").click()
        ui.fill(page, "Lead Department", "housing-construction")
        ui.fill(page, "Task", "排查老旧小区供暖管网，确保按期供暖。")
        ui.fill(page, "Acceptance Standard", "报送排查台账和整改情况。")
        ui.fill_union(page, "Due In Workdays (Optional)", "int", 5)
        page.screenshot(path=str(out / "filled-form.png"), full_page=True)
        run = ui.submit(
            page,
            lambda: stack.flow_run_count(DECISION),
            server_log=stack.home / "logs" / "server.log",
            once_more_after_unknown_error=True,
        )
        ui.follow_run(page, run)
        page.screenshot(path=str(out / "run-completed.png"), full_page=True)

        # A required field left empty: the server refuses, the toast names it, no run is made.
        runs_before = stack.flow_run_count(DECISION)
        ui.open_custom_run(page, stack.info.ui_url, DECISION)
        ui.fill(page, "Title", "缺少签发人")
        ui.pick_date(page, "Issued On", dt.date(2026, 11, 23))
        page.get_by_role("button", name="Submit", exact=True).click()
        error = page.locator("li[data-sonner-toast][data-type=error]")
        error.wait_for()
        assert "issued_by" in (error.text_content() or "")
        page.screenshot(path=str(out / "refused.png"), full_page=True)
        assert stack.flow_run_count(DECISION) == runs_before

    titles = [row[0] for row in stack.rows("select title from decisions")]
    assert DECISION_TITLE in titles and "缺少签发人" not in titles
    new_mail = stack.outbox()[mail_before:]
    assert new_mail, "the mail catcher received no notice"
    assert all(DECISION_TITLE in str(msg["Subject"]) for _, msg in new_mail)
    assert (out / "filled-form.png").stat().st_size > 10_000


@needs_browser
@pytest.mark.skipif(
    missing_reason(by_name(EMERGENCY)) is not None,
    reason=f"{EMERGENCY} is not in this tree yet: {missing_reason(by_name(EMERGENCY))}",
)
def test_incident_reported_in_the_ui_is_relayed(
    stack: Stack, request: pytest.FixtureRequest
) -> None:
    out = OUTPUT / request.node.name
    out.mkdir(parents=True, exist_ok=True)
    mail_before = len(stack.outbox())
    with ui.browser_page(out / "failure.png", auth_string=stack.auth) as page:
        ui.open_custom_run(page, stack.info.ui_url, EMERGENCY)
        for label, text in INCIDENT_TEXT.items():
            ui.fill(page, label, text)
        for select, option in INCIDENT_SELECTS.items():
            ui.choose(page, select, option)
        for label, number in INCIDENT_NUMBERS.items():
            ui.fill(page, label, number)
        ui.pick_datetime(page, *INCIDENT_OCCURRED_AT)
        page.screenshot(path=str(out / "filled-form.png"), full_page=True)
        run = ui.submit(
            page,
            lambda: stack.flow_run_count(EMERGENCY),
            server_log=stack.home / "logs" / "server.log",
            once_more_after_unknown_error=True,
        )
        ui.follow_run(page, run)
        page.screenshot(path=str(out / "run-completed.png"), full_page=True)
    titles = [r[0] for r in stack.rows(f"select {INCIDENT_TITLE_COLUMN} from {INCIDENT_TABLE}")]
    assert INCIDENT_TITLE in titles
    # The ledger: one incident, its first rung (the people the response plan's first rung
    # named for its grade, resolved when it was recorded) fired, each of its deliveries sent.
    [(incident_id, grade)] = stack.rows(
        f"select id, grade from {INCIDENT_TABLE} where {INCIDENT_TITLE_COLUMN} = '{INCIDENT_TITLE}'"
    )
    [(key, recipients_json, fired_at)] = stack.rows(
        "select notice_key, recipients, fired_at from incident_rungs"
        f" where incident_id = {incident_id} and rung = 0"
    )
    recipients = json.loads(recipients_json)
    assert recipients and fired_at is not None, (grade, recipients, fired_at)
    deliveries = stack.rows(
        f"select person_id, channel, status from deliveries where notice_key = '{key}'"
    )
    assert deliveries and all(status == "sent" for _, _, status in deliveries), deliveries
    assert {person for person, _, _ in deliveries} == set(recipients)
    # The mail: exactly the first rung's people with an email address, each once.
    emails = dict(
        stack.rows("select person_id, address from contact_points where channel = 'email'")
    )
    expected = sorted(emails[p] for p in recipients if p in emails)
    assert expected, f"no first-rung recipient of grade {grade} has an email address"
    assert sorted(p for p, channel, _ in deliveries if channel == "email") == sorted(
        p for p in recipients if p in emails
    )
    new_mail = stack.outbox()[mail_before:]
    alerts = [msg for _, msg in new_mail if str(msg["X-Officeflow-Notice"]) == key]
    to = sorted(addr for msg in alerts for _, addr in getaddresses([str(msg["To"])]))
    assert to == expected, (grade, to)
    # Each alert carries its reader's signed link to the stack's own web pages, which open it.
    body = alerts[0].get_body(preferencelist=("plain",)).get_content()
    found = re.search(re.escape(stack.info.web_url) + r"/a/[A-Za-z0-9._-]+", body)
    assert stack.info.web_url and found, body
    with urllib.request.urlopen(found.group(0), timeout=30) as response:
        assert response.status == 200 and INCIDENT_TITLE in response.read().decode()


def test_a_flow_command_reports_to_the_running_stack_without_any_variable(stack: Stack) -> None:
    """With `officeflow up` running, a command that runs a flow finds the stack's server through
    <home>/stack.json: no PREFECT_API_URL to export, no temporary server. The run shows in the
    stack's Prefect UI."""
    by_hand = {"flow_runs": {"deployment_id": {"is_null_": True}}}
    by_hand["flows"] = {"name": {"any_": ["supervision-sweep"]}}
    before = int(stack.api("/flow_runs/count", by_hand))
    env = {
        k: v
        for k, v in stack.env.items()
        if k not in ("PREFECT_API_URL", "PREFECT_HOME", "PREFECT_API_AUTH_STRING")
    }
    result = subprocess.run(
        [str(BIN / "officeflow"), "assignment", "sweep"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert int(stack.api("/flow_runs/count", by_hand)) == before + 1
    # Not a temporary server: that would have printed its start-up line.
    assert "Starting temporary server" not in result.stdout + result.stderr


def test_demo_runs_the_examples_through_the_deployments(stack: Stack) -> None:
    result = stack.cli("officeflow", "demo", timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{DECISION}: COMPLETED" in result.stdout
    # The way in: the duty officer's link to the incident the demo raised, on the stack's pages.
    assert "open the incident as its duty officer" in result.stdout
    assert f"{stack.info.web_url}/a/" in result.stdout
    assert "关于做好国庆假期安全生产工作的批示" in [
        row[0] for row in stack.rows("select title from decisions")
    ]


def test_prefect_yaml_deploys_against_the_running_server(stack: Stack) -> None:
    """`prefect deploy` with the generated prefect.yaml registers the same deployments. (Every
    flow that exists here; after all processes are merged this is `prefect deploy --all`.)"""
    ready = [d for d in DEPLOYMENTS if missing_reason(d) is None]
    args = ["prefect", "--no-prompt", "deploy"]
    if len(ready) == len(DEPLOYMENTS):
        args.append("--all")
    else:
        for d in ready:
            args += ["--name", d.name]
    result = stack.cli(*args, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    for d in ready:
        got = stack.api(f"/deployments/name/{d.name}/{d.name}")
        assert got["work_pool_name"] == POOL
        assert got["pull_steps"] == [
            {"prefect.deployments.steps.set_working_directory": {"directory": str(ROOT)}}
        ]
        crons = {(s["schedule"]["cron"], s["schedule"]["timezone"]) for s in got["schedules"]}
        assert crons == {(s.cron, s.zone) for s in d.schedules}
