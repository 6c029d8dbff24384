"""`officeflow actions`: the declared office actions (`officeflow.actions`) and what is derived
from them: each one's CLI command, deployment, page and who may take it."""

from __future__ import annotations

import typer

from officeflow.cli.common import cell, console

app = typer.Typer(
    help="The declared office actions: command, deployment, page, who may (the one policy).",
    no_args_is_help=True,
)


@app.command("list")
def list_(
    markdown: bool = typer.Option(False, "--markdown", help="A Markdown table (docs)"),
    lang: str = typer.Option("en", "--lang", help="en or zh: the language of 'who may'"),
) -> None:
    """Every declared action, one row each: process, verb, object, command, deployment, page,
    who may."""
    from officeflow import actions, policy

    rows = []
    for process in actions.processes():
        for a in process.actions:
            rows.append(
                (
                    f"{process.zh} {process.name}",
                    f"{a.zh} `{a.verb}`",
                    a.obj.name,
                    f"`officeflow {a.obj.cli_group} {a.verb}`" if a.offers(actions.CLI) else "—",
                    f"`{a.deployment_name}`" if a.offers(actions.DEPLOYMENT) else "—",
                    "yes" if a.offers(actions.PAGE) else "—",
                    policy.who_may(a, "zh" if lang.startswith("zh") else "en"),
                )
            )
    header = ("process", "action", "object", "command", "deployment", "page", "who may")
    if markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for row in rows:
            print("| " + " | ".join(row) + " |")
        return
    from rich.table import Table

    table = Table(title="Declared office actions")
    for col in header:
        table.add_column(col)
    for row in rows:
        table.add_row(*(cell(v) for v in row))
    console.print(table)
