"""办会 side effects as Prefect tasks: ledger writes (one transaction each) and artifacts. The
actions on a meeting are recorded by `tasks.actions.take_action` (declared)."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_markdown_artifact

from models.meeting_input import MeetingSpec, MeetingSweepResult
from officeflow import db, events
from officeflow import meeting as service
from officeflow.meeting import MeetingRecord


@task(name="record-meeting")
def record_meeting(spec: MeetingSpec, actor: str = events.SYSTEM) -> MeetingRecord:
    """Check every reference and time, then write the meeting, its attendees and its steps.
    The same meeting submitted again finds what was recorded."""
    with db.session_scope() as session:
        return service.create_meeting(session, spec, actor=actor)


@task(name="plan-meeting-sweep")
def plan_meeting_sweep() -> MeetingSweepResult:
    """Every due step: its notices reserved and the step marked done, in one transaction."""
    with db.session_scope() as session:
        return service.plan_sweep(session)


# The actions on a meeting go through tasks.actions.take_action (declared).


@task(name="link-minutes-decision")
def link_minutes_decision(meeting_id: int, decision_id: int) -> None:
    with db.session_scope() as session:
        service.link_decision(session, meeting_id=meeting_id, decision_id=decision_id)


@task(name="publish-agenda")
def publish_agenda(meeting_id: int) -> str:
    """The agenda (议程) as a Markdown artifact, compiled from the ledger."""
    with db.session_scope() as session:
        markdown = service.agenda_markdown(session, meeting_id)
    key = f"meeting-{meeting_id}-agenda"
    create_markdown_artifact(key=key, markdown=markdown, description="会议议程 agenda")
    return key


@task(name="publish-meeting-steps")
def publish_steps(meeting_id: int) -> str:
    """The meeting's steps and their times, so the upcoming ones are visible in the UI."""
    with db.session_scope() as session:
        view = service.meeting_view(session, meeting_id)
    lines = [
        f"# {view['title']} · {view['start']} · {view['venue']}",
        "",
        f"status {view['status']}, agenda {view['agenda']}, sequence {view['sequence']}",
        "",
        "| step | due | status | note |",
        "|---|---|---|---|",
    ]
    lines += [f"| {s['label']} | {s['due']} | {s['status']} | {s['note']} |" for s in view["steps"]]
    key = f"meeting-{meeting_id}-steps"
    create_markdown_artifact(key=key, markdown="\n".join(lines) + "\n", description="办会 steps")
    return key
