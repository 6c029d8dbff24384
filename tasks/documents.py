"""办文 side effects as Prefect tasks, each in one transaction: registering and drafting a
document, the sweep's planning and the document's page. The actions on a document go through
`tasks.actions.take_action` (declared in `officeflow.documents.declarations`)."""

from __future__ import annotations

from datetime import datetime

from prefect import task
from prefect.artifacts import create_markdown_artifact

from models.common import SweepResult
from models.documents_input import IncomingDocumentSpec, OutgoingDocumentSpec, StepResult
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


@task(name="plan-documents-sweep")
def plan_documents_sweep(now: datetime | None, red_repeat_workdays: int) -> SweepResult:
    return documents.plan_sweep(now, red_repeat_workdays=red_repeat_workdays)


@task(name="publish-document-page")
def publish_document_page(document_id: int) -> str:
    """The document's page (where it stands, its history) as a Markdown artifact."""
    with db.session_scope() as session:
        markdown = documents.document_markdown(session, document_id)
    key = f"document-{document_id}"
    create_markdown_artifact(key=key, markdown=markdown, description="办文: where it stands")
    return key
