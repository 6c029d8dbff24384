"""督查督办: from a leader's decision to verified closure, with scheduled supervision sweeps."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from prefect import flow, pause_flow_run
from prefect.exceptions import FlowPauseTimeout
from prefect.input import RunInput
from prefect.logging import get_run_logger
from prefect.runtime import flow_run
from pydantic import BaseModel, Field

from models.common import OfficeDate
from models.supervision_input import DecisionSpec
from officeflow import clock
from officeflow.schedule_guard import skip_if_not_workday
from officeflow.supervision import week_of
from tasks.delivery import deliver_notices
from tasks.supervision import (
    build_bulletin,
    classify_and_reserve,
    publish_assignment_sheet,
    publish_supervision_artifacts,
    record_action,
    record_decision,
    record_extension_request,
)


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


@flow(name="supervision-sweep")
def supervision_sweep(
    now: dt.datetime | None = None,
    remind_before_workdays: Annotated[int, Field(ge=0, le=30)] = 3,
    red_repeat_workdays: Annotated[int, Field(ge=1, le=30)] = 1,
) -> dict[str, object]:
    """督查: light every open assignment (green/blue/yellow/red), send each due reminder once,
    publish the open-assignment table and the bulletin. Skips non-working days."""
    result = classify_and_reserve(now, remind_before_workdays, red_repeat_workdays)
    if result.skipped:
        return {"skipped": True, "reason": result.reason}
    delivered = deliver_notices(result.notice_keys)
    publish_supervision_artifacts(now)
    return {"lights": result.lights, "reminders": result.new_reminders, "sent": delivered.sent}


@flow(name="supervision-bulletin")
def supervision_bulletin(
    week_containing: OfficeDate | None = None, recipients: list[str] | None = None
) -> dict[str, object]:
    """督办通报: this week's per-department counts, emailed and posted to the leaders (or to
    ``recipients``). Sent once per period, however often it runs."""
    now = clock.now()
    if week_containing is None and skip_if_not_workday(
        get_run_logger(), now, what="the supervision bulletin"
    ):
        return {"skipped": True}
    if week_containing is not None:
        now = clock.parse_instant(f"{week_containing.isoformat()}T12:00:00")
    start, end = week_of(now)
    key, _ = build_bulletin(start, end, recipients or [])
    delivered = deliver_notices([key])
    return {"notice": key, "sent": delivered.sent}


# --- actions the UI can run (the CLI calls the same services) -------------------------------


@flow(name="assignment-report-progress")
def assignment_report_progress(
    assignment_id: int,
    progress: Annotated[int, Field(ge=0, le=100)],
    note: str = "",
    reporter: str | None = None,
) -> None:
    """进展反馈: record the owner's progress (percent) and a note."""
    record_action(
        "report",
        {"assignment_id": assignment_id, "progress": progress, "note": note, "reporter": reporter},
    )


@flow(name="assignment-request-completion")
def assignment_request_completion(
    assignment_id: int,
    evidence: Annotated[str, Field(min_length=1)],
    requested_by: str | None = None,
) -> int:
    """办结申请: the owner submits evidence; the supervising office is asked to verify."""
    keys = record_action(
        "request-completion",
        {"assignment_id": assignment_id, "evidence": evidence, "requested_by": requested_by},
    )
    return deliver_notices(keys).sent


@flow(name="assignment-verify")
def assignment_verify(assignment_id: int, accept: bool, verifier: str, comment: str = "") -> int:
    """核验: accept closes the assignment (销号); reject sends it back with the comment."""
    keys = record_action(
        "verify",
        {
            "assignment_id": assignment_id,
            "accept": accept,
            "verifier": verifier,
            "comment": comment,
        },
    )
    return deliver_notices(keys).sent


class ExtensionDecision(RunInput):
    """The issuing leader's answer. Deliberately without defaults: nothing is pre-approved."""

    approve: bool
    decided_by: str
    comment: str = ""


@flow(name="assignment-request-extension")
def assignment_request_extension(
    assignment_id: int,
    new_due_date: dt.date,
    reason: Annotated[str, Field(min_length=1)],
    requested_by: Annotated[str, Field(min_length=1)],
    wait_for_decision_hours: Annotated[
        float,
        Field(
            ge=0,
            le=24 * 14,
            description="Pause this run for the leader's typed decision; 0 records the request "
            "and leaves the decision to `officeflow assignment decide-extension`.",
        ),
    ] = 0,
) -> str:
    """延期申请: record the request and ask the issuing leader. With a wait, the run pauses for a
    typed decision (resume it in the UI); on timeout the request stays pending in the ledger."""
    waiting = str(flow_run.id) if wait_for_decision_hours and flow_run.id else None
    request_id, key = record_extension_request(
        assignment_id, new_due_date, reason, requested_by, waiting
    )
    deliver_notices([key])
    if not wait_for_decision_hours:
        return f"extension request {request_id} awaits the issuing leader"
    logger = get_run_logger()
    try:
        answer = pause_flow_run(
            wait_for_input=ExtensionDecision,
            timeout=int(wait_for_decision_hours * 3600),
            key=f"extension-{request_id}",
        )
    except FlowPauseTimeout:
        logger.warning(
            "no decision within %s h; request %s stays pending: decide with "
            "`officeflow assignment decide-extension %s --approve|--refuse --as LEADER`",
            wait_for_decision_hours,
            request_id,
            request_id,
        )
        raise
    keys = record_action(
        "decide-extension",
        {
            "request_id": request_id,
            "approve": answer.approve,
            "decided_by": answer.decided_by,
            "comment": answer.comment,
        },
    )
    deliver_notices(keys)
    return f"extension request {request_id} {'approved' if answer.approve else 'refused'}"


@flow(name="assignment-decide-extension")
def assignment_decide_extension(
    request_id: int, approve: bool, decided_by: str, comment: str = ""
) -> int:
    """The issuing leader approves (the deadline moves) or refuses an extension request."""
    keys = record_action(
        "decide-extension",
        {
            "request_id": request_id,
            "approve": approve,
            "decided_by": decided_by,
            "comment": comment,
        },
    )
    return deliver_notices(keys).sent
