"""督查督办 services: decisions, assignments and their life. Each function takes an explicit
session and is shared by the Prefect tasks, the CLI and the tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pendulum
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.org import Department, Person, Role
from models.supervision import (
    Assignment,
    AssignmentStatus,
    CompletionRequest,
    Decision,
    ExtensionRequest,
    Light,
    ProgressReport,
    RequestStatus,
)
from models.supervision_input import DecisionSpec
from officeflow import clock, events
from officeflow.delivery import plan_notice
from officeflow.inputs import InputError, Problem, is_ledger_id
from officeflow.org import department_heads, people_with_role
from officeflow.workdays import get_calendar
from rules.supervision import assignment_deadline


@dataclass
class DecisionRecord:
    decision_id: int
    assignment_ids: list[int]
    created: bool
    notice_keys: list[str] = field(default_factory=list)


def _roles(session: Session, person_id: str) -> set[Role]:
    person = session.get(Person, person_id)
    return {r.role for r in person.roles} if person else set()


def check_decision(session: Session, spec: DecisionSpec) -> None:
    """Every reference checked against the ledger, every deadline against the issue date."""
    problems: list[Problem] = []
    calendar = get_calendar()
    issuer = session.get(Person, spec.issued_by)
    if issuer is None or not issuer.active:
        problems.append(Problem(("issued_by",), f"unknown person {spec.issued_by!r}"))
    elif Role.LEADER not in _roles(session, spec.issued_by):
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
            owner = session.get(Person, a.owner)
            if owner is None or not owner.active:
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
        return DecisionRecord(existing.id, [a.id for a in existing.assignments], created=False)
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
    return DecisionRecord(decision.id, ids, created=True)


def assignment_context(session: Session, assignment: Assignment) -> dict[str, Any]:
    dept = session.get(Department, assignment.lead_department_id)
    owner = session.get(Person, assignment.owner_id)
    decision = assignment.decision
    return {
        "assignment": {
            "id": assignment.id,
            "task": assignment.task,
            "acceptance_standard": assignment.acceptance_standard,
            "due_at": assignment.due_at,
            "progress": assignment.progress,
            "red_count": assignment.red_count,
            "source_ref": assignment.source_ref,
        },
        "decision": {
            "id": decision.id,
            "title": decision.title,
            "priority": decision.priority.value,
        },
        "department": dept.name if dept else assignment.lead_department_id,
        "owner": owner.name if owner else assignment.owner_id,
    }


def plan_issue_notices(session: Session, record: DecisionRecord) -> list[str]:
    """交办通知 to each owner and the lead department's head. Keys make re-runs send nothing."""
    keys = []
    for assignment_id in record.assignment_ids:
        a = session.get(Assignment, assignment_id)
        assert a is not None
        recipients = [a.owner_id, *department_heads(session, a.lead_department_id)]
        for co in a.co_departments:
            recipients.extend(department_heads(session, co))
        key = f"assignment:{a.id}:issued"
        plan_notice(
            session,
            key=key,
            template="assignment_issued",
            object_type="assignment",
            object_id=a.id,
            recipients=recipients,
            context=assignment_context(session, a),
        )
        keys.append(key)
    return keys


def supervising_office_staff(session: Session) -> list[str]:
    return people_with_role(session, Role.OFFICE_DIRECTOR)


def get_decision(session: Session, decision_id: int) -> Decision:
    decision = session.get(Decision, decision_id) if is_ledger_id(decision_id) else None
    if decision is None:
        raise InputError([Problem(("decision",), f"no decision {decision_id}")])
    return decision


def get_assignment(session: Session, assignment_id: int) -> Assignment:
    assignment = session.get(Assignment, assignment_id) if is_ledger_id(assignment_id) else None
    if assignment is None:
        raise InputError([Problem(("assignment",), f"no assignment {assignment_id}")])
    return assignment


