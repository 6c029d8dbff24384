"""办会, declared: the meeting's actions and who may take them, the process's flows. Everything
people use (the CLI commands, the deployments, the pages, the policy table) is derived from this
module (`officeflow.actions`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from models.meeting_input import (
    ApproveAgendaInput,
    CancelInput,
    RecordMinutesInput,
    RegisterAttendanceInput,
    RescheduleInput,
    SubmitMaterialsInput,
    SubmitTopicInput,
)
from officeflow import policy
from officeflow.actions import CLI, DEPLOYMENT, Action, OfficeObject, Process, ProcessFlow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

MEETING = OfficeObject(
    name="meeting",
    zh="会议",
    en="meeting",
    load="officeflow.meeting.common:get_meeting",
    id_param="meeting_id",
    label=lambda m: m.title[:40],
)

# 改期, 取消, 录入纪要: its chair and the general office (办公室).
CHAIR = policy.person("chair_id", zh="主持人{name}", en="its chair {name}")
CHAIR_AND_OFFICE = CHAIR | policy.office()

# 审定议程: its chair or the office director.
AGENDA_APPROVERS = CHAIR | policy.role("office_director")

# 报送议题: the people of the topic's department, or the general office; a late topic (补报) only
# the general office accepts (``--accept-late``).
_LATE = policy.rule(lambda a: bool(getattr(a.params, "accept_late", False)), zh="", en="")
TOPIC_SUBMITTERS = (
    policy.in_department_of_input(
        "department",
        zh="报送部门{department}的人员",
        en="the people of the department {department}",
    ).but_not(_LATE, zh="补报议题只由办公室受理", en="a late topic only the general office accepts")
    | policy.office()
)


def _materials_department(ask: policy.Ask) -> str | None:
    from officeflow.meeting.attendance import materials_department

    return materials_department(ask.session, ask.obj.id, ask.params)


def _department_name(session: Session, department_id: str | None) -> str | None:
    from models.org import Department

    found = session.get(Department, department_id) if department_id else None
    return found.name if found is not None else department_id


def _materials_zh(ask: policy.Ask) -> str:
    name = _department_name(ask.session, _materials_department(ask))
    return f"报送部门{name}的人员" if name else "议题所属部门的人员"


def _materials_en(ask: policy.Ask) -> str:
    name = _department_name(ask.session, _materials_department(ask))
    return f"the people of the department {name}" if name else "the people of its department"


# 报送材料: the people of the topic's department, or the general office.
MATERIALS_SUBMITTERS = (
    policy.rule(
        lambda a: a.person.department_id == _materials_department(a),
        zh=_materials_zh,
        en=_materials_en,
    )
    | policy.office()
)


def _answers_for_themself(ask: policy.Ask) -> bool:
    from officeflow.meeting.common import attendee_ids

    person = getattr(ask.params, "attendee", None) or ask.actor
    return person == ask.actor and ask.actor in attendee_ids(ask.session, ask.obj.id)


# 报名参会 (出席回执): the attendee, or the general office on their behalf.
ANSWERERS = (
    policy.rule(_answers_for_themself, zh="参会人本人", en="the attendee themself")
    | policy.office()
)


def _closed(session: Session, meeting: Any, actor: str) -> str | None:
    """Nothing left to do on a page: the meeting was cancelled or has been minuted."""
    return None if meeting.status.value == "scheduled" else "meeting.closed"


def _agenda_approved(session: Session, meeting: Any, actor: str) -> str | None:
    if closed := _closed(session, meeting, actor):
        return closed
    return "meeting.approve.already" if meeting.agenda_status.value == "approved" else None


SEND_DUE = "officeflow.meeting.sweep:send_due"  # on a page: what became due goes at once

ACTIONS = (
    Action(
        obj=MEETING,
        verb="submit-topic",
        input=SubmitTopicInput,
        service="officeflow.meeting.agenda:submit_topic",
        policy=TOPIC_SUBMITTERS,
        summary="报送议题: a department submits an agenda topic; after the deadline only the "
        "general office accepts one (--accept-late).",
        flow="flows.meeting:meeting_submit_topic",
        already=_closed,
    ),
    Action(
        obj=MEETING,
        verb="approve-agenda",
        input=ApproveAgendaInput,
        service="officeflow.meeting.agenda:approve_agenda",
        policy=AGENDA_APPROVERS,
        summary="审定议程: the chair or the office director approves the agenda; it is "
        "published and the meeting notice goes out when due.",
        flow="flows.meeting:meeting_approve_agenda",
        cli_runs_flow=True,
        already=_agenda_approved,
        after=SEND_DUE,
    ),
    Action(
        obj=MEETING,
        verb="submit-materials",
        input=SubmitMaterialsInput,
        service="officeflow.meeting.agenda:submit_materials",
        policy=MATERIALS_SUBMITTERS,
        summary="报送材料: a topic's materials (会议材料) received, or every topic of a "
        "department's.",
        flow="flows.meeting:meeting_submit_materials",
        aliases=("materials",),
        already=_closed,
    ),
    Action(
        obj=MEETING,
        verb="reschedule",
        input=RescheduleInput,
        service="officeflow.meeting.changes:reschedule",
        policy=CHAIR_AND_OFFICE,
        summary="改期: move the meeting; invited attendees get an updated invitation (same UID, "
        "SEQUENCE+1) and pending steps move with it.",
        flow="flows.meeting:meeting_reschedule",
        cli_runs_flow=True,
        already=_closed,
        after=SEND_DUE,
    ),
    Action(
        obj=MEETING,
        verb="cancel",
        input=CancelInput,
        service="officeflow.meeting.changes:cancel",
        policy=CHAIR_AND_OFFICE,
        summary="取消会议: pending steps are dropped; everyone told gets a METHOD:CANCEL.",
        flow="flows.meeting:meeting_cancel",
        cli_runs_flow=True,
        already=_closed,
        after=SEND_DUE,
    ),
    Action(
        obj=MEETING,
        verb="record-minutes",
        input=RecordMinutesInput,
        service="officeflow.meeting.minutes:record_minutes",
        policy=CHAIR_AND_OFFICE,
        summary="录入纪要: record the minutes (会议纪要); each action item becomes a supervised "
        "assignment (decision-implementation), traceable to the meeting.",
        # No generated page: its action items are a list of records, which a generated form
        # cannot ask for; the old `meeting minutes ID FILE` stays a hidden command of its own.
        surfaces=(CLI, DEPLOYMENT),
        flow="flows.meeting:meeting_record_minutes",
        cli_runs_flow=True,
    ),
    Action(
        obj=MEETING,
        verb="register-attendance",
        input=RegisterAttendanceInput,
        service="officeflow.meeting.attendance:register_attendance",
        policy=ANSWERERS,
        summary="报名参会 (出席回执): an attendee accepts, declines or names a stand-in (who is "
        "told); the general office may answer for an attendee.",
        flow="flows.meeting:meeting_register_attendance",
        already=_closed,
    ),
)


# The words of this process's events on the pages' timelines (`i18n.event_label`).
EVENT_WORDS = {
    "zh-CN": {
        "ev.meeting.created": "会议登记",
        "ev.meeting.topic_submitted": "报送议题",
        "ev.meeting.materials_received": "报送会议材料",
        "ev.meeting.agenda_approved": "审定议程",
        "ev.meeting.attendance": "回复参会",
        "ev.meeting.rescheduled": "会议改期",
        "ev.meeting.cancelled": "会议取消",
        "ev.meeting.minuted": "印发纪要",
    },
    "en": {
        "ev.meeting.created": "meeting created",
        "ev.meeting.topic_submitted": "topic submitted",
        "ev.meeting.materials_received": "materials received",
        "ev.meeting.agenda_approved": "agenda approved",
        "ev.meeting.attendance": "attendance answered",
        "ev.meeting.rescheduled": "rescheduled",
        "ev.meeting.cancelled": "cancelled",
        "ev.meeting.minuted": "minutes recorded",
    },
}


PROCESS = Process(
    name="meeting",
    words=EVENT_WORDS,
    zh="办会",
    objects=(MEETING,),
    actions=ACTIONS,
    flows=(
        ProcessFlow(
            name="meeting-preparation",
            entrypoint="flows.meeting:meeting_preparation",
            description=(
                "办会: register a meeting (attendees, topic and materials deadlines, reminder "
                "plan) and send the call for topics; its other steps (topic reminder, agenda "
                "approval request, notice with invitation, materials reminders, reminders) "
                "follow on meeting-sweep."
            ),
            tags=("meeting",),
        ),
        ProcessFlow(
            name="meeting-sweep",
            entrypoint="flows.meeting:meeting_sweep",
            description=(
                "办会 sweep: every five minutes, send the meeting reminders and step notices "
                "that are due."
            ),
            schedules=("*/5 * * * *",),
            tags=("meeting", "scheduled"),
            concurrency_limit=1,
        ),
    ),
    demo=(("meeting-preparation", "examples/meeting.yaml"),),
)
