"""For every declared action (`officeflow.actions`), an example: how to put the ledger in a state
where the action can be taken, with which input, by whom, and a person the policy refuses.

Each process has a module here, ``tests/declared_examples/<process>.py``, holding ``EXAMPLES``:
a dict from the action's key (``"<object>.<verb>"``) to a function of no arguments that runs
with the example org loaded (`tests/conftest.py`'s ``org``) and the clock at `MONDAY`, writes
what it needs through the services (as ``system``, committed), and returns an `Example`.
tests/test_declarations.py runs every declared action through every surface it offers with
these, and fails for an action that has no example."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Any

MONDAY = "2026-09-28T10:00:00+08:00"


@dataclass(frozen=True)
class Example:
    object_id: int
    params: dict[str, Any]  # the input, as a person would give it (JSON-able values)
    allowed: str  # a person the policy lets take it
    refused: str  # an active person of the example org the policy refuses
    # Values for the CLI where they differ from params (rarely needed).
    cli: dict[str, Any] = field(default_factory=dict)


def all_examples() -> dict[str, Callable[[], Example]]:
    out: dict[str, Callable[[], Example]] = {}
    for path in sorted(Path(__file__).parent.glob("*.py")):
        if path.stem.startswith("_"):
            continue
        out.update(import_module(f"tests.declared_examples.{path.stem}").EXAMPLES)
    return out
