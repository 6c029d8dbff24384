"""`officeflow up` fails, and says which part and why, when a part cannot start (issue 26 §8):
it never prints "officeflow is up" for a stack that is not, exits non-zero, and stops the
processes it did start (and only those).

Each test runs `officeflow up` as a user does (`tests/stack_helpers.py`), in a private home, with
a port the test holds itself on 127.0.0.1.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from officeflow.mailcatcher import free_port
from tests.stack_helpers import BIN, ROOT, stack_env, stop_stack

UP = "officeflow is up"
TIMEOUT = 420  # a bound for a hung command only; the shared machine can be slow


def _run_up(home: Path, log: Path, args: list[str]) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [str(BIN / "officeflow"), "up", *args],
            env=stack_env(home),
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _wait(proc: subprocess.Popen[bytes], log: Path, home: Path) -> tuple[int, str]:
    """Its exit code and output. A stack that came up anyway (the bug) is stopped here; so is a
    command that neither ends nor comes up."""
    deadline = time.monotonic() + TIMEOUT
    while proc.poll() is None and time.monotonic() < deadline:
        if (home / "stack.json").is_file() and UP in log.read_text(errors="replace"):
            stop_stack(proc)
            break
        time.sleep(0.5)
    code = stop_stack(proc)
    return code, log.read_text(errors="replace")


def _pids(output: str) -> dict[str, int]:
    return {m[1]: int(m[2]) for m in re.finditer(r"^\s*(\S+) process: pid (\d+)", output, re.M)}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) is gone for every purpose here.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.is_file() and stat.read_text().split(") ")[-1].startswith("Z"))


def _held() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


@pytest.mark.parametrize(
    ("option", "part"),
    [("--web-port", "web pages"), ("--port", "Prefect server"), ("--smtp-port", "mail catcher")],
)
def test_a_port_given_that_is_taken_fails_before_anything_starts(
    tmp_path: Path, option: str, part: str
) -> None:
    home, log = tmp_path / "office", tmp_path / "up.log"
    with _held() as held:
        port = held.getsockname()[1]
        ports = {"--port": free_port(), "--smtp-port": free_port(), "--web-port": free_port()}
        ports[option] = port
        args = [str(a) for kv in ports.items() for a in kv]
        code, output = _wait(_run_up(home, log, args), log, home)
    assert UP not in output
    assert code != 0
    assert f"{part} cannot start: 127.0.0.1:{port} is in use" in output
    assert f"{option} " in output  # what to do about it
    assert _pids(output) == {}  # nothing was started
    assert not (home / "stack.json").exists()


class _ForeignHealth(BaseHTTPRequestHandler):
    """Another web process on the port: it answers /healthz as `officeflow web` does."""

    def do_GET(self) -> None:
        body = b"ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_a_web_port_taken_while_the_stack_starts_stops_the_stack(tmp_path: Path) -> None:
    """The report's case: the port was free when `up` chose it; another process took it (and
    answers /healthz) before the stack's web process bound it. `up` must not take that answer for
    its own web process: it fails naming the web pages and the port, and stops the Prefect
    server, the worker and the catcher it started."""
    home, log = tmp_path / "office", tmp_path / "up.log"
    web_port = free_port()
    args = ["--port", str(free_port()), "--smtp-port", "0", "--web-port", str(web_port)]
    proc = _run_up(home, log, args)
    foreign: ThreadingHTTPServer | None = None
    try:
        # The ports are chosen before the Prefect server starts; the web process starts after
        # the server answers, the ledger is upgraded and the deployments are registered.
        deadline = time.monotonic() + TIMEOUT
        while "starting the Prefect server" not in log.read_text(errors="replace"):
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        foreign = ThreadingHTTPServer(("127.0.0.1", web_port), _ForeignHealth)
        taken_at = len(log.read_text(errors="replace"))
        threading.Thread(target=foreign.serve_forever, daemon=True).start()
        code, output = _wait(proc, log, home)
    finally:
        stop_stack(proc)
        if foreign is not None:
            foreign.shutdown()
            foreign.server_close()
    # The port was taken before the web process was started (else this test proves nothing).
    assert "starting the office's web pages" in output[taken_at:], output
    assert UP not in output
    assert code != 0
    assert f"web pages cannot start: 127.0.0.1:{web_port} is in use" in output
    pids = _pids(output)
    assert {"server", "worker", "web"} <= set(pids), output
    assert [name for name, pid in pids.items() if _alive(pid)] == []
    assert not (home / "stack.json").exists()
