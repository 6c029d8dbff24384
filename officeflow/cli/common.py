"""Shared bits of the CLI: consoles, date parsing, the clean-error exit, the actor option and
the one way a command checks its input before a flow starts."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from importlib import import_module
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from officeflow.inputs import check_actor_id, shorten_echoes
from officeflow.text import strip_controls

console = Console()
err_console = Console(stderr=True)

T = TypeVar("T")

# Exit codes of a command whose action was recorded but whose notices did not all arrive:
# some wait for a retry (3), some can never arrive (4). `officeflow.delivered` holds them.
NOTICES_FAILED = DELIVERY_PENDING = 3
UNDELIVERABLE = 4


# A tag Rich could still complete: ``[`` and a tag's first character, with no ``]`` after it.
_OPEN_TAG = re.compile(r"\[[a-z#/@][^\[\]]*\Z")
# Shows nothing and changes no style; its ``[`` stops an open tag of the text before it from
# running on to a ``]`` printed after it.
_TAG_STOP = "[not bold][/not bold]"
# Backslashes right before a ``[`` that does not open a tag: Rich's renderer takes the last of
# them as the escape of that ``[`` (``a\[b`` printed ``a[b``), so one more is written.
_BEFORE_PLAIN_BRACKET = re.compile(r"(\\+)(?=\[(?![a-z#/@][^\[]*?\]))")
_TRAILING_BACKSLASHES = re.compile(r"\\+\Z")


def _escape(text: str) -> str:
    """Rich markup escaped, so that the text prints exactly as it is whatever is printed around
    it: `rich.markup.escape` escapes the whole tags in ``text``; a backslash before a ``[`` that
    opens no tag is kept; backslashes at the end are doubled and closed off (else they would
    escape a tag printed after the value, and `escape`'s own fix shows one too many alone); an
    unclosed tag at the end (``[link=https://…``) is stopped, or a ``]`` printed later on the same
    line (of another value) would close it and the text between would vanish."""
    text = _BEFORE_PLAIN_BRACKET.sub(lambda m: m.group(1) + "\\", text)
    trailing = _TRAILING_BACKSLASHES.search(text)
    if trailing:
        text = text[: trailing.start()]
    escaped = escape(text)
    if trailing:
        return escaped + trailing.group(0) * 2 + _TAG_STOP
    return escaped + _TAG_STOP if _OPEN_TAG.search(escaped) else escaped


def plain(text: object) -> str:
    """A stored or user-given string, ready to go into Rich output (an f-string that is printed,
    a table cell, a title) as plain text: control characters (terminal escapes) removed, Rich
    markup escaped. Every such string the CLI prints goes through this."""
    return _escape(strip_controls(text))


def cell(text: object) -> str:
    """A stored string for a table cell: `plain`, on one line (a line break or tab becomes a
    space), so a title typed with a line break keeps to its row."""
    return _escape(" ".join(strip_controls(text).replace("\t", " ").split("\n")))


def fail(message: str, code: int = 2) -> NoReturn:
    message = plain(shorten_echoes(message))
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def warn(message: str) -> None:
    err_console.print(f"[yellow]warning:[/] {plain(message)}", highlight=False, soft_wrap=True)


def parse_date(text: str, what: str = "DATE") -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"{what} must be an ISO date like 2026-09-24, not {text!r}")


def actor_option(help: str = "Your person id", default: Any = ...) -> Any:
    """``--as PERSON``: who takes the action. Every command that records an action names its
    actor this way."""
    return typer.Option(default, "--as", metavar="PERSON", help=help, callback=_actor_id)


def _actor_id(value: str | None) -> str | None:
    """Refuse an actor id no person can have (too long, a NUL), and one this operating-system
    user may not act as (`check_operator`), before anything runs."""
    if value is not None:
        problem = check_actor_id(value)
        if problem:
            raise typer.BadParameter(problem)
        check_operator(value)
    return value


def check_operator(person: str) -> None:
    """``--as PERSON`` against ``OFFICEFLOW_CLI_OPERATORS`` (when set): the OS user running the
    command must be mapped to ``person`` or to ``*``; otherwise exit 77 (`NOT_ALLOWED`) before
    anything runs. Unset, ``--as`` is the caller's assertion (docs/permissions.md)."""
    from officeflow import actors
    from officeflow.settings import get_settings

    allowed = get_settings().cli_operator_map()
    if allowed is None:
        return
    user = actors.os_user()
    mine = allowed.get(user, frozenset())
    if "*" in mine or person in mine:
        return
    fail(
        f"the operating-system user {user!r} may not act as {person!r}: "
        f"OFFICEFLOW_CLI_OPERATORS lets {user!r} act as "
        + (", ".join(sorted(mine)) if mine else "nobody")
        + f"（系统用户 {user} 无权以 {person} 的名义操作）",
        77,
    )


def send_notices(keys: list[str]) -> None:
    """Send the notices an action planned (after its transaction committed) and say what became
    of them: how many arrived, how many wait for a retry and when, who cannot be reached. The one
    way a command that records an action tells people. Exits `DELIVERY_PENDING` (3) or
    `UNDELIVERABLE` (4) when not all arrived: the action itself is recorded. Without notices it
    loads nothing (the delivery layer is not for an action that tells nobody)."""
    if keys:
        from officeflow import db, delivered
        from officeflow.delivery import send_pending

        report = send_pending(keys)
        with db.read_scope() as session:
            outcome = delivered.outcome(session, keys)
        console.print(plain(outcome.summary()), highlight=False, soft_wrap=True)
        if outcome.exit_code:
            warn(
                "the action is recorded, but not everyone was told yet"
                + (f"; cause: {report.cause()}" if report.failed else "")
                + "; see `officeflow deliveries problems`"
            )
            raise typer.Exit(outcome.exit_code)


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


def run_flow(target: str, /, **params: Any) -> Any:
    """Run the flow ``target`` ("flows.supervision:supervision_sweep") with ``params`` (by name)
    and return its result: in the running stack's warm web process when it can take it, else in
    this process, as a real Prefect flow run either way (`officeflow.flowcalls`). The one way a
    command runs a flow; its checks (`check_first`, input parsing) come before, here."""
    from officeflow import flowcalls

    try:
        return flowcalls.run_in_stack(target, params)
    except flowcalls.NotHere:
        pass
    module, name = target.split(":")
    flow = getattr(import_module(module), name)
    return flow(**params)
