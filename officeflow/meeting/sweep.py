"""The meeting sweep: carry out every due step of every meeting, once.

`plan_sweep` takes every due pending step (set-based), claims it, reserves its notices and
marks it done in the caller's transaction, so a step's notices are reserved exactly once;
`run_sweep` does that in its own transaction and then delivers what it planned. The flow
`meeting-sweep` does the same with Prefect tasks.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models.meeting import AgendaStatus, Meeting, MeetingStep, StepKind, StepStatus
from models.meeting_input import MeetingSweepResult
from officeflow import clock
from officeflow.delivery import send_pending
from officeflow.meeting.steps import run_step
from officeflow.workdays import get_calendar
from rules import meeting as rules


def plan_sweep(session: Session, *, now: dt.datetime | None = None) -> MeetingSweepResult:
    """Take every due pending step (set-based), reserve its notices and mark it done in this
    transaction. Steps whose condition is not met yet (the notice before the agenda is
    approved) stay pending. Working-day steps wait for a working day."""
    now = now or clock.now()
    calendar = get_calendar()
    stmt = (
        select(MeetingStep.id, MeetingStep.meeting_id, MeetingStep.kind, MeetingStep.label)
        .where(MeetingStep.status == StepStatus.PENDING, MeetingStep.due_at <= now)
        .order_by(MeetingStep.due_at, MeetingStep.id)
    )
    if not calendar.is_workday(calendar.local_date(now)):
        workday_kinds = [StepKind(k) for k in rules.WORKDAY_STEPS]
        stmt = stmt.where(MeetingStep.kind.not_in(workday_kinds))
    result = MeetingSweepResult()
    for row in session.execute(stmt).all():
        meeting = session.get(Meeting, row.meeting_id)
        assert meeting is not None
        name = f"meeting:{meeting.id}:{row.label}"
        if row.kind is StepKind.NOTICE and meeting.agenda_status is not AgendaStatus.APPROVED:
            result.waiting.append(name)
            continue
        claimed = session.execute(
            update(MeetingStep)
            .where(MeetingStep.id == row.id, MeetingStep.status == StepStatus.PENDING)
            .values(status=StepStatus.DONE, done_at=now)
        ).rowcount
        if not claimed:
            continue  # another sweep took it
        outcome = run_step(session, meeting, row.kind, row.label)
        session.execute(update(MeetingStep).where(MeetingStep.id == row.id).values(outcome=outcome))
        if outcome.get("key"):
            result.notice_keys.append(outcome["key"])
        result.steps_done.append(name)
    result.counts = {"step:done": len(result.steps_done), "step:waiting": len(result.waiting)}
    return result


def run_sweep(*, now: dt.datetime | None = None) -> MeetingSweepResult:
    """The sweep without Prefect: plan every due step in one transaction, then deliver."""
    from officeflow import db

    with db.session_scope() as session:
        result = plan_sweep(session, now=now)
    report = send_pending(result.notice_keys)
    return result.model_copy(update={"sent": report.sent, "failed": report.failed})


def send_due(result: object, params: object, actor: str) -> str | None:
    """The declared ``after`` of the actions that change what is due (the agenda approved, a
    meeting moved or cancelled), taken on a page: send what became due now (the notice, the
    updated invitation, the cancellation), as the action's flow does at its end."""
    run_sweep()
    return None
