"""The meeting flows' parameters (what the Prefect UI renders as forms, and the YAML files)
and what the meeting flows return."""

from __future__ import annotations

import enum
import hashlib
import json

from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator

from models.common import OfficeDate, OfficeDateTime, StrictInput, SweepResult
from models.meeting import MeetingKind


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


class TopicSubmission(StrictInput):
    """A department's agenda topic (议题)."""

    meeting_id: int
    department: str
    title: str = Field(min_length=1, max_length=300)
    presenter: str = Field(description="Person id of the presenter (汇报人)")
    accept_late_by: str | None = Field(
        None, description="Office member accepting a topic after the deadline (补报)"
    )


class AgendaApproval(StrictInput):
    """The chair's or the office's approval of the agenda. Never pre-filled."""

    meeting_id: int
    approved_by: str = Field(description="Person id: the chair or the office director")
    comment: str = Field("", max_length=2000)


class ActionItem(StrictInput):
    """An action item of the minutes: becomes one assignment (交办事项)."""

    task: str = Field(min_length=1, max_length=4000)
    lead_department: str
    co_departments: list[str] = Field(default_factory=list)
    owner: str | None = None
    acceptance_standard: str = Field(min_length=1, max_length=4000)
    due_date: OfficeDate | None = None
    due_in_workdays: int | None = Field(None, ge=1, le=250)

    @model_validator(mode="after")
    def _one_deadline(self) -> ActionItem:
        if (self.due_date is None) == (self.due_in_workdays is None):
            raise ValueError("give exactly one of due_date or due_in_workdays")
        return self


class MinutesSpec(StrictInput):
    """会议纪要: what was decided and who does what."""

    recorded_by: str = Field(description="Person id of the recorder")
    issued_by: str | None = Field(
        None, description="Leader issuing the action items; the chair when empty"
    )
    decisions: list[str] = Field(default_factory=list, description="Decisions (议定事项)")
    action_items: list[ActionItem] = Field(default_factory=list, max_length=200)

    def fingerprint(self) -> str:
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()


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


class TopicResult(BaseModel):
    """`meeting-submit-topic`."""

    meeting_id: int
    topic_id: int
    newly_recorded: bool


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
