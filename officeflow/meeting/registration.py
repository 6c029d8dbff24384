"""Registering a meeting: its times checked against now and each other, every reference
checked against the ledger, then the meeting, its attendees and its steps written once."""

from __future__ import annotations

from dataclasses import dataclass, field

import pendulum
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.meeting import Meeting, MeetingAttendee, MeetingDepartment, MeetingStep, StepKind
from models.meeting_input import MeetingSpec, Reminder
from models.org import Department
from officeflow import clock, events
from officeflow.inputs import InputError, Problem
from officeflow.meeting.common import OBJECT, aware
from officeflow.org import active_person, department_heads
from officeflow.workdays import get_calendar
from rules import meeting as rules


@dataclass
class MeetingRecord:
    meeting_id: int
    created: bool
    notice_keys: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class MeetingTimes:
    start: pendulum.DateTime
    end: pendulum.DateTime
    topic_deadline: pendulum.DateTime
    materials_deadline: pendulum.DateTime


def meeting_times(spec: MeetingSpec) -> MeetingTimes:
    calendar = get_calendar()
    start = aware(spec.start)
    topic = (
        aware(spec.topic_deadline)
        if spec.topic_deadline
        else rules.default_topic_deadline(calendar, start)
    )
    materials = (
        aware(spec.materials_deadline)
        if spec.materials_deadline
        else rules.default_materials_deadline(calendar, start)
    )
    return MeetingTimes(
        start, start.add(minutes=spec.duration_minutes), aware(topic), aware(materials)
    )


def check_meeting(session: Session, spec: MeetingSpec) -> MeetingTimes:
    """Every reference checked against the ledger, every time against now and the meeting."""
    problems: list[Problem] = []
    if active_person(session, spec.chair) is None:
        problems.append(Problem(("chair",), f"unknown person {spec.chair!r}"))
    if spec.created_by is not None and active_person(session, spec.created_by) is None:
        problems.append(Problem(("created_by",), f"unknown person {spec.created_by!r}"))
    known = set(session.scalars(select(Department.id)))
    for i, d in enumerate(spec.departments):
        if d not in known:
            problems.append(Problem(("departments", i), f"unknown department {d!r}"))
        elif not department_heads(session, d):
            problems.append(
                Problem(("departments", i), f"{d!r} has no department head to ask for topics")
            )
    for i, p in enumerate(spec.people):
        if active_person(session, p) is None:
            problems.append(Problem(("people", i), f"unknown person {p!r}"))
    times = meeting_times(spec)
    for name, message in rules.problems_with_times(
        now=clock.now(),
        start=times.start,
        topic_deadline=times.topic_deadline,
        materials_deadline=times.materials_deadline,
        show=clock.format_local,
    ):
        problems.append(Problem((name,), message))
    if problems:
        raise InputError(problems)
    return times


def reminder_tuples(labels: list[str]) -> list[tuple[str, int, str]]:
    """The stored reminder plan (labels like ``1wd``) as the rules take it."""
    out = []
    for label in labels:
        r = Reminder.from_label(label)
        out.append((r.label, r.before, r.unit.value))
    return out


def registered_meeting(session: Session, spec: MeetingSpec) -> int | None:
    """The id of this same meeting if it was registered already."""
    return session.scalar(select(Meeting.id).where(Meeting.fingerprint == spec.fingerprint()))


def create_meeting(session: Session, spec: MeetingSpec, *, actor: str) -> MeetingRecord:
    """Write the meeting, its attendees and its steps, once: the same meeting submitted again
    returns the row already recorded."""
    existing = registered_meeting(session, spec)
    if existing is not None:
        return MeetingRecord(existing, created=False)
    fingerprint = spec.fingerprint()
    times = check_meeting(session, spec)
    now = clock.now()
    meeting = Meeting(
        fingerprint=fingerprint,
        title=spec.title,
        kind=spec.kind,
        chair_id=spec.chair,
        start_at=times.start,
        end_at=times.end,
        venue=spec.venue,
        topic_deadline=times.topic_deadline,
        materials_deadline=times.materials_deadline,
        reminder_plan=[r.label for r in spec.reminders],
        created_by=spec.created_by or actor,
        created_at=now,
    )
    session.add(meeting)
    session.flush()
    attendees = [spec.chair, *spec.people]
    for d in spec.departments:
        session.add(MeetingDepartment(meeting_id=meeting.id, department_id=d))
        attendees.extend(department_heads(session, d))
    for person_id in dict.fromkeys(attendees):
        session.add(MeetingAttendee(meeting_id=meeting.id, person_id=person_id))
    for step in rules.schedule(
        get_calendar(),
        now=now,
        start=times.start,
        topic_deadline=times.topic_deadline,
        materials_deadline=times.materials_deadline,
        reminders=reminder_tuples(meeting.reminder_plan),
    ):
        if not spec.departments and step.kind in ("call_for_topics", "topic_reminder"):
            continue  # nobody to ask for topics
        session.add(
            MeetingStep(
                meeting_id=meeting.id,
                kind=StepKind(step.kind),
                label=step.label,
                due_at=step.due_at,
                outcome={},
            )
        )
    session.flush()
    events.record(
        session,
        action="meeting.created",
        object_type=OBJECT,
        object_id=meeting.id,
        actor=actor,
        data={"title": spec.title, "start": times.start.isoformat()},
    )
    return MeetingRecord(meeting.id, created=True)
