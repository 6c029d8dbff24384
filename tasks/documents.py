"""办文 side effects as Prefect tasks: one task per action, each in one transaction, plus the
sweep's planning and the document's page."""

from __future__ import annotations

from datetime import datetime

from prefect import task
from prefect.artifacts import create_markdown_artifact

from models.common import SweepResult
from models.documents_input import (
    CommentSpec,
    IncomingDocumentSpec,
    OutgoingDocumentSpec,
    RouteSpec,
    StepResult,
    TaskSpec,
)
from officeflow import db, documents


@task(name="register-incoming-document")
def register_incoming(spec: IncomingDocumentSpec) -> StepResult:
    """Check, keep the files, record the document and plan the 拟办 notice."""
    with db.session_scope() as session:
        return documents.register_incoming(session, spec)


@task(name="record-draft")
def record_draft(spec: OutgoingDocumentSpec) -> StepResult:
    with db.session_scope() as session:
        return documents.draft(session, spec)


@task(name="record-proposal")
def record_proposal(document_id: int, route: RouteSpec, actor: str) -> StepResult:
    with db.session_scope() as session:
        return documents.propose(session, document_id=document_id, route=route, actor=actor)


@task(name="record-comment")
def record_comment(document_id: int, spec: CommentSpec, actor: str) -> StepResult:
    with db.session_scope() as session:
        return documents.comment(session, document_id=document_id, spec=spec, actor=actor)


@task(name="record-distribution")
def record_distribution(
    document_id: int, tasks: list[TaskSpec], actor: str, leader: str | None
) -> StepResult:
    with db.session_scope() as session:
        return documents.distribute(
            session, document_id=document_id, tasks=tasks, actor=actor, leader=leader
        )


@task(name="record-review")
def record_review(
    document_id: int,
    accept: bool,
    actor: str,
    comment: str,
    cosigners: list[str],
    signer: str | None,
) -> StepResult:
    with db.session_scope() as session:
        return documents.review(
            session,
            document_id=document_id,
            accept=accept,
            actor=actor,
            comment=comment,
            cosigners=cosigners,
            signer=signer,
        )


@task(name="record-redraft")
def record_redraft(document_id: int, body: str, actor: str, title: str | None) -> StepResult:
    with db.session_scope() as session:
        return documents.redraft(
            session, document_id=document_id, body=body, actor=actor, title=title
        )


@task(name="record-filing")
def record_filing(document_id: int, actor: str) -> StepResult:
    with db.session_scope() as session:
        return documents.file_document(session, document_id=document_id, actor=actor)


@task(name="record-cosign")
def record_cosign(document_id: int, department: str, actor: str, comment: str) -> StepResult:
    with db.session_scope() as session:
        return documents.cosign(
            session, document_id=document_id, department=department, actor=actor, comment=comment
        )


@task(name="record-sign-off")
def record_sign_off(document_id: int, actor: str) -> StepResult:
    with db.session_scope() as session:
        return documents.sign_off(session, document_id=document_id, actor=actor)


@task(name="record-issue")
def record_issue(document_id: int, recipients: list[str], actor: str) -> StepResult:
    with db.session_scope() as session:
        return documents.issue(session, document_id=document_id, recipients=recipients, actor=actor)


@task(name="record-receipt")
def record_receipt(document_id: int, department: str, actor: str) -> StepResult:
    with db.session_scope() as session:
        return documents.confirm_receipt(
            session, document_id=document_id, department=department, actor=actor
        )


@task(name="plan-documents-sweep")
def plan_documents_sweep(now: datetime | None, red_repeat_workdays: int) -> SweepResult:
    return documents.run_sweep(now, red_repeat_workdays=red_repeat_workdays)


@task(name="publish-document-page")
def publish_document_page(document_id: int) -> str:
    """The document's page (where it stands, its history) as a Markdown artifact."""
    with db.session_scope() as session:
        markdown = documents.document_markdown(session, document_id)
    key = f"document-{document_id}"
    create_markdown_artifact(key=key, markdown=markdown, description="办文: where it stands")
    return key
