"""Shared fixtures: real SMTP and HTTP servers, a fresh ledger per test, a Prefect API, org data.

Everything listens on 127.0.0.1 on a free port and is stopped by the fixture that started it.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

# Prefect reads its settings at import: point it at a private home before anything imports it.
_PREFECT_HOME = tempfile.mkdtemp(prefix="officeflow-prefect-")
atexit.register(shutil.rmtree, _PREFECT_HOME, ignore_errors=True)  # each pytest process's own
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO")
os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")
for _name in [n for n in os.environ if n.startswith("OFFICEFLOW_")]:
    del os.environ[_name]

import pytest  # noqa: E402

from officeflow import channels, clock, db  # noqa: E402
from officeflow.mailcatcher import MailCatcher  # noqa: E402
from officeflow.settings import Settings, reload_settings  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_ORG = ROOT / "examples" / "org.yaml"


# --- servers -------------------------------------------------------------------------------


@pytest.fixture
def smtp_server() -> Iterator[MailCatcher]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that records every message."""
    catcher = MailCatcher().start()
    try:
        yield catcher
    finally:
        channels.close_idle()  # sessions kept between send runs: QUIT before the server stops
        catcher.stop()


class WebhookServer:
    """A real HTTP server that records every POST. ``statuses`` scripts the answers."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        self.received: list[dict[str, Any]] = []  # every POST, with the status it was answered
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                with outer._lock:
                    status = outer.statuses.pop(0) if outer.statuses else 200
                    outer.received.append({"path": self.path, "status": status})
                    if status < 300:
                        try:
                            body: Any = json.loads(raw)
                        except ValueError:
                            body = raw.decode("utf-8", "replace")
                        outer.posts.append({"path": self.path, "body": body})
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/hook"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def bodies(self) -> list[dict[str, Any]]:
        return [p["body"] for p in self.posts]


@pytest.fixture
def webhook_server() -> Iterator[WebhookServer]:
    server = WebhookServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


@pytest.fixture
def chat_hosts(monkeypatch: pytest.MonkeyPatch) -> Iterator[WebhookServer]:
    """A local HTTP server standing in for the DingTalk, WeCom, Feishu and Slack hosts (see
    tests/chat_hosts.py); ``statuses`` scripts its answers, ``received`` lists what arrived."""
    from tests.chat_hosts import redirect

    server = WebhookServer()
    server.thread.start()
    redirect(server.base, monkeypatch)
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


# --- settings, clock and ledger ----------------------------------------------------------


@pytest.fixture(scope="session")
def _migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once per session; each test gets a copy of the file."""
    path = tmp_path_factory.mktemp("template") / "ledger.db"
    url = f"sqlite:///{path}"
    db.upgrade(url)
    db.dispose_engines()
    return path


@pytest.fixture
def office_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
    """OFFICEFLOW_* settings for one test. Call ``office_env.set(NAME=value)`` to change them."""

    class Env:
        home = tmp_path / "office"

        def set(self, **values: Any) -> Settings:
            for key, value in values.items():
                name = f"OFFICEFLOW_{key.upper()}"
                if value is None:
                    monkeypatch.delenv(name, raising=False)
                else:
                    monkeypatch.setenv(name, str(value))
            return reload_settings()

    env = Env()
    env.set(home=env.home, delivery_backoff_s=0.01, delivery_attempts=2)
    yield env
    clock.set_now(None)
    db.dispose_engines()
    for key in [k for k in os.environ if k.startswith("OFFICEFLOW_")]:
        monkeypatch.delenv(key, raising=False)
    reload_settings()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Any]:
    """A private PostgreSQL cluster on 127.0.0.1, with a migrated template database."""
    from tests.pg_cluster import PostgresCluster

    cluster = PostgresCluster().start()
    try:
        cluster.execute("CREATE DATABASE ledger_template")
        db.upgrade(cluster.url("ledger_template"))
        db.dispose_engines()
        yield cluster
    finally:
        db.dispose_engines()
        cluster.stop()


@pytest.fixture
def backend() -> str:
    """The ledger's database: SQLite unless a module asks for both (``backend = both_backends``)."""
    return "sqlite"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def both_backends(request: pytest.FixtureRequest) -> str:
    return str(request.param)


_pg_counter = iter(range(1, 1_000_000))


