from __future__ import annotations

import os

import typer
from rich.table import Table

from officeflow.cli.common import console, fail
from officeflow.settings import get_settings

app = typer.Typer(
    help="The deployments table (deployments/definitions.py): list, register, prefect.yaml.",
    no_args_is_help=True,
)


@app.command("list")
def list_() -> None:
    """Every planned deployment, its schedules and whether its flow exists in this tree."""
    from deployments.definitions import DEPLOYMENTS
    from deployments.register import missing_reason

    table = Table(title="Deployments (work pool: office)")
    for col in ("name", "entrypoint", "schedules", "flow"):
        table.add_column(col)
    for d in DEPLOYMENTS:
        schedules = ", ".join(f"{s.cron} ({s.zone})" for s in d.schedules) or "on demand"
        table.add_row(d.name, d.entrypoint, schedules, missing_reason(d) or "ready")
    console.print(table)


@app.command()
def register() -> None:
    """Create the pool and the limits and register every deployment whose flow exists, against
    PREFECT_API_URL or the stack `officeflow up` started."""
    from officeflow.stack import StackInfo, client_settings

    info = StackInfo.read(get_settings().home)
    api_url = os.environ.get("PREFECT_API_URL") or (info.api_url if info else None)
    if api_url is None:
        fail("set PREFECT_API_URL or start the stack with `officeflow up`")
    from prefect.settings import temporary_settings

    from deployments.register import register_all

    with temporary_settings(updates=client_settings(get_settings().home, api_url)):
        for outcome in register_all():
            mark = "registered" if outcome.registered else "not yet"
            console.print(f"{mark:<10} {outcome.name}: {outcome.detail}", highlight=False)


@app.command("write-prefect-yaml")
def write_prefect_yaml(
    check: bool = typer.Option(False, help="Only check that prefect.yaml is current"),
) -> None:
    """Generate prefect.yaml from the deployments table."""
    from deployments.prefect_yaml import PREFECT_YAML, render, write

    if check:
        current = PREFECT_YAML.read_text(encoding="utf-8") if PREFECT_YAML.exists() else ""
        if current != render():
            fail("prefect.yaml is out of date: run `officeflow deployments write-prefect-yaml`")
        console.print("prefect.yaml is current")
        return
    console.print(f"wrote {write()}")
