"""Who acts, and through which door.

Every action has an actor (a person id, or ``system`` for the office's own scheduled steps) and
a channel it came through: ``web`` (the office's web pages or a signed action link), ``cli`` (an
operator at a shell; the operating-system user is kept as ``operator``), ``prefect-ui`` (a run
started from the Prefect UI) or ``system`` (a schedule). The channel is set once at the door with
`acting(...)`; `officeflow.events.record` stamps it on every event recorded inside.

The one policy (`officeflow.policy`, asked by `officeflow.actions.perform`) raises `NotAllowed`,
so the CLI, the flows and the web pages obey one set of rules.
"""

from __future__ import annotations

import contextvars
import getpass
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

WEB = "web"
CLI = "cli"
PREFECT_UI = "prefect-ui"
SYSTEM = "system"
CHANNELS = (WEB, CLI, PREFECT_UI, SYSTEM)


class NotAllowed(PermissionError):
    """The actor may not take this action. ``str()`` is the sentence a user sees: who, what, and
    who may; ``zh`` is the same sentence in Chinese, with names (what a zh-CN page shows)."""

    def __init__(self, message: str, *, zh: str | None = None) -> None:
        super().__init__(message)
        self.zh = zh or message


@dataclass(frozen=True)
class Door:
    via: str = SYSTEM
    operator: str | None = None


_NOBODY = Door()
_door: contextvars.ContextVar[Door | None] = contextvars.ContextVar("officeflow_door", default=None)


@contextmanager
def acting(via: str, operator: str | None = None) -> Iterator[Door]:
    """Record every event inside as coming through ``via`` (and, for the CLI, by ``operator``)."""
    if via not in CHANNELS:
        raise ValueError(f"unknown channel {via!r}; one of {', '.join(CHANNELS)}")
    door = Door(via, operator)
    token = _door.set(door)
    try:
        yield door
    finally:
        _door.reset(token)


def current() -> Door:
    """The door set by `acting`; inside a Prefect flow run started from a deployment (by a
    worker), the door that run came through (`door_of_run`); else ``system``."""
    door = _door.get()
    if door is not None:
        return door
    return _flow_run_door() or _NOBODY


# A deployment run started by the CLI (or the web app) carries these tags, so the worker that
# runs it records its events with the right door. A deployment run without them was started by
# hand in the Prefect UI (or by its API): ``prefect-ui``; one the scheduler made is ``system``.
VIA_TAG = "officeflow-via:"
OPERATOR_TAG = "officeflow-operator:"


def run_tags(door: Door | None = None) -> list[str]:
    """The tags a deployment run started through ``door`` (default: the current one) carries:
    pass them as ``run_deployment(..., tags=actors.run_tags())``."""
    door = door or current()
    tags = [VIA_TAG + door.via]
    if door.operator:
        tags.append(OPERATOR_TAG + door.operator)
    return tags


def door_of_run(deployment_id: object, tags: list[str], auto_scheduled: bool) -> Door | None:
    """The door of a flow run: None for a flow called in-process (the caller's door holds);
    the tagged door for a deployment run the CLI or the web app started; ``system`` for a run
    the scheduler made; ``prefect-ui`` for any other deployment run (a person in the Prefect UI,
    or a script holding the API credentials)."""
    if deployment_id is None:
        return None
    via = next((t[len(VIA_TAG) :] for t in tags if t.startswith(VIA_TAG)), None)
    operator = next((t[len(OPERATOR_TAG) :] for t in tags if t.startswith(OPERATOR_TAG)), None)
    if via in (CLI, WEB):
        return Door(via, operator[:64] if operator else None)
    if auto_scheduled:
        return Door(SYSTEM)
    return Door(PREFECT_UI)


def _flow_run_door() -> Door | None:
    context = sys.modules.get("prefect.context")  # never import Prefect just to ask
    if context is None:
        return None
    run_context = context.FlowRunContext.get()
    flow_run = getattr(run_context, "flow_run", None)
    if flow_run is None:
        return None
    return door_of_run(flow_run.deployment_id, list(flow_run.tags or []), flow_run.auto_scheduled)


def os_user() -> str:
    """The operating-system user running this process: the account of its real user id (not
    ``$USER`` or ``$LOGNAME``, which the caller sets at will), else what `getpass` says."""
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name[:64]
    except (ImportError, KeyError, OSError):  # no pwd (Windows), no passwd entry (containers)
        pass
    try:
        return getpass.getuser()[:64]
    except (KeyError, OSError):
        return "unknown"
