"""The decision-implementation flow's parameter: what the Prefect UI renders as a form."""

from __future__ import annotations

import hashlib
import json

from pydantic import BaseModel, Field, model_validator

from models.common import OfficeDate, StrictInput
from models.supervision import DecisionSource, Priority, ReportCycle


class AssignmentSpec(StrictInput):
    """One assignment (交办事项): who does what, to what standard, by when."""

    lead_department: str = Field(description="Lead department id (牵头单位)")
    co_departments: list[str] = Field(default_factory=list, description="Co-departments (协办单位)")
    owner: str | None = Field(
        None, description="Person id of the owner (责任人); the lead department's head if empty"
    )
    task: str = Field(min_length=1, max_length=4000, description="The task (工作任务)")
    acceptance_standard: str = Field(
        min_length=1, max_length=4000, description="Acceptance standard (办结标准)"
    )
    due_date: OfficeDate | None = Field(
        None, description="Deadline as a date (ends at office close)"
    )
    due_in_workdays: int | None = Field(
        None, ge=1, le=250, description="Or: deadline as N working days after the issue date"
    )
    source_ref: str | None = Field(
        None, max_length=120, description="Origin, e.g. meeting:3:item:2 (set by other flows)"
    )

    @model_validator(mode="after")
    def _one_deadline(self) -> AssignmentSpec:
        if (self.due_date is None) == (self.due_in_workdays is None):
            raise ValueError("give exactly one of due_date or due_in_workdays")
        return self


class DecisionSpec(StrictInput):
    """A leader's decision (决策事项) broken into assignments."""

    title: str = Field(min_length=1, max_length=300)
    source: DecisionSource = DecisionSource.LEADER_INSTRUCTION
    source_ref: str | None = Field(None, max_length=120, description="Document number or origin")
    issued_by: str = Field(description="Person id of the issuing leader")
    issued_on: OfficeDate
    priority: Priority = Priority.NORMAL
    report_cycle: ReportCycle = ReportCycle.NONE
    assignments: list[AssignmentSpec] = Field(min_length=1, max_length=200)

    def fingerprint(self) -> str:
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()


# --- results: what the supervision flows and tasks return ----------------------------------


class DecisionRecord(BaseModel):
    """A decision as recorded: new, or found again by its fingerprint."""

    decision_id: int
    assignment_ids: list[int]
    created: bool
    notice_keys: list[str] = Field(default_factory=list)


class DecisionResult(BaseModel):
    decision_id: int
    assignment_ids: list[int]
    newly_recorded: bool
    notices_sent: int


class ActionResult(BaseModel):
    """One action on an assignment: what it became and what was sent."""

    assignment_id: int
    action: str = Field(description="progress, completion_requested, closed, ...")
    status: str = Field(description="The assignment's status afterwards")
    request_id: int | None = Field(None, description="The completion or extension request")
    notice_keys: list[str] = Field(default_factory=list)
    notices_sent: int = 0
    notices_failed: int = 0


class BulletinResult(BaseModel):
    skipped: bool = False
    reason: str = ""
    notice: str | None = None
    sent: int = 0
    failed: int = 0
