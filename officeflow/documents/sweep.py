"""The documents sweep: every open route step past its deadline (拟办, 批示, 分办, 核稿, 会签,
签发, 签收) is owed a reminder, once per red period of the supervision light rule
(`rules.documents.step_reminder_key`). The handling departments' work (承办) is a supervision
assignment: the supervision sweep lights it and reminds.

One query selects the overdue steps' columns; the reminders are reserved in bulk with
``INSERT … ON CONFLICT DO NOTHING`` on their notice keys, so two sweeps never send one twice."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from models.common import SweepResult
from models.documents import Document, DocumentStep, StepStatus
from models.ledger import Notice
from officeflow import clock, db
from officeflow.db import insert_ignore
from officeflow.delivery import PlannedNotice, reserve_deliveries
from officeflow.documents.common import OBJECT
from officeflow.documents.notices import document_context, office_staff, step_recipients
from officeflow.workdays import get_calendar
from rules.documents import StepFacts, step_reminder_key
from rules.supervision import is_sweep_day

PROCESS = "documents"


def plan_sweep(now: dt.datetime | None = None, *, red_repeat_workdays: int = 1) -> SweepResult:
    """Reserve, once per period, a reminder to whoever holds each overdue route step, in one
    transaction; sending is the caller's (the documents-sweep flow's delivery task)."""
    now = now or clock.now()
    calendar = get_calendar()
    if not is_sweep_day(calendar, now):
        return SweepResult(process=PROCESS, skipped=True, reason="not a working day")
    counts: dict[str, int] = {}
    planned: list[PlannedNotice] = []
    with db.session_scope() as session:
        rows = session.execute(
            select(DocumentStep, Document)
            .join(Document, Document.id == DocumentStep.document_id)
            .where(DocumentStep.status == StepStatus.PENDING, DocumentStep.due_at < now)
            .order_by(DocumentStep.id)
        ).all()
        wanted = []
        for step, doc in rows:
            assert step.due_on is not None and step.due_at is not None
            key = step_reminder_key(
                calendar,
                now,
                StepFacts(step.id, doc.id, step.due_on, step.due_at),
                red_repeat_workdays=red_repeat_workdays,
            )
            if key is not None:
                wanted.append((key, step, doc))
        office = office_staff(session)
        for key, step, doc in wanted:
            result = session.execute(
                insert_ignore(session, Notice)
                .values(
                    key=key,
                    template="document_reminder",
                    object_type=OBJECT,
                    object_id=str(doc.id),
                    context={},
                    created_at=now,
                )
                .returning(Notice.id)
            ).first()
            if result is None:
                continue  # reminded already this period
            recipients = step_recipients(session, step)
            if step.kind.value != "receipt":
                recipients = [*recipients, *office]
            planned.append(
                PlannedNotice(
                    result.id,
                    key,
                    "document_reminder",
                    OBJECT,
                    str(doc.id),
                    list(dict.fromkeys(recipients)),
                    document_context(doc, step),
                    digest=f"{PROCESS}:reminders:{calendar.local_date(now).isoformat()}",
                )
            )
            name = f"reminder:{step.kind.value}"
            counts[name] = counts.get(name, 0) + 1
        reserve_deliveries(session, planned)
    counts["overdue"] = len(rows)
    return SweepResult(process=PROCESS, counts=counts, notice_keys=[p.key for p in planned])
