"""What the duty modules share: the object name, people checks (and the refusal of a step that
is not an action on one shift), the shifts in force."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.duty import DutyHandover, DutyRoster, DutyShift
from models.duty_input import OnDuty
from officeflow import clock
from officeflow.inputs import input_error, is_ledger_id
from officeflow.org import active_person
from rules.duty import ShiftFacts
from rules.duty import on_duty as pick_on_duty

if TYPE_CHECKING:
    pass

OBJECT = "duty"
PROCESS = "duty"


def require_person(session: Session, field: str, person_id: str) -> None:
    if active_person(session, person_id) is None:
        raise input_error(field, f"unknown or inactive person {person_id!r}")


def get_shift(session: Session, shift_id: int, field: str = "shift") -> DutyShift:
    shift = session.get(DutyShift, shift_id) if is_ledger_id(shift_id) else None
    if shift is None:
        raise input_error(field, f"no duty shift {shift_id}")
    return shift


def shift_at(session: Session, at: dt.datetime) -> DutyShift | None:
    """The shift in force at ``at`` (rules.duty.on_duty picks among overlapping ones)."""
    rows = session.execute(
        select(DutyShift.id, DutyShift.starts_at, DutyShift.ends_at, DutyShift.holiday).where(
            DutyShift.in_force.is_(True), DutyShift.starts_at <= at, DutyShift.ends_at > at
        )
    ).all()
    chosen = pick_on_duty([ShiftFacts(*row) for row in rows], at)
    return session.get(DutyShift, chosen.shift_id) if chosen else None


def any_roster(session: Session) -> bool:
    return session.scalar(select(DutyRoster.id).limit(1)) is not None


def on_duty(session: Session, at: dt.datetime) -> OnDuty:
    """Who is on duty at ``at`` (empty fields when no roster covers it)."""
    shift = shift_at(session, at)
    if shift is None:
        return OnDuty(at=at)
    roster = session.get_one(DutyRoster, shift.roster_id)
    return OnDuty(
        at=at,
        shift_id=shift.id,
        shift=shift.name,
        day=shift.day,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        officer_id=shift.officer_id,
        leader_id=shift.leader_id,
        holiday=shift.holiday,
        roster=roster.name,
    )


def handover_of(session: Session, shift_id: int) -> DutyHandover | None:
    return session.scalar(select(DutyHandover).where(DutyHandover.from_shift_id == shift_id))


def next_shift(session: Session, shift: DutyShift, now: dt.datetime) -> DutyShift | None:
    """The shift that takes over from ``shift``: the one in force when it ends (or now, when
    it is handed over late)."""
    nxt = shift_at(session, max(shift.ends_at, now))
    return nxt if nxt is not None and nxt.id != shift.id else None


def incoming_officer(session: Session, shift: DutyShift) -> str | None:
    """Who takes ``shift`` over: the incoming officer its handover names, or, before it is
    handed over, the officer of the next shift."""
    record = handover_of(session, shift.id)
    if record is not None:
        return record.incoming_id
    nxt = next_shift(session, shift, clock.now())
    return nxt.officer_id if nxt is not None else None
