"""督查督办 side effects as Prefect tasks: one task per action, each in one transaction, plus
the sweep and the artifacts."""

from __future__ import annotations

from datetime import datetime

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.logging import get_run_logger

from models.common import SweepResult
from models.supervision_input import DecisionRecord, DecisionSpec
from officeflow import clock, db, supervision


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


# --- the sweep and the bulletin ---------------------------------------------------------------


@task(name="plan-supervision-sweep")
def plan_supervision_sweep(
    now: datetime | None, remind_before_workdays: int, red_repeat_workdays: int
) -> SweepResult:
    """Set-based: light every open assignment, reserve each due reminder once."""
    result = supervision.plan_sweep(
        now=now,
        remind_before_workdays=remind_before_workdays,
        red_repeat_workdays=red_repeat_workdays,
    )
    logger = get_run_logger()
    if result.skipped:
        logger.info("skipped: %s; no reminders are sent on non-working days", result.reason)
    else:
        logger.info("lights %s; new reminders %s", result.tally("light"), result.tally("reminder"))
    return result


@task(name="publish-supervision-artifacts")
def publish_supervision_artifacts(now: datetime | None = None) -> None:
    """The table of open assignments and the Markdown bulletin (督办通报) of this week."""
    start, end = supervision.week_of(now or clock.now())
    with db.session_scope() as session:
        rows = supervision.open_assignments_table(session)
        markdown = supervision.week_markdown(session, start, end)
    create_table_artifact(
        key="open-assignments",
        table=rows or [{"id": "—", "light": "no open assignments"}],
        description="Open assignments and their lights, most urgent first (max 500 rows)",
    )
    create_markdown_artifact(
        key="supervision-bulletin", markdown=markdown, description="督办通报: per-department counts"
    )


@task(name="plan-bulletin")
def plan_bulletin(start: datetime, end: datetime, recipients: list[str]) -> str:
    """Reserve the bulletin notice for the period (once per period) and publish it; returns the
    notice key."""
    with db.session_scope() as session:
        key, markdown = supervision.plan_bulletin(session, start, end, recipients)
    create_markdown_artifact(
        key="supervision-bulletin", markdown=markdown, description="督办通报 sent to leaders"
    )
    return key


# --- the assignment actions go through tasks.actions.take_action (declared) --------------------


@task(name="note-waiting-run")
def note_waiting_run(request_id: int, run_id: str) -> None:
    """Remember the Prefect run paused for this extension's decision, so that the decision,
    however it is taken, resumes it."""
    from models.supervision import ExtensionRequest

    with db.session_scope() as session:
        session.get_one(ExtensionRequest, request_id).waiting_run_id = run_id
