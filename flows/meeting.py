"""办会: from registering a meeting to its minutes' assignments.

A meeting's life is a list of steps with due times in the ledger (`meeting_steps`);
`meeting-steps-sweep`, scheduled every few minutes, carries out whatever is due.
"""

from __future__ import annotations

from prefect import flow
from pydantic import BaseModel

from flows.supervision import decision_implementation
from models.common import OfficeDateTime
from models.meeting_input import AgendaApproval, MeetingSpec, MinutesSpec, TopicSubmission
from tasks.delivery import deliver_notices
from tasks.meeting import (
    link_minutes_decision,
    plan_due_steps,
    publish_agenda,
    publish_steps,
    record_agenda_approval,
    record_cancellation,
    record_meeting,
    record_minutes,
    record_reschedule,
    record_topic,
)


class SweepSummary(BaseModel):
    steps_done: list[str]
    waiting: list[str]
    notices_sent: int


class MeetingResult(BaseModel):
    meeting_id: int
    newly_recorded: bool
    sweep: SweepSummary


class MinutesResult(BaseModel):
    meeting_id: int
    decision_id: int | None
    assignment_ids: list[int]


def _sweep() -> SweepSummary:
    due = plan_due_steps()
    delivered = deliver_notices(due.notice_keys)
    return SweepSummary(steps_done=due.steps_done, waiting=due.waiting, notices_sent=delivered.sent)


@flow(name="meeting-preparation", log_prints=True)
def meeting_preparation(meeting: MeetingSpec, actor: str = "system") -> MeetingResult:
    """Register a meeting: attendees, topic and materials deadlines, reminder plan. The call for
    topics goes out at once (or on the next working day); the other steps follow their times."""
    record = record_meeting(meeting, actor)
    sweep = _sweep()
    publish_steps(record.meeting_id)
    return MeetingResult(meeting_id=record.meeting_id, newly_recorded=record.created, sweep=sweep)


@flow(name="meeting-steps-sweep", log_prints=True)
def meeting_steps_sweep() -> SweepSummary:
    """Carry out every due step of every meeting, once. Safe to run any number of times."""
    return _sweep()


@flow(name="meeting-submit-topic", log_prints=True)
def meeting_submit_topic(submission: TopicSubmission, actor: str = "system") -> int:
    """A department submits an agenda topic (议题); late ones need the office's acceptance."""
    return record_topic(submission, actor)


@flow(name="meeting-approve-agenda", log_prints=True)
def meeting_approve_agenda(approval: AgendaApproval, actor: str = "system") -> SweepSummary:
    """The chair or the office approves the agenda; it is published and the notice follows."""
    record_agenda_approval(approval, actor)
    publish_agenda(approval.meeting_id)
    sweep = _sweep()
    publish_steps(approval.meeting_id)
    return sweep


@flow(name="meeting-reschedule", log_prints=True)
def meeting_reschedule(meeting_id: int, to: OfficeDateTime, actor: str = "system") -> SweepSummary:
    """Move the meeting: pending steps move, invited attendees get an updated invitation."""
    record_reschedule(meeting_id, to, actor)
    sweep = _sweep()
    publish_steps(meeting_id)
    return sweep


@flow(name="meeting-cancel", log_prints=True)
def meeting_cancel(meeting_id: int, reason: str = "", actor: str = "system") -> SweepSummary:
    """Cancel the meeting: pending steps are dropped, everyone told gets a METHOD:CANCEL."""
    record_cancellation(meeting_id, reason, actor)
    sweep = _sweep()
    publish_steps(meeting_id)
    return sweep


@flow(name="meeting-record-minutes", log_prints=True)
def meeting_record_minutes(
    meeting_id: int, minutes: MinutesSpec, actor: str = "system"
) -> MinutesResult:
    """Record the minutes (会议纪要); each action item becomes an assignment through the
    decision-implementation process, traceable to the meeting and the item."""
    decision = record_minutes(meeting_id, minutes, actor)
    if decision is None:
        return MinutesResult(meeting_id=meeting_id, decision_id=None, assignment_ids=[])
    result = decision_implementation(decision)
    link_minutes_decision(meeting_id, result.decision_id)
    return MinutesResult(
        meeting_id=meeting_id,
        decision_id=result.decision_id,
        assignment_ids=result.assignment_ids,
    )
