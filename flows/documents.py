"""办文: one flow per direction registers or starts a document and sends the first step's
notice; each later step waits for a person for hours or days, so it is a ledger row plus an
action flow (or its CLI twin). Every flow publishes the document's page."""

from __future__ import annotations

from typing import Annotated

from prefect import flow
from pydantic import Field

from models.common import SweepResult
from models.documents_input import (
    CommentInput,
    ConfirmReceiptInput,
    CosignInput,
    DistributeInput,
    FileInput,
    IncomingDocumentSpec,
    IssueInput,
    OutgoingDocumentSpec,
    ProposeInput,
    RedraftInput,
    ReviewInput,
    SignOffInput,
    StepResult,
)
from tasks.actions import take_action
from tasks.delivery import deliver_notices
from tasks.documents import (
    plan_documents_sweep,
    publish_document_page,
    record_draft,
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


# --- the document actions (officeflow/documents/declarations.py), each through the door -------


@flow(name="document-propose")
def document_propose(document_id: int, params: ProposeInput, actor: str) -> StepResult:
    """拟办: the office's proposal and the leaders who comment."""
    return _done(take_action("document.propose", document_id, params, actor))


@flow(name="document-comment")
def document_comment(document_id: int, params: CommentInput, actor: str) -> StepResult:
    """批示: a leader's comment; its tasks become supervised assignments."""
    return _done(take_action("document.comment", document_id, params, actor))


@flow(name="document-distribute")
def document_distribute(document_id: int, params: DistributeInput, actor: str) -> StepResult:
    """分办: hand the document to the handling departments as supervised assignments."""
    return _done(take_action("document.distribute", document_id, params, actor))


@flow(name="document-file")
def document_file(document_id: int, params: FileInput, actor: str) -> StepResult:
    """归档: the office files the document."""
    return _done(take_action("document.file", document_id, params, actor))


@flow(name="document-review")
def document_review(document_id: int, params: ReviewInput, actor: str) -> StepResult:
    """核稿: pass the draft on to co-signing and sign-off, or return it with a comment."""
    return _done(take_action("document.review", document_id, params, actor))


@flow(name="document-redraft")
def document_redraft(document_id: int, params: RedraftInput, actor: str) -> StepResult:
    """修改稿: the author answers a returned draft with a new revision."""
    return _done(take_action("document.redraft", document_id, params, actor))


@flow(name="document-cosign")
def document_cosign(document_id: int, params: CosignInput, actor: str) -> StepResult:
    """会签: a department that was asked co-signs."""
    return _done(take_action("document.cosign", document_id, params, actor))


@flow(name="document-sign-off")
def document_sign_off(document_id: int, params: SignOffInput, actor: str) -> StepResult:
    """签发: a leader signs off; the series' next number is allocated."""
    return _done(take_action("document.sign-off", document_id, params, actor))


@flow(name="document-issue")
def document_issue(document_id: int, params: IssueInput, actor: str) -> StepResult:
    """印发: the GB/T 9704 .docx, kept and emailed to the recipient departments."""
    return _done(take_action("document.issue", document_id, params, actor))


@flow(name="document-confirm-receipt")
def document_confirm_receipt(
    document_id: int, params: ConfirmReceiptInput, actor: str
) -> StepResult:
    """签收: a recipient department confirms receipt."""
    return _done(take_action("document.confirm-receipt", document_id, params, actor))


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
