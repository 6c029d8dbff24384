"""督查督办 side effects as Prefect tasks: ledger writes and artifacts."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_markdown_artifact

from models.decision import DecisionSpec
from officeflow import db, supervision
from officeflow.supervision import DecisionRecord


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
