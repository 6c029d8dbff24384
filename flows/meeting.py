"""办会: from registering a meeting to its minutes' assignments.

A meeting's life is a list of steps with due times in the ledger (`meeting_steps`);
`meeting-sweep`, scheduled every five minutes, carries out whatever is due. The flows that
register or change a meeting run the same sweep at their end, so what became due goes at once.
"""

from __future__ import annotations

from prefect import flow

from flows.supervision import decision_implementation
from models.common import OfficeDateTime
from models.meeting_input import (
    AgendaApproval,
    AgendaResult,
    CancelResult,
    MeetingResult,
    MeetingSpec,
    MeetingSweepResult,
    MinutesResult,
    MinutesSpec,
    RescheduleResult,
    TopicResult,
    TopicSubmission,
)
from tasks.delivery import deliver_notices
from tasks.meeting import (
    link_minutes_decision,
    plan_meeting_sweep,
    publish_agenda,
    publish_steps,
    record_agenda_approval,
    record_cancellation,
    record_meeting,
    record_minutes,
    record_reschedule,
    record_topic,
)


def _sweep() -> MeetingSweepResult:
    planned = plan_meeting_sweep()
    delivered = deliver_notices(planned.notice_keys)
    return planned.model_copy(update={"sent": delivered.sent, "failed": delivered.failed})


@flow(name="meeting-preparation")
def meeting_preparation(meeting: MeetingSpec, actor: str = "system") -> MeetingResult:
    """Register a meeting: attendees, topic and materials deadlines, reminder plan. The call for
    topics goes out at once (or on the next working day); the other steps follow their times."""
    record = record_meeting(meeting, actor)
    sweep = _sweep()
    publish_steps(record.meeting_id)
    return MeetingResult(meeting_id=record.meeting_id, newly_recorded=record.created, sweep=sweep)


@flow(name="meeting-sweep")
def meeting_sweep() -> MeetingSweepResult:
    """Carry out every due step of every meeting, once. Safe to run any number of times."""
    return _sweep()


@flow(name="meeting-submit-topic")
def meeting_submit_topic(submission: TopicSubmission, actor: str = "system") -> TopicResult:
    """A department submits an agenda topic (议题); late ones need the office's acceptance."""
    return record_topic(submission, actor)


@flow(name="meeting-approve-agenda")
def meeting_approve_agenda(approval: AgendaApproval, actor: str = "system") -> AgendaResult:
    """The chair or the office approves the agenda; it is published and the notice follows."""
    approved = record_agenda_approval(approval, actor)
    publish_agenda(approval.meeting_id)
    sweep = _sweep()
    publish_steps(approval.meeting_id)
    return AgendaResult(meeting_id=approval.meeting_id, newly_approved=approved, sweep=sweep)


@flow(name="meeting-reschedule")
def meeting_reschedule(
    meeting_id: int, to: OfficeDateTime, actor: str = "system"
) -> RescheduleResult:
    """Move the meeting: pending steps move, invited attendees get an updated invitation."""
    sequence = record_reschedule(meeting_id, to, actor)
    sweep = _sweep()
    publish_steps(meeting_id)
    return RescheduleResult(meeting_id=meeting_id, sequence=sequence, sweep=sweep)


@flow(name="meeting-cancel")
def meeting_cancel(meeting_id: int, reason: str = "", actor: str = "system") -> CancelResult:
    """Cancel the meeting: pending steps are dropped, everyone told gets a METHOD:CANCEL."""
    dropped = record_cancellation(meeting_id, reason, actor)
    sweep = _sweep()
    publish_steps(meeting_id)
    return CancelResult(meeting_id=meeting_id, steps_dropped=dropped, sweep=sweep)


@flow(name="meeting-record-minutes")
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
