"""What the 办文 modules share: lookups, the refusal of a person who may not start a document,
step deadlines from the office's settings, and the one way a route step is opened."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.documents import Document, DocumentStep, StepKind, StepStatus, Urgency
from officeflow import clock
from officeflow.inputs import input_error, is_ledger_id
from officeflow.settings import get_settings
from officeflow.workdays import get_calendar
from rules.documents import step_deadline

OBJECT = "document"


def get_document(session: Session, document_id: int, *, lock: bool = False) -> Document:
    doc = None
    if is_ledger_id(document_id):
        stmt = select(Document).where(Document.id == document_id)
        if lock:
            stmt = stmt.with_for_update()
        doc = session.scalar(stmt)
    if doc is None:
        raise input_error("document", f"no document {document_id}")
    return doc


def deadline(urgency: Urgency, now: dt.datetime | None = None) -> dt.datetime:
    settings = get_settings()
    return step_deadline(
        get_calendar(),
        now or clock.now(),
        urgency,
        normal_workdays=settings.document_normal_workdays,
        urgent_workdays=settings.document_urgent_workdays,
    )


def open_step(
    session: Session,
    doc: Document,
    kind: StepKind,
    *,
    person_id: str | None = None,
    department_id: str | None = None,
    position: int = 1,
    waiting: bool = False,
    due_at: dt.datetime | None = None,
) -> DocumentStep:
    """A new step of the route: pending with a deadline from the urgency, or waiting its turn."""
    now = clock.now()
    due = None if waiting else (due_at or deadline(doc.urgency, now))
    step = DocumentStep(
        document_id=doc.id,
        kind=kind,
        position=position,
        person_id=person_id,
        department_id=department_id,
        status=StepStatus.WAITING if waiting else StepStatus.PENDING,
        due_at=due,
        due_on=get_calendar().local_date(due) if due else None,
        created_at=now,
    )
    session.add(step)
    session.flush()
    return step


def start_waiting(session: Session, doc: Document, step: DocumentStep) -> None:
    """A step in sequence whose turn has come."""
    due = deadline(doc.urgency)
    step.status = StepStatus.PENDING
    step.due_at = due
    step.due_on = get_calendar().local_date(due)


def steps(session: Session, doc: Document, kind: StepKind | None = None) -> list[DocumentStep]:
    stmt = select(DocumentStep).where(DocumentStep.document_id == doc.id)
    if kind is not None:
        stmt = stmt.where(DocumentStep.kind == kind)
    return list(session.scalars(stmt.order_by(DocumentStep.position, DocumentStep.id)))


def pending_step(
    session: Session,
    doc: Document,
    kind: StepKind,
    *,
    person_id: str | None = None,
    department_id: str | None = None,
) -> DocumentStep | None:
    for step in steps(session, doc, kind):
        if step.status is not StepStatus.PENDING:
            continue
        if person_id is not None and step.person_id not in (None, person_id):
            continue
        if department_id is not None and step.department_id != department_id:
            continue
        return step
    return None


def finish(step: DocumentStep, actor: str, comment: str | None = None) -> None:
    step.status = StepStatus.DONE
    step.done_at = clock.now()
    step.done_by = actor
    step.comment = comment
