"""办文 flow parameters and results: what the Prefect UI renders as forms."""

from __future__ import annotations

import hashlib
import json

from pydantic import BaseModel, Field, field_validator, model_validator

from models.common import ID_PATTERN, OfficeDate, StrictInput
from models.documents import Urgency
from rules.documents import number_problem, parse_urgency, series_problem

Id = Field(pattern=ID_PATTERN, max_length=64)


class IncomingDocumentSpec(StrictInput):
    """收文登记: a document received from another authority."""

    sender: str = Field(min_length=1, max_length=200, description="Sending authority (来文单位)")
    number: str = Field(
        min_length=1, max_length=80, description="Its number, e.g. X政发〔2026〕12号"
    )
    title: str = Field(min_length=1, max_length=300)
    urgency: Urgency = Field(Urgency.NORMAL, description="特急, 加急 or 平件")
    classification: str | None = Field(
        None, max_length=40, description="密级 marking; shown, never sent by chat"
    )
    received_on: OfficeDate | None = Field(None, description="Date received; today when empty")
    files: list[str] = Field(
        default_factory=list, max_length=20, description="Paths of the files (.docx, .pdf …)"
    )
    registered_by: str = Field(pattern=ID_PATTERN, max_length=64, description="Office staff id")

    @field_validator("urgency", mode="before")
    @classmethod
    def _urgency(cls, value: object) -> Urgency:
        return parse_urgency(value)

    @field_validator("number")
    @classmethod
    def _number(cls, value: str) -> str:
        problem = number_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    def fingerprint(self) -> str:
        data = self.model_dump(mode="json", exclude={"files", "registered_by"})
        canonical = json.dumps(data, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()


class OutgoingDocumentSpec(StrictInput):
    """发文拟稿: a department's draft."""

    title: str = Field(min_length=1, max_length=300)
    doc_type: str = Field(min_length=1, max_length=40, description="文种: 通知, 请示, 函 …")
    series: str = Field(min_length=2, max_length=40, description="Number series, e.g. X府办发")
    department: str = Field(pattern=ID_PATTERN, max_length=64, description="Drafting department")
    author: str = Field(pattern=ID_PATTERN, max_length=64, description="Drafter (person id)")
    urgency: Urgency = Field(Urgency.NORMAL, description="特急, 加急 or 平件")
    classification: str | None = Field(None, max_length=40)
    main_recipients: str = Field(min_length=1, max_length=500, description="主送机关")
    copy_to: list[str] = Field(default_factory=list, max_length=50, description="抄送机关")
    body: str = Field(min_length=1, max_length=100_000, description="正文")

    @field_validator("urgency", mode="before")
    @classmethod
    def _urgency(cls, value: object) -> Urgency:
        return parse_urgency(value)

    @field_validator("series")
    @classmethod
    def _series(cls, value: str) -> str:
        problem = series_problem(value)
        if problem:
            raise ValueError(problem)
        return value


class TaskSpec(StrictInput):
    """A concrete task in a leader's comment: it becomes a supervised assignment."""

    department: str = Field(pattern=ID_PATTERN, max_length=64, description="Handling department")
    task: str = Field(min_length=1, max_length=4000)
    acceptance_standard: str = Field("按批示要求办结并报告", min_length=1, max_length=4000)
    due_in_workdays: int | None = Field(
        None, ge=1, le=250, description="Working days; from the urgency when empty"
    )


class CommentSpec(StrictInput):
    """批示: a leader's comment, optionally with tasks."""

    text: str = Field(min_length=1, max_length=4000)
    tasks: list[TaskSpec] = Field(default_factory=list, max_length=50)


class StepResult(BaseModel):
    """One action on a document: what it became and which notices were planned and sent."""

    document_id: int
    action: str
    status: str
    number: str | None = None
    decision_id: int | None = None
    notice_keys: list[str] = Field(default_factory=list)
    notices_sent: int = 0
    notices_failed: int = 0


class RouteSpec(StrictInput):
    """拟办: the office's proposal and which leaders comment, in sequence or in parallel."""

    proposal: str = Field(min_length=1, max_length=4000)
    leaders: list[str] = Field(default_factory=list, max_length=10)
    parallel: bool = False

    @model_validator(mode="after")
    def _distinct(self) -> RouteSpec:
        if len(set(self.leaders)) != len(self.leaders):
            raise ValueError("a leader is named twice")
        return self
