"""Who hears about an incident: a rung's audiences (the duty officer and the leader on duty
are 值班's answer, `officeflow.duty.officers`), everyone alerted so far."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.emergency import EscalationRung
from models.org import Department, Role
from officeflow.duty.officers import duty_officers, leader_on_duty
from officeflow.org import department_heads, people_with_role
from rules.response_plan import Audience, RungSpec


def resolve(
    session: Session,
    spec: RungSpec,
    departments: Sequence[str],
    at: dt.datetime | None = None,
) -> list[str]:
    """The people a rung's roles name, in a stable order. ``at`` is the instant the duty
    audiences are read at (the incident's recording; default now)."""
    out: list[str] = []
    for audience in spec.audiences:
        if audience is Audience.DUTY_OFFICER:
            out += duty_officers(session, at)
        elif audience is Audience.LEADER_ON_DUTY:
            out += leader_on_duty(session, at)
        elif audience is Audience.OFFICE_DIRECTOR:
            out += people_with_role(session, Role.OFFICE_DIRECTOR)
        elif audience is Audience.LEADER_IN_CHARGE:
            leaders = session.scalars(
                select(Department.leader_id).where(Department.id.in_(list(departments)))
            )
            out += sorted({leader for leader in leaders if leader})
        elif audience is Audience.AFFECTED_DEPARTMENTS:
            for dept in departments:
                out += department_heads(session, dept)
        elif audience is Audience.ALL_LEADERS:
            out += people_with_role(session, Role.LEADER)
    out += list(spec.people)
    return list(dict.fromkeys(out))


def notified_people(session: Session, incident_id: int) -> set[str]:
    """Everyone a fired rung alerted: the people who may acknowledge."""
    rungs = session.scalars(
        select(EscalationRung.recipients).where(
            EscalationRung.incident_id == incident_id, EscalationRung.fired_at.is_not(None)
        )
    )
    return {person for recipients in rungs for person in recipients}
