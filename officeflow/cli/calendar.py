from __future__ import annotations

import typer

from officeflow.cli.common import console, parse_date, warn
from officeflow.workdays import get_calendar

app = typer.Typer(
    help="Working days (工作日): official holidays, make-up workdays (调休), local closures.",
    no_args_is_help=True,
)


def _warn_unofficial(*days) -> None:  # type: ignore[no-untyped-def]
    years = get_calendar().unofficial_years(days)
    if years:
        warn(
            f"no official holiday arrangement is known for {', '.join(map(str, years))}; "
            "the answer is a rule-based guess. Add the State Council notice to the calendar "
            "overrides file (OFFICEFLOW_CALENDAR_OVERRIDES) when it is published."
        )


@app.command("is-workday")
def is_workday(date: str = typer.Argument(..., help="ISO date, e.g. 2026-10-10")) -> None:
    """Print [bold]yes[/] if DATE is a working day, else [bold]no[/]."""
    day = parse_date(date)
    _warn_unofficial(day)
    console.print("yes" if get_calendar().is_workday(day) else "no")


@app.command("add-workdays")
def add_workdays(
    date: str = typer.Argument(..., help="ISO start date (not counted)"),
    n: int = typer.Argument(..., min=0, help="How many working days to add"),
) -> None:
    """Print the ISO date of the N-th working day after DATE."""
    day = parse_date(date)
    result = get_calendar().add_workdays(day, n)
    _warn_unofficial(day, result)
    console.print(result.isoformat())


@app.command()
def deadline(
    date: str = typer.Argument(..., help="ISO issue date"),
    n: int = typer.Argument(..., min=0, help="Working days allowed"),
) -> None:
    """Print the deadline of N working days from DATE: the end of office hours on that day."""
    day = parse_date(date)
    cal = get_calendar()
    due = cal.deadline(day, n)
    _warn_unofficial(day, due.date())
    console.print(due.isoformat())
