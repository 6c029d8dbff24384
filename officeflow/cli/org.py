from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from officeflow import db
from officeflow.cli.common import console, plain
from officeflow.org import list_people, load_org, parse_org_file

app = typer.Typer(
    help="The org directory: departments, people, roles, contact points.", no_args_is_help=True
)


@app.command()
def load(
    file: Path = typer.Argument(..., help="Org YAML, e.g. examples/org.yaml", exists=False),
) -> None:
    """Validate FILE completely, then write it in one transaction. Re-loading updates in place;
    people missing from FILE are deactivated, not deleted."""
    org = parse_org_file(file)
    with db.session_scope() as session:
        result = load_org(session, org)
    console.print(
        f"loaded [bold]{plain(org.organisation)}[/]: {result.departments} departments, "
        f"{result.people} people"
        + (f", {result.deactivated} deactivated" if result.deactivated else "")
    )


@app.command()
def show() -> None:
    """Print the org directory as a table."""
    with db.session_scope() as session:
        people = list_people(session)
        table = Table(title="Org directory", show_lines=False)
        for col in ("department", "id", "name", "title", "roles", "channels", "leader in charge"):
            table.add_column(col)
        for p in people:
            leader = p.department.leader_id or ""
            table.add_row(
                plain(p.department.name),
                p.id + ("" if p.active else " (inactive)"),
                plain(p.name),
                plain(p.title or ""),
                ", ".join(sorted(r.role.value for r in p.roles)),
                ", ".join(sorted(c.channel.value for c in p.contacts)),
                leader,
            )
    console.print(table)
