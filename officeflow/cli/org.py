from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from officeflow import db
from officeflow.cli.common import cell, console, err_console, fail, plain
from officeflow.org import left_out, list_people, load_org, parse_org_file

app = typer.Typer(
    help="The org directory: departments, people, roles, contact points.", no_args_is_help=True
)


# Deactivating more people than this at once takes a confirmation (or --yes): a file that left
# out a department by mistake must not silently switch off its notices.
CONFIRM_ABOVE = 3


@app.command()
def load(
    file: Path = typer.Argument(..., help="Org YAML, e.g. examples/org.yaml", exists=False),
    yes: bool = typer.Option(
        False,
        "--yes",
        help=f"Deactivate the people missing from FILE without asking, even more than "
        f"{CONFIRM_ABOVE}",
    ),
) -> None:
    """Validate FILE completely, then write it in one transaction. Re-loading updates in place;
    people missing from FILE are deactivated, not deleted (listed; more than 3 need a
    confirmation or --yes)."""
    org = parse_org_file(file)
    with db.session_scope() as session:
        leaving = left_out(session, org)
        if len(leaving) > CONFIRM_ABOVE and not yes:
            err_console.print(
                f"{len(leaving)} people are not in {file} and would be deactivated:",
                markup=False,
                highlight=False,
            )
            _print_people(leaving, err_console)
            if not sys.stdin.isatty():
                fail("nothing loaded: check the file, or pass --yes to deactivate them")
            if not typer.confirm(f"Deactivate these {len(leaving)} people?", default=False):
                fail("nothing loaded")
        result = load_org(session, org)
    console.print(
        f"loaded [bold]{plain(org.organisation)}[/]: {result.departments} departments, "
        f"{result.people} people"
        + (f", {result.deactivated} deactivated:" if result.deactivated else "")
    )
    _print_people(leaving, console)


def _print_people(people: list[tuple[str, str]], out: Console) -> None:
    for person_id, name in people:
        out.print(f"  {plain(person_id)} ({plain(name)})", markup=False, highlight=False)


@app.command()
def show() -> None:
    """Print the org directory as a table."""
    with db.read_scope() as session:
        people = list_people(session)
        table = Table(title="Org directory", show_lines=False)
        for col in ("department", "id", "name", "title", "roles", "channels", "leader in charge"):
            table.add_column(col)
        for p in people:
            leader = p.department.leader_id or ""
            table.add_row(
                cell(p.department.name),
                p.id + ("" if p.active else " (inactive)"),
                cell(p.name),
                cell(p.title or ""),
                ", ".join(sorted(r.role.value for r in p.roles)),
                ", ".join(sorted(c.channel.value for c in p.contacts)),
                leader,
            )
    console.print(table)
