"""Supervision rules: deadlines, lights and reminder periods. Pure functions."""

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


@dataclass(frozen=True)
class SweepThresholds:
    """Everything the set-based sweep compares against, computed once per sweep."""

    today: dt.date
    today_index: int
    blue_until: dt.date  # due on or before this date (and not overdue) → blue
    feedback_cutoff: dict[str, dt.datetime]  # report cycle → last feedback must be after this
    week: str  # the period of yellow reminders, e.g. 2026-W40


def thresholds(
    calendar: WorkCalendar, now: dt.datetime, *, remind_before_workdays: int, today_index: int
) -> SweepThresholds:
    today = calendar.local_date(now)
    year, week, _ = today.isocalendar()
    return SweepThresholds(
        today=today,
        today_index=today_index,
        blue_until=calendar.add_workdays(today, remind_before_workdays),
        feedback_cutoff={
            cycle: now - dt.timedelta(days=days) for cycle, days in FEEDBACK_WINDOW_DAYS.items()
        },
        week=f"{year}-W{week:02d}",
    )


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
    """The light of one assignment. The sweep computes the same thing in SQL for all rows;
    this is the reference the tests hold it to."""
    if now > due_at:
        return Light.RED
    if planned - progress >= PACE_GAP_POINTS or feedback_overdue:
        return Light.YELLOW
    if due_on <= blue_until:
        return Light.BLUE
    return Light.GREEN


def red_period(days_overdue_workdays: int, repeat_workdays: int) -> int:
    """Which red reminder is due: 0 on the first working day overdue, then +1 per repeat."""
    return max(days_overdue_workdays - 1, 0) // max(repeat_workdays, 1)
