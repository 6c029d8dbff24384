"""Changing a meeting's schedule: reschedule (SEQUENCE+1, steps follow, an updated invitation)
and cancel (pending steps dropped, METHOD:CANCEL to everyone told)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models.common import FIRST_YEAR, LAST_YEAR
from models.meeting import MeetingStatus, MeetingStep, StepKind, StepStatus
from models.meeting_input import MeetingActionResult
from officeflow import clock, events
from officeflow.inputs import input_error
from officeflow.meeting.agenda import result
from officeflow.meeting.common import OBJECT, aware, scheduled_meeting, steps
from officeflow.meeting.registration import reminder_tuples
from officeflow.workdays import get_calendar
from rules import meeting as rules

# Who may (its chair and the general office) is declared in officeflow/meeting/declarations.py
# and checked at the door (`officeflow.actions.perform`) before these run.


def reschedule(
    session: Session, *, meeting_id: int, to: dt.datetime, actor: str
) -> MeetingActionResult:
    """Move the meeting: SEQUENCE+1, deadlines not yet passed follow it, pending steps move,
    and attendees already invited get an updated invitation (the sweep sends it). Moving it to
    the time it has changes nothing (``changed`` false); ``sequence`` is the new SEQUENCE."""
    meeting = scheduled_meeting(session, meeting_id)
    now = clock.now()
    start = aware(to)
    if start <= now:
        raise input_error("to", f"the new start {clock.format_local(start)} is in the past")
    if not FIRST_YEAR <= start.year <= LAST_YEAR:
        raise input_error(
            "to",
            f"the new start {clock.format_local(start)} is outside the years "
            f"{FIRST_YEAR}–{LAST_YEAR}",
        )
    if start == meeting.start_at:
        return result(meeting, "rescheduled", changed=False)
    calendar = get_calendar()
    duration = meeting.end_at - meeting.start_at
    old_start = meeting.start_at
    # A deadline not yet passed follows the meeting to its new default; when that default has
    # passed already (a meeting moved sooner), the deadline closes now. Keeping the old one
    # left it after the new start: the notice waited for it, and the minutes then dropped it.
    if meeting.topic_deadline > now:
        meeting.topic_deadline = max(rules.default_topic_deadline(calendar, start), now)
    if meeting.materials_deadline > now:
        meeting.materials_deadline = max(rules.default_materials_deadline(calendar, start), now)
    meeting.start_at, meeting.end_at = start, start + duration
    meeting.sequence += 1
    seq = meeting.sequence

    planned = {
        s.label: s
        for s in rules.schedule(
            calendar,
            now=now,
            start=start,
            topic_deadline=meeting.topic_deadline,
            materials_deadline=meeting.materials_deadline,
            reminders=reminder_tuples(meeting.reminder_plan),
        )
    }
    rows = {s.label: s for s in steps(session, meeting.id)}
    for label, row in rows.items():
        base = label.split(":seq")[0]
        if row.status is StepStatus.PENDING and base in planned and base != "call-for-topics":
            row.due_at = planned[base].due_at
    # Reminders already sent for the old time are due again for the new one.
    for label, step in planned.items():
        if step.kind != "reminder" or step.due_at <= now:
            continue
        done = [r for k, r in rows.items() if k.split(":seq")[0] == label]
        if done and all(r.status is StepStatus.DONE for r in done):
            session.add(
                MeetingStep(
                    meeting_id=meeting.id,
                    kind=StepKind.REMINDER,
                    label=f"{label}:seq{seq}",
                    due_at=step.due_at,
                    outcome={},
                )
            )
    notice = rows.get("notice")
    if notice is not None and notice.status is StepStatus.DONE:
        session.add(
            MeetingStep(
                meeting_id=meeting.id,
                kind=StepKind.UPDATE,
                label=f"update:seq{seq}",
                due_at=now,
                outcome={},
            )
        )
    session.flush()
    events.record(
        session,
        action="meeting.rescheduled",
        object_type=OBJECT,
        object_id=meeting.id,
        actor=actor,
        data={"from": old_start.isoformat(), "to": start.isoformat(), "sequence": seq},
    )
    return result(meeting, "rescheduled")


def cancel(
    session: Session, *, meeting_id: int, reason: str = "", actor: str
) -> MeetingActionResult:
    """Drop every pending step and tell everyone told about the meeting (METHOD:CANCEL, the
    sweep sends it). ``steps_dropped``: the pending steps dropped. A cancelled meeting is
    refused (an input error): a replay changes nothing."""
    meeting = scheduled_meeting(session, meeting_id)
    now = clock.now()
    dropped = session.execute(
        update(MeetingStep)
        .where(MeetingStep.meeting_id == meeting.id, MeetingStep.status == StepStatus.PENDING)
        .values(status=StepStatus.CANCELLED, done_at=now)
    ).rowcount
    meeting.status = MeetingStatus.CANCELLED
    meeting.cancelled_at = now
    meeting.sequence += 1
    told = session.scalar(
        select(MeetingStep.id).where(
            MeetingStep.meeting_id == meeting.id, MeetingStep.status == StepStatus.DONE
        )
    )
    if told is not None:
        session.add(
            MeetingStep(
                meeting_id=meeting.id,
                kind=StepKind.CANCEL,
                label="cancel",
                due_at=now,
                outcome={"reason": reason},
            )
        )
    session.flush()
    events.record(
        session,
        action="meeting.cancelled",
        object_type=OBJECT,
        object_id=meeting.id,
        actor=actor,
        data={"reason": reason, "steps_dropped": dropped},
    )
    return result(meeting, "cancelled", steps_dropped=dropped)
