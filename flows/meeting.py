"""办会: from registering a meeting to its minutes' assignments.

A meeting's life is a list of steps with due times in the ledger (`meeting_steps`);
`meeting-sweep`, scheduled every five minutes, carries out whatever is due. The flows that
register or change a meeting run the same sweep at their end, so what became due goes at once.

The actions on a meeting (submit-topic, approve-agenda, submit-materials, reschedule, cancel,
record-minutes, register-attendance) are declared in `officeflow.meeting.declarations`; each
flow records its action through the service door (`tasks.actions.take_action`: the input, then
who may, then the service), so a refused person fails the run before anything is written.
"""

from __future__ import annotations

from prefect import flow

from flows.supervision import decision_implementation
from models.meeting_input import (
    AgendaResult,
    ApproveAgendaInput,
    CancelInput,
    CancelResult,
    MeetingActionResult,
    MeetingResult,
    MeetingSpec,
    MeetingSweepResult,
    MinutesResult,
    RecordMinutesInput,
    RegisterAttendanceInput,
    RescheduleInput,
    RescheduleResult,
    SubmitMaterialsInput,
    SubmitTopicInput,
)
from tasks.actions import take_action
from tasks.delivery import deliver_notices
from tasks.meeting import (
    link_minutes_decision,
    plan_meeting_sweep,
    publish_agenda,
    publish_steps,
    record_meeting,
)


def _sweep() -> MeetingSweepResult:
    planned = plan_meeting_sweep()
    delivered = deliver_notices(planned.notice_keys)
    return planned.model_copy(update={"sent": delivered.sent, "failed": delivered.failed})


def _delivered(result: MeetingActionResult) -> MeetingActionResult:
    if not result.notice_keys:
        return result
    report = deliver_notices(result.notice_keys)
    return result.model_copy(update={"notices_sent": report.sent, "notices_failed": report.failed})


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
def meeting_submit_topic(
    meeting_id: int, params: SubmitTopicInput, actor: str
) -> MeetingActionResult:
    """报送议题: a department submits an agenda topic; late ones only the office accepts."""
    return take_action("meeting.submit-topic", meeting_id, params, actor)


@flow(name="meeting-approve-agenda")
def meeting_approve_agenda(meeting_id: int, params: ApproveAgendaInput, actor: str) -> AgendaResult:
    """审定议程: the chair or the office director approves the agenda; it is published and the
    notice follows."""
    approved = take_action("meeting.approve-agenda", meeting_id, params, actor)
    publish_agenda(meeting_id)
    sweep = _sweep()
    publish_steps(meeting_id)
    return AgendaResult(meeting_id=meeting_id, newly_approved=approved.changed, sweep=sweep)


@flow(name="meeting-submit-materials")
def meeting_submit_materials(
    meeting_id: int, params: SubmitMaterialsInput, actor: str
) -> MeetingActionResult:
    """报送材料: a topic's materials (or a department's) received."""
    return take_action("meeting.submit-materials", meeting_id, params, actor)


@flow(name="meeting-reschedule")
def meeting_reschedule(meeting_id: int, params: RescheduleInput, actor: str) -> RescheduleResult:
    """改期: move the meeting; pending steps move, invited attendees get an updated
    invitation."""
    moved = take_action("meeting.reschedule", meeting_id, params, actor)
    sweep = _sweep()
    publish_steps(meeting_id)
    assert moved.sequence is not None
    return RescheduleResult(meeting_id=meeting_id, sequence=moved.sequence, sweep=sweep)


@flow(name="meeting-cancel")
def meeting_cancel(meeting_id: int, params: CancelInput, actor: str) -> CancelResult:
    """取消会议: pending steps are dropped, everyone told gets a METHOD:CANCEL."""
    cancelled = take_action("meeting.cancel", meeting_id, params, actor)
    sweep = _sweep()
    publish_steps(meeting_id)
    return CancelResult(
        meeting_id=meeting_id, steps_dropped=cancelled.steps_dropped or 0, sweep=sweep
    )


@flow(name="meeting-record-minutes")
def meeting_record_minutes(
    meeting_id: int, params: RecordMinutesInput, actor: str
) -> MinutesResult:
    """录入纪要 (会议纪要); each action item becomes an assignment through the
    decision-implementation process, traceable to the meeting and the item."""
    recorded = take_action("meeting.record-minutes", meeting_id, params, actor)
    if recorded.decision is None:
        return MinutesResult(meeting_id=meeting_id, decision_id=None, assignment_ids=[])
    result = decision_implementation(recorded.decision)
    link_minutes_decision(meeting_id, result.decision_id)
    return MinutesResult(
        meeting_id=meeting_id,
        decision_id=result.decision_id,
        assignment_ids=result.assignment_ids,
    )


@flow(name="meeting-register-attendance")
def meeting_register_attendance(
    meeting_id: int, params: RegisterAttendanceInput, actor: str
) -> MeetingActionResult:
    """报名参会 (出席回执): accept, decline or name a stand-in, who is told."""
    return _delivered(take_action("meeting.register-attendance", meeting_id, params, actor))
