"""Assignment pages (督查督办): the lead department reports progress (进展反馈), requests completion
with evidence and attached files (办结申请), or asks for an extension (延期申请); the office
verifies or sends back (核验); the issuing leader approves or refuses an extension, which resumes
the Prefect run paused for that decision, if there is one, with the same answer (as
`officeflow assignment decide-extension` does)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from models.supervision import (
    AssignmentStatus,
    CompletionRequest,
    ExtensionRequest,
    RequestStatus,
)
from officeflow import clock, files, supervision
from officeflow.inputs import input_error
from officeflow.settings import get_settings
from officeflow.web.pages import ActionPage, Outcome, form_text, register
from officeflow.web.tokens import Claim
from officeflow.web.views import names, object_id, person_name, timeline

OBJECT = "assignment"
EVIDENCE = "evidence"  # the purpose of a completion request's attached files
log = logging.getLogger("officeflow.web")


def _pending_extension(session: Session, assignment_id: int) -> ExtensionRequest | None:
    return session.scalar(
        select(ExtensionRequest)
        .where(
            ExtensionRequest.assignment_id == assignment_id,
            ExtensionRequest.status == RequestStatus.PENDING,
        )
        .order_by(ExtensionRequest.id.desc())
    )


def _pending_completion(session: Session, assignment_id: int) -> CompletionRequest | None:
    return session.scalar(
        select(CompletionRequest)
        .where(
            CompletionRequest.assignment_id == assignment_id,
            CompletionRequest.status == RequestStatus.PENDING,
        )
        .order_by(CompletionRequest.id.desc())
    )


def _load(session: Session, claim: Claim) -> dict[str, Any]:
    assignment_id = object_id(claim)
    a = supervision.get_assignment(session, assignment_id)
    who = names(session, {a.owner_id, a.decision.issued_by})
    completion = _pending_completion(session, a.id)
    extension = _pending_extension(session, a.id)
    calendar_next = clock.to_local(a.due_at).date() + dt.timedelta(days=7)
    return {
        "a": a,
        "owner": who.get(a.owner_id, a.owner_id),
        "leader": who.get(a.decision.issued_by, a.decision.issued_by),
        "completion": completion,
        "extension": extension,
        "evidence_files": files.files_of(session, OBJECT, a.id),
        "suggested_date": calendar_next.isoformat(),
        "timeline": timeline(session, OBJECT, a.id),
        "person_name": person_name(session, claim.person_id),
        "accept_types": ",".join(files.allowed_types()),
        "max_mb": round(get_settings().file_max_bytes / 1024 / 1024, 1),
    }


def _closed(session: Session, claim: Claim) -> str | None:
    a = supervision.get_assignment(session, object_id(claim))
    return "assignment.closed" if a.status is AssignmentStatus.CLOSED else None


def _completion_asked(session: Session, claim: Claim) -> str | None:
    a = supervision.get_assignment(session, object_id(claim))
    if a.status is AssignmentStatus.CLOSED:
        return "assignment.closed"
    if a.status is AssignmentStatus.COMPLETION_REQUESTED:
        return "assignment.complete.already"
    return None


def _extension_asked(session: Session, claim: Claim) -> str | None:
    if closed := _closed(session, claim):
        return closed
    if _pending_extension(session, object_id(claim)) is not None:
        return "assignment.extension.already"
    return None


def _nothing_to_verify(session: Session, claim: Claim) -> str | None:
    a = supervision.get_assignment(session, object_id(claim))
    if a.status is not AssignmentStatus.COMPLETION_REQUESTED:
        return "assignment.verify.none"
    return None


def _nothing_to_decide(session: Session, claim: Claim) -> str | None:
    if _pending_extension(session, object_id(claim)) is None:
        return "assignment.decide.none"
    return None


def _report(session: Session, claim: Claim, form: FormData) -> Outcome:
    text = form_text(form, "progress").strip()
    if not text.isdigit():
        raise input_error("progress", f"progress must be a whole number 0–100, not {text!r}")
    report = supervision.report_progress(
        session,
        assignment_id=object_id(claim),
        progress=int(text),
        note=form_text(form, "note"),
        reporter=claim.person_id,
    )
    return Outcome("assignment.report.done", {"progress": report.progress})


def _uploads(form: FormData) -> list[files.FileContent]:
    """The attached files, each checked (size limit, type allow-list) before anything is
    written; an empty file input is no file."""
    limit = get_settings().file_max_bytes
    out = []
    for n, item in enumerate(form.getlist("files")):
        if not isinstance(item, UploadFile) or not item.filename:
            continue
        data = item.file.read(limit + 1)
        if len(data) > limit:
            raise input_error(
                ("files", n),
                f"{item.filename!r} is larger than the limit of {limit} bytes "
                "(OFFICEFLOW_FILE_MAX_BYTES)",
            )
        out.append(files.check_file(files.FileContent(item.filename, data), field=("files", n)))
    return out


def _complete(session: Session, claim: Claim, form: FormData) -> Outcome:
    attached = _uploads(form)
    request, key = supervision.request_completion(
        session,
        assignment_id=object_id(claim),
        evidence=form_text(form, "evidence"),
        requested_by=claim.person_id,
    )
    for n, content in enumerate(attached):
        files.store(
            session,
            content,
            object_type=OBJECT,
            object_id=request.assignment_id,
            actor=claim.person_id,
            purpose=EVIDENCE,
            field=("files", n),
        )
    return Outcome("assignment.complete.done", notice_keys=[key])


def _request_extension(session: Session, claim: Claim, form: FormData) -> Outcome:
    text = form_text(form, "new_due_date").strip()
    try:
        new_date = dt.date.fromisoformat(text)
    except ValueError:
        raise input_error("new_due_date", f"a date like 2026-10-16, not {text!r}") from None
    _, key = supervision.request_extension(
        session,
        assignment_id=object_id(claim),
        new_due_date=new_date,
        reason=form_text(form, "reason"),
        requested_by=claim.person_id,
    )
    return Outcome("assignment.extension.done", notice_keys=[key])


def _verify(session: Session, claim: Claim, form: FormData) -> Outcome:
    decision = form_text(form, "decision")
    if decision not in ("accept", "reject"):
        raise input_error("decision", "choose accept or send back")
    accept = decision == "accept"
    key = supervision.verify_completion(
        session,
        assignment_id=object_id(claim),
        accept=accept,
        comment=form_text(form, "comment"),
        verifier=claim.person_id,
    )
    return Outcome(f"assignment.verify.done.{decision}", notice_keys=[key])


def _decide(session: Session, claim: Claim, form: FormData) -> Outcome:
    decision = form_text(form, "decision")
    if decision not in ("approve", "refuse"):
        raise input_error("decision", "choose approve or refuse")
    pending = _pending_extension(session, object_id(claim))
    if pending is None:
        raise input_error("request", "there is no extension request awaiting a decision")
    approve, comment = decision == "approve", form_text(form, "comment")
    request, key = supervision.decide_extension(
        session,
        request_id=pending.id,
        approve=approve,
        decided_by=claim.person_id,
        comment=comment,
    )
    waiting = request.waiting_run_id
    answer = {"approve": approve, "decided_by": claim.person_id, "comment": comment}
    return Outcome(
        f"assignment.decide.done.{decision}",
        notice_keys=[key] if key else [],
        after=(lambda: resume(waiting, answer)) if waiting else None,
    )


def resume(run_id: str, answer: dict[str, Any]) -> str | None:
    """Resume the Prefect run paused for this decision with the same answer (the ledger already
    holds the decision; if the run cannot be reached it times out and changes nothing)."""
    try:
        from prefect import resume_flow_run

        resume_flow_run(run_id, run_input=answer)
    except Exception as exc:
        log.warning("could not resume Prefect run %s: %s", run_id, exc)
        return None
    log.info("resumed the paused Prefect run %s", run_id)
    return "assignment.decide.resumed"


_OWNER_ACTIONS = ("report", "complete", "request-extension")


def _owner_page(action: str, template: str, perform: Any, already: Any) -> ActionPage:
    return ActionPage(
        object_type=OBJECT,
        action=action,
        template=template,
        load=_load,
        perform=perform,
        already=already,
        siblings=tuple(a for a in _OWNER_ACTIONS if a != action),
    )


register(_owner_page("report", "assignment_report.html", _report, _closed))
register(_owner_page("complete", "assignment_complete.html", _complete, _completion_asked))
register(
    _owner_page(
        "request-extension", "assignment_extension.html", _request_extension, _extension_asked
    )
)
register(
    ActionPage(
        object_type=OBJECT,
        action="verify",
        template="assignment_verify.html",
        load=_load,
        perform=_verify,
        already=_nothing_to_verify,
    )
)
register(
    ActionPage(
        object_type=OBJECT,
        action="decide-extension",
        template="assignment_decide.html",
        load=_load,
        perform=_decide,
        already=_nothing_to_decide,
    )
)
