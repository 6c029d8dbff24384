"""The rest of an assignment's life: progress feedback (进展反馈), completion requests (办结申请)
and their verification (核验, 销号), extension requests (延期申请) and the leader's decision.

Each action checks its input against the ledger (``input_error`` names the field), writes its
rows and events, and plans its notice; sending is left to the caller."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.supervision import (
    Assignment,
    AssignmentStatus,
    CompletionRequest,
    ExtensionRequest,
    Light,
    ProgressReport,
    RequestStatus,
)
from officeflow import clock, events, permissions
from officeflow.inputs import input_error, is_ledger_id
from officeflow.supervision.notices import notify, owner_and_heads, supervising_office_staff
from officeflow.supervision.views import get_assignment
from officeflow.workdays import get_calendar


def _open_assignment(session: Session, assignment_id: int) -> Assignment:
    a = get_assignment(session, assignment_id)
    if a.status is AssignmentStatus.CLOSED:
        raise input_error("assignment", f"assignment {a.id} is closed (销号); nothing more to do")
    return a


def _in_lead_department(session: Session, a: Assignment, person_id: str, what: str) -> None:
    """The owner and the people of the lead department report and request
    (`officeflow.permissions.may_report`); anyone else is refused with `NotAllowed`."""
    permissions.check_report(session, a, person_id, what)


def report_progress(
    session: Session, *, assignment_id: int, progress: int, note: str, reporter: str | None = None
) -> ProgressReport:
    """进展反馈. Progress is a percentage 0–100."""
    if not 0 <= progress <= 100:
        raise input_error("progress", f"progress must be between 0 and 100, not {progress}")
    a = _open_assignment(session, assignment_id)
    reporter = reporter or a.owner_id
    _in_lead_department(session, a, reporter, "report progress")
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
        raise input_error("evidence", "evidence must not be empty")
    a = _open_assignment(session, assignment_id)
    if a.status is AssignmentStatus.COMPLETION_REQUESTED:
        raise input_error("assignment", f"assignment {a.id} already awaits verification")
    requested_by = requested_by or a.owner_id
    _in_lead_department(session, a, requested_by, "request completion")
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
    key = notify(
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
        raise input_error(
            "assignment", f"assignment {a.id} has no completion request awaiting verification"
        )
    request = session.scalar(
        select(CompletionRequest)
        .where(
            CompletionRequest.assignment_id == a.id,
            CompletionRequest.status == RequestStatus.PENDING,
        )
        .order_by(CompletionRequest.id.desc())
    )
    assert request is not None
    # The general office verifies; the person who requested completion never verifies it.
    permissions.check_verify(session, a, verifier, request.requested_by)
    if not accept and not comment.strip():
        raise input_error(
            "comment", "a rejection needs a comment telling the owner what is missing"
        )
    now = clock.now()
    request.status = RequestStatus.APPROVED if accept else RequestStatus.REFUSED
    request.decided_by, request.decided_at, request.comment = verifier, now, comment
    recipients = owner_and_heads(session, a)
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
        return notify(
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
    return notify(
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
    _in_lead_department(session, a, requested_by, "request an extension")
    if not reason.strip():
        raise input_error("reason", "an extension needs a reason")
    calendar = get_calendar()
    if new_due_date <= a.due_on:
        raise input_error(
            "new_due_date",
            f"the new date {new_due_date} is not after the current deadline {a.due_on}",
        )
    if not calendar.is_workday(new_due_date):
        raise input_error("new_due_date", f"{new_due_date} is not a working day")
    pending = session.scalar(
        select(ExtensionRequest.id).where(
            ExtensionRequest.assignment_id == a.id, ExtensionRequest.status == RequestStatus.PENDING
        )
    )
    if pending is not None:
        raise input_error("assignment", f"extension request {pending} is still awaiting a decision")
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
    key = notify(
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
        raise input_error("request", f"no extension request {request_id}")
    a = get_assignment(session, request.assignment_id)
    # Only the issuing leader decides, even an answer already given (the no-op below).
    permissions.check_decide_extension(session, a, decided_by, request.id)
    wanted = RequestStatus.APPROVED if approve else RequestStatus.REFUSED
    if request.status is not RequestStatus.PENDING:
        if request.status is wanted:
            return request, None
        raise input_error("request", f"extension request {request_id} was already {request.status}")
    if a.status is AssignmentStatus.CLOSED:
        raise input_error("assignment", f"assignment {a.id} is closed (销号)")
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
    key = notify(
        session,
        a,
        f"extension:{request.id}:{wanted.value}",
        "assignment_update",
        owner_and_heads(session, a),
        event="extension_" + wanted.value,
        comment=comment,
        new_due_at=request.new_due_at,
    )
    return request, key
