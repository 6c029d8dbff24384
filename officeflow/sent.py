"""The notice keys sent while someone listens: a CLI command that runs a flow wants to say what
became of the notices that flow sent (`officeflow.delivered`).

`tasks.delivery.deliver_notices` notes every key it sends; `collecting()` opens a list that
gathers them, in this context and those copied from it (a flow run's tasks). The stack's web
process, running a CLI command's flow (`officeflow.flowcalls`), collects them the same way and
hands them back with the result. Standard library only: the CLI imports it before anything else.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

_sent: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "officeflow_sent", default=None
)


@contextmanager
def collecting() -> Iterator[list[str]]:
    """Gather, into the list it yields, the notice keys sent while it is open."""
    keys: list[str] = []
    token = _sent.set(keys)
    try:
        yield keys
    finally:
        _sent.reset(token)


def note(keys: Iterable[str]) -> None:
    """Record that these notices were sent (for a `collecting` caller, if any)."""
    gathered = _sent.get()
    if gathered is not None:
        gathered.extend(k for k in keys if k not in gathered)