@pytest.fixture
def ledger(
    office_env: Any, _migrated_template: Path, backend: str, request: pytest.FixtureRequest
) -> Iterator[Settings]:
    """A fresh, migrated ledger for this test: a copied SQLite file, or a PostgreSQL database
    cloned from the migrated template."""
    office_env.home.mkdir(parents=True, exist_ok=True)
    if backend == "sqlite":
        shutil.copy(_migrated_template, office_env.home / "ledger.db")
        yield office_env.set()
        return
    cluster = request.getfixturevalue("pg_cluster")
    name = f"ledger_{os.getpid()}_{next(_pg_counter)}"
    cluster.execute(f"CREATE DATABASE {name} TEMPLATE ledger_template")
    try:
        yield office_env.set(database_url=cluster.url(name))
    finally:
        db.dispose_engines()
        cluster.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def org(ledger: Settings) -> Any:
    """The example organisation, loaded."""
    from officeflow.org import load_org, parse_org_file

    parsed = parse_org_file(EXAMPLE_ORG)
    with db.session_scope() as session:
        load_org(session, parsed)
    return parsed


@pytest.fixture
def mail_office(ledger: Settings, office_env: Any, smtp_server: MailCatcher) -> MailCatcher:
    """A ledger whose email channel points at the test SMTP server."""
    office_env.set(smtp_host=smtp_server.host, smtp_port=smtp_server.port)
    return smtp_server


# --- factories -----------------------------------------------------------------------------


def org_data(
    departments: int = 2, people_per_department: int = 2, **overrides: Any
) -> dict[str, Any]:
    """A small valid org as a dict: a general office, a leader, and ``departments`` more."""
    data: dict[str, Any] = {
        "organisation": "Test City",
        "departments": [
            {"id": "office", "name": "General Office", "general_office": True, "leader": "boss"},
        ],
        "people": [
            {
                "id": "boss",
                "name": "The Leader",
                "department": "office",
                "roles": ["leader"],
                "email": "boss@example.org",
            },
            {
                "id": "duty",
                "name": "Duty Officer",
                "department": "office",
                "roles": ["duty_officer"],
                "email": "duty@example.org",
            },
        ],
    }
    for d in range(departments):
        dept = f"dept-{d}"
        data["departments"].append({"id": dept, "name": f"Department {d}", "leader": "boss"})
        for p in range(people_per_department):
            pid = f"p{d}-{p}"
            data["people"].append(
                {
                    "id": pid,
                    "name": f"Person {d}-{p}",
                    "department": dept,
                    "roles": ["department_head"] if p == 0 else ["staff"],
                    "email": f"{pid}@example.org",
                    "chat": {"webhook": f"chat-{pid}"},
                }
            )
    data.update(overrides)
    return data


def write_yaml(path: Path, data: Any) -> Path:
    import yaml

    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def make_org(ledger: Settings, tmp_path: Path) -> Any:
    """Factory: ``make_org(departments=3)`` loads a generated org and returns its dict."""
    from officeflow.org import load_org, parse_org_file

    def _make(**kwargs: Any) -> dict[str, Any]:
        data = org_data(**kwargs)
        parsed = parse_org_file(write_yaml(tmp_path / "org.yaml", data))
        with db.session_scope() as session:
            load_org(session, parsed)
        return data

    return _make


# --- Prefect -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[None]:
    """A real Prefect API (temporary server + SQLite) shared by the whole session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=60):
        yield


@pytest.fixture
def prefect_env(prefect_api: None) -> dict[str, str]:
    """Environment for a subprocess (the CLI) to use the harness's API instead of starting an
    ephemeral server of its own."""
    from prefect.settings import PREFECT_API_URL

    return {"PREFECT_API_URL": str(PREFECT_API_URL.value())}


# One test run for everyone. `make test`, CI and a bare `pytest` run the profile "default_run":
# Hypothesis draws the same examples every time (derandomised: its seed is a hash of each test),
# with no example database and no wall-clock limits (no deadline, no too-slow health check), so a
# new user's run equals CI's on any machine, however busy. It is loaded explicitly, so the `CI`
# variable (which makes Hypothesis pick its own "ci" profile) changes nothing here.
# `make fuzz` (HYPOTHESIS_PROFILE=fuzz) draws new random examples on each run, to look for new
# failures: each one found is added to its test as an `@example`, and `make test` keeps it.
def _hypothesis_profile() -> None:
    from hypothesis import HealthCheck, settings

    timeless: dict[str, Any] = {
        "deadline": None,
        "print_blob": True,
        "suppress_health_check": [HealthCheck.too_slow],
    }
    settings.register_profile("default_run", derandomize=True, **timeless)
    # Its failures are also kept in .hypothesis/ and tried first on the next `make fuzz`.
    settings.register_profile("fuzz", derandomize=False, **timeless)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or "default_run")


_hypothesis_profile()
