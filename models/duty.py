"""值班: duty rosters, their shifts, swaps, the duty log (值班日志) and handovers."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from models.org import _values


def _enum(e: type[enum.Enum], length: int = 16) -> Enum:
    return Enum(e, native_enum=False, length=length, values_callable=_values)


class RosterKind(enum.StrEnum):
    REGULAR = "regular"  # 日常值班
    HOLIDAY = "holiday"  # 节假日值班 (春节, 国庆): takes precedence on its dates


class RosterStatus(enum.StrEnum):
    PUBLISHED = "published"
    SUPERSEDED = "superseded"  # a later roster of the same name replaced it


class SwapStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


class DutyRole(enum.StrEnum):
    OFFICER = "officer"  # 值班员
    LEADER = "leader"  # 带班领导


class DutyRoster(Base):
    """A published roster (值班表): a date range and its shifts."""

    __tablename__ = "duty_rosters"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Hash of the roster file's content: publishing the same roster again finds this row.
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[RosterKind] = mapped_column(_enum(RosterKind))
    holiday: Mapped[str | None] = mapped_column(String(40))  # 国庆, 春节, ...
    start_on: Mapped[dt.date]
    end_on: Mapped[dt.date]
    status: Mapped[RosterStatus] = mapped_column(
        _enum(RosterStatus), default=RosterStatus.PUBLISHED
    )
    published_by: Mapped[str] = mapped_column(ForeignKey("people.id"))
    published_at: Mapped[dt.datetime]


class DutyShift(Base):
    """One shift of a roster: who is on duty (值班员) and who leads (带班领导) from
    ``starts_at`` to ``ends_at``. A swap changes ``officer_id`` or ``leader_id``; the roster's
    choice stays in ``rostered_*``."""

    __tablename__ = "duty_shifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    roster_id: Mapped[int] = mapped_column(ForeignKey("duty_rosters.id"), index=True)
    day: Mapped[dt.date]  # the local date the shift belongs to (a night shift: its evening)
    name: Mapped[str] = mapped_column(String(32))  # day, night, all, ...
    holiday: Mapped[bool] = mapped_column(default=False)  # copied from the roster's kind
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime]
    officer_id: Mapped[str] = mapped_column(ForeignKey("people.id"))
    leader_id: Mapped[str] = mapped_column(ForeignKey("people.id"))
    rostered_officer_id: Mapped[str] = mapped_column(ForeignKey("people.id"))
    rostered_leader_id: Mapped[str] = mapped_column(ForeignKey("people.id"))
    # Reminder instants, computed in the office's time zone when the roster is published.
    eve_remind_at: Mapped[dt.datetime]
    soon_remind_at: Mapped[dt.datetime]
    # False when its roster was superseded, or a holiday roster covers its day.
    in_force: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (Index(None, "in_force", "starts_at"), Index(None, "day"))


class DutySwap(Base):
    """换班: a person on a shift asks that someone else take it; the office decides."""

    __tablename__ = "duty_swaps"

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("duty_shifts.id"), index=True)
    role: Mapped[DutyRole] = mapped_column(_enum(DutyRole))
    requested_by: Mapped[str] = mapped_column(ForeignKey("people.id"))
    with_person: Mapped[str] = mapped_column(ForeignKey("people.id"))
    # An exchange: the requester takes this shift of the other person in return.
    their_shift_id: Mapped[int | None] = mapped_column(ForeignKey("duty_shifts.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    requested_at: Mapped[dt.datetime]
    status: Mapped[SwapStatus] = mapped_column(_enum(SwapStatus), default=SwapStatus.PENDING)
    decided_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    decided_at: Mapped[dt.datetime | None]
    comment: Mapped[str] = mapped_column(Text, default="")


class DutyLogEntry(Base):
    """值班日志: a call or event the officer on duty recorded. Open items are handed over."""

    __tablename__ = "duty_log_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("duty_shifts.id"), index=True)
    officer_id: Mapped[str] = mapped_column(ForeignKey("people.id"))
    at: Mapped[dt.datetime] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(16))  # call, event, instruction, other
    text: Mapped[str] = mapped_column(Text)
    open: Mapped[bool] = mapped_column(default=False)
    closed_at: Mapped[dt.datetime | None]
    closed_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"))


class DutyHandover(Base):
    """交接班: the outgoing officer signs handing over, the incoming signs taking over."""

    __tablename__ = "duty_handovers"

    id: Mapped[int] = mapped_column(primary_key=True)
    from_shift_id: Mapped[int] = mapped_column(ForeignKey("duty_shifts.id"), unique=True)
    to_shift_id: Mapped[int] = mapped_column(ForeignKey("duty_shifts.id"))
    outgoing_id: Mapped[str] = mapped_column(ForeignKey("people.id"))
    incoming_id: Mapped[str] = mapped_column(ForeignKey("people.id"))
    open_items: Mapped[list[str]] = mapped_column(default=list)  # duty log entry ids, as text
    note: Mapped[str] = mapped_column(Text, default="")
    outgoing_signed_at: Mapped[dt.datetime]
    incoming_signed_at: Mapped[dt.datetime | None]
