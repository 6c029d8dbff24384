"""Assignment pages (督查督办): the lead department reports progress (进展反馈), requests completion
with evidence and attached files (办结申请), or asks for an extension (延期申请); the office
verifies or sends back (核验); the issuing leader approves or refuses an extension, which resumes
the Prefect run paused for that decision, if there is one, with the same answer (as
`officeflow assignment decide-extension` does)."""

from __future__ import annotations

import datetime as dt
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
from models.supervision_input import DecideExtensionInput
from officeflow import actions, files, supervision
from officeflow.actions import perform
from officeflow.inputs import input_error
from officeflow.settings import get_settings
from officeflow.web.declared import parse_form
from officeflow.web.pages import ActionPage, Outcome, form_text, register
from officeflow.web.tokens import Claim
from officeflow.web.views import department_names, names, object_id, person_name, timeline
from officeflow.workdays import get_calendar

OBJECT = "assignment"
EVIDENCE = "evidence"  # the purpose of a completion request's attached files


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
    # The extension form proposes a date it accepts: the next working day after the deadline.
    calendar = get_calendar()
    proposed = a.due_on + dt.timedelta(days=1)
    while not calendar.is_workday(proposed):
        proposed += dt.timedelta(days=1)
    return {
        "a": a,
        "owner": who.get(a.owner_id, a.owner_id),
        "department": department_names(session, {a.lead_department_id}).get(
            a.lead_department_id, a.lead_department_id
        ),
        "leader": who.get(a.decision.issued_by, a.decision.issued_by),
        "completion": completion,
        "extension": extension,
        "evidence_files": files.files_of(session, OBJECT, a.id),
        "suggested_date": proposed.isoformat(),
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
    perform(
        session,
        "assignment.report-progress",
        object_id(claim),
        {"progress": int(text), "note": form_text(form, "note")},
        claim.person_id,
    )
    return Outcome("assignment.report.done", {"progress": int(text)})


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
    result = perform(
        session,
        "assignment.request-completion",
        object_id(claim),
        {"evidence": form_text(form, "evidence")},
        claim.person_id,
    )
    for n, content in enumerate(attached):
        files.store(
            session,
            content,
            object_type=OBJECT,
            object_id=result.assignment_id,
            actor=claim.person_id,
            purpose=EVIDENCE,
            field=("files", n),
        )
    return Outcome("assignment.complete.done", notice_keys=result.notice_keys)


def _request_extension(session: Session, claim: Claim, form: FormData) -> Outcome:
    result = perform(
        session,
        "assignment.request-extension",
        object_id(claim),
        {
            "new_due_date": form_text(form, "new_due_date").strip(),
            "reason": form_text(form, "reason"),
        },
        claim.person_id,
    )
    return Outcome("assignment.extension.done", notice_keys=result.notice_keys)


def _verify(session: Session, claim: Claim, form: FormData) -> Outcome:
    action = actions.get("assignment.verify")
    params = actions.parse(action, parse_form(action, form))
    result = actions.perform(session, action, object_id(claim), params, claim.person_id)
    done = "accept" if params.approve else "reject"
    return Outcome(f"assignment.verify.done.{done}", notice_keys=result.notice_keys)


def _decide(session: Session, claim: Claim, form: FormData) -> Outcome:
    action = actions.get("assignment.decide-extension")
    params = actions.parse(action, parse_form(action, form))
    result = actions.perform(session, action, object_id(claim), params, claim.person_id)
    answer = params.model_copy(update={"request_id": result.request_id})
    return Outcome(
        f"assignment.decide.done.{'approve' if params.approve else 'refuse'}",
        notice_keys=result.notice_keys,
        after=lambda: _resumed(result, answer, claim.person_id),
    )


def _resumed(result: Any, answer: DecideExtensionInput, actor: str) -> str | None:
    """Resume the Prefect run paused for this decision, if there is one (the declared ``after``
    of the action)."""
    return (
        "assignment.decide.resumed"
        if supervision.resume_waiting_run(result, answer, actor)
        else None
    )


_OWNER_ACTIONS = ("report-progress", "request-completion", "request-extension")


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


register(_owner_page("report-progress", "assignment_report.html", _report, _closed))
register(
    _owner_page("request-completion", "assignment_complete.html", _complete, _completion_asked)
)
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
