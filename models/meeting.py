"""办会: meetings, their attendees, agenda topics, the steps of their life, and minutes."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

import models.supervision  # noqa: F401  (the decisions table its foreign keys name)
from models.base import Base
from models.org import _values


def _enum(e: type[enum.Enum], length: int = 32) -> Enum:
    return Enum(e, native_enum=False, length=length, values_callable=_values)


class MeetingKind(enum.StrEnum):
    OFFICE = "office"  # 办公会议
    SPECIAL_TOPIC = "special_topic"  # 专题会议
    COORDINATION = "coordination"  # 协调会议


class MeetingStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    MINUTED = "minuted"  # minutes recorded


class AgendaStatus(enum.StrEnum):
    OPEN = "open"  # topics being collected
    APPROVED = "approved"


class StepKind(enum.StrEnum):
    CALL_FOR_TOPICS = "call_for_topics"  # 议题征集
    TOPIC_REMINDER = "topic_reminder"
    AGENDA_APPROVAL = "agenda_approval"  # request to the chair and the office
    NOTICE = "notice"  # 会议通知 with the invitation
    MATERIALS_REMINDER = "materials_reminder"
    MATERIALS_CHECK = "materials_check"  # the office sees who is late
    REMINDER = "reminder"
    UPDATE = "update"  # updated invitation after a reschedule (SEQUENCE+1)
    CANCEL = "cancel"  # METHOD:CANCEL to everyone told about the meeting


class StepStatus(enum.StrEnum):
    PENDING = "pending"
    DONE = "done"
    CANCELLED = "cancelled"


class Meeting(Base):
    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Hash of the submitted meeting: submitting the same meeting again finds this row.
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[MeetingKind] = mapped_column(_enum(MeetingKind))
    chair_id: Mapped[str] = mapped_column(ForeignKey("people.id"))
    start_at: Mapped[dt.datetime]
    end_at: Mapped[dt.datetime]
    venue: Mapped[str] = mapped_column(String(300))
    topic_deadline: Mapped[dt.datetime]
    materials_deadline: Mapped[dt.datetime]
    # The reminder plan as labels, e.g. ["1wd", "1h"].
    reminder_plan: Mapped[list[str]] = mapped_column(default=list)
    # iCalendar SEQUENCE: +1 on every reschedule.
    sequence: Mapped[int] = mapped_column(default=0)
    status: Mapped[MeetingStatus] = mapped_column(
        _enum(MeetingStatus), default=MeetingStatus.SCHEDULED
    )
    agenda_status: Mapped[AgendaStatus] = mapped_column(
        _enum(AgendaStatus), default=AgendaStatus.OPEN
    )
    agenda_approved_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    agenda_approved_at: Mapped[dt.datetime | None]
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    cancelled_at: Mapped[dt.datetime | None]


class MeetingDepartment(Base):
    """An attending department: asked for topics, its head attends."""

    __tablename__ = "meeting_departments"

    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    department_id: Mapped[str] = mapped_column(ForeignKey("departments.id"), primary_key=True)


class MeetingAttendee(Base):
    __tablename__ = "meeting_attendees"

    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), primary_key=True)


class MeetingTopic(Base):
    """An agenda topic (议题) submitted by a department, with its presenter (汇报人)."""

    __tablename__ = "meeting_topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    department_id: Mapped[str] = mapped_column(ForeignKey("departments.id"))
    title: Mapped[str] = mapped_column(String(300))
    presenter_id: Mapped[str] = mapped_column(ForeignKey("people.id"))
    submitted_at: Mapped[dt.datetime]
    # Set when the office accepted a topic submitted after the deadline.
    late_accepted_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    materials_at: Mapped[dt.datetime | None]

    __table_args__ = (UniqueConstraint("meeting_id", "department_id", "title"),)


class MeetingStep(Base):
    """One step of a meeting's life, due at a time. The sweep runs due steps exactly once:
    a step turns ``done`` in the same transaction that reserves its notices."""

    __tablename__ = "meeting_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    kind: Mapped[StepKind] = mapped_column(_enum(StepKind))
    # Unique within the meeting and part of the notice key, e.g. "reminder:1h".
    label: Mapped[str] = mapped_column(String(64))
    due_at: Mapped[dt.datetime]
    status: Mapped[StepStatus] = mapped_column(_enum(StepStatus, 16), default=StepStatus.PENDING)
    done_at: Mapped[dt.datetime | None]
    # What the step did (notice key, recipients) or why it did nothing.
    outcome: Mapped[dict[str, Any]] = mapped_column(default=dict)

    __table_args__ = (
        UniqueConstraint("meeting_id", "label"),
        Index(None, "status", "due_at"),
    )


class MeetingMinutes(Base):
    """会议纪要: the decisions and action items, and the decision they became."""

    __tablename__ = "meeting_minutes"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), primary_key=True)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[dt.datetime]
    issued_on: Mapped[dt.date]
    content: Mapped[dict[str, Any]] = mapped_column(default=dict)
    fingerprint: Mapped[str] = mapped_column(String(64))
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
