"""Who is on duty, as the other processes ask it (a declared service of 值班): the duty officer
and the leader on duty at an instant, from the roster in force, else from the org's roles."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from models.org import Role
from officeflow import clock
from officeflow.duty.common import shift_at
from officeflow.org import general_office, people_with_role


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
