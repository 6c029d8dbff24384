"""Attendance (出席回执): each attendee's answer to a meeting: accept, decline, or a stand-in
(代为出席) named in their place. One row per meeting and attendee; every answer is an event."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

import models.meeting  # noqa: F401  (the meetings table its foreign key names)
from models.base import Base
from models.org import _values


class AttendanceAnswer(enum.StrEnum):
    ACCEPT = "accept"  # 参会
    DECLINE = "decline"  # 请假
    STAND_IN = "stand_in"  # 由他人代为参会


class MeetingAttendance(Base):
    __tablename__ = "meeting_attendance"

    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), primary_key=True)
    answer: Mapped[AttendanceAnswer] = mapped_column(
        Enum(AttendanceAnswer, native_enum=False, length=16, values_callable=_values)
    )
    stand_in_id: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    note: Mapped[str] = mapped_column(String(500), default="")
    answered_at: Mapped[dt.datetime]
    answered_by: Mapped[str] = mapped_column(String(64))
    # The meeting's iCalendar SEQUENCE answered for: a reschedule makes an answer stale.
    sequence: Mapped[int] = mapped_column(default=0)
