"""A CLI command's flow, run in the running stack's warm web process (issue 15 §4).

Importing Prefect and a flow costs a CLI process about 2.5 s. When `officeflow up` runs, its web
process (`officeflow web`) has both loaded already, so a command that runs a flow asks it to run
the flow there and waits: ``POST /internal/flow-runs`` on the stack's local web address, with

- the home's auth string (``<home>/prefect-auth``, 0600: whoever can read it may already drive
  the stack's Prefect server) as ``Authorization: Bearer …``, compared in constant time;
- from the loopback address only, never through a proxy (a forwarding header is refused);
- naming a flow of `FLOWS` only (the flows the CLI's commands run);
- its parameters as JSON (Pydantic models and dates dumped; the web process rebuilds them from
  the flow's signature), and the caller's operating-system user.

The flow run there is the same Prefect flow run (same name, same parameters, reported to the
stack's server), inside ``actors.acting(CLI, operator=<the caller's OS user>)``: its events say
``via = cli`` as before. Its result comes back as JSON and is rebuilt into its `models.*` class;
an error the flow raised comes back as its kind (bad input, a refused action, a refused
template, a locked ledger) and is raised again in the CLI, so the command exits with the same
code and sentence as when the flow runs in the CLI's own process.

The command runs the flow in its own process, as before, whenever the stack cannot take it:
no stack, its web process does not answer or refuses (another ledger, another clock, an old web
process without the endpoint, a wrong auth string), the command set the clock (``--now``,
``OFFICEFLOW_NOW``), or ``PREFECT_API_URL`` names another server. Once the request has been
sent, a broken connection is an error (the flow may have run), never a second run.

This module imports neither Prefect nor FastAPI: the CLI loads it for every flow command.
"""

from __future__ import annotations

import hmac
import http.client
import importlib
import json
import os
import urllib.parse
from dataclasses import asdict
from pathlib import Path
from typing import Any

from officeflow import sent

PATH = "/internal/flow-runs"


def allowed_flows() -> frozenset[str]:
    """The flows a CLI command may run in the stack ("module:function"), derived from the
    declarations (`officeflow.actions`): each process flow a command runs, and each action
    whose command runs its flow. Nothing else can be named."""
    from officeflow import actions

    flows = {f.entrypoint for f in actions.all_flows() if f.cli}
    flows |= {a.flow for a in actions.all_actions() if a.cli_runs_flow and a.flow}
    return frozenset(flows)


def __getattr__(name: str) -> Any:
    # FLOWS and FLOW_MODULES are read by the web process (which checks what it is asked to
    # run); the CLI's side never needs them, so a command does not load the declarations.
    if name == "FLOWS":
        return allowed_flows()
    if name == "FLOW_MODULES":
        return sorted({target.split(":")[0] for target in allowed_flows()})
    raise AttributeError(name)


CONNECT_TIMEOUT = 3.0  # a live web process accepts at once; a dead one refuses at once


class NotHere(Exception):
    """The stack cannot run this flow (absent, silent, or refusing before running anything):
    the command runs it in its own process."""


