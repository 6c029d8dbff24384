"""Commands that run no flow never import Prefect (issue 15 §4), nor the delivery layer's
Apprise, Jinja2 and httpx; only a command that imports Prefect looks for the running stack.

Each command runs in a fresh interpreter (a subprocess, through the console script's `main`),
which then reports the packages it loaded: an import that creeps back in fails here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from models.supervision_input import DecisionSpec
from officeflow import db, supervision
from officeflow.inputs import load_yaml_model
from officeflow.stack import STACK_FILE

ROOT = Path(__file__).resolve().parent.parent

# Run a command as the console script does, then print what the interpreter loaded.
RUN = """
import gc, json, os, sys
sys.argv = ["officeflow", *json.loads(sys.argv[1])]
from officeflow.cli import main
code = 0
try:
    main()
except SystemExit as exc:
    code = exc.code or 0
print(json.dumps({
    "code": code,
    "packages": sorted({m.split(".")[0] for m in sys.modules}),
    "orm": "sqlalchemy.orm" in sys.modules,
    "api_url": os.environ.get("PREFECT_API_URL"),
    "collections": sum(g["collections"] for g in gc.get_stats()),
    "collecting": gc.isenabled(),
}), file=sys.stderr)
"""

NEVER_WITHOUT_A_FLOW = {"prefect", "apprise", "jinja2", "httpx", "aiosmtpd", "fastapi"}
# Nor what one action on the ledger (`assignment report-progress`, the everyday command; 1 s goal in
# `benchmarks/cli_latency.py`) has no use for: PyYAML loads only where a file is read, the
# migrations only for `db`, the documents' and reports' libraries only for their commands.
NOT_FOR_ONE_ACTION = NEVER_WITHOUT_A_FLOW | {
    "yaml",
    "alembic",
    "email_validator",
    "holidays",
    "docx",
    "openpyxl",
    "matplotlib",
    "icalendar",
}


def run(*args: str, code: str = RUN) -> tuple[str, dict[str, Any]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API_URL")}
    env["COLUMNS"] = "200"
    out = subprocess.run(
        [sys.executable, "-c", code, json.dumps(args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    report = json.loads(out.stderr.strip().splitlines()[-1])
    return out.stdout, report


class _Health(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def do_POST(self) -> None:
        """The stack's web process running a flow for the CLI (`officeflow.flowcalls`): it
        answers a supervision sweep with a canned result."""
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length))
        type(self).hits.append(f"POST {self.path} {body['flow']} {self.headers['Authorization']}")
        answer = {
            "ok": True,
            "result": {"process": "supervision", "counts": {"light:red": 2, "reminder:red": 1}}
            | {"sent": 1, "failed": 0},
            "type": "models.common:SweepResult",
        }
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def fake_stack(ledger: Any) -> Iterator[list[str]]:
    """A `<home>/stack.json` naming a live HTTP server that answers `/api/health` (as the
    stack's Prefect server does) and counts the requests."""
    _Health.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/api"
    info = {
        "api_url": url,
        "ui_url": url.removesuffix("/api"),
        "smtp_host": "127.0.0.1",
        "smtp_port": 1,
        "outbox": "",
        "pids": {},
        "local_web_url": url.removesuffix("/api"),
    }
    (ledger.home / STACK_FILE).write_text(json.dumps(info), encoding="utf-8")
    try:
        yield _Health.hits
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def decision(org: Any) -> int:
    spec, _ = load_yaml_model(ROOT / "examples" / "decision.yaml", DecisionSpec)
    with db.session_scope() as s:
        record = supervision.record_decision(s, spec, actor="system")
    return record.decision_id


def test_commands_that_run_no_flow_import_neither_prefect_nor_delivery(
    decision: int, fake_stack: list[str]
) -> None:
    commands: list[tuple[str, ...]] = [
        ("decision", "show", str(decision)),
        ("decision", "list"),
        ("calendar", "add-workdays", "2026-09-24", "5"),
        ("calendar", "is-workday", "2026-10-10"),
        (
            "assignment",
            "report-progress",
            "1",
            "--progress",
            "30",
            "--note",
            "half the sites",
            "--as",
            "wu.qiang",  # the owner of assignment 1
        ),
        ("assignment", "show", "1"),
        ("org", "show"),
        ("deliveries", "list"),
    ]
    outputs = {}
    for args in commands:
        out, report = run(*args)
        assert report["code"] == 0, (args, out)
        loaded = NEVER_WITHOUT_A_FLOW & set(report["packages"])
        assert not loaded, f"officeflow {' '.join(args)} imported {sorted(loaded)}"
        assert report["api_url"] is None  # the stack was not looked for
        # The cyclic collector stayed off while the command loaded its modules (about 200
        # collections for `decision show` otherwise, a quarter of its time), and is back on
        # for whoever called `main` in the same process.
        assert report["collections"] < 50, args
        assert report["collecting"]
        outputs[args[:2]] = out
    # The commands did their work (a command that failed early would import little).
    assert f"Decision {decision}:" in outputs[("decision", "show")]
    assert outputs[("calendar", "add-workdays")].strip() == "2026-10-09"
    reported = outputs[("assignment", "report-progress")]
    assert "assignment 1: 进展反馈 (report progress) done, now open" in reported
    assert "half the sites" not in reported
    # The calendar needs no ledger: no SQLAlchemy at all.
    _, report = run("calendar", "add-workdays", "2026-09-24", "5")
    assert "sqlalchemy" not in report["packages"]
    # None of them asked the stack's server anything.
    assert fake_stack == []


def test_one_action_loads_only_the_ledger_and_leaves_quickly(decision: int) -> None:
    """`assignment report-progress` records its row without loading what it has no use for,
    and at its exit closes the ledger (SQLite checkpoints and removes its WAL file) and freezes
    what it made, so that the interpreter's exit does not take it apart object by object (about
    0.2 s of the command otherwise)."""
    code = (
        "import atexit, gc, json, os, sys\n"
        "from pathlib import Path\n"
        "def at_exit():  # registered before `main`'s own handler, so it runs after it\n"
        "    wal = Path(os.environ['OFFICEFLOW_HOME']) / 'ledger.db-wal'\n"
        "    print(json.dumps({'unfrozen': len(gc.get_objects()), 'frozen': gc.get_freeze_count(),"
        " 'wal': wal.exists()}), file=sys.stderr)\n"
        "atexit.register(at_exit)\n"
    ) + RUN
    db.dispose_engines()  # this test's own connections (the fixtures') are closed
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API_URL")}
    args = ["assignment", "report-progress", "1", "--progress", "40", "--note", "half the sites"]
    args += ["--as", "wu.qiang"]
    out = subprocess.run(
        [sys.executable, "-c", code, json.dumps(args)],
        capture_output=True,
        text=True,
        env=env | {"COLUMNS": "200"},
        cwd=ROOT,
        timeout=120,
    )
    *_, command, at_exit = (json.loads(line) for line in out.stderr.strip().splitlines())
    assert command["code"] == 0, out
    assert "assignment 1: 进展反馈 (report progress) done" in out.stdout
    loaded = NOT_FOR_ONE_ACTION & set(command["packages"])
    assert not loaded, f"officeflow assignment report-progress imported {sorted(loaded)}"
    assert command["orm"]  # it did use the ledger
    with db.read_scope() as session:
        assert supervision.get_assignment(session, 1).progress == 40
    # At exit: the ledger closed, and what the command made frozen out of the collector's way.
    assert not at_exit["wal"], at_exit
    assert at_exit["frozen"] > 50_000 > 5_000 > at_exit["unfrozen"], at_exit


def test_the_collector_runs_for_a_long_command(office_env: Any) -> None:
    """A command that may work through thousands of rows without Prefect (here a migration)
    keeps the cyclic collector on; a short one of the same group does not."""
    out, long = run("db", "upgrade")
    assert long["code"] == 0, out
    _, short = run("db", "current")
    assert long["collections"] > 50 > short["collections"], (long, short)


def test_the_stack_is_found_when_prefect_is_first_imported(fake_stack: list[str]) -> None:
    """The moment a command imports Prefect (to run a flow), the running stack in
    `<home>/stack.json` is checked (one health request) and becomes the Prefect API."""
    code = RUN.replace(
        "    main()\n",
        "    from officeflow import cli\n"
        "    cli._StackBeforePrefect.install()\n"
        "    assert 'PREFECT_API_URL' not in os.environ\n"
        "    import prefect.settings\n"
        "    assert prefect.settings.PREFECT_API_URL.value() == os.environ['PREFECT_API_URL']\n",
    )
    _, report = run("calendar", code=code)
    assert report["code"] == 0
    assert (
        report["api_url"]
        == json.loads((Path(os.environ["OFFICEFLOW_HOME"]) / STACK_FILE).read_text())["api_url"]
    )
    assert fake_stack == ["/api/health"]


def test_a_flow_command_through_the_stack_imports_neither_prefect_nor_the_ledger(
    fake_stack: list[str],
) -> None:
    """With the stack's web process answering, `assignment sweep` sends it the flow to run and
    prints its result: no Prefect, no SQLAlchemy, no delivery layer in the CLI's process."""
    from officeflow.stack import auth_string

    home = Path(os.environ["OFFICEFLOW_HOME"])
    secret = auth_string(home, create=True)
    out, report = run("assignment", "sweep")
    assert report["code"] == 0, out
    assert out.strip() == "lights {'red': 2}; new reminders {'red': 1}; sent 1"
    assert fake_stack == [
        f"POST /internal/flow-runs flows.supervision:supervision_sweep Bearer {secret}"
    ]
    loaded = (NEVER_WITHOUT_A_FLOW | {"sqlalchemy"}) & set(report["packages"])
    assert not loaded, f"officeflow assignment sweep imported {sorted(loaded)}"
