"""What a running stack (`officeflow up`, `officeflow.stack`) publishes in ``<home>/stack.json``,
and its default web port: read by the commands, the flow calls and the link signer
(`officeflow.signing`), none of which need the stack's own machinery."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

DEFAULT_WEB_PORT = 8300  # the office's web pages (`officeflow web`)
STACK_FILE = "stack.json"
# `officeflow up` gives its web process a new id each start (in this variable), and that process
# names it on its /healthz answers (in this header): the stack takes only its own process's
# answer as "ready", not another process's on the same port.
INSTANCE_ENV = "OFFICEFLOW_STACK_INSTANCE"
INSTANCE_HEADER = "x-officeflow-instance"


@dataclass
class StackInfo:
    """What a running stack publishes in ``<home>/stack.json`` for `demo` and other commands."""

    api_url: str
    ui_url: str
    smtp_host: str
    smtp_port: int
    outbox: str
    pids: dict[str, int]
    web_url: str = ""  # the office's web pages, the base of action links
    # The web process's own address on this machine (a flow command asks it to run its flow,
    # `officeflow.flowcalls`); web_url may be a proxy's public address instead.
    local_web_url: str = ""

    @classmethod
    def read(cls, home: Path) -> StackInfo | None:
        path = home / STACK_FILE
        if not path.is_file():
            return None
        return cls(**json.loads(path.read_text(encoding="utf-8")))
