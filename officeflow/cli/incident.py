from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table
from sqlalchemy import select

from models.emergency_input import IncidentReport
from models.org import Person
from officeflow import db, delivered
from officeflow import emergency as service
from officeflow.cli.common import cell, check_first, console, plain, run_flow
from officeflow.clock import format_local
from officeflow.inputs import load_yaml_model
from officeflow.text import strip_controls
from rules.response_plan import report_label

# The actions on an incident (acknowledge, file-report, close) are declared
# (officeflow/emergency/declarations.py) and their commands generated into this group
# (`officeflow.cli.actions`); `ack` is the old, hidden name of `acknowledge`.
app = typer.Typer(
    help="Emergencies (突发事件): report, acknowledge, file reports upward, close.",
    no_args_is_help=True,
)


@app.command()
def report(
    file: Path = typer.Argument(..., help="Incident YAML, e.g. examples/incident.yaml"),
    watch: float = typer.Option(
        0, min=0, max=24 * 60, help="Keep escalating from this process for up to this many minutes"
    ),
    poll: float = typer.Option(5, min=0.1, max=3600, help="Seconds between checks while watching"),
) -> None:
    """Validate FILE, grade the incident, record it and alert the plan's first group (runs the
    `emergency-response` flow)."""
    incident, _ = load_yaml_model(file, IncidentReport)
    matrix, plan = service.load_grading_matrix(), service.load_response_plan()
    grade_plan = plan.for_grade(service.assess(incident, matrix).grade)
    check_first(lambda s: service.check_references(s, incident, grade_plan))
    if watch:  # it keeps escalating from this process: it runs here
        from flows.emergency import emergency_response

        result = emergency_response(incident, watch_minutes=watch, poll_seconds=poll)
    else:
        result = run_flow(
            "flows.emergency:emergency_response",
            report=incident,
            watch_minutes=watch,
            poll_seconds=poll,
        )
    _show(result.incident_id)


@app.command()
def show(incident_id: int = typer.Argument(..., metavar="ID")) -> None:
    """Print incident ID: grade, ladder, reports."""
    _show(incident_id)


@app.command()
def timeline(incident_id: int = typer.Argument(..., metavar="ID")) -> None:
    """Print incident ID's timeline as Markdown."""
    with db.read_scope() as session:
        markdown = service.timeline_markdown(session, incident_id=incident_id)
    console.print(strip_controls(markdown), markup=False, highlight=False)


@app.command()
def sweep() -> None:
    """Send every escalation and reporting reminder that is due, once (runs the
    `emergency-sweep` flow, which its deployment runs every minute)."""
    result = run_flow("flows.emergency:emergency_sweep")
    counts = result.counts
    console.print(
        f"{counts['escalations']} escalations, {counts['reminders']} reminders, "
        f"{counts['overdue']} reports overdue; sent {result.sent}, failed {result.failed}"
    )


def _show(incident_id: int) -> None:
    with db.read_scope() as session:
        i = service.get_incident(session, incident_id)
        grade = f"{i.grade.value} ({i.grade.label_zh})"
        if i.grade != i.computed_grade:
            grade += f", computed {i.computed_grade.value}; set by hand: {i.manual_grade_reason}"
        console.print(f"[bold]incident {i.id}[/]: {plain(i.title)}", highlight=False)
        console.print(f"grade {plain(grade)}; status {i.status.value}", highlight=False)
        if i.acknowledged_at:
            console.print(
                f"acknowledged by {plain(i.acknowledged_by)} at {format_local(i.acknowledged_at)}"
            )
        # A rung that fired is not a rung that was delivered: each recipient says which.
        ladder = service.rungs_of(session, incident_id)
        outcome = delivered.outcome(session, [r.notice_key for r in ladder if r.fired_at])
        names = dict(
            session.execute(
                select(Person.id, Person.name).where(
                    Person.id.in_({p for r in ladder for p in r.recipients})
                )
            ).all()
        )
        rungs = Table(title="ladder")
        for col in ("rung", "due", "fired", "stopped", "recipients"):
            rungs.add_column(col)
        for r in ladder:
            reached = outcome.of(r.notice_key)
            rungs.add_row(
                str(r.rung),
                format_local(r.due_at),
                format_local(r.fired_at),
                format_local(r.cancelled_at),
                cell("; ".join(x.said() for x in reached))
                if reached
                else cell(", ".join(names.get(p, p) for p in r.recipients)),
            )
        console.print(rungs)
        reports = Table(title="reports")
        for col in ("report", "due", "filed", "by", "late"):
            reports.add_column(col)
        for rep in service.reports_of(session, incident_id):
            state = format_local(rep.filed_at) or ("cancelled" if rep.cancelled_at else "open")
            reports.add_row(
                report_label(rep.kind, rep.number),
                format_local(rep.due_at),
                state,
                cell(rep.filed_by or ""),
                "LATE" if rep.late else "",
            )
        console.print(reports)
