"""The meeting flows' parameters (what the Prefect UI renders as forms, and the YAML files)
and what the meeting flows return."""

from __future__ import annotations

import enum
import hashlib
import json
from typing import Annotated

from pydantic import (
    BaseModel,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from models.attendance import AttendanceAnswer
from models.common import OfficeDate, OfficeDateTime, StrictInput, SweepResult
from models.meeting import MeetingKind
from models.supervision_input import DecisionSpec


class ReminderUnit(enum.StrEnum):
    WORKING_DAYS = "working_days"
    HOURS = "hours"
    MINUTES = "minutes"


_UNIT_LABEL = {ReminderUnit.WORKING_DAYS: "wd", ReminderUnit.HOURS: "h", ReminderUnit.MINUTES: "m"}


class Reminder(StrictInput):
    """Remind every attendee this long before the meeting starts."""

    before: int = Field(ge=1, le=30 * 24 * 60)
    unit: ReminderUnit = ReminderUnit.HOURS

    @property
    def label(self) -> str:
        return f"{self.before}{_UNIT_LABEL[self.unit]}"

    @classmethod
    def from_label(cls, label: str) -> Reminder:
        for unit, short in _UNIT_LABEL.items():
            if label.endswith(short) and label[: -len(short)].isdigit():
                return cls(before=int(label[: -len(short)]), unit=unit)
        raise ValueError(f"not a reminder label: {label!r}")


def _default_reminders() -> list[Reminder]:
    return [
        Reminder(before=1, unit=ReminderUnit.WORKING_DAYS),
        Reminder(before=1, unit=ReminderUnit.HOURS),
    ]


class MeetingSpec(StrictInput):
    """A meeting to prepare (办会)."""

    title: str = Field(min_length=1, max_length=300, description="Title (会议名称)")
    kind: MeetingKind = Field(MeetingKind.OFFICE, description="Office, special-topic, coordination")
    chair: str = Field(description="Person id of the chair (主持人)")
    start: OfficeDateTime = Field(description="Start, with an offset; naive is the office's zone")
    duration_minutes: int = Field(90, ge=10, le=24 * 60)
    venue: str = Field(min_length=1, max_length=300, description="Venue (会议地点)")
    departments: list[str] = Field(
        default_factory=list, description="Attending departments: asked for topics, heads attend"
    )
    people: list[str] = Field(
        default_factory=list,
        validate_default=True,
        description="Other attendees (person ids)",
    )
    topic_deadline: OfficeDateTime | None = Field(
        None, description="议题征集截止; default: end of office hours 3 working days before"
    )
    materials_deadline: OfficeDateTime | None = Field(
        None, description="材料报送截止; default: end of office hours 1 working day before"
    )
    reminders: list[Reminder] = Field(
        default_factory=_default_reminders,
        max_length=10,
        description="Reminder plan; default 1 working day and 1 hour before",
    )
    created_by: str | None = Field(None, description="Person id of who registers the meeting")

    @field_validator("departments", "people")
    @classmethod
    def _unique(cls, values: list[str]) -> list[str]:
        return list(dict.fromkeys(values))

    @field_validator("people")
    @classmethod
    def _someone_attends(cls, people: list[str], info: ValidationInfo) -> list[str]:
        # Checked on `people` (validated after `departments`) so the error names a field.
        if "departments" in info.data and not info.data["departments"] and not people:
            raise ValueError("name at least one attending department or person")
        return people

    @field_validator("reminders")
    @classmethod
    def _distinct_reminders(cls, reminders: list[Reminder]) -> list[Reminder]:
        labels = [r.label for r in reminders]
        if len(labels) != len(set(labels)):
            raise ValueError("the reminder plan names the same reminder twice")
        return reminders

    def fingerprint(self) -> str:
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()


class ActionItem(StrictInput):
    """An action item of the minutes: becomes one assignment (交办事项)."""

    task: str = Field(min_length=1, max_length=4000, title="工作任务", description="The task")
    lead_department: str = Field(
        min_length=1, max_length=64, title="牵头单位", description="Lead department id"
    )
    co_departments: list[str] = Field(
        default_factory=list, max_length=50, title="协办单位", description="Co-department ids"
    )
    owner: str | None = Field(
        None,
        max_length=64,
        title="责任人",
        description="Person id of the owner; the lead department's head if empty",
    )
    acceptance_standard: str = Field(
        min_length=1, max_length=4000, title="办结标准", description="Acceptance standard"
    )
    due_date: OfficeDate | None = Field(None, title="完成时限", description="Deadline as a date")
    due_in_workdays: int | None = Field(
        None, ge=1, le=250, title="工作日时限", description="Or: N working days after issue"
    )

    @model_validator(mode="after")
    def _one_deadline(self) -> ActionItem:
        if (self.due_date is None) == (self.due_in_workdays is None):
            raise ValueError("give exactly one of due_date or due_in_workdays")
        return self


# --- the inputs of the meeting actions (officeflow/meeting/declarations.py) -------------------


class SubmitTopicInput(StrictInput):
    """报送议题: a department's agenda topic. After the topic deadline only the general office
    accepts one (补报)."""

    department: str = Field(
        min_length=1, max_length=64, title="报送部门", description="Department id of the topic"
    )
    title: str = Field(min_length=1, max_length=300, title="议题", description="The topic")
    presenter: str = Field(
        min_length=1,
        max_length=64,
        title="汇报人",
        description="Person id of the presenter, of that department",
    )
    accept_late: bool = Field(
        False,
        title="受理补报",
        description="The general office accepts a topic after the deadline (补报)",
        json_schema_extra={"flags": "--accept-late/--on-time"},
    )


class ApproveAgendaInput(StrictInput):
    """审定议程 by the chair or the office director. Never pre-filled."""

    comment: str = Field(
        "", max_length=2000, title="审定意见", description="Comment recorded with the approval"
    )


class SubmitMaterialsInput(StrictInput):
    """报送材料: a topic's materials (会议材料) received, or every topic of a department's."""

    topic: int | None = Field(None, ge=1, le=2**31 - 1, title="议题编号", description="Topic id")
    department: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        validate_default=True,
        title="报送部门",
        description="Or: every topic of this department",
    )

    @field_validator("department")
    @classmethod
    def _one_of_them(cls, department: str | None, info: ValidationInfo) -> str | None:
        # Checked on `department` (validated after `topic`) so the error names a field.
        if department is None and info.data.get("topic") is None:
            raise ValueError("give a topic or a department")
        return department


