"""A leader's decision (决策事项): check every reference, record it and its assignments once,
plan the 交办通知."""

from __future__ import annotations

import pendulum
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.org import Department, Role
from models.supervision import Assignment, Decision
from models.supervision_input import DecisionRecord, DecisionSpec
from officeflow import clock, events
from officeflow.delivery import plan_notices
from officeflow.inputs import InputError, Problem
from officeflow.org import active_person, department_heads, roles_of
from officeflow.supervision.notices import notice_spec, owner_and_heads
from officeflow.workdays import get_calendar
from rules.supervision import assignment_deadline


def check_decision(session: Session, spec: DecisionSpec) -> None:
    """Every reference checked against the ledger, every deadline against the issue date."""
    problems: list[Problem] = []
    calendar = get_calendar()
    if active_person(session, spec.issued_by) is None:
        problems.append(Problem(("issued_by",), f"unknown person {spec.issued_by!r}"))
    elif Role.LEADER not in roles_of(session, spec.issued_by):
        problems.append(Problem(("issued_by",), f"{spec.issued_by!r} is not a leader"))
    departments = set(session.scalars(select(Department.id)))
    for i, a in enumerate(spec.assignments):
        loc: tuple[str | int, ...] = ("assignments", i)
        if a.lead_department not in departments:
            problems.append(
                Problem((*loc, "lead_department"), f"unknown department {a.lead_department!r}")
            )
        for j, co in enumerate(a.co_departments):
            if co not in departments:
                problems.append(Problem((*loc, "co_departments", j), f"unknown department {co!r}"))
        if a.owner is not None:
            owner = active_person(session, a.owner)
            if owner is None:
                problems.append(Problem((*loc, "owner"), f"unknown person {a.owner!r}"))
            elif owner.department_id not in (a.lead_department, *a.co_departments):
                problems.append(
                    Problem((*loc, "owner"), f"{a.owner!r} is not in {a.lead_department!r}")
                )
        elif a.lead_department in departments and not department_heads(session, a.lead_department):
            problems.append(
                Problem((*loc, "owner"), f"{a.lead_department!r} has no head; name an owner")
            )
        if a.due_date is not None and a.due_date <= spec.issued_on:
            problems.append(
                Problem(
                    (*loc, "due_date"),
                    f"deadline {a.due_date} is not after the issue date {spec.issued_on}",
                )
            )
        if a.due_date is not None and not calendar.is_workday(a.due_date):
            problems.append(Problem((*loc, "due_date"), f"{a.due_date} is not a working day"))
    if problems:
        raise InputError(problems)


def owner_of(session: Session, spec_owner: str | None, department_id: str) -> str:
    return spec_owner or department_heads(session, department_id)[0]


def record_decision(session: Session, spec: DecisionSpec, *, actor: str) -> DecisionRecord:
    """Write the decision and its assignments, once: the same decision submitted again returns
    the rows already recorded."""
    fingerprint = spec.fingerprint()
    existing = session.scalar(select(Decision).where(Decision.fingerprint == fingerprint))
    if existing is not None:
        return DecisionRecord(
            decision_id=existing.id,
            assignment_ids=[a.id for a in existing.assignments],
            created=False,
        )
    calendar = get_calendar()
    now = clock.now()
    # Issued now when issued today; otherwise at the start of office hours of the issue date.
    if calendar.local_date(now) == spec.issued_on:
        issued_at = now
    else:
        start = calendar.office_start
        issued_at = pendulum.datetime(
            spec.issued_on.year,
            spec.issued_on.month,
            spec.issued_on.day,
            start.hour,
            start.minute,
            tz=calendar.timezone,
        )
    decision = Decision(
        fingerprint=fingerprint,
        title=spec.title,
        source=spec.source,
        source_ref=spec.source_ref,
        issued_by=spec.issued_by,
        issued_on=spec.issued_on,
        priority=spec.priority,
        report_cycle=spec.report_cycle,
        created_at=now,
    )
    session.add(decision)
    session.flush()
    events.record(
        session,
        action="decision.issued",
        object_type="decision",
        object_id=decision.id,
        actor=actor,
        data={"title": spec.title},
    )
    ids = []
    for seq, a in enumerate(spec.assignments, 1):
        due = assignment_deadline(
            calendar, spec.issued_on, due_date=a.due_date, due_in_workdays=a.due_in_workdays
        )
        assignment = Assignment(
            decision_id=decision.id,
            seq=seq,
            lead_department_id=a.lead_department,
            co_departments=list(a.co_departments),
            owner_id=owner_of(session, a.owner, a.lead_department),
            task=a.task,
            acceptance_standard=a.acceptance_standard,
            issued_at=issued_at,
            issued_on=spec.issued_on,
            due_at=due,
            original_due_at=due,
            due_on=due.date(),
            report_cycle=spec.report_cycle,
            source_ref=a.source_ref,
        )
        session.add(assignment)
        session.flush()
        ids.append(assignment.id)
        events.record(
            session,
            action="assignment.issued",
            object_type="assignment",
            object_id=assignment.id,
            actor=actor,
            data={
                "decision": decision.id,
                "department": a.lead_department,
                "owner": assignment.owner_id,
                "due_at": due.isoformat(),
            },
        )
    return DecisionRecord(decision_id=decision.id, assignment_ids=ids, created=True)


def plan_issue_notices(session: Session, record: DecisionRecord) -> list[str]:
    """交办通知 to each owner, the lead department's head and the co-departments' heads. Keys
    make re-runs send nothing."""
    specs = []
    for assignment_id in record.assignment_ids:
        a = session.get(Assignment, assignment_id)
        assert a is not None
        recipients = owner_and_heads(session, a)
        for co in a.co_departments:
            recipients.extend(department_heads(session, co))
        specs.append(notice_spec(session, a, "issued", "assignment_issued", recipients))
    return plan_notices(session, specs)  # all of the decision's notices in one pass
