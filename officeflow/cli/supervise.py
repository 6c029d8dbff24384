from __future__ import annotations

import typer

from officeflow import clock
from officeflow.cli.common import console, fail


def supervise(
    now: str | None = typer.Option(
        None, "--now", help="Run as of this time (ISO; default: the clock), e.g. for a replay"
    ),
    remind_before_workdays: int = typer.Option(3, min=0, help="Blue when due within N workdays"),
    red_repeat_workdays: int = typer.Option(1, min=1, help="Repeat red every N workdays"),
) -> None:
    """督查: run the supervision-sweep flow: light every open assignment and send the due
    reminders once. Does nothing on non-working days."""
    from flows.supervision import supervision_sweep

    at = None
    if now:
        try:
            at = clock.parse_instant(now)
        except ValueError:
            fail(f"--now must be a date and time like 2026-09-21T09:00, not {now!r}")
    if at is not None:
        clock.set_now(at)
    result = supervision_sweep(
        now=at,
        remind_before_workdays=remind_before_workdays,
        red_repeat_workdays=red_repeat_workdays,
    )
    console.print(result)


def bulletin(
    week: str | None = typer.Option(None, "--week", help="A date in the week (default: now)"),
) -> None:
    """督办通报: send this week's bulletin to the leaders (once per week)."""
    from flows.supervision import supervision_bulletin
    from officeflow.cli.common import parse_date

    console.print(supervision_bulletin(week_containing=parse_date(week) if week else None))
