"""Who may do what. One set of rules for the CLI, the flows and the web pages: the services call
the ``check_*`` functions before they write, and a refusal is `officeflow.actors.NotAllowed`,
whose text names who tried, what, and who may.

The ``may_*`` functions are the rules themselves, plain questions over the ledger's org (no
Prefect, nothing written), tested directly in tests/test_permissions.py.

The actor ``system`` is the office's own scheduled steps: it is not a person, so it holds no
role. It may take a reserved action (verify, close, cancel …) only through the ``system`` door
(a schedule, or code run in-process without a door: tests and the simulation); an operator at the
CLI, the Prefect UI or the web pages must name a person who may.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from models.org import Person, Role
from officeflow import actors
from officeflow.inputs import check_actor_id, input_error
from officeflow.org import active_person, is_office_member, roles_of

if TYPE_CHECKING:
    from models.meeting import Meeting
    from models.supervision import Assignment

SYSTEM_ACTOR = "system"

# Who may, as the refusal says it.
LEAD_DEPARTMENT = "the owner and the people of the lead department {dept!r}"
GENERAL_OFFICE = "the general office (办公室), other than the person who requested completion"
ISSUING_LEADER = "the issuing leader {leader!r}"
NOTIFIED = "the people its alerts were sent to"
INCIDENT_CLOSERS = "the duty officer, the office director and the leaders"
MEETING_CHANGERS = "its chair {chair!r} and the general office (办公室)"
AGENDA_APPROVERS = "its chair {chair!r} and the office director"
PEOPLE = "the people of the organisation"


# --- who is acting -----------------------------------------------------------------------------


def system_door() -> bool:
    """True when no person's door is open: a schedule, or in-process code (tests, simulation)."""
    return actors.current().via == actors.SYSTEM


def is_system(actor: str) -> bool:
    return actor == SYSTEM_ACTOR and system_door()


def who(session: Session, actor: str) -> str:
    """How a refusal names the actor."""
    if actor == SYSTEM_ACTOR:
        return f"'system' (not a person; through {actors.current().via})"
    person = active_person(session, actor) if isinstance(actor, str) else None
    if person is None:
        if isinstance(actor, str) and not check_actor_id(actor) and session.get(Person, actor):
            return f"{actor!r} (no longer in the organisation)"
        return f"unknown person {str(actor)[:64]!r}"
    return f"{person.id!r} ({person.name})"


def refusal(session: Session, actor: str, what: str, who_may: str) -> Exception:
    """The error to raise: `NotAllowed` naming who, what and who may; or, for an id no person
    can have (too long, a NUL), the input error naming the field ``actor``."""
    problem = check_actor_id(actor) if isinstance(actor, str) else "a person id is text"
    if problem:
        return input_error("actor", problem)
    return actors.NotAllowed(f"{who(session, actor)} may not {what}: only {who_may} may")


def person_or_none(session: Session, actor: str) -> Person | None:
    return active_person(session, actor) if isinstance(actor, str) else None


# --- the rules ---------------------------------------------------------------------------------


def may_act(session: Session, actor: str) -> bool:
    """Anyone of the organisation (active), or the office's own ``system``."""
    return actor == SYSTEM_ACTOR or person_or_none(session, actor) is not None


def may_report(session: Session, a: Assignment, actor: str) -> bool:
    """进展反馈, 办结申请, 延期申请: the owner and the people of the lead department."""
    person = person_or_none(session, actor)
    if person is None:
        return is_system(actor)
    return person.id == a.owner_id or person.department_id == a.lead_department_id


def may_verify(session: Session, actor: str, requested_by: str | None) -> bool:
    """核验: the general office, but never the person who requested the completion."""
    if is_system(actor):
        return True
    return is_office_member(session, actor) and actor != requested_by


def may_decide_extension(session: Session, a: Assignment, actor: str) -> bool:
    """延期: only the leader who issued the decision."""
    if is_system(actor):
        return True
    return person_or_none(session, actor) is not None and actor == a.decision.issued_by