class FlowFailed(Exception):
    """The flow failed in the stack for a reason the CLI has no exception of its own for: the
    one-line message and the exit code the command ends with."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


# --- both sides -----------------------------------------------------------------------------------


def to_json(value: Any) -> Any:
    """A parameter or a result as JSON data (Pydantic models, dataclasses, dates, enums, paths)."""
    from pydantic_core import to_jsonable_python

    return to_jsonable_python(value)


def ledger_id(database_url: str) -> str:
    """Which ledger a process writes to, without sending its URL (it may hold a password)."""
    import hashlib

    return hashlib.sha256(database_url.encode()).hexdigest()[:16]


def error_of(exc: BaseException) -> dict[str, Any]:
    """An exception a flow raised, as the JSON the CLI turns back into it (`raise_error`)."""
    from pydantic import ValidationError
    from sqlalchemy.exc import OperationalError

    from officeflow.actors import NotAllowed
    from officeflow.db import is_lock_timeout
    from officeflow.inputs import InputError, problems_from
    from rules.templates import TemplateRefused

    if isinstance(exc, ValidationError):
        exc = InputError(problems_from(exc))
    if isinstance(exc, InputError):
        return {
            "kind": "input",
            "problems": [asdict(p) for p in exc.problems],
            "source": exc.source,
        }
    if isinstance(exc, NotAllowed):
        return {"kind": "not_allowed", "message": str(exc), "zh": exc.zh}
    if isinstance(exc, TemplateRefused):
        return {"kind": "template", "message": str(exc)}
    if isinstance(exc, OperationalError) and is_lock_timeout(exc):
        return {"kind": "locked"}
    return {"kind": "failed", "type": type(exc).__name__, "message": str(exc)}


def raise_error(error: dict[str, Any], target: str) -> None:
    """Raise again, in the CLI, the error a flow raised in the stack."""
    kind = error.get("kind")
    if kind == "input":
        from officeflow.inputs import InputError, Problem

        problems = [
            Problem(tuple(p["loc"]), str(p["message"]), p.get("line"))
            for p in error.get("problems", [])
        ]
        raise InputError(problems, error.get("source"))
    if kind == "not_allowed":
        from officeflow.actors import NotAllowed

        raise NotAllowed(str(error.get("message", "")), zh=error.get("zh"))
    if kind == "template":
        from rules.templates import TemplateRefused

        raise TemplateRefused(str(error.get("message", "")))
    if kind == "locked":
        from officeflow.db import lock_timeout_message

        raise FlowFailed(lock_timeout_message(), 75)
    name = target.split(":")[1].replace("_", "-")
    raise FlowFailed(
        f"the {name} flow failed in the running stack: {error.get('type', 'Error')}: "
        f"{error.get('message', '')} (see logs/web.log under the officeflow home)"
    )


def result_of(body: dict[str, Any]) -> Any:
    """The flow's result, rebuilt into its class when that is one of the office's models."""
    value, kind = body.get("result"), body.get("type")
    if not kind:
        return value
    module, _, name = str(kind).partition(":")
    if module != "models" and not module.startswith("models."):
        return value
    from pydantic import TypeAdapter

    cls = getattr(importlib.import_module(module), name)
    return TypeAdapter(cls).validate_python(value)


# --- the CLI's side -------------------------------------------------------------------------------


def run_in_stack(target: str, params: dict[str, Any]) -> Any:
    """Run the flow ``target`` with ``params`` in the running stack's web process and return its
    result; raise `NotHere` when the stack cannot take it (nothing ran)."""
    from officeflow import actors, clock
    from officeflow.settings import get_settings
    from officeflow.stack import StackInfo, auth_string

    settings = get_settings()
    if clock._frozen is not None or settings.now is not None:  # the command's own clock
        raise NotHere("clock")
    home = settings.home.resolve()
    try:
        info = StackInfo.read(home)
    except (OSError, ValueError, TypeError):
        info = None
    if info is None or not info.local_web_url:
        raise NotHere("no stack")
    configured = os.environ.get("PREFECT_API_URL")
    if configured and configured.rstrip("/") != info.api_url.rstrip("/"):
        raise NotHere("another Prefect server")
    secret = auth_string(home)
    if not secret:
        raise NotHere("no auth string")
    door = actors.current()
    body = json.dumps(
        {
            "flow": target,
            "params": to_json(params),
            "operator": door.operator if door.via == actors.CLI else actors.os_user(),
            "ledger": ledger_id(settings.database_url),
        }
    ).encode()
    url = urllib.parse.urlsplit(info.local_web_url)
    if url.scheme != "http" or url.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise NotHere("not a local address")
    conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=CONNECT_TIMEOUT)
    try:
        try:
            conn.connect()
        except OSError as exc:  # nothing listens, or it does not answer: nothing ran
            raise NotHere(str(exc)) from None
        assert conn.sock is not None
        conn.sock.settimeout(None)  # a flow takes as long as it takes
        try:
            conn.request(
                "POST",
                PATH,
                body,
                {"Content-Type": "application/json", "Authorization": f"Bearer {secret}"},
            )
            response = conn.getresponse()
            status, data = response.status, response.read()
        except (OSError, http.client.HTTPException) as exc:
            raise FlowFailed(
                f"the running stack's web process stopped answering while it ran {target}: "
                f"{exc}; see logs/web.log under the officeflow home before running it again"
            ) from None
    finally:
        conn.close()
    if status in (401, 403, 404, 409):  # refused before anything ran
        raise NotHere(f"HTTP {status}")
    if status != 200:
        raise FlowFailed(f"the running stack's web process answered HTTP {status} for {target}")
    answer = json.loads(data)
    if not answer.get("ok"):
        raise_error(answer.get("error") or {}, target)
    notices = answer.get("notices")
    if isinstance(notices, list):
        sent.note(k for k in notices if isinstance(k, str))
    return result_of(answer)


# --- the web process's side -----------------------------------------------------------------------


def authorised(given: str | None, home: Path) -> bool:
    """``Authorization: Bearer <the home's auth string>``, compared in constant time."""
    from officeflow.stack import auth_string

    secret = auth_string(home)
    if not secret or not given or not given.startswith("Bearer "):
        return False
    return hmac.compare_digest(given[len("Bearer ") :].encode(), secret.encode())


def load_flow(target: str) -> Any:
    if target not in allowed_flows():
        raise KeyError(target)
    module, name = target.split(":")
    return getattr(importlib.import_module(module), name)


def parameters(flow: Any, params: dict[str, Any]) -> dict[str, Any]:
    """The JSON parameters rebuilt into what the flow's signature names (a `DecisionSpec`, a
    date …); an unknown name is refused."""
    import inspect
    import typing

    from pydantic import TypeAdapter

    fn = getattr(flow, "fn", flow)
    signature = inspect.signature(fn)
    hints = typing.get_type_hints(fn, include_extras=True)
    out: dict[str, Any] = {}
    for name, value in params.items():
        if name not in signature.parameters:
            raise TypeError(f"{fn.__name__}() has no parameter {name!r}")
        hint = hints.get(name)
        out[name] = value if hint is None else TypeAdapter(hint).validate_python(value)
    return out


def run_here(target: str, params: dict[str, Any], operator: str) -> dict[str, Any]:
    """Run an allowed flow in this process for a CLI caller: its events say ``via = cli`` and
    the caller's OS user. The JSON answer: the result and its class, or the error."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from officeflow import actors
    from officeflow.text import strip_controls

    door = actors.acting(actors.CLI, operator=strip_controls(operator)[:64] or "unknown")
    # No heartbeat thread: the run ends by joining it, and it sleeps in 1 s steps (up to 1 s
    # added to every run). The caller waits on this request, which says the run is alive.
    # (Both settings and door are context variables: this request's thread only.)
    quiet = temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})
    try:
        flow = load_flow(target)
        with quiet, door, sent.collecting() as notices:
            result = flow(**parameters(flow, params))
    except Exception as exc:
        return {"ok": False, "error": error_of(exc)}
    kind = None if result is None else f"{type(result).__module__}:{type(result).__qualname__}"
    # The notices the run sent: the command says what became of them (`officeflow.delivered`).
    return {"ok": True, "result": to_json(result), "type": kind, "notices": notices}
