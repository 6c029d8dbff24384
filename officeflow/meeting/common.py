"""What every part of the meeting service looks up: the meeting (and whether it can still
change), its attendees, departments, topics and steps."""

from __future__ import annotations

import datetime as dt

import pendulum
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.meeting import (
    Meeting,
    MeetingAttendee,
    MeetingDepartment,
    MeetingStatus,
    MeetingStep,
    MeetingTopic,
)
from officeflow import clock
from officeflow.inputs import input_error, is_ledger_id
from officeflow.org import department_heads

OBJECT = "meeting"


def aware(value: dt.datetime) -> pendulum.DateTime:
    """A naive time is read in the organisation's zone."""
    if value.tzinfo is None:
        return pendulum.instance(value, tz=clock.local_zone())
    return pendulum.instance(value)


def get_meeting(session: Session, meeting_id: int) -> Meeting:
    meeting = session.get(Meeting, meeting_id) if is_ledger_id(meeting_id) else None
    if meeting is None:
        raise input_error(
            "meeting", f"no meeting {meeting_id}; `officeflow meeting list` lists them"
        )
    return meeting


def scheduled_meeting(session: Session, meeting_id: int) -> Meeting:
    """The meeting, if it can still change: neither cancelled nor held and minuted."""
    meeting = get_meeting(session, meeting_id)
    if meeting.status is MeetingStatus.CANCELLED:
        raise input_error("meeting", f"meeting {meeting_id} was cancelled")
    if meeting.status is MeetingStatus.MINUTED:
        raise input_error("meeting", f"meeting {meeting_id} has been held and minuted")
    return meeting


def attendee_ids(session: Session, meeting_id: int) -> list[str]:
    return list(
        session.scalars(
            select(MeetingAttendee.person_id)
            .where(MeetingAttendee.meeting_id == meeting_id)
            .order_by(MeetingAttendee.person_id)
        )
    )


def department_ids(session: Session, meeting_id: int) -> list[str]:
    return list(
        session.scalars(
            select(MeetingDepartment.department_id)
            .where(MeetingDepartment.meeting_id == meeting_id)
            .order_by(MeetingDepartment.department_id)
        )
    )


def heads_of(session: Session, departments: list[str]) -> list[str]:
    """The heads of these departments, each once."""
    out: list[str] = []
    for d in departments:
        out.extend(department_heads(session, d))
    return list(dict.fromkeys(out))


def topics(session: Session, meeting_id: int) -> list[MeetingTopic]:
    return list(
        session.scalars(
            select(MeetingTopic)
            .where(MeetingTopic.meeting_id == meeting_id)
            .order_by(MeetingTopic.submitted_at, MeetingTopic.id)
        )
    )


def steps(session: Session, meeting_id: int) -> list[MeetingStep]:
    return list(
        session.scalars(
            select(MeetingStep)
            .where(MeetingStep.meeting_id == meeting_id)
            .order_by(MeetingStep.due_at, MeetingStep.id)
        )
    )


def late_materials(session: Session, meeting: Meeting) -> list[MeetingTopic]:
    return [t for t in topics(session, meeting.id) if t.materials_at is None]
