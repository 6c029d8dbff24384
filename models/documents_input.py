"""办文 flow parameters, the inputs of the document actions (`officeflow/documents/declarations.py`)
and the results: what the Prefect UI and the action pages render as forms."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated

from pydantic import BaseModel, Field, field_validator

from models.common import (
    ID_PATTERN,
    TASK_LINE_HELP,
    OfficeDate,
    StrictInput,
    TaskLine,
    split_task_line,
)
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
    """A concrete task in a leader's comment or a distribution: it becomes a supervised
    assignment (read from a task line, `task_specs`)."""

    department: str = Field(pattern=ID_PATTERN, max_length=64, description="Handling department")
    task: str = Field(min_length=1, max_length=4000)
    acceptance_standard: str = Field("按批示要求办结并报告", min_length=1, max_length=4000)
    due_in_workdays: int | None = Field(
        None, ge=1, le=250, description="Working days; from the urgency when empty"
    )


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


# --- the inputs of the document actions (officeflow/documents/declarations.py) ----------------

APPROVE_FLAGS = (
    "--approve/--refuse"  # the one spelling of a yes/no decision (docs/adding-a-process.md)
)

PersonId = Annotated[str, Field(pattern=ID_PATTERN, max_length=64)]
DepartmentId = Annotated[str, Field(pattern=ID_PATTERN, max_length=64)]


def task_specs(lines: list[str], due_in_workdays: int | None) -> list[TaskSpec]:
    """The tasks the lines name; a line without its own working days takes ``due_in_workdays``
    (None: from the document's urgency)."""
    out = []
    for line in lines:
        department, days, task = split_task_line(line)
        out.append(
            TaskSpec(department=department, task=task, due_in_workdays=days or due_in_workdays)
        )
    return out


def _distinct(values: list[str], what: str) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError(f"{what} is named twice")
    return values


class ProposeInput(StrictInput):
    """拟办: the office's proposal and the leaders who comment, in turn or at once."""

    proposal: str = Field(
        min_length=1,
        max_length=4000,
        title="拟办意见",
        description="How the office proposes to handle it",
    )
    leaders: list[PersonId] = Field(
        default_factory=list,
        max_length=10,
        title="呈批领导",
        description="Leaders who comment, in this order; none: straight to distribution (分办)",
        json_schema_extra={"old_options": ["--leader"]},
    )
    parallel: bool = Field(
        False,
        title="同时批示",
        description="The leaders comment at once rather than in turn",
        json_schema_extra={"flags": "--parallel/--in-turn"},
    )

    @field_validator("leaders")
    @classmethod
    def _leaders(cls, value: list[str]) -> list[str]:
        return _distinct(value, "a leader")


class CommentInput(StrictInput):
    """批示: the leader whose turn it is comments; each task becomes a supervised assignment."""

    text: str = Field(min_length=1, max_length=4000, title="批示内容", description="The comment")
    tasks: list[TaskLine] = Field(
        default_factory=list,
        max_length=50,
        title="交办任务",
        description=f"Tasks for departments, each {TASK_LINE_HELP}",
        json_schema_extra={"old_options": ["--task"]},
    )
    due_in_workdays: int | None = Field(
        None,
        ge=1,
        le=250,
        title="办理时限（工作日）",
        description="Working days for the tasks; from the urgency when empty",
        json_schema_extra={"old_options": ["--days"]},
    )


class DistributeInput(StrictInput):
    """分办: the office hands the document to the handling departments."""

    tasks: list[TaskLine] = Field(
        min_length=1,
        max_length=50,
        title="承办任务",
        description=f"One task per handling department, each {TASK_LINE_HELP}",
        json_schema_extra={"old_options": ["--task"]},
    )
    due_in_workdays: int | None = Field(
        None,
        ge=1,
        le=250,
        title="办理时限（工作日）",
        description="Working days for the tasks; from the urgency when empty",
        json_schema_extra={"old_options": ["--days"]},
    )
    leader: str | None = Field(
        None,
        pattern=ID_PATTERN,
        max_length=64,
        title="交办领导",
        description="The leader in whose name it is assigned; default: the last who commented",
    )


class FileInput(StrictInput):
    """归档."""

    note: str = Field(
        "", max_length=2000, title="归档说明", description="A note kept with the filing"
    )


class ReviewInput(StrictInput):
    """核稿: approve passes the draft on to co-signing and sign-off; refuse returns it to its
    author with the comment."""

    approve: bool = Field(
        title="核稿结论",
        description="Approve passes it on; refuse returns it to its author",
        json_schema_extra={"flags": APPROVE_FLAGS, "old_flags": ["--accept/--return"]},
    )
    comment: str = Field("", max_length=4000, title="核稿意见", description="Required to refuse")
    cosigners: list[DepartmentId] = Field(
        default_factory=list,
        max_length=20,
        title="会签单位",
        description="Departments that co-sign, at once",
        json_schema_extra={"old_options": ["--cosign"]},
    )
    signer: str | None = Field(
        None,
        pattern=ID_PATTERN,
        max_length=64,
        title="签发领导",
        description="The leader who signs it off (required to approve)",
    )


class RedraftInput(StrictInput):
    """修改稿: the author answers a returned draft with a new revision."""

    body: str = Field(min_length=1, max_length=100_000, title="正文", description="The new text")
    title: str | None = Field(
        None, min_length=1, max_length=300, title="标题", description="A new title, if it changes"
    )


class CosignInput(StrictInput):
    """会签 by a department that was asked."""

    department: str | None = Field(
        None,
        pattern=ID_PATTERN,
        max_length=64,
        title="会签单位",
        description="The department co-signing; default: your own",
    )
    comment: str = Field("", max_length=4000, title="会签意见", description="Its opinion, if any")


class SignOffInput(StrictInput):
    """签发 by a leader; the number is allocated."""

    comment: str = Field("", max_length=4000, title="签发意见", description="The leader's note")


class IssueInput(StrictInput):
    """印发: to the recipient departments, whose heads get the .docx and confirm receipt."""

    recipients: list[DepartmentId] = Field(
        min_length=1,
        max_length=100,
        title="发送单位",
        description="Recipient departments",
        json_schema_extra={"old_options": ["--to"]},
    )


class ConfirmReceiptInput(StrictInput):
    """签收 by a recipient department."""

    department: str | None = Field(
        None,
        pattern=ID_PATTERN,
        max_length=64,
        title="签收单位",
        description="The recipient department; default: your own",
    )
