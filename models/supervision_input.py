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


# --- the inputs of the assignment actions (officeflow/supervision/declarations.py) ------------

APPROVE_FLAGS = (
    "--approve/--refuse"  # the one spelling of a yes/no decision (docs/adding-a-process.md)
)


class ReportProgressInput(StrictInput):
    """进展反馈."""

    progress: int = Field(ge=0, le=100, title="进展（%）", description="Percent done, 0–100")
    note: str = Field("", max_length=4000, title="工作进展", description="What was done")


class RequestCompletionInput(StrictInput):
    """办结申请."""

    evidence: str = Field(
        min_length=1,
        max_length=4000,
        title="办结情况",
        description="What shows the standard is met",
    )


class VerifyInput(StrictInput):
    """核验: approve closes the assignment (销号); refuse sends it back with the comment."""

    approve: bool = Field(
        title="核验结论",
        description="Approve closes it (销号); refuse sends it back",
        json_schema_extra={"flags": APPROVE_FLAGS, "old_flags": ["--accept/--reject"]},
    )
    comment: str = Field("", max_length=4000, title="核验意见", description="Required to refuse")


class RequestExtensionInput(StrictInput):
    """延期申请."""

    new_due_date: OfficeDate = Field(title="申请延至", description="New deadline, a working day")
    reason: str = Field(min_length=1, max_length=4000, title="延期理由", description="Why")


class DecideExtensionInput(StrictInput):
    """延期审批 by the issuing leader."""

    approve: bool = Field(
        title="审批结论",
        description="Approve moves the deadline; refuse keeps it",
        json_schema_extra={"flags": APPROVE_FLAGS},
    )
    comment: str = Field("", max_length=4000, title="审批意见", description="The leader's comment")
    request_id: int | None = Field(
        None, ge=1, title="延期申请编号", description="Default: the request awaiting a decision"
    )


class BulletinResult(BaseModel):
    skipped: bool = False
    reason: str = ""
    notice: str | None = None
    sent: int = 0
    failed: int = 0
