from __future__ import annotations

import typer

from models.org import Person
from officeflow import db
from officeflow.channels import configured_channels
from officeflow.cli.common import console, fail, plain, warn
from officeflow.delivery import plan_notice, send_pending
from officeflow.settings import get_settings

app = typer.Typer(help="Send notices by hand.", no_args_is_help=True)


@app.command()
def test(person: str = typer.Argument(..., help="Person id from the org directory")) -> None:
    """Send a test message to PERSON on every channel they have and the office has configured.
    Each run is a new test (its business key carries the current time)."""
    from officeflow import clock

    settings = get_settings()
    if not configured_channels(settings):
        fail("no channel is configured: set OFFICEFLOW_SMTP_HOST or a chat token (see README)")
    key = f"test:{person}:{clock.now().isoformat()}"
    with db.session_scope() as session:
        if session.get(Person, person) is None:
            fail(f"unknown person {person!r}; `officeflow org show` lists them")
        planned = plan_notice(
            session,
            key=key,
            template="test",
            object_type="person",
            object_id=person,
            recipients=[person],
        )
    if planned.unreachable:
        warn(f"{person} has no contact point on a configured channel")
    report = send_pending([key])
    console.print(f"sent {report.sent}, failed {report.failed}")
    for error in report.errors:
        console.print(f"  [red]{plain(error)}[/]", highlight=False)
    if report.failed:
        raise typer.Exit(1)
