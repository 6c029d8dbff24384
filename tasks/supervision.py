"""督查督办 side effects as Prefect tasks: ledger writes and artifacts."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.logging import get_run_logger

from models.org import Role
from models.supervision_input import DecisionSpec
from officeflow import clock, db, supervision
from officeflow.delivery import plan_notice
from officeflow.org import people_with_role
from officeflow.supervision import DecisionRecord, apply_action, check_recipients, week_of
from officeflow.sweep import (
    SweepResult,
    bulletin_markdown,
    bulletin_rows,
    open_assignments_table,
    run_sweep,
)


@task(name="record-decision")
def record_decision(spec: DecisionSpec, actor: str = "system") -> DecisionRecord:
    """Check every reference, then write the decision, its assignments and their notices in one
    transaction. The same decision submitted again finds what was recorded."""
    with db.session_scope() as session:
        supervision.check_decision(session, spec)
        record = supervision.record_decision(session, spec, actor=actor)
        record.notice_keys = supervision.plan_issue_notices(session, record)
    return record


@task(name="publish-assignment-sheet")
def publish_assignment_sheet(decision_id: int) -> str:
    with db.session_scope() as session:
        markdown = supervision.assignment_sheet(session, decision_id)
    key = f"decision-{decision_id}-assignment-sheet"
    create_markdown_artifact(key=key, markdown=markdown, description="交办单 assignment sheet")
    return key


@task(name="classify-and-reserve-reminders")
def classify_and_reserve(
    now: datetime | None, remind_before_workdays: int, red_repeat_workdays: int
) -> SweepResult:
    """Set-based: light every open assignment, reserve each due reminder once."""
    result = run_sweep(
        now=now,
        remind_before_workdays=remind_before_workdays,
        red_repeat_workdays=red_repeat_workdays,
    )
    logger = get_run_logger()
    if result.skipped:
        logger.info("skipped: %s; no reminders are sent on non-working days", result.reason)
    else:
        logger.info("lights %s; new reminders %s", result.lights, result.new_reminders)
    return result


@task(name="publish-supervision-artifacts")
def publish_supervision_artifacts(now: datetime | None = None) -> None:
    """The table of open assignments and the Markdown bulletin (督办通报) of this week."""
    now = now or clock.now()
    start, end = week_of(now)
    with db.session_scope() as session:
        rows = open_assignments_table(session)
        markdown = bulletin_markdown(
            bulletin_rows(session, start=start, end=end),
            title="督办通报 Supervision bulletin",
            start=start,
            end=end,
        )
    create_table_artifact(
        key="open-assignments",
        table=rows or [{"id": "—", "light": "no open assignments"}],
        description="Open assignments and their lights, most urgent first (max 500 rows)",
    )
    create_markdown_artifact(
        key="supervision-bulletin", markdown=markdown, description="督办通报: per-department counts"
    )


@task(name="record-assignment-action")
def record_action(action: str, params: dict[str, Any]) -> list[str]:
    """One assignment action (progress, completion, verification, extension) in one
    transaction; returns the notice keys to deliver."""
    with db.session_scope() as session:
        return apply_action(session, action, params)


@task(name="build-bulletin")
def build_bulletin(start: datetime, end: datetime, recipients: list[str]) -> tuple[str, str]:
    """Reserve the bulletin notice for the period (once per period) and return its key and
    Markdown."""
    with db.session_scope() as session:
        check_recipients(session, recipients)
        markdown = bulletin_markdown(
            bulletin_rows(session, start=start, end=end),
            title="督办通报 Supervision bulletin",
            start=start,
            end=end,
        )
        key = f"bulletin:{clock.to_local(start).date()}:{clock.to_local(end).date()}"
        plan_notice(
            session,
            key=key,
            template="supervision_bulletin",
            object_type="bulletin",
            object_id=key,
            recipients=recipients or people_with_role(session, Role.LEADER),
            context={"bulletin": markdown, "start": start, "end": end - timedelta(seconds=1)},
        )
    create_markdown_artifact(
        key="supervision-bulletin", markdown=markdown, description="督办通报 sent to leaders"
    )
    return key, markdown


@task(name="record-extension-request")
def record_extension_request(
    assignment_id: int,
    new_due_date: date,
    reason: str,
    requested_by: str,
    waiting_run_id: str | None,
) -> tuple[int, str]:
    with db.session_scope() as session:
        request, key = supervision.request_extension(
            session,
            assignment_id=assignment_id,
            new_due_date=new_due_date,
            reason=reason,
            requested_by=requested_by,
        )
        request.waiting_run_id = waiting_run_id
        return request.id, key
