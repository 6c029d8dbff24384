from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table
from sqlalchemy import func, select

from models.supervision import Assignment, Decision
from officeflow import db, supervision
from officeflow.cli.common import (
    actor_option,
    cell,
    check_first,
    check_operator,
    console,
    fail,
    plain,
    run_flow,
)
from officeflow.inputs import load_yaml_model

app = typer.Typer(help="Decisions (决策事项) and their assignments.", no_args_is_help=True)


@app.command()
def create(
    file: Path = typer.Argument(..., help="Decision YAML, e.g. examples/decision.yaml"),
    actor: str | None = actor_option(
        "The issuing leader (the file's issued_by, the default)", default=None
    ),
) -> None:
    """Run the decision-implementation flow on FILE: validate, record the assignments with
    working-day deadlines, notify owners and department heads, publish the 交办单.
    Submitting the same file again records and sends nothing new. The decision is recorded as
    issued by its leader (``--as``, checked against OFFICEFLOW_CLI_OPERATORS when set)."""
    from models.supervision_input import DecisionSpec

    spec, _ = load_yaml_model(file, DecisionSpec)
    if actor is None:
        check_operator(spec.issued_by)  # the leader it is issued in the name of
    elif actor != spec.issued_by:
        fail(
            f"{file}: issued_by: the decision is issued by {spec.issued_by!r}, but --as names "
            f"{actor!r}; a decision is recorded in its issuing leader's name"
        )
    check_first(lambda session: supervision.check_decision(session, spec), str(file))
    result = run_flow("flows.supervision:decision_implementation", decision=spec)
    verb = "recorded" if result.newly_recorded else "already recorded as"
    console.print(
        f"decision {verb} [bold]{result.decision_id}[/] with assignments "
        f"{', '.join(map(str, result.assignment_ids))}; {result.notices_sent} notices sent"
    )
    show(result.decision_id)


@app.command()
def show(decision_id: int = typer.Argument(..., help="Decision id")) -> None:
    """Print the state of every assignment of a decision, with where it came from."""
    with db.read_scope() as session:
        d = supervision.get_decision(session, decision_id)
        title = f"Decision {d.id}: {d.title} ({d.source.value}"
        title += f", {d.source_ref})" if d.source_ref else ")"
        rows = supervision.decision_state(session, decision_id)
    table = Table(title=plain(title))
    for col in (
        "id",
        "department",
        "owner",
        "task",
        "due",
        "status",
        "progress",
        "light",
        "escalations",
        "source",
    ):
        table.add_column(col)
    for r in rows:
        table.add_row(
            str(r["id"]),
            cell(r["department"]),
            cell(r["owner"]),
            cell(r["task"][:40]),
            r["due_at"],
            r["status"],
            f"{r['progress']}%",
            r["light"],
            str(r["red_count"]),
            cell(r["source"]),
        )
    console.print(table)


@app.command("list")
def list_() -> None:
    """List decisions with their open assignment counts."""
    with db.read_scope() as session:
        rows = session.execute(
            select(
                Decision.id,
                Decision.title,
                Decision.issued_on,
                Decision.issued_by,
                func.count(Assignment.id),
            )
            .join(Assignment, Assignment.decision_id == Decision.id, isouter=True)
            .group_by(Decision.id)
            .order_by(Decision.id)
        ).all()
    table = Table(title="Decisions")
    for col in ("id", "title", "issued on", "issued by", "assignments"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r[0]), cell(r[1]), str(r[2]), cell(r[3]), str(r[4]))
    console.print(table)
