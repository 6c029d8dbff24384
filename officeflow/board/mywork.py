"""My work (我的工作): one person's open assignments, unacknowledged incidents, pending
decisions and upcoming meetings, each with the action (link name) that settles it.

- assignments: those the person owns, and, for a department head, every open assignment their
  department leads;
- incidents: open incidents whose alert reached the person and that they have not acknowledged;
- decisions: extension requests on decisions the person issued (the leader decides), and, for
  the general office, completion requests to verify (not their own);
- meetings: scheduled meetings they attend (with their answer), and topics their department may
  still submit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models.attendance import MeetingAttendance
from models.emergency import Acknowledgement, EscalationRung, Incident, IncidentStatus
from models.meeting import (
    AgendaStatus,
    Meeting,
    MeetingAttendee,
    MeetingDepartment,
    MeetingStatus,
)
from models.org import Role
from models.supervision import (
    Assignment,
    AssignmentStatus,
    CompletionRequest,
    Decision,
    ExtensionRequest,
    RequestStatus,
)
from officeflow import clock, policy
from officeflow.inputs import input_error
from officeflow.org import active_person, is_office_member, roles_of

LIMIT = 100


def my_work(session: Session, person_id: str) -> dict[str, Any]:
    person = active_person(session, person_id)
    if person is None:
        raise input_error("person", f"unknown person {person_id!r}")
    now = clock.now()
    roles = roles_of(session, person_id)
    office = is_office_member(session, person_id)

    mine = Assignment.owner_id == person_id
    if Role.DEPARTMENT_HEAD in roles:
        mine = or_(mine, Assignment.lead_department_id == person.department_id)
    assignments = [
        {
            "id": a.id,
            "decision": a.title,
            "task": a.task,
            "due": clock.format_local(a.due_at),
            "overdue": a.due_at < now,
            "light": str(a.light),
            "progress": a.progress,
            "status": str(a.status),
            "action": "report" if a.status is AssignmentStatus.OPEN else None,
        }
        for a in session.execute(
            select(
                Assignment.id,
                Decision.title,
                Assignment.task,
                Assignment.due_at,
                Assignment.light,
                Assignment.progress,
                Assignment.status,
            )
            .join(Decision, Decision.id == Assignment.decision_id)
            .where(Assignment.status != AssignmentStatus.CLOSED, mine)
            .order_by(Assignment.due_at, Assignment.id)
            .limit(LIMIT)
        )
    ]

    acked = set(
        session.scalars(
            select(Acknowledgement.incident_id).where(Acknowledgement.person_id == person_id)
        )
    )
    incidents = []
    open_rungs = session.execute(
        select(Incident.id, Incident.title, Incident.grade, Incident.recorded_at, EscalationRung)
        .join(EscalationRung, EscalationRung.incident_id == Incident.id)
        .where(Incident.status == IncidentStatus.OPEN, EscalationRung.fired_at.is_not(None))
        .order_by(Incident.recorded_at.desc())
    ).all()
    seen: set[int] = set()
    for iid, title, grade, recorded_at, rung in open_rungs:
        if iid in seen or iid in acked or person_id not in (rung.recipients or []):
            continue
        seen.add(iid)
        incidents.append(
            {
                "id": iid,
                "title": title,
                "grade": str(grade),
                "recorded": clock.format_local(recorded_at),
                "action": "acknowledge",
            }
        )

    decisions: list[dict[str, Any]] = []
    for req, a_id, title in session.execute(
        select(ExtensionRequest, Assignment.id, Decision.title)
        .join(Assignment, Assignment.id == ExtensionRequest.assignment_id)
        .join(Decision, Decision.id == Assignment.decision_id)
        .where(ExtensionRequest.status == RequestStatus.PENDING, Decision.issued_by == person_id)
        .order_by(ExtensionRequest.requested_at)
        .limit(LIMIT)
    ):
        decisions.append(
            {
                "kind": "extension",
                "assignment": a_id,
                "request": req.id,
                "decision": title,
                "detail": f"{clock.format_local(req.old_due_at)} → "
                f"{clock.format_local(req.new_due_at)}: {req.reason}",
                "requested_by": req.requested_by,
                "action": "decide-extension",
            }
        )
    if office:
        for req, a_id, title in session.execute(
            select(CompletionRequest, Assignment.id, Decision.title)
            .join(Assignment, Assignment.id == CompletionRequest.assignment_id)
            .join(Decision, Decision.id == Assignment.decision_id)
            .where(
                CompletionRequest.status == RequestStatus.PENDING,
                CompletionRequest.requested_by != person_id,
            )
            .order_by(CompletionRequest.requested_at)
            .limit(LIMIT)
        ):
            decisions.append(
                {
                    "kind": "verification",
                    "assignment": a_id,
                    "request": req.id,
                    "decision": title,
                    "detail": req.evidence,
                    "requested_by": req.requested_by,
                    "action": "verify",
                }
            )

    meetings = []
    answers = {
        r.meeting_id: r
        for r in session.scalars(
            select(MeetingAttendance).where(MeetingAttendance.person_id == person_id)
        )
    }
    attending = select(MeetingAttendee.meeting_id).where(MeetingAttendee.person_id == person_id)
    for m in session.scalars(
        select(Meeting)
        .where(
            Meeting.status == MeetingStatus.SCHEDULED,
            Meeting.start_at > now,
            or_(Meeting.id.in_(attending), Meeting.chair_id == person_id),
        )
        .order_by(Meeting.start_at)
        .limit(LIMIT)
    ):
        answer = answers.get(m.id)
        meetings.append(
            {
                "id": m.id,
                "title": m.title,
                "start": clock.format_local(m.start_at),
                "venue": m.venue,
                "answer": str(answer.answer) if answer else "none",
                "action": "register-attendance",
                # Who may approve it: the one policy (officeflow/meeting/declarations.py).
                "approve_agenda": m.agenda_status is AgendaStatus.OPEN
                and policy.may(session, person_id, "meeting.approve-agenda", m),
            }
        )
    topics = []
    if Role.DEPARTMENT_HEAD in roles:
        for m in session.scalars(
            select(Meeting)
            .join(MeetingDepartment, MeetingDepartment.meeting_id == Meeting.id)
            .where(
                MeetingDepartment.department_id == person.department_id,
                Meeting.status == MeetingStatus.SCHEDULED,
                Meeting.agenda_status == AgendaStatus.OPEN,
                Meeting.topic_deadline > now,
            )
            .order_by(Meeting.topic_deadline)
        ):
            topics.append(
                {
                    "meeting": m.id,
                    "title": m.title,
                    "deadline": clock.format_local(m.topic_deadline),
                    "action": "submit-topic",
                }
            )
    return {
        "person": {"id": person.id, "name": person.name, "title": person.title},
        "assignments": assignments,
        "incidents": incidents,
        "decisions": decisions,
        "meetings": meetings,
        "topics": topics,
    }
