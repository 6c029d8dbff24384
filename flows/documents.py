"""办文: one flow per direction registers or starts a document and sends the first step's
notice; each later step waits for a person for hours or days, so it is a ledger row plus an
action flow (or its CLI twin). Every flow publishes the document's page."""

from __future__ import annotations

from typing import Annotated

from prefect import flow
from pydantic import Field

from models.common import SweepResult
from models.documents_input import (
    CommentSpec,
    IncomingDocumentSpec,
    OutgoingDocumentSpec,
    RouteSpec,
    StepResult,
    TaskSpec,
)
from tasks.delivery import deliver_notices
from tasks.documents import (
    plan_documents_sweep,
    publish_document_page,
    record_comment,
    record_cosign,
    record_distribution,
    record_draft,
    record_filing,
    record_issue,
    record_proposal,
    record_receipt,
    record_redraft,
    record_review,
    record_sign_off,
    register_incoming,
)


def _done(result: StepResult) -> StepResult:
    """Send the step's notices and publish the page; the result says what went out."""
    if result.notice_keys:
        report = deliver_notices(result.notice_keys)
        result = result.model_copy(
            update={"notices_sent": report.sent, "notices_failed": report.failed}
        )
    publish_document_page(result.document_id)
    return result


@flow(name="document-incoming")
def document_incoming(document: IncomingDocumentSpec) -> StepResult:
    """收文: register the document and its files (with checksums), ask the office to propose
    (拟办) within the urgency's deadline."""
    return _done(register_incoming(document))


@flow(name="document-outgoing")
def document_outgoing(draft: OutgoingDocumentSpec) -> StepResult:
    """发文: record a department's draft (revision 1) and ask the office to check it (核稿)."""
    return _done(record_draft(draft))


@flow(name="document-propose")
def document_propose(document_id: int, route: RouteSpec, actor: str) -> StepResult:
    """拟办: the office's proposal and the leaders who comment."""
    return _done(record_proposal(document_id, route, actor))


@flow(name="document-comment")
def document_comment(document_id: int, comment: CommentSpec, actor: str) -> StepResult:
    """批示: a leader's comment; its tasks become supervised assignments."""
    return _done(record_comment(document_id, comment, actor))


@flow(name="document-distribute")
def document_distribute(
    document_id: int, tasks: list[TaskSpec], actor: str, leader: str | None = None
) -> StepResult:
    """分办: hand the document to the handling departments as supervised assignments."""
    return _done(record_distribution(document_id, tasks, actor, leader))


@flow(name="document-review")
def document_review(
    document_id: int,
    accept: bool,
    actor: str,
    comment: str = "",
    cosigners: list[str] | None = None,
    signer: str | None = None,
) -> StepResult:
    """核稿: pass the draft on to co-signing and sign-off, or return it with a comment."""
    return _done(record_review(document_id, accept, actor, comment, cosigners or [], signer))


@flow(name="document-redraft")
def document_redraft(
    document_id: int, body: str, actor: str, title: str | None = None
) -> StepResult:
    """修改稿: the author answers a returned draft with a new revision."""
    return _done(record_redraft(document_id, body, actor, title))


@flow(name="document-file")
def document_file(document_id: int, actor: str) -> StepResult:
    """归档: the office files the document."""
    return _done(record_filing(document_id, actor))


@flow(name="document-cosign")
def document_cosign(document_id: int, department: str, actor: str, comment: str = "") -> StepResult:
    """会签: a department that was asked co-signs."""
    return _done(record_cosign(document_id, department, actor, comment))


@flow(name="document-sign-off")
def document_sign_off(document_id: int, actor: str) -> StepResult:
    """签发: a leader signs off; the series' next number is allocated."""
    return _done(record_sign_off(document_id, actor))


@flow(name="document-issue")
def document_issue(document_id: int, recipients: list[str], actor: str) -> StepResult:
    """印发: the GB/T 9704 .docx, kept and emailed to the recipient departments."""
    return _done(record_issue(document_id, recipients, actor))


@flow(name="document-confirm-receipt")
def document_confirm_receipt(document_id: int, department: str, actor: str) -> StepResult:
    """签收: a recipient department confirms receipt."""
    return _done(record_receipt(document_id, department, actor))


@flow(name="documents-sweep")
def documents_sweep(
    red_repeat_workdays: Annotated[int, Field(ge=1, le=30)] = 1,
) -> SweepResult:
    """办文催办: remind whoever holds an overdue route step (拟办, 批示, 核稿, 会签, 签发,
    签收), once per period. Skips non-working days. Runs as of the office's clock: a run cannot
    be given another day."""
    result = plan_documents_sweep(None, red_repeat_workdays)
    if result.skipped:
        return result
    delivered = deliver_notices(result.notice_keys)
    return result.model_copy(update={"sent": delivered.sent, "failed": delivered.failed})
