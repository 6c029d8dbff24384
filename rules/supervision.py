"""Supervision rules: deadlines, lights and reminders. Pure functions.

The sweep (`officeflow/supervision/sweep.py`) computes the same lights and reminder keys for
every open assignment at once in SQL; `assess` is the reference it is held to
(tests/test_supervision_lights.py generates assignments and clocks and compares the two).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pendulum

from models.supervision import Light
from rules.calendar import WorkCalendar

PACE_GAP_POINTS = 10  # yellow when reported progress trails the planned pace by this much
FEEDBACK_WINDOW_DAYS = {"weekly": 7, "monthly": 30}


def assignment_deadline(
    calendar: WorkCalendar,
    issued_on: dt.date,
    *,
    due_date: dt.date | None = None,
    due_in_workdays: int | None = None,
) -> pendulum.DateTime:
    """A date means the end of office hours that day; N working days count from the issue date."""
    if due_date is not None:
        return calendar.end_of_office_hours(due_date)
    if due_in_workdays is None:
        raise ValueError("a deadline needs a date or a number of working days")
    return calendar.deadline(issued_on, due_in_workdays)


def planned_progress(issued_index: int, due_index: int, today_index: int) -> int:
    """The planned pace in percent: full working days completed since the issue day, as a share
    of the working days allowed (indices are cumulative working-day counts)."""
    total = max(due_index - issued_index, 1)
    return min(100, 100 * max(today_index - issued_index - 1, 0) // total)


def classify(
    *,
    now: dt.datetime,
    due_at: dt.datetime,
    due_on: dt.date,
    progress: int,
    planned: float,
    feedback_overdue: bool,
    blue_until: dt.date,
) -> Light:
    """The light of one assignment: red once overdue; yellow when behind the planned pace or
    late with feedback; blue when due within the reminder window; green otherwise."""
    if now > due_at:
        return Light.RED
    if planned - progress >= PACE_GAP_POINTS or feedback_overdue:
        return Light.YELLOW
    if due_on <= blue_until:
        return Light.BLUE
    return Light.GREEN


def red_period(days_overdue_workdays: int, repeat_workdays: int) -> int:
    """Which red reminder is due: 0 from the due day's evening through the first working day
    overdue, then +1 every ``repeat_workdays`` working days."""
    return max(days_overdue_workdays - 1, 0) // max(repeat_workdays, 1)


def feedback_overdue(report_cycle: str, last_heard: dt.datetime, now: dt.datetime) -> bool:
    """A weekly (monthly) report cycle wants feedback within 7 (30) days of the last one, or of
    the issue when there was none."""
    days = FEEDBACK_WINDOW_DAYS.get(report_cycle)
    return days is not None and last_heard < now - dt.timedelta(days=days)


def iso_week(day: dt.date) -> str:
    """The period of yellow reminders, e.g. 2026-W40."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class AssignmentFacts:
    """What an assignment's light and reminders depend on (one row of the sweep)."""

    id: int
    issued_on: dt.date
    issued_at: dt.datetime
    due_on: dt.date
    due_at: dt.datetime
    progress: int
    last_feedback_at: dt.datetime | None
    report_cycle: str
    awaiting_verification: bool = False  # completion requested: lit, but not reminded


@dataclass(frozen=True)
class Assessment:
    light: Light
    reminder_key: str | None  # the notice this sweep owes, or None


def is_sweep_day(calendar: WorkCalendar, now: dt.datetime) -> bool:
    """The sweep lights and reminds on working days only (调休 weekends included)."""
    return calendar.is_workday(calendar.local_date(now))


def assess(
    calendar: WorkCalendar,
    now: dt.datetime,
    a: AssignmentFacts,
    *,
    remind_before_workdays: int = 3,
    red_repeat_workdays: int = 1,
) -> Assessment:
    """The light of one open assignment at ``now`` (a working day) and the key of the reminder
    it is owed: one per assignment and light and period (red: the deadline and the red period;
    yellow: the ISO week; blue: the deadline)."""
    today = calendar.local_date(now)
    planned = planned_progress(
        0,
        calendar.workdays_between(a.issued_on, a.due_on),
        calendar.workdays_between(a.issued_on, today),
    )
    light = classify(
        now=now,
        due_at=a.due_at,
        due_on=a.due_on,
        progress=a.progress,
        planned=planned,
        feedback_overdue=feedback_overdue(a.report_cycle, a.last_feedback_at or a.issued_at, now),
        blue_until=calendar.add_workdays(today, remind_before_workdays),
    )
    if a.awaiting_verification or light is Light.GREEN:
        return Assessment(light, None)
    prefix = f"assignment:{a.id}:"
    if light is Light.RED:
        period = red_period(calendar.workdays_between(a.due_on, today), red_repeat_workdays)
        return Assessment(light, f"{prefix}red:{a.due_on}:{period}")
    if light is Light.YELLOW:
        return Assessment(light, f"{prefix}yellow:{iso_week(today)}")
    return Assessment(light, f"{prefix}blue:{a.due_on}")
