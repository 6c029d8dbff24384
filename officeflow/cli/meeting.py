"""`officeflow meeting`: prepare a meeting (办会) from the call for topics to the minutes.

Here: registering a meeting, reading it, the sweep. The actions on a meeting (submit-topic,
approve-agenda, submit-materials, reschedule, cancel, record-minutes, register-attendance) are
declared in `officeflow.meeting.declarations` and their commands generated
(`officeflow.cli.actions`)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from models.meeting_input import MeetingSpec, MeetingSweepResult, MinutesSpec
from officeflow import clock, db
from officeflow import meeting as service
from officeflow.cli.common import actor_option, cell, check_first, console, plain, run_flow, warn
from officeflow.inputs import load_yaml_model

app = typer.Typer(
    help="Meetings (办会): call for topics, agenda, notice with invitation, reminders, minutes.",
    no_args_is_help=True,
)


def _print_steps(meeting_id: int) -> None:
    with db.read_scope() as session:
        view = service.meeting_view(session, meeting_id)
    console.print(
        f"[bold]meeting {view['id']}[/] {plain(view['title'])} · {view['start']} · "
        f"{plain(view['venue'])} · "
        f"{view['status']}, agenda {view['agenda']}, sequence {view['sequence']}",
        highlight=False,
    )
    console.print(
        f"topic deadline {view['topic_deadline']}, materials deadline {view['materials_deadline']}",
        highlight=False,
    )
    table = Table(title="steps")
    for col in ("step", "due", "status", "note"):
        table.add_column(col)
    for s in view["steps"]:
        table.add_row(cell(s["label"]), s["due"], s["status"], cell(s["note"]))
    console.print(table)
    if view["topics"]:
        topics = Table(title="agenda topics")
        for col in ("id", "topic", "department", "presenter", "materials"):
            topics.add_column(col)
        for t in view["topics"]:
            materials = "received" if t["materials"] else ("LATE" if t["materials_late"] else "—")
            title = t["title"] + (" (late, accepted)" if t["late"] else "")
            topics.add_row(
                str(t["id"]), cell(title), cell(t["department"]), cell(t["presenter"]), materials
            )
        console.print(topics)
    if view["attendance"]:
        answers = Table(title="attendance")
        for col in ("person", "answer", "stand-in", "answered", "note"):
            answers.add_column(col)
        for a in view["attendance"]:
            answer = a["answer"] + (" (before a reschedule)" if a["stale"] else "")
            answers.add_row(
                cell(f"{a['name']} ({a['person']})"),
                answer,
                cell(a["stand_in_name"] or ""),
                a["answered_at"],
                cell(a["note"]),
            )
        console.print(answers)
    if view["decision_id"]:
        console.print(f"minutes → decision {view['decision_id']}")


def _sweep_line(sweep: MeetingSweepResult) -> None:
    console.print(
        f"steps done: {plain(', '.join(sweep.steps_done) or 'none')}; "
        f"notices sent: {sweep.sent}"
        + (f"; waiting: {plain(', '.join(sweep.waiting))}" if sweep.waiting else ""),
        highlight=False,
    )


@app.command()
def create(
    file: Path = typer.Argument(..., help="Meeting YAML, e.g. examples/meeting.yaml"),
    actor: str = actor_option("Who registers the meeting", default="system"),
) -> None:
    """Validate FILE, then run the meeting-preparation flow: record the meeting and its steps
    and send the call for topics (now, or on the next working day)."""
    spec, _ = load_yaml_model(file, MeetingSpec)
    # What create_meeting checks before it writes (a check that wrote would use up a meeting id).
    check_first(
        lambda s: service.registered_meeting(s, spec) or service.check_meeting(s, spec), str(file)
    )
    result = run_flow("flows.meeting:meeting_preparation", meeting=spec, actor=actor)
    console.print(
        f"meeting {result.meeting_id} "
        + ("registered" if result.newly_recorded else "was already registered")
    )
    _sweep_line(result.sweep)
    _print_steps(result.meeting_id)


@app.command("list")
def list_() -> None:
    """Every meeting, latest first."""
    table = Table()
    for col in ("id", "title", "start", "venue", "status", "agenda"):
        table.add_column(col)
    with db.read_scope() as session:
        for m in service.list_meetings(session):
            table.add_row(
                str(m.id),
                cell(m.title),
                clock.format_local(m.start_at),
                cell(m.venue),
                m.status.value,
                m.agenda_status.value,
            )
    console.print(table)


@app.command()
def show(meeting_id: int = typer.Argument(..., metavar="ID")) -> None:
    """The meeting, its steps with their times (upcoming ones included), and its topics."""
    with db.read_scope() as session:
        service.get_meeting(session, meeting_id)
    _print_steps(meeting_id)


@app.command("minutes", hidden=True)
def minutes(
    meeting_id: int = typer.Argument(..., metavar="ID"),
    file: Path = typer.Argument(..., help="Minutes YAML (its recorded_by is who records them)"),
) -> None:
    """The old spelling of `meeting record-minutes`, from a minutes file: the file's
    `recorded_by` records them."""
    from officeflow import actions
    from officeflow.cli.actions import take

    warn("`meeting minutes` is now `meeting record-minutes`")
    spec, _ = load_yaml_model(file, MinutesSpec)
    action = actions.get("meeting.record-minutes")
    result = take(action, meeting_id, spec.input().model_dump(), spec.recorded_by)
    if result.decision_id is None:
        console.print("minutes recorded; no action items")
    else:
        console.print(
            f"minutes recorded → decision {result.decision_id}, assignments "
            + ", ".join(str(i) for i in result.assignment_ids)
        )


@app.command()
def sweep() -> None:
    """Carry out every due step of every meeting (what the scheduled `meeting-sweep` does)."""
    _sweep_line(run_flow("flows.meeting:meeting_sweep"))
