"""The org directory: load (validate everything, then write in one transaction) and look up."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, selectinload

from models.org import Channel, ContactPoint, Department, Organisation, Person, PersonRole, Role
from officeflow import events
from officeflow.inputs import InputError, Problem, check_actor_id, line_of, load_yaml_model

if TYPE_CHECKING:  # the org file's model (and email-validator, PyYAML) only where a file is read
    import yaml

    from models.org_input import OrgFile


@dataclass(frozen=True)
class LoadResult:
    departments: int
    people: int
    deactivated: int
    deactivated_people: tuple[str, ...] = ()  # their ids, sorted


def check_references(org: OrgFile, node: yaml.Node | None = None) -> list[Problem]:
    """Cross-record rules a single field cannot see: ids unique, references known."""
    problems: list[Problem] = []

    def add(loc: tuple[str | int, ...], message: str) -> None:
        problems.append(Problem(loc, message, line_of(node, loc)))

    dept_ids = Counter(d.id for d in org.departments)
    person_ids = Counter(p.id for p in org.people)
    seen: set[str] = set()
    for i, d in enumerate(org.departments):
        if dept_ids[d.id] > 1 and d.id in seen:
            add(("departments", i, "id"), f"duplicate department id {d.id!r}")
        seen.add(d.id)
    seen.clear()
    for i, p in enumerate(org.people):
        if person_ids[p.id] > 1 and p.id in seen:
            add(("people", i, "id"), f"duplicate person id {p.id!r}")
        seen.add(p.id)
        if p.department not in dept_ids:
            add(("people", i, "department"), f"unknown department {p.department!r}")
    leaders = {p.id for p in org.people if Role.LEADER in p.roles}
    for i, d in enumerate(org.departments):
        if d.leader is None:
            continue
        if d.leader not in person_ids:
            add(("departments", i, "leader"), f"unknown person {d.leader!r}")
        elif d.leader not in leaders:
            add(("departments", i, "leader"), f"{d.leader!r} does not have the role 'leader'")
    if sum(d.general_office for d in org.departments) != 1:
        add(("departments",), "exactly one department must be marked general_office: true")
    return problems


def parse_org_file(path: Path) -> OrgFile:
    from models.org_input import OrgFile

    org, node = load_yaml_model(path, OrgFile)
    problems = check_references(org, node)
    if problems:
        raise InputError(problems, str(path))
    return org


def left_out(session: Session, org: OrgFile) -> list[tuple[str, str]]:
    """(id, name) of the active people that loading ``org`` would deactivate, sorted by id."""
    ids = [p.id for p in org.people]
    rows = session.execute(
        select(Person.id, Person.name)
        .where(Person.id.not_in(ids), Person.active.is_(True))
        .order_by(Person.id)
    )
    return [(row.id, row.name) for row in rows]


def load_org(session: Session, org: OrgFile, *, actor: str = events.SYSTEM) -> LoadResult:
    """Write a validated org into the ledger, updating in place. People left out are deactivated
    (their past notices still point at them), never deleted."""
    session.info.pop("people_with_role", None)  # roles and people change below
    office_name = org.office_name or next(d.name for d in org.departments if d.general_office)
    meta = session.get(Organisation, 1)
    notifications = org.notifications.model_dump(exclude_none=True) or None
    if meta is None:
        session.add(
            Organisation(
                id=1, name=org.organisation, office_name=office_name, notifications=notifications
            )
        )
    else:
        meta.name, meta.office_name = org.organisation, office_name
        meta.notifications = notifications

    for d in org.departments:
        dept = session.get(Department, d.id) or Department(id=d.id)
        dept.name, dept.is_general_office, dept.leader_id = d.name, d.general_office, None
        session.add(dept)
    session.flush()

    for p in org.people:
        person = session.get(Person, p.id) or Person(id=p.id)
        person.name, person.title, person.department_id = p.name, p.title, p.department
        person.mobile, person.active = p.mobile, True
        person.preferences = p.preferences.model_dump(exclude_none=True) or None
        session.add(person)
    session.flush()

    ids = [p.id for p in org.people]
    session.execute(delete(PersonRole).where(PersonRole.person_id.in_(ids)))
    session.execute(delete(ContactPoint).where(ContactPoint.person_id.in_(ids)))
    for p in org.people:
        for role in dict.fromkeys(p.roles):
            session.add(PersonRole(person_id=p.id, role=role))
        contacts = {
            Channel.EMAIL: p.email,
            Channel.SMS: p.mobile,  # text messages go to the person's mobile number
            **{Channel(k): v for k, v in p.chat if v},
        }
        for channel, address in contacts.items():
            if address:
                session.add(ContactPoint(person_id=p.id, channel=channel, address=str(address)))
    for d in org.departments:
        session.get(Department, d.id).leader_id = d.leader  # type: ignore[union-attr]

    leaving = [person_id for person_id, _ in left_out(session, org)]
    deactivated = session.execute(
        update(Person).where(Person.id.not_in(ids), Person.active.is_(True)).values(active=False)
    ).rowcount
    session.flush()
    session.expire_all()
    events.record(
        session,
        action="org.loaded",
        object_type="organisation",
        object_id=1,
        actor=actor,
        data={"departments": len(org.departments), "people": len(ids), "deactivated": deactivated},
    )
    session.info.pop("people_with_role", None)
    return LoadResult(len(org.departments), len(ids), deactivated, tuple(leaving))


def office_name(session: Session) -> str:
    meta = session.get(Organisation, 1)
    return meta.office_name if meta else "General Office"


def active_person(session: Session, person_id: str) -> Person | None:
    """The person, if they are in the org now (people left out of the org file are inactive)."""
    # No person has an id too long or with a NUL (which PostgreSQL could not even look up).
    if isinstance(person_id, str) and check_actor_id(person_id):
        return None
    person = session.get(Person, person_id)
    return person if person is not None and person.active else None


def roles_of(session: Session, person_id: str) -> set[Role]:
    """The roles an active person holds; none for an unknown or inactive person."""
    person = active_person(session, person_id)
    return {r.role for r in person.roles} if person else set()


def is_office_member(session: Session, person_id: str) -> bool:
    """The general office (办公室): its director, or anyone in the general-office department.
    An inactive person is no longer a member."""
    person = active_person(session, person_id)
    if person is None:
        return False
    if Role.OFFICE_DIRECTOR in roles_of(session, person_id):
        return True
    dept = session.get(Department, person.department_id)
    return bool(dept and dept.is_general_office)


def people_with_role(session: Session, role: Role, department_id: str | None = None) -> list[str]:
    """The active people with ``role`` (in ``department_id``), by id. Remembered for the
    session's life: one action asks for the same heads several times (`load_org` forgets)."""
    known = session.info.setdefault("people_with_role", {})
    if (role, department_id) not in known:
        known[role, department_id] = _people_with_role(session, role, department_id)
    return list(known[role, department_id])


def _people_with_role(session: Session, role: Role, department_id: str | None) -> list[str]:
    stmt = (
        select(Person.id)
        .join(PersonRole, PersonRole.person_id == Person.id)
        .where(PersonRole.role == role, Person.active.is_(True))
    )
    if department_id is not None:
        stmt = stmt.where(Person.department_id == department_id)
    return list(session.scalars(stmt.order_by(Person.id)))


def department_heads(session: Session, department_id: str) -> list[str]:
    return people_with_role(session, Role.DEPARTMENT_HEAD, department_id)


def general_office(session: Session) -> Department | None:
    return session.scalar(select(Department).where(Department.is_general_office.is_(True)))


def list_people(session: Session) -> list[Person]:
    return list(
        session.scalars(
            select(Person)
            .options(selectinload(Person.roles), selectinload(Person.contacts))
            .order_by(Person.department_id, Person.id)
        )
    )
