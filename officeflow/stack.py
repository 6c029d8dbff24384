"""The embedded stack on one machine: a Prefect server (SQLite), the ledger with the example org,
every deployment registered, a worker for the `office` pool and a local mail catcher.

`LocalStack.start()` brings it up, `stop()` ends exactly the child processes it started (each in
its own process group, so the worker's flow-run processes go with it). `officeflow up` wraps it.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from officeflow.stackfile import (
    DEFAULT_WEB_PORT,
    INSTANCE_ENV,
    INSTANCE_HEADER,
    STACK_FILE,
    StackInfo,
)

if TYPE_CHECKING:  # aiosmtpd loads only for `officeflow up`, not for every command
    from officeflow.mailcatcher import MailCatcher


PROJECT_DIR = Path(__file__).resolve().parent.parent
EXAMPLE_ORG = PROJECT_DIR / "examples" / "org.yaml"
DEFAULT_PORT = 4200
DEFAULT_SMTP_PORT = 1025
AUTH_FILE = "prefect-auth"  # the Prefect API auth string of this home, owner-only (0600)


def port_is_free(host: str, port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def pick_port(host: str, preferred: int) -> int:
    """``preferred`` when nothing listens there, else a free port."""
    from officeflow.mailcatcher import free_port

    return preferred if preferred and port_is_free(host, preferred) else free_port(host)


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


class StackError(RuntimeError):
    pass


# Each part's port: the LocalStack field, what the part is called, and `officeflow up`'s option.
PORTS = {
    "port": ("Prefect server", "--port"),
    "smtp_port": ("mail catcher", "--smtp-port"),
    "web_port": ("web pages", "--web-port"),
}


def port_in_use(field_name: str, host: str, port: int) -> StackError:
    part, option = PORTS[field_name]
    return StackError(
        f"the {part} cannot start: {host}:{port} is in use (another process listens there). "
        f"Stop that process, or give `officeflow up` another port: {option} N "
        f"({option} 0: any free port)"
    )


# --- the Prefect API's credentials ----------------------------------------------------------------
#
# The embedded server is locked down (issue 11 §5): every API request needs the auth string
# (HTTP Basic, `PREFECT_SERVER_API_AUTH_STRING` on the server, `PREFECT_API_AUTH_STRING` for
# clients), a browser may call it only from the UI's own origin (CORS), and every POST needs a
# CSRF token (the Python client and the UI fetch one). The CLI, the worker and the web app read
# the same credentials through `auth_string(home)` / `client_env(home)`.


def auth_string(home: Path, *, create: bool = False) -> str | None:
    """The Prefect API auth string: the setting ``OFFICEFLOW_PREFECT_AUTH_STRING`` if set, else
    the one kept in ``<home>/prefect-auth`` (generated, 0600, when ``create``)."""
    from officeflow.settings import get_settings

    try:
        configured = get_settings().prefect_auth_string
    except Exception:  # bad settings: the command itself reports them
        configured = None
    if configured is not None and configured.get_secret_value():
        return configured.get_secret_value()
    path = home / AUTH_FILE
    if path.is_file():
        return path.read_text(encoding="utf-8").strip() or None
    if not create:
        return None
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    value = "officeflow:" + secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(value + "\n")
    return value


def client_env(home: Path) -> dict[str, str]:
    """What a Prefect client (the web app, a script, a worker) needs to reach the stack that
    `officeflow up` runs from ``home``: the API URL (when it runs) and the auth string."""
    env: dict[str, str] = {}
    try:
        info = StackInfo.read(home)
    except (OSError, ValueError, TypeError):
        info = None
    if info is not None:
        env["PREFECT_API_URL"] = info.api_url
    secret = auth_string(home)
    if secret:
        env["PREFECT_API_AUTH_STRING"] = secret
    return env


def client_settings(home: Path, api_url: str) -> dict[Any, Any]:
    """`prefect.settings.temporary_settings(updates=...)` for a client of the stack at
    ``api_url``: the URL and, when this home has one, the auth string."""
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL

    updates: dict[Any, Any] = {PREFECT_API_URL: api_url}
    secret = os.environ.get("PREFECT_API_AUTH_STRING") or auth_string(home)
    if secret:
        updates[PREFECT_API_AUTH_STRING] = secret
    return updates


def use_running_stack(home: Path, timeout: float = 3.0) -> str | None:
    """Point this process's Prefect client at the stack `officeflow up` runs from ``home``, if it
    is running and no Prefect API is configured, so that a command that runs a flow reports to it
    instead of starting a temporary server (15-20 s on 2 cores). Returns the API URL used.
    A client pointed at this home's stack (or at no API) gets its auth string.

    A stack that died answers at once (connection refused); a live one on a busy machine can
    take a second to answer, and giving up on it would cost a temporary server: hence the
    generous ``timeout``."""
    configured = os.environ.get("PREFECT_API_URL")
    if configured:
        _auth_for(home, configured)
        return None
    try:
        info = StackInfo.read(home)
    except (OSError, ValueError, TypeError):  # a half-written or foreign file: ignore it
        return None
    if info is None:
        return None
    try:
        with urllib.request.urlopen(info.api_url.rstrip("/") + "/health", timeout=timeout):
            pass
    except (OSError, ValueError):  # a stack that died without removing its file
        return None
    os.environ["PREFECT_API_URL"] = info.api_url
    os.environ.setdefault("PREFECT_HOME", str(home / "prefect"))
    _auth_for(home, info.api_url)
    return info.api_url


def _auth_for(home: Path, api_url: str) -> None:
    """Export the auth string for a client of ``api_url`` unless one is set: the setting's for
    any server (several workers share one), this home's file only for this home's own stack."""
    if os.environ.get("PREFECT_API_AUTH_STRING"):
        return
    from officeflow.settings import get_settings

    try:
        configured = get_settings().prefect_auth_string
    except Exception:  # bad settings: the command itself reports them
        return
    if configured is not None and configured.get_secret_value():
        os.environ["PREFECT_API_AUTH_STRING"] = configured.get_secret_value()
        return
    try:
        info = StackInfo.read(home)
    except (OSError, ValueError, TypeError):
        return
    if info is not None and info.api_url.rstrip("/") == api_url.rstrip("/"):
        secret = auth_string(home)
        if secret:
            os.environ["PREFECT_API_AUTH_STRING"] = secret


@dataclass
class LocalStack:
    home: Path
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT  # 0: any free port
    smtp_port: int = DEFAULT_SMTP_PORT  # 0: any free port
    web_port: int | None = DEFAULT_WEB_PORT  # 0: any free port; None: no web pages
    org_file: Path | None = EXAMPLE_ORG
    project_dir: Path = PROJECT_DIR
    worker_poll_seconds: int = 2
    workers: int = 1
    worker_limit: int | None = None  # flow runs one worker runs at once (None: no limit)
    startup_timeout: float = 120
    # The fields among port, smtp_port and web_port whose port was asked for and must be used:
    # when it is taken, `start()` fails. The others move to a free port when theirs is taken.
    fixed_ports: frozenset[str] = frozenset()
    say: Callable[[str], None] = print
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    catcher: MailCatcher | None = None
    outcomes: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.home = self.home.resolve()
        self.logs = self.home / "logs"
        self.outbox = self.home / "outbox"
        self.prefect_home = self.home / "prefect"
        self.log_starts: dict[str, int] = {}  # where this start's lines begin in each log
        self.instance = ""  # the id of this start's web process (its /healthz names it)

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.port}/api"

    @property
    def ui_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def web_url(self) -> str:
        return f"http://{self.host}:{self.web_port}" if self.web_port else ""

    def public_url(self) -> str:
        """OFFICEFLOW_PUBLIC_URL when the office set it, else the embedded web server's own
        address: the base of every link in a notice the worker sends."""
        return os.environ.get("OFFICEFLOW_PUBLIC_URL") or self.web_url

    # --- environment ---------------------------------------------------------------------

    @property
    def auth_string(self) -> str:
        secret = auth_string(self.home, create=True)
        assert secret is not None
        return secret

    def client_env(self) -> dict[str, str]:
        """A Prefect client of this stack: the CLI, the worker, the web app."""
        env = dict(os.environ)
        env.pop("PREFECT_SERVER_API_AUTH_STRING", None)
        env.update(
            PREFECT_HOME=str(self.prefect_home),
            PREFECT_API_URL=self.api_url,
            PREFECT_API_AUTH_STRING=self.auth_string,
        )
        return env

    def prefect_env(self) -> dict[str, str]:
        """The server's: locked down (auth string, CORS to the UI's own origin, CSRF)."""
        env = self.client_env()
        env.update(
            PREFECT_UI_API_URL=self.api_url,
            PREFECT_SERVER_API_HOST=self.host,
            PREFECT_SERVER_API_PORT=str(self.port),
            PREFECT_SERVER_API_AUTH_STRING=self.auth_string,
            PREFECT_SERVER_API_CORS_ALLOWED_ORIGINS=self.ui_url,
            PREFECT_SERVER_API_CSRF_PROTECTION_ENABLED="true",
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            PREFECT_SERVER_LOGGING_LEVEL="WARNING",
        )
        return env

    def worker_env(self) -> dict[str, str]:
        assert self.catcher is not None
        env = self.client_env()
        env.update(
            OFFICEFLOW_HOME=str(self.home),
            OFFICEFLOW_SMTP_HOST=self.catcher.host,
            OFFICEFLOW_SMTP_PORT=str(self.catcher.port),
            PREFECT_WORKER_QUERY_SECONDS=str(self.worker_poll_seconds),
            PREFECT_WORKER_PREFETCH_SECONDS="5",
        )
        if self.public_url():
            env["OFFICEFLOW_PUBLIC_URL"] = self.public_url()
        return env

    # --- lifecycle -----------------------------------------------------------------------

    def make_dirs(self) -> None:
        """The stack's folders, owner-only (0700): the ledger, the Prefect database, the logs
        and the outbox hold the office's names, addresses and messages."""
        for folder in (self.home, self.logs, self.outbox, self.prefect_home):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)

    def start(self) -> StackInfo:
        """Start every part, each checked: a part that cannot start (its port taken, its
        process ended, no answer in time, or another process answering in its place) raises
        `StackError` naming it, after stopping every part started so far."""
        for name in sorted(self.fixed_ports):  # before anything starts
            port = getattr(self, name)
            if port and not port_is_free(self.host, port):
                raise port_in_use(name, self.host, port)
        self.make_dirs()
        self.port = pick_port(self.host, self.port)
        if self.web_port is not None:
            self.web_port = pick_port(self.host, self.web_port)
        try:
            self._start_server()
            self._prepare_ledger()
            self._start_catcher()
            self._register()
            self._start_worker()
            self._start_web()
            if (dead := self.check()) is not None:
                raise StackError(f"the {dead} process exited: {self._tail(dead)}")
        except BaseException:
            self.stop()
            raise
        info = StackInfo(
            api_url=self.api_url,
            ui_url=self.ui_url,
            smtp_host=self.catcher.host,
            smtp_port=self.catcher.port,
            outbox=str(self.outbox),
            pids={name: proc.pid for name, proc in self.procs.items()},
            web_url=self.public_url(),
            local_web_url=self.web_url,
        )
        (self.home / STACK_FILE).write_text(json.dumps(info.__dict__, indent=2), encoding="utf-8")
        return info

    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        fd = os.open(self.logs / f"{name}.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self.log_starts[name] = os.fstat(fd).st_size
        log = os.fdopen(fd, "ab")
        proc = subprocess.Popen(
            args,
            env=env,
            cwd=self.project_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: Ctrl-C reaches us, we end it
            umask=0o077,  # what the server and worker create (prefect.db…) is owner-only
        )
        log.close()
        self.procs[name] = proc
        self.say(f"  {name} process: pid {proc.pid}")
        return proc

    def _failed(self, name: str, field_name: str, what: str) -> StackError:
        """Why the process ``name`` (which listens on ``field_name``'s port) did not start."""
        tail = self._tail(name)
        port = getattr(self, field_name)
        if "address already in use" in tail.lower():
            return port_in_use(field_name, self.host, port)
        return StackError(f"the {PORTS[field_name][0]} {what}: {tail}")

    def _start_server(self) -> None:
        self.say(f"starting the Prefect server on {self.ui_url} (SQLite under {self.prefect_home})")
        proc = self._spawn(
            "server",
            # `prefect server start`'s app without its documentation pages (/docs, /redoc,
            # /openapi.json), which Prefect serves without the auth string.
            [
                sys.executable,
                "-m",
                "officeflow.prefect_server",
                "--host",
                self.host,
                "--port",
                str(self.port),
            ],
            self.prefect_env(),
        )
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise self._failed("server", "port", "exited")
            if self._server_answers():
                return
            time.sleep(0.5)
        raise self._failed("server", "port", "did not answer in time")

    def _server_answers(self) -> bool:
        """This start's server answers: healthy, and locked with this home's auth string (it
        refuses a request without it and serves one with it), which another server that
        answers on the same port does not do."""

        def status(path: str, secret: str | None) -> int:
            request = urllib.request.Request(self.api_url + path)
            if secret is not None:
                token = base64.b64encode(secret.encode()).decode()
                request.add_header("Authorization", f"Basic {token}")
            try:
                with urllib.request.urlopen(request, timeout=2) as r:
                    return int(r.status)
            except urllib.error.HTTPError as error:
                return error.code
            except (urllib.error.URLError, OSError):
                return 0

        return (
            status("/health", None) == 200
            and status("/admin/version", None) == 401
            and status("/admin/version", self.auth_string) == 200
        )

    def _start_catcher(self) -> None:
        from officeflow.mailcatcher import MailCatcher

        port = pick_port(self.host, self.smtp_port)
        try:
            self.catcher = MailCatcher(host=self.host, port=port, outbox=self.outbox).start()
        except Exception as error:  # aiosmtpd's server could not listen there
            if not port_is_free(self.host, port):
                raise port_in_use("smtp_port", self.host, port) from error
            raise StackError(
                f"the mail catcher cannot start on {self.host}:{port}: {error}"
            ) from error
        self.say(f"mail catcher on {self.catcher.host}:{self.catcher.port} → {self.outbox}")

    def _prepare_ledger(self) -> None:
        from officeflow import db
        from officeflow.org import load_org, parse_org_file
        from officeflow.settings import reload_settings

        os.environ["OFFICEFLOW_HOME"] = str(self.home)
        settings = reload_settings()
        db.upgrade(settings.database_url)
        self.say(f"ledger upgraded: {_display_url(settings.database_url)}")
        if self.org_file is not None:
            org = parse_org_file(self.org_file)
            with db.session_scope() as session:
                result = load_org(session, org)
            self.say(
                f"org loaded: {org.organisation}, {result.departments} departments, "
                f"{result.people} people"
            )

    def _register(self) -> None:
        from prefect.settings import temporary_settings

        from deployments.register import register_all

        with temporary_settings(updates=client_settings(self.home, self.api_url)):
            self.outcomes = register_all(self.project_dir)
        for outcome in self.outcomes:
            mark = "registered" if outcome.registered else "not yet"
            self.say(f"  {mark:<10} {outcome.name}: {outcome.detail}")

    def _start_worker(self) -> None:
        from deployments.definitions import POOL

        for n in range(1, self.workers + 1):
            name = "worker" if n == 1 else f"worker-{n}"
            self.say(f"starting {name} for the '{POOL}' pool")
            args = [_bin("prefect"), "worker", "start", "--pool", POOL, "--name", f"office-{n}"]
            if self.worker_limit is not None:
                args += ["--limit", str(self.worker_limit)]
            self._spawn(name, args, self.worker_env())

    def _start_web(self) -> None:
        """The office's web pages (`officeflow web`), on the same ledger, home and key."""
        if self.web_port is None:
            return
        from officeflow.signing import secret_key  # (itsdangerous, the settings)

        secret_key()  # made once before the worker signs its first link
        self.say(f"starting the office's web pages on {self.web_url}")
        # Ready means this process answers, not another one that listens on the same port.
        self.instance = secrets.token_urlsafe(16)
        env = self.worker_env()
        env[INSTANCE_ENV] = self.instance
        proc = self._spawn("web", [_bin("officeflow"), *web_args(self.host, self.web_port)], env)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise self._failed("web", "web_port", "exited")
            try:
                with urllib.request.urlopen(self.web_url + "/healthz", timeout=2) as r:
                    if r.status == 200 and r.headers.get(INSTANCE_HEADER) == self.instance:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.3)
        raise self._failed("web", "web_port", "did not answer in time")

    def _tail(self, name: str, lines: int = 15) -> str:
        path = self.logs / f"{name}.log"
        if not path.is_file():
            return "(no log)"
        with path.open("rb") as log:  # this start's lines only
            log.seek(self.log_starts.get(name, 0))
            text = log.read().decode("utf-8", errors="replace").splitlines()[-lines:]
        return f"last lines of {path}:\n" + "\n".join(text)

    def check(self) -> str | None:
        """The name of a child that exited on its own, if any."""
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                return name
        return None

    def stop(self, timeout: float = 20) -> None:
        """End the worker, then the server (each with its process group), then the catcher."""
        workers = [n for n in self.procs if n.startswith("worker")]
        for name in ("web", *workers, "server"):
            proc = self.procs.get(name)
            if proc is None:
                continue
            _signal_group(proc, signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait(5)
            _signal_group(proc, signal.SIGKILL)  # anything the child left in its group
            self.say(f"  stopped {name} (pid {proc.pid})")
        self.procs.clear()
        if self.catcher is not None:
            self.catcher.stop()
        (self.home / STACK_FILE).unlink(missing_ok=True)


def web_args(host: str, port: int) -> list[str]:
    """The ``officeflow`` arguments of the stack's web pages (tests start them the same way)."""
    return ["web", "--host", host, "--port", str(port), "--warm-flows"]


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    # The child was started with start_new_session=True, so its group id is its pid.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def _display_url(url: str) -> str:
    from sqlalchemy import make_url

    return make_url(url).render_as_string(hide_password=True)
