"""The steps of a meeting's life: one small handler per `StepKind`, chosen from `STEP_HANDLERS`.

A handler reserves the step's notice under its business key (``meeting:ID:…``) and returns the
outcome stored on the step: ``{"key", "recipients", "reserved", "unreachable"}``, or
``{"skipped": why}`` when there is nobody left to tell.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from models.meeting import AgendaStatus, Meeting, StepKind
from models.org import Role
from officeflow.delivery import plan_notice
from officeflow.meeting.common import (
    OBJECT,
    attendee_ids,
    department_ids,
    heads_of,
    late_materials,
    topics,
)
from officeflow.meeting.notices import invite_text, meeting_context, topic_context
from officeflow.org import people_with_role

Outcome = dict[str, Any]
StepHandler = Callable[[Session, Meeting, str], Outcome]


def _plan(
    session: Session,
    meeting: Meeting,
    key: str,
    template: str,
    recipients: list[str],
    context: dict[str, Any],
    invite: bytes | None = None,
) -> Outcome:
    planned = plan_notice(
        session,
        key=key,
        template=template,
        object_type=OBJECT,
        object_id=meeting.id,
        recipients=recipients,
        context=context,
        invite=invite.decode("utf-8") if invite else None,
    )
    return {
        "key": key,
        "recipients": len(recipients),
        "reserved": planned.reserved,
        "unreachable": planned.unreachable,
    }


def _key(meeting: Meeting, suffix: str) -> str:
    return f"meeting:{meeting.id}:{suffix}"


def call_for_topics(session: Session, meeting: Meeting, label: str) -> Outcome:
    """议题征集: the heads of the attending departments are asked for topics."""
    heads = heads_of(session, department_ids(session, meeting.id))
    ctx = meeting_context(session, meeting)
    return _plan(session, meeting, _key(meeting, "call-for-topics"), "meeting_call", heads, ctx)


def topic_reminder(session: Session, meeting: Meeting, label: str) -> Outcome:
    """At the topic deadline: the heads of departments that submitted nothing."""
    submitted = {t.department_id for t in topics(session, meeting.id)}
    silent = [d for d in department_ids(session, meeting.id) if d not in submitted]
    if not silent:
        return {"skipped": "every department submitted"}
    heads = heads_of(session, silent)
    ctx = meeting_context(session, meeting)
    return _plan(
        session, meeting, _key(meeting, "topic-reminder"), "meeting_topic_reminder", heads, ctx
    )


def agenda_approval(session: Session, meeting: Meeting, label: str) -> Outcome:
    """The chair and the office director are asked to approve the agenda."""
    if meeting.agenda_status is AgendaStatus.APPROVED:
        return {"skipped": "agenda already approved"}
    deciders = [meeting.chair_id, *people_with_role(session, Role.OFFICE_DIRECTOR)]
    ctx = meeting_context(session, meeting)
    return _plan(
        session, meeting, _key(meeting, "agenda-approval"), "meeting_agenda_approval", deciders, ctx
    )


def _invitation(session: Session, meeting: Meeting, *, updated: bool) -> Outcome:
    ctx = meeting_context(session, meeting)
    return _plan(
        session,
        meeting,
        _key(meeting, f"notice:seq{meeting.sequence}"),
        "meeting_notice",
        attendee_ids(session, meeting.id),
        {**ctx, "updated": updated},
        invite=invite_text(session, meeting, method="REQUEST"),
    )


def notice(session: Session, meeting: Meeting, label: str) -> Outcome:
    """会议通知 with the invitation, to every attendee (the sweep holds it until the agenda is
    approved)."""
    return _invitation(session, meeting, updated=False)


def updated_notice(session: Session, meeting: Meeting, label: str) -> Outcome:
    """After a reschedule: the updated invitation (same UID, SEQUENCE+1)."""
    return _invitation(session, meeting, updated=True)


def materials_reminder(session: Session, meeting: Meeting, label: str) -> Outcome:
    """On the materials deadline's morning: presenters whose materials are missing."""
    missing = late_materials(session, meeting)
    if not missing:
        return {"skipped": "no materials outstanding"}
    presenters = [t.presenter_id for t in missing]
    ctx = meeting_context(session, meeting)
    return _plan(
        session,
        meeting,
        _key(meeting, "materials-reminder"),
        "meeting_materials_reminder",
        presenters,
        ctx,
    )


def materials_check(session: Session, meeting: Meeting, label: str) -> Outcome:
    """At the materials deadline: the office director is told whose materials are late."""
    missing = late_materials(session, meeting)
    if not missing:
        return {"skipped": "all materials received"}
    office = people_with_role(session, Role.OFFICE_DIRECTOR)
    late = [topic_context(session, t) for t in missing]
    ctx = meeting_context(session, meeting)
    return _plan(
        session,
        meeting,
        _key(meeting, "materials-late"),
        "meeting_materials_late",
        office,
        {**ctx, "late": late},
    )


def reminder(session: Session, meeting: Meeting, label: str) -> Outcome:
    """A reminder of the plan (``reminder:1h``, ``reminder:1h:seq1`` after a reschedule)."""
    ctx = meeting_context(session, meeting)
    return _plan(
        session,
        meeting,
        _key(meeting, label),
        "meeting_reminder",
        attendee_ids(session, meeting.id),
        ctx,
    )


def cancellation(session: Session, meeting: Meeting, label: str) -> Outcome:
    """METHOD:CANCEL to the attendees and the heads of the attending departments."""
    people = [*attendee_ids(session, meeting.id)]
    people.extend(heads_of(session, department_ids(session, meeting.id)))
    ctx = meeting_context(session, meeting)
    return _plan(
        session,
        meeting,
        _key(meeting, "cancel"),
        "meeting_cancelled",
        list(dict.fromkeys(people)),
        ctx,
        invite=invite_text(session, meeting, method="CANCEL"),
    )


STEP_HANDLERS: dict[StepKind, StepHandler] = {
    StepKind.CALL_FOR_TOPICS: call_for_topics,
    StepKind.TOPIC_REMINDER: topic_reminder,
    StepKind.AGENDA_APPROVAL: agenda_approval,
    StepKind.NOTICE: notice,
    StepKind.UPDATE: updated_notice,
    StepKind.MATERIALS_REMINDER: materials_reminder,
    StepKind.MATERIALS_CHECK: materials_check,
    StepKind.REMINDER: reminder,
    StepKind.CANCEL: cancellation,
}


def run_step(session: Session, meeting: Meeting, kind: StepKind, label: str) -> Outcome:
    """Carry out one due step (the sweep has claimed it) and return its outcome."""
    return STEP_HANDLERS[kind](session, meeting, label)
