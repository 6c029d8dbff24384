"""督查督办: from a leader's decision to verified closure."""

from __future__ import annotations

from prefect import flow
from pydantic import BaseModel

from models.decision import DecisionSpec
from tasks.delivery import deliver_notices
from tasks.supervision import publish_assignment_sheet, record_decision


class DecisionResult(BaseModel):
    decision_id: int
    assignment_ids: list[int]
    newly_recorded: bool
    notices_sent: int


@flow(name="decision-implementation", log_prints=True)
def decision_implementation(decision: DecisionSpec) -> DecisionResult:
    """Record a leader's decision as assignments with working-day deadlines, notify each owner
    and department head, and publish the assignment sheet (交办单)."""
    record = record_decision(decision)
    delivered = deliver_notices(record.notice_keys)
    publish_assignment_sheet(record.decision_id)
    return DecisionResult(
        decision_id=record.decision_id,
        assignment_ids=record.assignment_ids,
        newly_recorded=record.created,
        notices_sent=delivered.sent,
    )
