"""值班: the roster file / flow form, the action inputs and the results of the duty flows."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from models.common import ID_PATTERN, OfficeDate, StrictInput
from models.duty import RosterKind

HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
MAX_ROSTER_DAYS = 400  # a year and a bit: a typo must not fill the ledger with shifts
LogKind = Literal["call", "event", "instruction", "other"]


class ShiftSpec(StrictInput):
    """One shift of every day, e.g. day 08:30–17:30 and night 17:30–08:30 (ends next day)."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]*$", max_length=32, description="day, night, …")
    start: str = Field(pattern=HHMM, description="Local start time, HH:MM")
    end: str = Field(pattern=HHMM, description="Local end time, HH:MM (not after start: next day)")


def _default_shifts() -> list[ShiftSpec]:
    return [ShiftSpec(name="all", start="08:30", end="08:30")]


class SlotSpec(StrictInput):
    """One shift of an explicit roster: a date, the shift's name, the officer and the leader."""

    date: OfficeDate
    shift: str | None = Field(None, max_length=32, description="Shift name; optional with one")
    officer: str = Field(pattern=ID_PATTERN, max_length=64, description="值班员 person id")
    leader: str = Field(pattern=ID_PATTERN, max_length=64, description="带班领导 person id")


class RosterSpec(StrictInput):
    """A duty roster (值班表). ``pattern``: ``daily`` (the officers take turns shift by shift,
    the leaders day by day), ``weekly`` (week by week, from ``start``) or ``explicit``
    (``slots`` names every shift). A ``holiday`` roster (春节, 国庆) takes precedence over the
    regular one on its dates."""

    name: str = Field(min_length=1, max_length=200, description="e.g. 2026年国庆节值班表")
    kind: RosterKind = RosterKind.REGULAR
    holiday: str | None = Field(None, max_length=40, description="国庆, 春节, … (holiday kind)")
    start: OfficeDate = Field(description="First day covered")
    end: OfficeDate = Field(description="Last day covered (its last shift may end next day)")
    shifts: list[ShiftSpec] = Field(default_factory=_default_shifts, min_length=1, max_length=6)
    pattern: Literal["daily", "weekly", "explicit"] = "daily"
    officers: list[str] = Field(default_factory=list, max_length=100, description="值班员 ids")
    leaders: list[str] = Field(default_factory=list, max_length=100, description="带班领导 ids")
    slots: list[SlotSpec] = Field(default_factory=list, max_length=3000)
    evening_reminder: str = Field("18:00", pattern=HHMM, description="Reminder the day before")
    remind_before_minutes: int = Field(60, ge=0, le=720, description="Reminder before a shift")

    @field_validator("end")
    @classmethod
    def _range(cls, end: dt.date, info: ValidationInfo) -> dt.date:
        start = info.data.get("start")
        if start is not None:
            if end < start:
                raise ValueError("end must not be before start")
            if (end - start).days >= MAX_ROSTER_DAYS:
                raise ValueError(f"a roster covers at most {MAX_ROSTER_DAYS} days")
        return end

    @field_validator("shifts")
    @classmethod
    def _distinct(cls, shifts: list[ShiftSpec]) -> list[ShiftSpec]:
        names = [s.name for s in shifts]
        if len(set(names)) != len(names):
            raise ValueError("shift names must be distinct")
        return shifts

    def fingerprint(self) -> str:
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()


# --- results ----------------------------------------------------------------------------


class RosterResult(BaseModel):
    roster_id: int
    name: str
    kind: str
    shifts: int
    newly_published: bool
    superseded: list[int] = Field(default_factory=list, description="Rosters it replaced")
    notice_keys: list[str] = Field(default_factory=list)
    notices_sent: int = 0


class SwapResult(BaseModel):
    """A swap request or the office's decision on it."""

    swap_id: int
    shift_id: int
    status: str
    officer_id: str = Field(description="The shift's officer afterwards")
    leader_id: str = Field(description="The shift's leader afterwards")
    notice_keys: list[str] = Field(default_factory=list)
    notices_sent: int = 0
    notices_failed: int = 0


class HandoverResult(BaseModel):
    """A handover (交接班) of a shift: signed handing over, or signed taking over."""

    shift_id: int = Field(description="The shift handed over")
    handover_id: int
    step: Literal["handed_over", "taken_over"]
    outgoing_id: str
    incoming_id: str
    open_items: list[int] = Field(default_factory=list)
    notice_keys: list[str] = Field(default_factory=list)
    notices_sent: int = 0

    @property
    def status(self) -> str:
        """Where the handover stands: handed over, or taken over."""
        return self.step.replace("_", " ")


class OnDuty(BaseModel):
    """Who is on duty at an instant."""

    at: dt.datetime
    shift_id: int | None = None
    shift: str = ""
    day: dt.date | None = None
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    officer_id: str | None = None
    leader_id: str | None = None
    holiday: bool = False
    roster: str = ""


class BoardResult(BaseModel):
    """The duty board: who is on duty now, and the artifacts published."""

    officer_id: str | None = None
    leader_id: str | None = None
    artifacts: list[str] = Field(default_factory=list)


@dataclass(frozen=True)
class DutyLogView:
    """One duty log entry (值班日志), as the information digest reads it."""

    at: dt.datetime
    officer_id: str
    kind: str
    text: str
    open: bool


# --- the inputs of the shift actions (officeflow/duty/declarations.py) -----------------------

APPROVE_FLAGS = "--approve/--refuse"  # the one spelling of a yes/no decision


class RequestSwapInput(StrictInput):
    """换班申请: ask that someone else take your shift (optionally taking one of theirs)."""

    with_person: str = Field(
        pattern=ID_PATTERN,
        max_length=64,
        title="替班人",
        description="Person id of who takes the shift",
    )
    their_shift_id: int | None = Field(
        None,
        ge=1,
        le=2**31 - 1,
        title="对方班次",
        description="One of their shifts you take in return (optional)",
    )
    reason: str = Field("", max_length=4000, title="换班理由", description="Why")


class DecideSwapInput(StrictInput):
    """换班审批 by the general office: approve (the shift changes hands) or refuse (with a
    reason)."""

    approve: bool = Field(
        title="审批结论",
        description="Approve gives the shift to the other person; refuse keeps the roster",
        json_schema_extra={"flags": APPROVE_FLAGS},
    )
    comment: str = Field(
        "",
        max_length=4000,
        title="审批意见",
        description="Required to refuse: the requester reads it",
    )
    swap_id: int | None = Field(
        None,
        ge=1,
        le=2**31 - 1,
        title="换班申请编号",
        description="Default: the swap of this shift awaiting a decision",
    )


class HandOverInput(StrictInput):
    """交接班: the outgoing officer signs handing the shift over (the next officer receives the
    open items); the incoming officer signs taking it over."""

    note: str = Field(
        "", max_length=4000, title="交班说明", description="A word for the next officer"
    )
