"""The emergency ledger (突发事件): incidents, their escalation rungs, acknowledgements and the
reports owed to the next level up. Rungs and reports carry a ``due_at``: waiting is a row, not a
process, so the sweep can pick up whatever a crashed run left due."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from models.org import _values
from rules.grading import Category, Grade
from rules.response_plan import ReportKind


class IncidentStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


def _enum(e: type[enum.Enum], length: int = 32) -> Enum:
    return Enum(e, native_enum=False, length=length, values_callable=_values)


class Incident(Base):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[Category] = mapped_column(_enum(Category))
    occurred_at: Mapped[dt.datetime]
    location: Mapped[str] = mapped_column(String(300))
    reported_by: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    deaths: Mapped[int]
    serious_injuries: Mapped[int]
    direct_loss_cny: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    computed_grade: Mapped[Grade] = mapped_column(_enum(Grade, 8))
    grade: Mapped[Grade] = mapped_column(_enum(Grade, 8))
    manual_grade_reason: Mapped[str | None] = mapped_column(Text)
    department_id: Mapped[str] = mapped_column(ForeignKey("departments.id"))
    affected_departments: Mapped[list[str]] = mapped_column(default=list)
    jurisdiction: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[IncidentStatus] = mapped_column(
        _enum(IncidentStatus, 16), default=IncidentStatus.OPEN, index=True
    )
    # The plan in force when it was recorded (ack_within_s, channels, reporting clock), so a
    # later edit of the plan file does not change a running emergency.
    response: Mapped[dict[str, Any]] = mapped_column(default=dict)
    recorded_at: Mapped[dt.datetime]
    acknowledged_at: Mapped[dt.datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[dt.datetime | None]
    closure_summary: Mapped[str | None] = mapped_column(Text)


class EscalationRung(Base):
    """Rung 0 is the first alert; rung k goes out when rung k-1 went unacknowledged. Its
    ``due_at`` is set when the previous rung fires; ``cancelled_at`` when someone acknowledges
    or the incident is closed."""

    __tablename__ = "incident_rungs"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    rung: Mapped[int]
    recipients: Mapped[list[str]] = mapped_column(default=list)
    notice_key: Mapped[str] = mapped_column(String(255))
    due_at: Mapped[dt.datetime | None]
    fired_at: Mapped[dt.datetime | None]
    cancelled_at: Mapped[dt.datetime | None]

    __table_args__ = (UniqueConstraint("incident_id", "rung"), Index(None, "due_at"))


class Acknowledgement(Base):
    __tablename__ = "incident_acks"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"))
    at: Mapped[dt.datetime]
    rung: Mapped[int]  # the latest rung that had gone out when this person answered
    via: Mapped[str] = mapped_column(String(32))

    __table_args__ = (UniqueConstraint("incident_id", "person_id"),)


class SituationReport(Base):
    """A report owed to the next level up (电话报告, 初报, 续报n, 终报): its deadline, the
    reminder to the duty officer, and when it was filed (late if after ``due_at``)."""

    __tablename__ = "incident_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    kind: Mapped[ReportKind] = mapped_column(_enum(ReportKind, 16))
    number: Mapped[int] = mapped_column(default=0)
    due_at: Mapped[dt.datetime | None]
    remind_at: Mapped[dt.datetime | None]
    reminded_at: Mapped[dt.datetime | None]
    overdue_at: Mapped[dt.datetime | None]
    filed_at: Mapped[dt.datetime | None]
    filed_by: Mapped[str | None] = mapped_column(String(64))
    summary: Mapped[str | None] = mapped_column(Text)
    late: Mapped[bool] = mapped_column(default=False)
    cancelled_at: Mapped[dt.datetime | None]

    __table_args__ = (
        UniqueConstraint("incident_id", "kind", "number"),
        Index(None, "remind_at"),
    )