def assignment_sheet(session: Session, decision_id: int) -> str:
    """交办单: the Markdown sheet of a decision's assignments."""
    d = get_decision(session, decision_id)
    issuer = session.get(Person, d.issued_by)
    lines = [
        f"# 交办单 · {d.title}",
        "",
        f"- 编号 No.: {d.id}" + (f" ({d.source_ref})" if d.source_ref else ""),
        f"- 来源 Source: {d.source.value}",
        f"- 交办领导 Issued by: {issuer.name if issuer else d.issued_by}",
        f"- 交办日期 Issued on: {d.issued_on}",
        f"- 紧急程度 Priority: {d.priority.value}",
        f"- 报送周期 Report cycle: {d.report_cycle.value}",
        "",
        "| # | 牵头单位 Lead | 协办 Co | 责任人 Owner | 任务 Task | 办结标准 Standard"
        " | 时限 Due | 状态 Status |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for a in d.assignments:
        dept = session.get(Department, a.lead_department_id)
        owner = session.get(Person, a.owner_id)
        due = clock.to_local(a.due_at).format("YYYY-MM-DD HH:mm")
        lines.append(
            f"| {a.id} | {dept.name if dept else a.lead_department_id} | "
            f"{', '.join(a.co_departments) or '—'} | {owner.name if owner else a.owner_id} | "
            f"{_cell(a.task)} | {_cell(a.acceptance_standard)} | {due} | {a.status.value} |"
        )
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def decision_state(session: Session, decision_id: int) -> list[dict[str, Any]]:
    d = get_decision(session, decision_id)
    rows = []
    for a in d.assignments:
        rows.append(
            {
                "id": a.id,
                "department": a.lead_department_id,
                "owner": a.owner_id,
                "task": a.task,
                "due_at": clock.to_local(a.due_at).format("YYYY-MM-DD HH:mm"),
                "status": a.status.value,
                "progress": a.progress,
                "light": a.light.value,
                "red_count": a.red_count,
                "source": a.source_ref or d.source_ref or d.source.value,
            }
        )
    return rows


# --- the rest of an assignment's life -------------------------------------------------------


def _refuse(field: str, message: str) -> InputError:
    return InputError([Problem((field,), message)])


def _open_assignment(session: Session, assignment_id: int) -> Assignment:
    a = get_assignment(session, assignment_id)
    if a.status is AssignmentStatus.CLOSED:
        raise _refuse("assignment", f"assignment {a.id} is closed (销号); nothing more to do")
    return a


def _person(session: Session, person_id: str, field: str = "person") -> Person:
    person = session.get(Person, person_id)
    if person is None or not person.active:
        raise _refuse(field, f"unknown person {person_id!r}")
    return person


def _in_lead_department(session: Session, a: Assignment, person_id: str, field: str) -> Person:
    person = _person(session, person_id, field)
    if person.id != a.owner_id and person.department_id != a.lead_department_id:
        raise _refuse(
            field,
            f"{person_id!r} is not in {a.lead_department_id!r}, the lead department of "
            f"assignment {a.id}",
        )
    return person


def _is_office(session: Session, person_id: str) -> bool:
    person = session.get(Person, person_id)
    if person is None:
        return False
    dept = session.get(Department, person.department_id)
    return bool(dept and dept.is_general_office) or Role.OFFICE_DIRECTOR in _roles(
        session, person_id
    )


def _notify(
    session: Session,
    a: Assignment,
    step: str,
    template: str,
    recipients: list[str],
    **extra: Any,
) -> str:
    key = f"assignment:{a.id}:{step}"
    plan_notice(
        session,
        key=key,
        template=template,
        object_type="assignment",
        object_id=a.id,
        recipients=recipients,
        context={**assignment_context(session, a), **extra},
    )
    return key


def report_progress(
    session: Session, *, assignment_id: int, progress: int, note: str, reporter: str | None = None
) -> ProgressReport:
    """进展反馈. Progress is a percentage 0–100."""
    if not 0 <= progress <= 100:
        raise _refuse("progress", f"progress must be between 0 and 100, not {progress}")
    a = _open_assignment(session, assignment_id)
    reporter = reporter or a.owner_id
    _in_lead_department(session, a, reporter, "reporter")
    now = clock.now()
    report = ProgressReport(
        assignment_id=a.id, at=now, reporter_id=reporter, progress=progress, note=note
    )
    session.add(report)
    a.progress, a.last_feedback_at = progress, now
    events.record(
        session,
        action="assignment.progress",
        object_type="assignment",
        object_id=a.id,
        actor=reporter,
        data={"progress": progress, "note": note},
    )
    return report


def request_completion(
    session: Session, *, assignment_id: int, evidence: str, requested_by: str | None = None
) -> tuple[CompletionRequest, str]:
    """办结申请: the owner asks the supervising office to verify and close."""
    if not evidence.strip():
        raise _refuse("evidence", "evidence must not be empty")
    a = _open_assignment(session, assignment_id)
    if a.status is AssignmentStatus.COMPLETION_REQUESTED:
        raise _refuse("assignment", f"assignment {a.id} already awaits verification")
    requested_by = requested_by or a.owner_id
    _in_lead_department(session, a, requested_by, "requested_by")
    request = CompletionRequest(
        assignment_id=a.id,
        requested_by=requested_by,
        requested_at=clock.now(),
        evidence=evidence,
    )
    session.add(request)
    session.flush()
    a.status = AssignmentStatus.COMPLETION_REQUESTED
    events.record(
        session,
        action="assignment.completion_requested",
        object_type="assignment",
        object_id=a.id,
        actor=requested_by,
        data={"request": request.id},
    )
    key = _notify(
        session,
        a,
        f"completion:{request.id}:requested",
        "assignment_update",
        supervising_office_staff(session),
        event="completion_requested",
        evidence=evidence,
    )
    return request, key


def verify_completion(
    session: Session, *, assignment_id: int, accept: bool, comment: str, verifier: str
) -> str:
    """核验: accepted → closed (销号); rejected → back to the owner with the comment."""
    a = get_assignment(session, assignment_id)
    if a.status is not AssignmentStatus.COMPLETION_REQUESTED:
        raise _refuse(
            "assignment", f"assignment {a.id} has no completion request awaiting verification"
        )
    _person(session, verifier, "verifier")
    if not _is_office(session, verifier):
        raise _refuse("verifier", f"{verifier!r} is not in the supervising office")
    if not accept and not comment.strip():
        raise _refuse("comment", "a rejection needs a comment telling the owner what is missing")
    request = session.scalar(
        select(CompletionRequest)
        .where(
            CompletionRequest.assignment_id == a.id,
            CompletionRequest.status == RequestStatus.PENDING,
        )
        .order_by(CompletionRequest.id.desc())
    )
    assert request is not None
    now = clock.now()
    request.status = RequestStatus.APPROVED if accept else RequestStatus.REFUSED
    request.decided_by, request.decided_at, request.comment = verifier, now, comment
    recipients = [a.owner_id, *department_heads(session, a.lead_department_id)]
    if accept:
        a.status, a.closed_at, a.progress = AssignmentStatus.CLOSED, now, 100
        events.record(
            session,
            action="assignment.closed",
            object_type="assignment",
            object_id=a.id,
            actor=verifier,
            data={"request": request.id, "on_time": now <= a.due_at},
        )
        return _notify(
            session, a, "closed", "assignment_update", recipients, event="closed", comment=comment
        )
    a.status = AssignmentStatus.OPEN
    events.record(
        session,
        action="assignment.completion_rejected",
        object_type="assignment",
        object_id=a.id,
        actor=verifier,
        data={"request": request.id, "comment": comment},
    )
    return _notify(
        session,
        a,
        f"completion:{request.id}:rejected",
        "assignment_update",
        recipients,
        event="completion_rejected",
        comment=comment,
    )


def request_extension(
    session: Session,
    *,
    assignment_id: int,
    new_due_date: dt.date,
    reason: str,
    requested_by: str,
) -> tuple[ExtensionRequest, str]:
    """延期申请, to be decided by the issuing leader."""
    a = _open_assignment(session, assignment_id)
    _in_lead_department(session, a, requested_by, "requested_by")
    if not reason.strip():
        raise _refuse("reason", "an extension needs a reason")
    calendar = get_calendar()
    if new_due_date <= a.due_on:
        raise _refuse(
            "new_due_date",
            f"the new date {new_due_date} is not after the current deadline {a.due_on}",
        )
    if not calendar.is_workday(new_due_date):
        raise _refuse("new_due_date", f"{new_due_date} is not a working day")
    pending = session.scalar(
        select(ExtensionRequest.id).where(
            ExtensionRequest.assignment_id == a.id, ExtensionRequest.status == RequestStatus.PENDING
        )
    )
    if pending is not None:
        raise _refuse("assignment", f"extension request {pending} is still awaiting a decision")
    request = ExtensionRequest(
        assignment_id=a.id,
        requested_by=requested_by,
        requested_at=clock.now(),
        old_due_at=a.due_at,
        new_due_at=calendar.end_of_office_hours(new_due_date),
        reason=reason,
    )
    session.add(request)
    session.flush()
    events.record(
        session,
        action="assignment.extension_requested",
        object_type="assignment",
        object_id=a.id,
        actor=requested_by,
        data={"request": request.id, "new_due_date": new_due_date.isoformat(), "reason": reason},
    )
    key = _notify(
        session,
        a,
        f"extension:{request.id}:requested",
        "assignment_update",
        [a.decision.issued_by],
        event="extension_requested",
        reason=reason,
        new_due_at=request.new_due_at,
        request_id=request.id,
    )
    return request, key


def decide_extension(
    session: Session, *, request_id: int, approve: bool, decided_by: str, comment: str = ""
) -> tuple[ExtensionRequest, str | None]:
    """The issuing leader approves (the deadline moves; history stays) or refuses. Deciding an
    already decided request with the same answer is a no-op, so a resumed run and the CLI can
    both deliver the decision."""
    request = session.get(ExtensionRequest, request_id) if is_ledger_id(request_id) else None
    if request is None:
        raise _refuse("request", f"no extension request {request_id}")
    a = get_assignment(session, request.assignment_id)
    wanted = RequestStatus.APPROVED if approve else RequestStatus.REFUSED
    if request.status is not RequestStatus.PENDING:
        if request.status is wanted:
            return request, None
        raise _refuse("request", f"extension request {request_id} was already {request.status}")
    if decided_by != a.decision.issued_by:
        raise _refuse(
            "decided_by", f"only the issuing leader ({a.decision.issued_by}) decides this extension"
        )
    if a.status is AssignmentStatus.CLOSED:
        raise _refuse("assignment", f"assignment {a.id} is closed (销号)")
    now = clock.now()
    request.status, request.decided_by, request.decided_at = wanted, decided_by, now
    request.comment = comment
    if approve:
        a.due_at = request.new_due_at
        a.due_on = clock.to_local(request.new_due_at).date()
        a.light = Light.GREEN
    events.record(
        session,
        action="assignment.extension_" + ("approved" if approve else "refused"),
        object_type="assignment",
        object_id=a.id,
        actor=decided_by,
        data={
            "request": request.id,
            "old_due_at": request.old_due_at.isoformat(),
            "new_due_at": request.new_due_at.isoformat(),
            "comment": comment,
        },
    )
    key = _notify(
        session,
        a,
        f"extension:{request.id}:{wanted.value}",
        "assignment_update",
        [a.owner_id, *department_heads(session, a.lead_department_id)],
        event="extension_" + wanted.value,
        comment=comment,
        new_due_at=request.new_due_at,
    )
    return request, key


def deadline_history(session: Session, assignment_id: int) -> list[ExtensionRequest]:
    return list(
        session.scalars(
            select(ExtensionRequest)
            .where(ExtensionRequest.assignment_id == assignment_id)
            .order_by(ExtensionRequest.id)
        )
    )


def check_recipients(session: Session, recipients: list[str]) -> None:
    """Recipients named by hand (the bulletin's) must be active people of the org."""
    problems = [
        Problem(("recipients", i), f"unknown person {person_id!r}")
        for i, person_id in enumerate(recipients)
        if (person := session.get(Person, person_id)) is None or not person.active
    ]
    if problems:
        raise InputError(problems)


def apply_action(session: Session, action: str, params: dict[str, Any]) -> list[str]:
    """Dispatch an assignment action by name (used by the action flows)."""
    if action == "report":
        report_progress(session, **params)
        return []
    if action == "request-completion":
        return [request_completion(session, **params)[1]]
    if action == "verify":
        return [verify_completion(session, **params)]
    if action == "request-extension":
        return [request_extension(session, **params)[1]]
    if action == "decide-extension":
        key = decide_extension(session, **params)[1]
        return [key] if key else []
    raise ValueError(f"unknown assignment action {action!r}")


def week_of(now: dt.datetime) -> tuple[pendulum.DateTime, pendulum.DateTime]:
    """Monday 00:00 to next Monday 00:00, local, of the week containing ``now``."""
    local = clock.to_local(now)
    start = local.start_of("week")
    return start, start.add(weeks=1)
