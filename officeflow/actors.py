"""Who acts, and through which door.

Every action has an actor (a person id, or ``system`` for the office's own scheduled steps) and
a channel it came through: ``web`` (the office's web pages or a signed action link), ``cli`` (an
operator at a shell; the operating-system user is kept as ``operator``), ``prefect-ui`` (a run
started from the Prefect UI) or ``system`` (a schedule). The channel is set once at the door with
`acting(...)`; `officeflow.events.record` stamps it on every event recorded inside.

Services decide who may do what (`officeflow.permissions`) and raise `NotAllowed`, so the CLI, the
flows and the web pages obey one set of rules.
"""

from __future__ import annotations

import contextvars
import getpass
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
    who may."""


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
    return _door.get() or _NOBODY


def os_user() -> str:
    try:
        return getpass.getuser()[:64]
    except (KeyError, OSError):  # no passwd entry (some containers)
        return "unknown"
