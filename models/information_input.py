"""信息报送's inputs (what the Prefect UI renders as forms, the YAML the CLI reads) and the
results its flows return."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated

from pydantic import BaseModel, Field, field_validator

from models.common import ID_PATTERN, TASK_LINE_HELP, StrictInput, TaskLine
from models.information import InfoKind, Publication
from rules.information import KIND_LABELS

Id = Annotated[str, Field(pattern=ID_PATTERN, max_length=64)]
Name = Annotated[str, Field(min_length=1, max_length=100)]

_KIND_BY_LABEL = {label: kind.value for kind, label in KIND_LABELS.items()}
KIND_HELP = "news 动态, problem 问题, suggestion 建议, practice 经验, urgent 紧急"


def _kind(value: object) -> object:
    """A kind given as news/problem/… or as 动态/问题/…."""
    return _KIND_BY_LABEL.get(value.strip(), value) if isinstance(value, str) else value


class InfoItemSpec(StrictInput):
    """An information item (信息) a department submits to the office."""

    title: str = Field(min_length=1, max_length=300, description="Title (标题)")
    body: str = Field(min_length=1, max_length=20000, description="Text (正文)")
    kind: InfoKind = Field(description=KIND_HELP)
    people: list[Name] = Field(
        default_factory=list, max_length=50, description="People concerned (涉及人员)"
    )
    places: list[Name] = Field(
        default_factory=list, max_length=50, description="Places concerned (涉及地点)"
    )
    department: Id = Field(description="Submitting department id (报送单位)")
    submitted_by: Id = Field(description="Person id of the submitter (报送人)")
    request_id: int | None = Field(
        None, ge=1, le=2**31 - 1, description="The commissioned report (约稿) this answers"
    )

    @field_validator("kind", mode="before")
    @classmethod
    def _kind_label(cls, value: object) -> object:
        return _kind(value)

    def fingerprint(self) -> str:
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()


class RequestSpec(StrictInput):
    """约稿: ask departments for information on a topic by a deadline in working days."""

    topic: str = Field(min_length=1, max_length=300, description="Topic (约稿主题)")
    detail: str = Field("", max_length=4000, description="What the office needs")
    departments: list[Id] = Field(min_length=1, max_length=100)
    due_in_workdays: int = Field(ge=1, le=60, description="Deadline in working days")
    requested_by: Id = Field(description="Person id in the general office")


# --- results --------------------------------------------------------------------------------


class ItemResult(BaseModel):
    """One action on an item: its status afterwards and the notices it planned and sent."""

    item_id: int
    action: str
    status: str
    created: bool = True
    issue: str | None = Field(None, description="e.g. 每日要情 第3期, once adopted")
    decision_id: int | None = None
    notice_keys: list[str] = Field(default_factory=list)
    notices_sent: int = 0
    notices_failed: int = 0


class RequestResult(BaseModel):
    request_id: int
    decision_id: int
    assignment_ids: list[int]
    notice_keys: list[str] = Field(default_factory=list)
    notices_sent: int = 0


class DigestResult(BaseModel):
    """One issue published: its number, its items, the document and what was sent."""

    skipped: bool = False
    reason: str = ""
    publication: Publication = Publication.DAILY
    issue_id: int | None = None
    number: int | None = None
    items: list[int] = Field(default_factory=list)
    document: str | None = Field(None, description="Path of the .docx under the home folder")
    sha256: str | None = None
    notice_keys: list[str] = Field(default_factory=list)
    sent: int = 0
    failed: int = 0


class ScoreRow(BaseModel):
    department: str
    name: str
    submitted: int = 0
    adopted: int = 0
    commented: int = 0
    overdue: int = 0
    points: float = 0


class ScoresResult(BaseModel):
    skipped: bool = False
    reason: str = ""
    month: str = Field(description="YYYY-MM")
    rows: list[ScoreRow] = Field(default_factory=list)
    chart: str | None = Field(None, description="Path of the chart under the home folder")
    notice_keys: list[str] = Field(default_factory=list)
    sent: int = 0
    failed: int = 0


# --- the inputs of the item actions (officeflow/information/declarations.py) -----------------


class EditInput(StrictInput):
    """编辑: the office's new text of an item; the old one stays as a revision."""

    title: str | None = Field(
        None, min_length=1, max_length=300, title="标题", description="The new title"
    )
    body: str | None = Field(
        None, min_length=1, max_length=20000, title="正文", description="The new text"
    )
    kind: InfoKind | None = Field(
        None,
        title="类别",
        description=KIND_HELP,
        json_schema_extra={"labels": {k.value: [v, k.value] for k, v in KIND_LABELS.items()}},
    )
    note: str = Field("", max_length=2000, title="修改说明", description="What was changed and why")

    @field_validator("kind", mode="before")
    @classmethod
    def _kind_label(cls, value: object) -> object:
        return _kind(value)


class AdoptInput(StrictInput):
    """采用: into an open issue of a publication."""

    publication: Publication = Field(
        Publication.DAILY,
        title="刊物",
        description="daily 每日要情 or special 专报",
        json_schema_extra={
            "labels": {"daily": ["每日要情", "Daily"], "special": ["专报", "Special"]}
        },
    )
    issue: int | None = Field(
        None,
        ge=1,
        le=100000,
        title="期号",
        description="Issue number (第N期); default: the current daily issue, or a new special one",
    )


class RejectInput(StrictInput):
    """退回 with a reason the submitter is told."""

    reason: str = Field(
        min_length=1, max_length=2000, title="退回理由", description="Why, for the submitter"
    )


class CommentInput(StrictInput):
    """批示: a leader's comment on an adopted item; with tasks it becomes a supervised decision
    whose assignments name the item."""

    text: str = Field(min_length=1, max_length=4000, title="批示内容", description="The comment")
    tasks: list[TaskLine] = Field(
        default_factory=list,
        max_length=50,
        title="交办任务",
        description=f"Tasks for departments, each {TASK_LINE_HELP}",
        json_schema_extra={"old_options": ["--assign"]},
    )
    due_in_workdays: int = Field(
        5,
        ge=1,
        le=250,
        title="办理时限（工作日）",
        description="Working days for a task that does not give its own",
    )
