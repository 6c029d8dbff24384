"""值班 rules: rotation patterns to shifts, the coverage check, who is on duty at an instant,
and the reminder instants, in the office's time zone. Pure: no Prefect, no database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from models.duty_input import RosterSpec, ShiftSpec

ONE_DAY = dt.timedelta(days=1)


class RosterProblem(ValueError):
    """A roster that cannot be published: ``loc`` names the field."""

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(f"{loc}: {message}")
        self.loc = loc
        self.message = message


@dataclass(frozen=True)
class PlannedShift:
    day: dt.date
    name: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    officer: str
    leader: str
    officer_field: tuple[str | int, ...]  # where the roster named the officer, for errors
    leader_field: tuple[str | int, ...]
    eve_remind_at: dt.datetime
    soon_remind_at: dt.datetime


def hhmm(text: str) -> dt.time:
    hours, minutes = text.split(":")
    return dt.time(int(hours), int(minutes))


def check_cycle(shifts: Sequence[ShiftSpec]) -> None:
    """The shifts, in order, must cover the 24 hours of a day without gap or overlap: each ends
    when the next starts and the last ends when the first starts."""
    for i, shift in enumerate(shifts):
        following = shifts[(i + 1) % len(shifts)]
        if shift.end != following.start:
            raise RosterProblem(
                ("shifts", i, "end"),
                f"shift {shift.name!r} ends at {shift.end} but {following.name!r} starts at "
                f"{following.start}: the shifts must cover the whole day, in order",
            )
    minutes = sum(_length(s) for s in shifts)
    if minutes != 24 * 60:
        raise RosterProblem(("shifts",), f"the shifts cover {minutes / 60:g} hours, not 24")


def _length(shift: ShiftSpec) -> int:
    start, end = hhmm(shift.start), hhmm(shift.end)
    minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    return minutes if minutes > 0 else minutes + 24 * 60


def shift_span(day: dt.date, shift: ShiftSpec, zone: str) -> tuple[dt.datetime, dt.datetime]:
    """A shift's start and end on ``day``: local times made aware in ``zone``; an end not after
    the start is the next day."""
    tz = ZoneInfo(zone)
    start = dt.datetime.combine(day, hhmm(shift.start), tz)
    end_day = day if hhmm(shift.end) > hhmm(shift.start) else day + ONE_DAY
    return start, dt.datetime.combine(end_day, hhmm(shift.end), tz)


def reminder_instants(
    starts_at: dt.datetime, zone: str, evening: str = "18:00", before_minutes: int = 60
) -> tuple[dt.datetime, dt.datetime]:
    """The evening before the shift's local start day (``evening`` local time), and
    ``before_minutes`` before it starts. The evening reminder never comes after the other."""
    tz = ZoneInfo(zone)
    local = starts_at.astimezone(tz)
    soon = starts_at - dt.timedelta(minutes=before_minutes)
    eve = dt.datetime.combine(local.date() - ONE_DAY, hhmm(evening), tz)
    return min(eve, soon), soon


def due_reminders(
    now: dt.datetime, starts_at: dt.datetime, eve_at: dt.datetime, soon_at: dt.datetime
) -> list[str]:
    """Which reminders of one shift are due at ``now`` (the sweep computes this in SQL): the
    evening one from ``eve_at`` until the hour-before one is due, that one until the start."""
    if now >= starts_at:
        return []
    if now >= soon_at:
        return ["soon"]
    if now >= eve_at:
        return ["eve"]
    return []


def days_of(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def expand(spec: RosterSpec, zone: str) -> list[PlannedShift]:
    """Every shift of the roster, by its pattern; refuses a roster that leaves a shift of its
    range uncovered (RosterProblem naming the field)."""
    check_cycle(spec.shifts)
    days = days_of(spec.start, spec.end)
    assigned: dict[tuple[dt.date, str], tuple[Any, ...]] = {}
    if spec.pattern == "explicit":
        assigned = _explicit(spec, set(days))
    else:
        if not spec.officers:
            raise RosterProblem(
                ("officers",), f"a {spec.pattern} rotation needs at least one officer"
            )
        if not spec.leaders:
            raise RosterProblem(
                ("leaders",), f"a {spec.pattern} rotation needs at least one leader"
            )
        n = len(spec.shifts)
        for d, day in enumerate(days):
            turn = d if spec.pattern == "daily" else d // 7
            for s, shift in enumerate(spec.shifts):
                o = (turn * n + s) % len(spec.officers)
                lead = turn % len(spec.leaders)
                assigned[(day, shift.name)] = (
                    spec.officers[o],
                    spec.leaders[lead],
                    ("officers", o),
                    ("leaders", lead),
                )
    out = []
    for day in days:
        for shift in spec.shifts:
            if (day, shift.name) not in assigned:
                raise RosterProblem(
                    ("slots",), f"{day.isoformat()} {shift.name} has no duty officer and leader"
                )
            officer, leader, officer_field, leader_field = assigned[(day, shift.name)]
            starts_at, ends_at = shift_span(day, shift, zone)
            eve, soon = reminder_instants(
                starts_at, zone, spec.evening_reminder, spec.remind_before_minutes
            )
            out.append(
                PlannedShift(
                    day,
                    shift.name,
                    starts_at,
                    ends_at,
                    officer,
                    leader,
                    officer_field,
                    leader_field,
                    eve,
                    soon,
                )  # fmt: skip
            )
    return out


def _explicit(spec: RosterSpec, days: set[dt.date]) -> dict[tuple[dt.date, str], tuple[Any, ...]]:
    names = [s.name for s in spec.shifts]
    out: dict[tuple[dt.date, str], tuple[Any, ...]] = {}
    if not spec.slots:
        raise RosterProblem(("slots",), "an explicit roster lists every shift in slots")
    for i, slot in enumerate(spec.slots):
        name = slot.shift
        if name is None:
            if len(names) > 1:
                raise RosterProblem(("slots", i, "shift"), f"name the shift: one of {names}")
            name = names[0]
        if name not in names:
            raise RosterProblem(("slots", i, "shift"), f"no shift {name!r}; shifts are {names}")
        if slot.date not in days:
            raise RosterProblem(("slots", i, "date"), f"{slot.date} is outside the roster's range")
        if (slot.date, name) in out:
            raise RosterProblem(("slots", i), f"{slot.date} {name} is listed twice")
        out[(slot.date, name)] = (
            slot.officer,
            slot.leader,
            ("slots", i, "officer"),
            ("slots", i, "leader"),
        )
    return out


@dataclass(frozen=True)
class ShiftFacts:
    """What `on_duty` needs of a shift in force."""

    shift_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    holiday: bool


def on_duty(shifts: Sequence[ShiftFacts], at: dt.datetime) -> ShiftFacts | None:
    """The shift in force at ``at``: a holiday roster's first, then the one that started last."""
    covering = [s for s in shifts if s.starts_at <= at < s.ends_at]
    if not covering:
        return None
    return max(covering, key=lambda s: (s.holiday, s.starts_at, s.shift_id))
