"""督查督办: from a leader's decision to verified closure, with scheduled supervision sweeps."""

from __future__ import annotations

from typing import Annotated

from prefect import flow, pause_flow_run
from prefect.exceptions import FlowPauseTimeout
from prefect.input import RunInput
from prefect.logging import get_run_logger
from prefect.runtime import flow_run
from pydantic import Field

from models.common import OfficeDate, SweepResult
from models.supervision_input import (
    ActionResult,
    BulletinResult,
    DecideExtensionInput,
    DecisionResult,
    DecisionSpec,
    ReportProgressInput,
    RequestCompletionInput,
    RequestExtensionInput,
    VerifyInput,
)
from officeflow import clock
from officeflow.schedule_guard import skip_if_not_workday
from officeflow.supervision import week_of
from tasks.actions import take_action
from tasks.delivery import deliver_notices
from tasks.supervision import (
    note_waiting_run,
    plan_bulletin,
    plan_supervision_sweep,
    publish_assignment_sheet,
    publish_supervision_artifacts,
    record_decision,
)


@flow(name="decision-implementation")
def decision_implementation(decision: DecisionSpec) -> DecisionResult:
    """Record a leader's decision as assignments with working-day deadlines, notify each owner
    and department head, and publish the assignment sheet (交办单)."""
    # The decision is the issuing leader's act, whichever door it came through (the event's
    # ``via``/``operator`` say which): never ``system``.
    record = record_decision(decision, actor=decision.issued_by)
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
    remind_before_workdays: Annotated[int, Field(ge=0, le=30)] = 3,
    red_repeat_workdays: Annotated[int, Field(ge=1, le=30)] = 1,
) -> SweepResult:
    """督查: light every open assignment (green/blue/yellow/red), send each due reminder once,
    publish the open-assignment table and the bulletin. Skips non-working days.

    It runs as of the office's clock (`officeflow.clock`): a run cannot be given another day,
    so nobody who can start a run can replay a past or future day and send its reminders. A
    replay is `officeflow assignment sweep --now …` (a dry run unless `--send`)."""
    result = plan_supervision_sweep(None, remind_before_workdays, red_repeat_workdays)
    if result.skipped:
        return result
    delivered = deliver_notices(result.notice_keys)
    publish_supervision_artifacts(None)
    return result.model_copy(update={"sent": delivered.sent, "failed": delivered.failed})


@flow(name="supervision-bulletin")
def supervision_bulletin(
    week_containing: OfficeDate | None = None, recipients: list[str] | None = None
) -> BulletinResult:
    """督办通报: this week's per-department counts, emailed and posted to the leaders (or to
    ``recipients``). Sent once per period, however often it runs."""
    now = clock.now()
    if week_containing is None and skip_if_not_workday(
        get_run_logger(), now, what="the supervision bulletin"
    ):
        return BulletinResult(skipped=True, reason="not a working day")
    if week_containing is not None:
        now = clock.parse_instant(f"{week_containing.isoformat()}T12:00:00")
    start, end = week_of(now)
    key = plan_bulletin(start, end, recipients or [])
    delivered = deliver_notices([key])
    return BulletinResult(notice=key, sent=delivered.sent, failed=delivered.failed)


# --- actions the UI can run (the CLI calls the same services) -------------------------------


def _delivered(result: ActionResult) -> ActionResult:
    """Send the action's notices; the result says how many went out."""
    if not result.notice_keys:
        return result
    report = deliver_notices(result.notice_keys)
    return result.model_copy(update={"notices_sent": report.sent, "notices_failed": report.failed})


@flow(name="assignment-report-progress")
def assignment_report_progress(
    assignment_id: int, params: ReportProgressInput, actor: str
) -> ActionResult:
    """进展反馈: record the owner's progress (percent) and a note."""
    return _delivered(take_action("assignment.report-progress", assignment_id, params, actor))


@flow(name="assignment-request-completion")
def assignment_request_completion(
    assignment_id: int, params: RequestCompletionInput, actor: str
) -> ActionResult:
    """办结申请: the owner submits evidence; the supervising office is asked to verify."""
    return _delivered(take_action("assignment.request-completion", assignment_id, params, actor))


@flow(name="assignment-verify")
def assignment_verify(assignment_id: int, params: VerifyInput, actor: str) -> ActionResult:
    """核验: approve closes the assignment (销号); refuse sends it back with the comment."""
    return _delivered(take_action("assignment.verify", assignment_id, params, actor))


class ExtensionDecision(RunInput):
    """The issuing leader's answer. Deliberately without defaults: nothing is pre-approved."""

    approve: bool
    actor: str
    comment: str = ""


@flow(name="assignment-request-extension")
def assignment_request_extension(
    assignment_id: int,
    params: RequestExtensionInput,
    actor: str,
    wait_for_decision_hours: Annotated[
        float,
        Field(
            ge=0,
            le=24 * 14,
            description="Pause this run for the leader's typed decision; 0 records the request "
            "and leaves the decision to `officeflow assignment decide-extension`.",
        ),
    ] = 0,
) -> ActionResult:
    """延期申请: record the request and ask the issuing leader. With a wait, the run pauses for a
    typed decision (resume it in the UI); on timeout the request stays pending in the ledger."""
    requested = _delivered(
        take_action("assignment.request-extension", assignment_id, params, actor)
    )
    if not wait_for_decision_hours:
        return requested
    request_id = requested.request_id
    assert request_id is not None
    note_waiting_run(request_id, str(flow_run.id))
    try:
        answer = pause_flow_run(
            wait_for_input=ExtensionDecision,
            timeout=int(wait_for_decision_hours * 3600),
            key=f"extension-{request_id}",
        )
    except FlowPauseTimeout:
        get_run_logger().warning(
            "no decision within %s h; request %s stays pending: decide with "
            "`officeflow assignment decide-extension %s --approve|--refuse --as LEADER`",
            wait_for_decision_hours,
            request_id,
            request_id,
        )
        raise
    decision = DecideExtensionInput(
        approve=answer.approve, comment=answer.comment, request_id=request_id
    )
    return _delivered(
        take_action("assignment.decide-extension", assignment_id, decision, answer.actor)
    )


@flow(name="assignment-decide-extension")
def assignment_decide_extension(
    assignment_id: int, params: DecideExtensionInput, actor: str
) -> ActionResult:
    """延期审批: the issuing leader approves (the deadline moves) or refuses an extension."""
    return _delivered(take_action("assignment.decide-extension", assignment_id, params, actor))