class RescheduleInput(StrictInput):
    """改期: the meeting's new start."""

    to: OfficeDateTime = Field(
        title="改至",
        description="New start, e.g. 2026-10-10T09:30 (without an offset: the office's time zone)",
    )


class CancelInput(StrictInput):
    """取消会议."""

    reason: str = Field("", max_length=2000, title="取消原因", description="Why")


class RegisterAttendanceInput(StrictInput):
    """报名参会 (出席回执): an attendee accepts, declines or names a stand-in."""

    answer: AttendanceAnswer = Field(
        title="是否出席",
        description="accept, decline, or stand_in (someone attends for you)",
        json_schema_extra={
            "labels": {
                "accept": ["出席", "Attend"],
                "decline": ["请假", "Decline"],
                "stand_in": ["由他人代为出席", "A stand-in attends"],
            }
        },
    )
    attendee: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        title="参会人",
        description="Person id of the attendee answered for (the general office may answer "
        "for one); default: yourself",
    )
    stand_in: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        title="代会人",
        description="Person id of who attends in your place (with answer stand_in)",
    )
    note: str = Field("", max_length=500, title="备注", description="A note for the office")


class RecordMinutesInput(StrictInput):
    """录入纪要 (会议纪要): what was decided and who does what. The person recording them is
    the actor."""

    issued_by: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        title="交办领导",
        description="Leader issuing the action items; the chair when empty",
    )
    decisions: list[Annotated[str, StringConstraints(min_length=1, max_length=4000)]] = Field(
        default_factory=list, max_length=100, title="议定事项", description="Decisions"
    )
    action_items: list[ActionItem] = Field(
        default_factory=list,
        max_length=200,
        title="交办事项",
        description="Action items, each becomes a supervised assignment",
    )


class MinutesSpec(RecordMinutesInput):
    """会议纪要 as recorded (and as a minutes YAML file): the input and who recorded them."""

    recorded_by: str = Field(
        min_length=1, max_length=64, title="记录人", description="Person id of the recorder"
    )

    def fingerprint(self) -> str:
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()

    def input(self) -> RecordMinutesInput:
        return RecordMinutesInput.model_validate(self.model_dump(exclude={"recorded_by"}))


# --- what the meeting flows return ------------------------------------------------------------


class MeetingSweepResult(SweepResult):
    """The meeting sweep: `SweepResult` (process ``meeting``; counts ``step:done`` and
    ``step:waiting``) with the names of the steps, e.g. ``meeting:5:notice``."""

    process: str = "meeting"
    steps_done: list[str] = Field(default_factory=list, description="Steps carried out")
    waiting: list[str] = Field(
        default_factory=list, description="Steps due but waiting (the notice, for the agenda)"
    )


class MeetingResult(BaseModel):
    """`meeting-preparation`: the meeting registered, and the sweep that followed."""

    meeting_id: int
    newly_recorded: bool
    sweep: MeetingSweepResult


class MeetingActionResult(BaseModel):
    """One action on a meeting (a declared action's service): what it did and what to send."""

    meeting_id: int
    action: str = Field(
        description="topic_submitted, agenda_approved, materials_received, rescheduled, "
        "cancelled, minuted or attendance"
    )
    status: str = Field(description="The meeting's status afterwards")
    changed: bool = Field(True, description="False for a replay: nothing changed")
    topic_id: int | None = Field(None, description="The topic submitted")
    topic_ids: list[int] = Field(default_factory=list, description="Topics marked received")
    sequence: int | None = Field(None, description="The invitation's SEQUENCE afterwards")
    steps_dropped: int | None = Field(None, description="Pending steps a cancellation dropped")
    answer: str | None = Field(None, description="The attendance answer recorded")
    decision: DecisionSpec | None = Field(
        None, description="The decision the minutes' action items become"
    )
    notice_keys: list[str] = Field(default_factory=list)
    notices_sent: int = 0
    notices_failed: int = 0


class AgendaResult(BaseModel):
    """`meeting-approve-agenda`: the approval, and the sweep that sent the notice if due."""

    meeting_id: int
    newly_approved: bool
    sweep: MeetingSweepResult


class RescheduleResult(BaseModel):
    """`meeting-reschedule`: the new SEQUENCE, and the sweep that sent the update if due."""

    meeting_id: int
    sequence: int
    sweep: MeetingSweepResult


class CancelResult(BaseModel):
    """`meeting-cancel`: the pending steps dropped, and the sweep that sent METHOD:CANCEL."""

    meeting_id: int
    steps_dropped: int
    sweep: MeetingSweepResult


class MinutesResult(BaseModel):
    """`meeting-record-minutes`: the decision the action items became, if any."""

    meeting_id: int
    decision_id: int | None
    assignment_ids: list[int]
