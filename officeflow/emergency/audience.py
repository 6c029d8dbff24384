"""Who hears about an incident: the duty officer (the one on duty when a roster covers the
moment), a rung's audiences, everyone alerted so far."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.emergency import EscalationRung
from models.org import Department, Role
from officeflow import clock
from officeflow.duty.common import shift_at
from officeflow.org import department_heads, general_office, people_with_role
from rules.response_plan import Audience, RungSpec


def duty_officers(session: Session, at: dt.datetime | None = None) -> list[str]:
    """The officer on duty at ``at`` (default: now) when a duty roster covers that instant
    (after swaps); otherwise, as before rosters existed, every duty officer of the general
    office (or of the whole org when the office has none)."""
    shift = shift_at(session, at or clock.now())
    if shift is not None:
        return [shift.officer_id]
    office = general_office(session)
    people = people_with_role(session, Role.DUTY_OFFICER, office.id if office else None)
    return people or people_with_role(session, Role.DUTY_OFFICER)


def leader_on_duty(session: Session, at: dt.datetime | None = None) -> list[str]:
    """The leader on duty (带班领导) at ``at`` when a roster covers it; otherwise the office
    director(s), who lead the office's duty when no roster says otherwise."""
    shift = shift_at(session, at or clock.now())
    if shift is not None:
        return [shift.leader_id]
    return people_with_role(session, Role.OFFICE_DIRECTOR)


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
