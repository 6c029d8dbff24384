"""督查督办: decisions, their assignments, and everything that happens to an assignment."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base
from models.org import _values


def _enum(e: type[enum.Enum], length: int = 32) -> Enum:
    return Enum(e, native_enum=False, length=length, values_callable=_values)


class DecisionSource(enum.StrEnum):
    LEADER_INSTRUCTION = "leader_instruction"  # 领导批示
    MEETING_MINUTES = "meeting_minutes"  # 会议纪要
    DOCUMENT = "document"  # 文件
    INFORMATION = "information"  # 信息报送: a 批示 on an item, or a 约稿
    OTHER = "other"


class Priority(enum.StrEnum):
    NORMAL = "normal"
    IMPORTANT = "important"
    URGENT = "urgent"


class ReportCycle(enum.StrEnum):
    NONE = "none"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


class AssignmentStatus(enum.StrEnum):
    OPEN = "open"
    COMPLETION_REQUESTED = "completion_requested"  # 申请办结, awaiting verification
    CLOSED = "closed"  # 销号


class Light(enum.StrEnum):
    GREEN = "green"
    BLUE = "blue"
    YELLOW = "yellow"
    RED = "red"


class RequestStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


class Decision(Base):
    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Hash of the submitted decision: submitting the same decision again finds this row.
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    source: Mapped[DecisionSource] = mapped_column(_enum(DecisionSource))
    # Where it came from, e.g. "meeting:3" or a document number (文号).
    source_ref: Mapped[str | None] = mapped_column(String(120))
    issued_by: Mapped[str] = mapped_column(ForeignKey("people.id"))
    issued_on: Mapped[dt.date]
    priority: Mapped[Priority] = mapped_column(_enum(Priority), default=Priority.NORMAL)
    report_cycle: Mapped[ReportCycle] = mapped_column(_enum(ReportCycle), default=ReportCycle.NONE)
    created_at: Mapped[dt.datetime]

    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="decision", order_by="Assignment.id"
    )


class Assignment(Base):
    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"), index=True)
    seq: Mapped[int] = mapped_column(default=1)  # position within the decision
    lead_department_id: Mapped[str] = mapped_column(ForeignKey("departments.id"), index=True)
    co_departments: Mapped[list[str]] = mapped_column(default=list)
    owner_id: Mapped[str] = mapped_column(ForeignKey("people.id"))
    task: Mapped[str] = mapped_column(Text)
    acceptance_standard: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[dt.datetime]
    due_at: Mapped[dt.datetime]
    original_due_at: Mapped[dt.datetime]
    # Local calendar dates of issue and deadline, so sweeps count working days in SQL
    # without time-zone arithmetic.
    issued_on: Mapped[dt.date]
    due_on: Mapped[dt.date]
    status: Mapped[AssignmentStatus] = mapped_column(
        _enum(AssignmentStatus), default=AssignmentStatus.OPEN
    )
    # Copied from the decision so the sweep reads one table.
    report_cycle: Mapped[ReportCycle] = mapped_column(_enum(ReportCycle), default=ReportCycle.NONE)
    progress: Mapped[int] = mapped_column(default=0)
    last_feedback_at: Mapped[dt.datetime | None]
    light: Mapped[Light] = mapped_column(_enum(Light, 16), default=Light.GREEN)
    red_count: Mapped[int] = mapped_column(default=0)  # red escalations sent
    closed_at: Mapped[dt.datetime | None]
    # Where the assignment came from, e.g. "meeting:3:item:2"; lets a leader trace a red
    # light back to the meeting that decided it.
    source_ref: Mapped[str | None] = mapped_column(String(120))

    decision: Mapped[Decision] = relationship(back_populates="assignments")

    __table_args__ = (
        Index(None, "status", "due_on"),
        # The board finds open (and overdue) assignments by department through this index. The
        # light is not in it: the morning sweep changes thousands of lights at once, and each
        # would move an index entry (migration 0013_board_index has the figures).
        Index("ix_assignments_board", "lead_department_id", "status", "due_on"),
    )


class ProgressReport(Base):
    """进展反馈."""

    __tablename__ = "progress_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"), index=True)
    at: Mapped[dt.datetime]
    reporter_id: Mapped[str] = mapped_column(ForeignKey("people.id"))
    progress: Mapped[int]
    note: Mapped[str] = mapped_column(Text, default="")


class CompletionRequest(Base):
    """办结申请 and its verification (核验)."""

    __tablename__ = "completion_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"), index=True)
    requested_by: Mapped[str] = mapped_column(ForeignKey("people.id"))
    requested_at: Mapped[dt.datetime]
    evidence: Mapped[str] = mapped_column(Text)
    status: Mapped[RequestStatus] = mapped_column(
        _enum(RequestStatus, 16), default=RequestStatus.PENDING
    )
    decided_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    decided_at: Mapped[dt.datetime | None]
    comment: Mapped[str | None] = mapped_column(Text)


class ExtensionRequest(Base):
    """延期申请, decided by the issuing leader. Approved ones are the deadline history."""

    __tablename__ = "extension_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"), index=True)
    requested_by: Mapped[str] = mapped_column(ForeignKey("people.id"))
    requested_at: Mapped[dt.datetime]
    old_due_at: Mapped[dt.datetime]
    new_due_at: Mapped[dt.datetime]
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[RequestStatus] = mapped_column(
        _enum(RequestStatus, 16), default=RequestStatus.PENDING
    )
    decided_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    decided_at: Mapped[dt.datetime | None]
    comment: Mapped[str | None] = mapped_column(Text)
    # The Prefect run paused for this decision, resumed when the CLI decides instead.
    waiting_run_id: Mapped[str | None] = mapped_column(String(64))
