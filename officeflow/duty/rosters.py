"""Publishing a roster (值班表): check it against the org, write its shifts, and keep the
``in_force`` flag true for exactly the shifts that count (holiday rosters win on their days;
a roster published again under the same name supersedes the old one)."""

from __future__ import annotations

from sqlalchemy import and_, exists, select, update
from sqlalchemy.orm import Session, aliased

from models.duty import DutyRoster, DutyShift, RosterKind, RosterStatus
from models.duty_input import RosterResult, RosterSpec
from officeflow import clock, events
from officeflow.duty.common import OBJECT, require_person
from officeflow.inputs import input_error
from officeflow.policy import require
from officeflow.settings import get_settings
from rules.duty import PlannedShift, RosterProblem, expand


def check_roster(session: Session, spec: RosterSpec, *, actor: str) -> list[PlannedShift]:
    """Every shift the roster gives, or an error naming the field: a shift left uncovered, an
    unknown or inactive person. Writes nothing. A publisher the policy refuses (anyone outside
    the general office: `officeflow.duty.declarations.ROSTER_PUBLISHERS`) is `NotAllowed`."""
    from officeflow.duty.declarations import ROSTER_PUBLISHERS

    require(
        session, actor, ROSTER_PUBLISHERS, zh="发布值班表", en="publish a duty roster", params=spec
    )
    if spec.kind is RosterKind.HOLIDAY and not spec.holiday:
        raise input_error("holiday", "a holiday roster names its holiday (国庆, 春节, …)")
    try:
        planned = expand(spec, get_settings().timezone)
    except RosterProblem as exc:
        raise input_error(exc.loc, exc.message) from None
    checked: set[tuple[object, str]] = set()
    for shift in planned:
        for field, person in (
            (shift.officer_field, shift.officer),
            (shift.leader_field, shift.leader),
        ):
            if (field, person) in checked:
                continue
            require_person(session, field, person)
            checked.add((field, person))
        if shift.officer == shift.leader:
            raise input_error(
                shift.leader_field,
                f"{shift.day} {shift.name}: {shift.officer!r} cannot be both officer and leader",
            )
    return planned


def publish_roster(session: Session, spec: RosterSpec, *, actor: str) -> RosterResult:
    """Check, then write the roster and its shifts. The same roster again finds the recorded
    one; a changed roster of the same name supersedes it (its swaps are not carried over)."""
    planned = check_roster(session, spec, actor=actor)
    fingerprint = spec.fingerprint()
    found = session.scalar(select(DutyRoster).where(DutyRoster.fingerprint == fingerprint))
    if found is not None and found.status is RosterStatus.SUPERSEDED:
        _reinstate(session, found, actor)
    if found is not None:
        count = len(
            list(session.scalars(select(DutyShift.id).where(DutyShift.roster_id == found.id)))
        )
        return RosterResult(
            roster_id=found.id, name=found.name, kind=found.kind.value, shifts=count,
            newly_published=False,
        )  # fmt: skip
    now = clock.now()
    older = list(
        session.scalars(
            select(DutyRoster.id).where(
                DutyRoster.name == spec.name, DutyRoster.status == RosterStatus.PUBLISHED
            )
        )
    )
    if older:
        session.execute(
            update(DutyRoster)
            .where(DutyRoster.id.in_(older))
            .values(status=RosterStatus.SUPERSEDED)
        )
    roster = DutyRoster(
        fingerprint=fingerprint,
        name=spec.name,
        kind=spec.kind,
        holiday=spec.holiday,
        start_on=spec.start,
        end_on=spec.end,
        status=RosterStatus.PUBLISHED,
        published_by=actor,
        published_at=now,
    )
    session.add(roster)
    session.flush()
    session.execute(
        DutyShift.__table__.insert(),
        [
            {
                "roster_id": roster.id,
                "day": p.day,
                "name": p.name,
                "holiday": spec.kind is RosterKind.HOLIDAY,
                "starts_at": p.starts_at,
                "ends_at": p.ends_at,
                "officer_id": p.officer,
                "leader_id": p.leader,
                "rostered_officer_id": p.officer,
                "rostered_leader_id": p.leader,
                "eve_remind_at": p.eve_remind_at,
                "soon_remind_at": p.soon_remind_at,
                "in_force": True,
            }
            for p in planned
        ],
    )
    refresh_in_force(session)
    events.record(
        session,
        action="duty.roster_published",
        object_type=OBJECT,
        object_id=f"roster:{roster.id}",
        actor=actor,
        at=now,
        data={
            "name": spec.name,
            "kind": spec.kind.value,
            "start": spec.start.isoformat(),
            "end": spec.end.isoformat(),
            "shifts": len(planned),
            "superseded": older,
        },
    )
    return RosterResult(
        roster_id=roster.id,
        name=roster.name,
        kind=spec.kind.value,
        shifts=len(planned),
        newly_published=True,
        superseded=older,
    )


def _reinstate(session: Session, roster: DutyRoster, actor: str) -> None:
    """A superseded roster published again is in force again; the roster of the same name that
    replaced it is superseded in turn."""
    session.execute(
        update(DutyRoster)
        .where(DutyRoster.name == roster.name, DutyRoster.status == RosterStatus.PUBLISHED)
        .values(status=RosterStatus.SUPERSEDED)
    )
    roster.status = RosterStatus.PUBLISHED
    session.flush()
    refresh_in_force(session)
    events.record(
        session,
        action="duty.roster_reinstated",
        object_type=OBJECT,
        object_id=f"roster:{roster.id}",
        actor=actor,
    )


def refresh_in_force(session: Session) -> None:
    """One statement: a shift is in force when its roster is published and, for a regular
    shift, no published holiday roster has a shift on the same day."""
    holiday = aliased(DutyShift)
    published = select(DutyRoster.id).where(DutyRoster.status == RosterStatus.PUBLISHED)
    holiday_same_day = exists(
        select(holiday.id)
        .join(DutyRoster, DutyRoster.id == holiday.roster_id)
        .where(
            holiday.day == DutyShift.day,
            holiday.holiday.is_(True),
            DutyRoster.status == RosterStatus.PUBLISHED,
        )
    )
    session.execute(
        update(DutyShift)
        .values(
            in_force=and_(
                DutyShift.roster_id.in_(published),
                DutyShift.holiday.is_(True) | ~holiday_same_day,
            )
        )
        .execution_options(synchronize_session=False)
    )
    session.expire_all()
