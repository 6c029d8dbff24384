"""Start `officeflow up` in a private home, as a user runs it, for a test module or a benchmark
(`tests/test_cli_via_stack.py`, `tests/test_stack_e2e.py`, `benchmarks/cli_latency.py`).

Every server listens on 127.0.0.1, on free ports. `start_stack` returns the process it started
(the leader of its own process group) once the stack has published ``<home>/stack.json``; the
caller stops it (`stop_stack`, or its own way), and only it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from officeflow.mailcatcher import free_port
from officeflow.stack import StackInfo

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def stack_env(home: Path, **extra: str) -> dict[str, str]:
    """A user's shell for ``home``: this environment without any ``OFFICEFLOW_*`` or
    ``PREFECT_*`` variable, then ``OFFICEFLOW_HOME`` (and ``extra``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OFFICEFLOW_", "PREFECT_"))}
    env.update(OFFICEFLOW_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false", **extra)
    return env


def start_stack(
    home: Path,
    env: dict[str, str],
    log: Path,
    *,
    web_port: bool = True,  # a free port of its own: two stacks at once never share 8300
    timeout: float = 420,  # slow when the machine is shared
) -> tuple[subprocess.Popen[bytes], StackInfo]:
    """Run ``officeflow up`` (Prefect server on a free port, mail catcher on any port, and with
    ``web_port`` the web pages on a free port too) with ``env``, its output in ``log``, and wait
    for ``<home>/stack.json``. If it exits or is not up within ``timeout`` seconds, its process
    group is stopped and the error shows the log."""
    args = ["up", "--port", str(free_port()), "--smtp-port", "0"]
    if web_port:
        args += ["--web-port", str(free_port())]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(BIN / "officeflow"), *args],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + timeout
        info = StackInfo.read(home)
        while info is None:
            if proc.poll() is not None or time.monotonic() > deadline:
                state = "exited" if proc.poll() is not None else f"not up after {timeout:g} s"
                raise AssertionError(f"officeflow up {state}:\n" + log.read_text())
            time.sleep(0.5)
            info = StackInfo.read(home)
    except BaseException:
        stop_stack(proc)
        raise
    return proc, info


def stop_stack(proc: subprocess.Popen[bytes], timeout: float = 90) -> int:
    """Stop the `officeflow up` that `start_stack` started: SIGTERM (a command started in the
    background ignores SIGINT), then, if it has not ended within ``timeout`` seconds, SIGKILL to
    its process group (its children are in it). Its exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        return proc.wait(10)
