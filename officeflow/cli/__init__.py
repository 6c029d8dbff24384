"""The `officeflow` command. Each office process adds its own sub-command group here."""

from __future__ import annotations

import sys

import typer
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError

from officeflow.cli import (
    assignment,
    calendar,
    db,
    decision,
    deliveries,
    deployments,
    incident,
    info,
    meeting,
    notify,
    org,
    outbox,
    stack,
)
from officeflow.cli.common import console, err_console, plain
from officeflow.db import is_lock_timeout, lock_timeout_message
from officeflow.inputs import InputError, problems_from
from officeflow.settings import EnvFileMissing
from rules.templates import TemplateRefused

app = typer.Typer(
    name="officeflow",
    help=(
        "Run the general office's work (督查督办, 突发事件, 办会) as Prefect workflows over a "
        "SQL ledger.\n\nSettings come from OFFICEFLOW_* environment variables or a .env file; "
        "see README.md."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
app.add_typer(db.app, name="db")
app.add_typer(org.app, name="org")
app.add_typer(calendar.app, name="calendar")
app.add_typer(notify.app, name="notify")
app.add_typer(deliveries.app, name="deliveries")
app.add_typer(decision.app, name="decision")
app.add_typer(assignment.app, name="assignment")
app.add_typer(incident.app, name="incident")
app.add_typer(meeting.app, name="meeting")
app.add_typer(info.app, name="info")
app.command("outbox")(outbox.outbox)
app.add_typer(deployments.app, name="deployments")
app.command("up")(stack.up)
app.command("demo")(stack.demo)


def _plain_error(message: str) -> None:
    from rich.text import Text

    err_console.print(
        Text.assemble(("error:", "bold red"), " ", message), highlight=False, soft_wrap=True
    )


def main() -> None:
    try:
        app()
    except (InputError, ValidationError) as exc:
        if isinstance(exc, ValidationError):  # a model built from options (e.g. --title "")
            exc = InputError(problems_from(exc))
        err_console.print(f"[bold red]error:[/] {plain(exc)}", highlight=False, soft_wrap=True)
        sys.exit(2)
    # A template that tried to reach Python internals; an OFFICEFLOW_ENV_FILE that is missing.
    except (TemplateRefused, EnvFileMissing) as exc:
        _plain_error(str(exc))
        sys.exit(2)
    except OperationalError as exc:
        if not is_lock_timeout(exc):
            raise
        _plain_error(lock_timeout_message())
        sys.exit(75)  # EX_TEMPFAIL: try again later
    except KeyboardInterrupt:
        console.print("interrupted")
        sys.exit(130)


__all__ = ["app", "main"]
