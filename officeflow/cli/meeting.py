"""`officeflow meeting`: prepare a meeting (办会) from the call for topics to the minutes."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from models.meeting_input import (
    AgendaApproval,
    MeetingSpec,
    MeetingSweepResult,
    MinutesSpec,
    TopicSubmission,
)
from officeflow import clock, db
from officeflow import meeting as service
from officeflow.cli.common import actor_option, cell, check_first, console, plain, run_flow
from officeflow.inputs import input_error, load_yaml_model

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


@app.command("submit-topic")
def submit_topic(
    meeting_id: int = typer.Argument(..., metavar="ID"),
    department: str = typer.Option(..., help="Department id"),
    title: str = typer.Option(..., help="The topic"),
    presenter: str = typer.Option(..., help="Person id of the presenter"),
    accept_late: bool = typer.Option(
        False, "--accept-late", help="The office accepts a topic after the deadline (needs --as)"
    ),
    actor: str | None = actor_option(
        "Who acts (an office member for --accept-late; the presenter by default)", default=None
    ),
) -> None:
    """Submit a department's agenda topic. After the deadline it is refused unless the office
    accepts it (--accept-late --as OFFICE_MEMBER)."""
    if accept_late and not actor:
        raise input_error(
            "accept_late_by",
            "--accept-late needs --as OFFICE_MEMBER: only the office accepts late topics",
        )
    submission = TopicSubmission(
        meeting_id=meeting_id,
        department=department,
        title=title,
        presenter=presenter,
        accept_late_by=actor if accept_late else None,
    )
    with db.session_scope() as session:
        topic_id, new = service.submit_topic(session, submission, actor=actor or presenter)
    console.print(f"topic {topic_id} " + ("recorded" if new else "was already recorded"))


@app.command("approve-agenda")
def approve_agenda(
    meeting_id: int = typer.Argument(..., metavar="ID"),
    actor: str = actor_option("The chair or the office director"),
    comment: str = typer.Option("", help="Comment recorded with the approval"),
) -> None:
    """Approve the agenda; it is published, and the notice goes out when due."""
    approval = AgendaApproval(meeting_id=meeting_id, approved_by=actor, comment=comment)
    check_first(lambda s: service.approve_agenda(s, approval, actor=actor))
    _sweep_line(
        run_flow("flows.meeting:meeting_approve_agenda", approval=approval, actor=actor).sweep
    )


@app.command()
def materials(
    meeting_id: int = typer.Argument(..., metavar="ID"),
    topic: int | None = typer.Option(None, help="Topic id"),
    department: str | None = typer.Option(None, help="Every topic of this department"),
    actor: str = actor_option("Who received them", default="system"),
) -> None:
    """Mark a topic's materials as received."""
    if topic is None and department is None:
        raise input_error("topic", "give --topic or --department")
    with db.session_scope() as session:
        marked = service.mark_materials(
            session, meeting_id=meeting_id, topic_id=topic, department=department, actor=actor
        )
    console.print(f"materials received for {len(marked)} topic(s)")


@app.command()
def reschedule(
    meeting_id: int = typer.Argument(..., metavar="ID"),
    to: str = typer.Option(..., help="New start, e.g. 2026-10-10T09:30 (office time zone)"),
    actor: str = actor_option("Who moves it: the chair or someone of the office"),
) -> None:
    """Move the meeting: invited attendees get an updated invitation (same UID, SEQUENCE+1);
    pending steps move with it."""
    try:
        start = clock.parse_instant(to)
    except ValueError:
        raise input_error(
            "to", f"--to must be a date and time like 2026-10-10T09:30, not {to!r}"
        ) from None
    check_first(lambda s: service.reschedule(s, meeting_id=meeting_id, to=start, actor=actor))
    result = run_flow(
        "flows.meeting:meeting_reschedule", meeting_id=meeting_id, to=start, actor=actor
    )
    _sweep_line(result.sweep)


@app.command()
def cancel(
    meeting_id: int = typer.Argument(..., metavar="ID"),
    reason: str = typer.Option("", help="Why"),
    actor: str = actor_option("Who cancels it: the chair or someone of the office"),
) -> None:
    """Cancel the meeting: pending steps are dropped, everyone told gets a METHOD:CANCEL."""
    check_first(lambda s: service.cancel(s, meeting_id=meeting_id, reason=reason, actor=actor))
    result = run_flow(
        "flows.meeting:meeting_cancel", meeting_id=meeting_id, reason=reason, actor=actor
    )
    _sweep_line(result.sweep)


@app.command()
def minutes(
    meeting_id: int = typer.Argument(..., metavar="ID"),
    file: Path = typer.Argument(..., help="Minutes YAML (its recorded_by is who records them)"),
) -> None:
    """Record the minutes; every action item becomes an assignment (decision-implementation).
    The actor is the file's `recorded_by`."""
    spec, _ = load_yaml_model(file, MinutesSpec)
    check_first(
        lambda s: service.record_minutes(
            s, meeting_id=meeting_id, minutes=spec, actor=spec.recorded_by
        ),
        str(file),
    )
    result = run_flow(
        "flows.meeting:meeting_record_minutes",
        meeting_id=meeting_id,
        minutes=spec,
        actor=spec.recorded_by,
    )
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