def may_acknowledge(session: Session, incident_id: int, actor: str) -> bool:
    """An acknowledgement: someone an alert of this incident was sent to."""
    from officeflow.emergency.audience import notified_people

    return person_or_none(session, actor) is not None and actor in notified_people(
        session, incident_id
    )


def may_close_incident(session: Session, actor: str, at: dt.datetime | None = None) -> bool:
    """Closing an incident: the duty officer (on duty now, or anyone with the role), the office
    director and the leaders."""
    if is_system(actor):
        return True
    if person_or_none(session, actor) is None:
        return False
    if roles_of(session, actor) & {Role.DUTY_OFFICER, Role.OFFICE_DIRECTOR, Role.LEADER}:
        return True
    from officeflow.emergency.audience import duty_officers

    return actor in duty_officers(session, at)


def may_change_meeting(session: Session, meeting: Meeting, actor: str) -> bool:
    """Rescheduling or cancelling a meeting: its chair and the general office."""
    if is_system(actor):
        return True
    if person_or_none(session, actor) is None:
        return False
    return actor == meeting.chair_id or is_office_member(session, actor)


def may_approve_agenda(session: Session, meeting: Meeting, actor: str) -> bool:
    """Approving an agenda: the chair or the office director."""
    if is_system(actor):
        return True
    if person_or_none(session, actor) is None:
        return False
    return actor == meeting.chair_id or Role.OFFICE_DIRECTOR in roles_of(session, actor)


# --- the checks the services call --------------------------------------------------------------


def check_actor(session: Session, actor: str, what: str = "act") -> None:
    """Refuse an actor who is neither a person of the organisation nor ``system``."""
    if not may_act(session, actor):
        raise refusal(session, actor, what, PEOPLE)


def check_report(session: Session, a: Assignment, actor: str, what: str) -> None:
    if not may_report(session, a, actor):
        raise refusal(
            session,
            actor,
            f"{what} on assignment {a.id}",
            LEAD_DEPARTMENT.format(dept=a.lead_department_id),
        )


def check_verify(session: Session, a: Assignment, actor: str, requested_by: str | None) -> None:
    if may_verify(session, actor, requested_by):
        return
    what = f"verify the completion of assignment {a.id}"
    if actor == requested_by and is_office_member(session, actor):
        raise actors.NotAllowed(
            f"{who(session, actor)} may not {what}: they requested this completion, and only "
            f"{GENERAL_OFFICE} may verify it"
        )
    raise refusal(session, actor, what, GENERAL_OFFICE)


def check_decide_extension(session: Session, a: Assignment, actor: str, request_id: int) -> None:
    if not may_decide_extension(session, a, actor):
        raise refusal(
            session,
            actor,
            f"decide extension request {request_id} of assignment {a.id}",
            ISSUING_LEADER.format(leader=a.decision.issued_by),
        )


def check_acknowledge(session: Session, incident_id: int, actor: str) -> None:
    if not may_acknowledge(session, incident_id, actor):
        raise refusal(session, actor, f"acknowledge incident {incident_id}", NOTIFIED)


def check_close_incident(
    session: Session, incident_id: int, actor: str, at: dt.datetime | None = None
) -> None:
    if not may_close_incident(session, actor, at):
        raise refusal(session, actor, f"close incident {incident_id}", INCIDENT_CLOSERS)


def check_change_meeting(session: Session, meeting: Meeting, actor: str, what: str) -> None:
    if not may_change_meeting(session, meeting, actor):
        raise refusal(
            session,
            actor,
            f"{what} meeting {meeting.id}",
            MEETING_CHANGERS.format(chair=meeting.chair_id),
        )


def check_approve_agenda(session: Session, meeting: Meeting, actor: str) -> None:
    if not may_approve_agenda(session, meeting, actor):
        raise refusal(
            session,
            actor,
            f"approve the agenda of meeting {meeting.id}",
            AGENDA_APPROVERS.format(chair=meeting.chair_id),
        )
