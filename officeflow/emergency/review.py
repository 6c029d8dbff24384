"""The review (复盘) an incident's closure asks for: a supervised assignment."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from models.emergency import Incident
from models.org import Department, Role
from officeflow import clock, events
from officeflow.emergency.config import OBJECT
from officeflow.org import people_with_role
from officeflow.workdays import get_calendar

REVIEW_WORKDAYS = 5


def create_review_assignment(
    session: Session,
    *,
    incident: Incident,
    department_id: str,
    due_at: dt.datetime,
    actor: str,
) -> list[str]:
    """Ask the responsible department for a review (复盘) of the incident: an assignment in the
    supervision process, issued by the department's leader in charge, due in 5 working days.
    Returns the notice keys of the assignment notice."""
    from models.supervision import DecisionSource
    from models.supervision_input import AssignmentSpec, DecisionSpec
    from officeflow import supervision

    calendar = get_calendar()
    department = session.get(Department, department_id)
    issuer = (department.leader_id if department else None) or people_with_role(
        session, Role.LEADER
    )[0]
    spec = DecisionSpec(
        title=f"突发事件复盘：{incident.title}",
        source=DecisionSource.OTHER,
        source_ref=f"incident:{incident.id}",
        issued_by=issuer,
        issued_on=calendar.local_date(clock.now()),
        assignments=[
            AssignmentSpec(
                lead_department=department_id,
                task=f"对“{incident.title}”开展复盘，查明原因，提出整改措施。",
                acceptance_standard="提交复盘报告及整改清单",
                due_date=calendar.local_date(due_at),
                source_ref=f"incident:{incident.id}:review",
            )
        ],
    )
    supervision.check_decision(session, spec)
    record = supervision.record_decision(session, spec, actor=actor)
    events.record(
        session,
        action="incident.review_requested",
        object_type=OBJECT,
        object_id=incident.id,
        actor=actor,
        data={
            "department": department_id,
            "due_at": due_at.isoformat(),
            "title": spec.title,
            "assignment": record.assignment_ids[0],
        },
    )
    return supervision.plan_issue_notices(session, record)
