"""Shared bits of the CLI: consoles, date parsing, the clean-error exit, the actor option and
the one way a command checks its input before a flow starts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console

console = Console()
err_console = Console(stderr=True)

T = TypeVar("T")


def fail(message: str, code: int = 2) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def warn(message: str) -> None:
    err_console.print(f"[yellow]warning:[/] {message}", highlight=False, soft_wrap=True)


def parse_date(text: str, what: str = "DATE") -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"{what} must be an ISO date like 2026-09-24, not {text!r}")


def actor_option(help: str = "Your person id", default: Any = ...) -> Any:
    """``--as PERSON``: who takes the action. Every command that records an action names its
    actor this way."""
    return typer.Option(default, "--as", metavar="PERSON", help=help)


def check_first(action: Callable[[Any], T], source: str | None = None) -> T:
    """Run a service against the ledger and roll everything back, so that bad input is refused
    with the same error text the flow would give, before a flow run exists and before anything
    is written or sent. Every command that starts a flow calls this first."""
    from sqlalchemy.orm import sessionmaker

    from officeflow import db
    from officeflow.inputs import InputError

    factory = sessionmaker(db.get_engine(), expire_on_commit=False)
    with factory() as session:
        session.begin()
        try:
            return action(session)
        except InputError as exc:
            raise InputError(exc.problems, source or exc.source) from None
        finally:
            session.rollback()
