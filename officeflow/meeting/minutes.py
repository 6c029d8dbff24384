"""Minutes (会议纪要): recorded once, after the meeting has started; their action items become
a decision for the supervision process, each item traceable to the meeting."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlalchemy.orm import Session

from models.meeting import Meeting, MeetingMinutes, MeetingStatus, MeetingStep, StepStatus
from models.meeting_input import ActionItem, MeetingActionResult, MinutesSpec
from models.org import Role
from models.supervision import DecisionSource
from models.supervision_input import AssignmentSpec, DecisionSpec
from officeflow import clock, events, supervision
from officeflow.inputs import InputError, Problem, input_error
from officeflow.meeting.agenda import result
from officeflow.meeting.common import OBJECT, get_meeting
from officeflow.org import roles_of
from officeflow.workdays import get_calendar


def minutes_decision(meeting: Meeting, minutes: MinutesSpec, issued_on: dt.date) -> DecisionSpec:
    """The decision the minutes' action items become, each item traceable to the meeting."""
    return DecisionSpec(
        title=f"{meeting.title} 会议纪要",
        source=DecisionSource.MEETING_MINUTES,
        source_ref=f"meeting:{meeting.id}",
        issued_by=minutes.issued_by or meeting.chair_id,
        issued_on=issued_on,
        assignments=[
            AssignmentSpec(
                lead_department=item.lead_department,
                co_departments=item.co_departments,
                owner=item.owner,
                task=item.task,
                acceptance_standard=item.acceptance_standard,
                due_date=item.due_date,
                due_in_workdays=item.due_in_workdays,
                source_ref=f"meeting:{meeting.id}:item:{n}",
            )
            for n, item in enumerate(minutes.action_items, 1)
        ],
    )


def record_minutes(
    session: Session,
    *,
    meeting_id: int,
    issued_by: str | None = None,
    decisions: list[str] | None = None,
    action_items: list[ActionItem] | None = None,
    actor: str,
) -> MeetingActionResult:
    """录入纪要: the actor records the minutes once; ``decision`` is the decision their action
    items become (None when there are none), for decision-implementation to record. The same
    minutes recorded again give the same decision and change nothing (``changed`` false)."""
    minutes = MinutesSpec(
        recorded_by=actor,
        issued_by=issued_by,
        decisions=list(decisions or []),
        action_items=list(action_items or []),
    )
    meeting = get_meeting(session, meeting_id)
    if meeting.status is MeetingStatus.CANCELLED:
        raise input_error("meeting", f"meeting {meeting_id} was cancelled; it has no minutes")
    existing = session.get(MeetingMinutes, meeting.id)
    if existing is not None:
        if existing.fingerprint != minutes.fingerprint():
            raise input_error("meeting", f"minutes of meeting {meeting_id} are already recorded")
        spec = (
            minutes_decision(meeting, minutes, existing.issued_on) if minutes.action_items else None
        )
        return result(meeting, "minuted", changed=False, decision=spec)
    now = clock.now()
    if now < meeting.start_at:
        raise input_error(
            "meeting", f"meeting {meeting_id} starts at {clock.format_local(meeting.start_at)}"
        )
    issuer = minutes.issued_by or meeting.chair_id
    if Role.LEADER not in roles_of(session, issuer):
        where = "issued_by" if minutes.issued_by else "issued_by (the chair by default)"
        raise input_error(
            where, f"{issuer!r} is not a leader; name the leader who issues the items"
        )
    issued_on = get_calendar().local_date(now)
    spec = minutes_decision(meeting, minutes, issued_on) if minutes.action_items else None
    if spec is not None:
        try:
            supervision.check_decision(session, spec)
        except InputError as exc:
            raise InputError(
                [
                    Problem(
                        tuple("action_items" if p == "assignments" else p for p in pr.loc),
                        pr.message,
                    )
                    for pr in exc.problems
                ]
            ) from exc
    session.add(
        MeetingMinutes(
            meeting_id=meeting.id,
            recorded_by=minutes.recorded_by,
            recorded_at=now,
            issued_on=issued_on,
            content=minutes.model_dump(mode="json"),
            fingerprint=minutes.fingerprint(),
        )
    )
    meeting.status = MeetingStatus.MINUTED
    session.execute(
        update(MeetingStep)
        .where(MeetingStep.meeting_id == meeting.id, MeetingStep.status == StepStatus.PENDING)
        .values(status=StepStatus.CANCELLED, done_at=now)
    )
    events.record(
        session,
        action="meeting.minuted",
        object_type=OBJECT,
        object_id=meeting.id,
        actor=actor,
        data={"decisions": len(minutes.decisions), "action_items": len(minutes.action_items)},
    )
    return result(meeting, "minuted", decision=spec)


def link_decision(session: Session, *, meeting_id: int, decision_id: int) -> None:
    row = session.get(MeetingMinutes, meeting_id)
    if row is not None and row.decision_id != decision_id:
        row.decision_id = decision_id
