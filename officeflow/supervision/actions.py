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
from models.supervision_input import ActionResult
from officeflow import clock, events
from officeflow.inputs import input_error, is_ledger_id
from officeflow.supervision.notices import notify, owner_and_heads, supervising_office_staff
from officeflow.supervision.views import get_assignment
from officeflow.workdays import get_calendar


def _open_assignment(session: Session, assignment_id: int) -> Assignment:
    a = get_assignment(session, assignment_id)
    if a.status is AssignmentStatus.CLOSED:
        raise input_error("assignment", f"assignment {a.id} is closed (销号); nothing more to do")
    return a


def _result(
    a: Assignment, action: str, keys: list[str], request_id: int | None = None
) -> ActionResult:
    return ActionResult(
        assignment_id=a.id,
        action=action,
        status=a.status.value,
        request_id=request_id,
        notice_keys=keys,
    )


# Who may take each action is declared beside it (officeflow/supervision/declarations.py) and
# checked at the door (`officeflow.actions.perform`), before these run.


def report_progress(
    session: Session, *, assignment_id: int, progress: int, note: str = "", actor: str
) -> ActionResult:
    """进展反馈. Progress is a percentage 0–100."""
    if not 0 <= progress <= 100:
        raise input_error("progress", f"progress must be between 0 and 100, not {progress}")
    a = _open_assignment(session, assignment_id)
    reporter = actor
    last = session.scalar(
        select(ProgressReport)
        .where(ProgressReport.assignment_id == a.id)
        .order_by(ProgressReport.id.desc())
        .limit(1)
    )
    now = clock.now()
    same_day = last is not None and clock.to_local(last.at).date() == clock.to_local(now).date()
    if same_day and (last.reporter_id, last.progress, last.note) == (reporter, progress, note):
        # The same report again the same day (a form sent twice, a retried run): recorded.
        return _result(a, "progress", [])
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
    session.flush()
    return _result(a, "progress", [])


def request_completion(
    session: Session, *, assignment_id: int, evidence: str, actor: str
) -> ActionResult:
    """办结申请: the owner asks the supervising office to verify and close."""
    if not evidence.strip():
        raise input_error("evidence", "evidence must not be empty")
    a = _open_assignment(session, assignment_id)
    if a.status is AssignmentStatus.COMPLETION_REQUESTED:
        raise input_error("assignment", f"assignment {a.id} already awaits verification")
    requested_by = actor
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
    return _result(a, "completion_requested", [key], request.id)


def verify_completion(
    session: Session, *, assignment_id: int, approve: bool, comment: str = "", actor: str
) -> ActionResult:
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
    accept, verifier = approve, actor
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
        key = notify(
            session, a, "closed", "assignment_update", recipients, event="closed", comment=comment
        )
        return _result(a, "closed", [key], request.id)
    a.status = AssignmentStatus.OPEN
    events.record(
        session,
        action="assignment.completion_rejected",
        object_type="assignment",
        object_id=a.id,
        actor=verifier,
        data={"request": request.id, "comment": comment},
    )
    key = notify(
        session,
        a,
        f"completion:{request.id}:rejected",
        "assignment_update",
        recipients,
        event="completion_rejected",
        comment=comment,
    )
    return _result(a, "completion_rejected", [key], request.id)


def request_extension(
    session: Session,
    *,
    assignment_id: int,
    new_due_date: dt.date,
    reason: str,
    actor: str,
    waiting_run_id: str | None = None,
) -> ActionResult:
    """延期申请, to be decided by the issuing leader (``waiting_run_id``: a Prefect run paused
    for that decision, resumed when it is taken)."""
    requested_by = actor
    a = _open_assignment(session, assignment_id)
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
        waiting_run_id=waiting_run_id,
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
    return _result(a, "extension_requested", [key], request.id)


def extension_to_decide(
    session: Session, a: Assignment, request_id: int | None
) -> ExtensionRequest:
    """The extension request of ``a`` named by ``request_id``, or the one awaiting a decision."""
    if request_id is None:
        request = session.scalar(
            select(ExtensionRequest)
            .where(
                ExtensionRequest.assignment_id == a.id,
                ExtensionRequest.status == RequestStatus.PENDING,
            )
            .order_by(ExtensionRequest.id.desc())
        )
        if request is None:
            raise input_error(
                "request_id", f"assignment {a.id} has no extension request awaiting a decision"
            )
        return request
    request = session.get(ExtensionRequest, request_id) if is_ledger_id(request_id) else None
    if request is None or request.assignment_id != a.id:
        raise input_error("request_id", f"assignment {a.id} has no extension request {request_id}")
    return request


def decide_extension(
    session: Session,
    *,
    assignment_id: int,
    approve: bool,
    comment: str = "",
    request_id: int | None = None,
    actor: str,
) -> ActionResult:
    """The issuing leader approves (the deadline moves; history stays) or refuses. Deciding an
    already decided request with the same answer is a no-op, so a resumed run and the CLI can
    both deliver the decision."""
    a = get_assignment(session, assignment_id)
    request = extension_to_decide(session, a, request_id)
    decided_by = actor
    wanted = RequestStatus.APPROVED if approve else RequestStatus.REFUSED
    if request.status is not RequestStatus.PENDING:
        if request.status is wanted:  # the same answer again (a resumed run, the CLI): nothing
            return _result(a, "extension_" + wanted.value, [], request.id)
        raise input_error(
            "request_id", f"extension request {request.id} was already {request.status}"
        )
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
    return _result(a, "extension_" + wanted.value, [key], request.id)


def resume_waiting_run(result: ActionResult, params: object, actor: str) -> str | None:
    """After a decision on an extension: resume the Prefect run paused for it with the same
    answer (the ledger already holds the decision; a run that cannot be reached times out and
    changes nothing). Returns the sentence to show, or None."""
    import logging

    from officeflow import db

    with db.read_scope() as session:
        request = session.get(ExtensionRequest, result.request_id) if result.request_id else None
        waiting = request.waiting_run_id if request is not None else None
    if not waiting:
        return None
    answer = {
        "approve": getattr(params, "approve", False),
        "actor": actor,
        "comment": getattr(params, "comment", ""),
    }
    try:
        from prefect import resume_flow_run

        resume_flow_run(waiting, run_input=answer)
    except Exception as exc:  # the run will time out; the decision stands in the ledger
        logging.getLogger("officeflow").warning("could not resume Prefect run %s: %s", waiting, exc)
        return None
    return f"resumed the paused Prefect run {waiting}"
