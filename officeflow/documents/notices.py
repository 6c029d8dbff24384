"""What people are told about a document, and who is told. A document's classification marking
(密级) is never put in a message, and a classified document's title is not either: messages
name its number and ask the reader to open it in the office system."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from models.documents import Document, DocumentStep
from models.org import Role
from officeflow.delivery import plan_notice
from officeflow.documents.common import OBJECT
from officeflow.org import department_heads, people_with_role
from rules.documents import STEP_LABELS, URGENCY_LABELS

WITHHELD_TITLE = "（涉密文件，标题不在消息中显示）"


def document_context(doc: Document, step: DocumentStep | None = None) -> dict[str, Any]:
    """The message context. No classification; no title when the document is classified."""
    context: dict[str, Any] = {
        "document": {
            "id": doc.id,
            "direction": doc.direction.value,
            "number": doc.number or "",
            "title": WITHHELD_TITLE if doc.classification else doc.title,
            "sender": doc.sender,
            "urgency": URGENCY_LABELS[doc.urgency],
            "doc_type": doc.doc_type or "",
        }
    }
    if step is not None:
        context["step"] = {
            "id": step.id,
            "kind": step.kind.value,
            "label": STEP_LABELS[step.kind],
            "due_at": step.due_at,
            "comment": step.comment or "",
        }
    return context


def office_staff(session: Session) -> list[str]:
    """Who handles documents in the office: its directors."""
    return people_with_role(session, Role.OFFICE_DIRECTOR)


def step_recipients(session: Session, step: DocumentStep) -> list[str]:
    if step.person_id is not None:
        return [step.person_id]
    if step.department_id is not None:
        return department_heads(session, step.department_id)
    return office_staff(session)


def notify(
    session: Session,
    doc: Document,
    key: str,
    template: str,
    recipients: list[str],
    *,
    step: DocumentStep | None = None,
    attachment_id: int | None = None,
    **extra: Any,
) -> str:
    """Plan the notice ``document:<id>:<key>`` once; returns its key."""
    full = f"document:{doc.id}:{key}"
    plan_notice(
        session,
        key=full,
        template=template,
        object_type=OBJECT,
        object_id=doc.id,
        recipients=list(dict.fromkeys(recipients)),
        context={**document_context(doc, step), **extra},
        attachment_id=attachment_id,
    )
    return full


def notify_step(session: Session, doc: Document, step: DocumentStep, **extra: Any) -> str:
    """Tell whoever must take ``step`` that it waits for them, and by when."""
    return notify(
        session,
        doc,
        f"step:{step.id}:open",
        "document_step",
        step_recipients(session, step),
        step=step,
        **extra,
    )
