"""办会 rules: default deadlines in working days, and the schedule of a meeting's steps.

Pure functions: no Prefect, no database, no settings. Times are aware datetimes; ``calendar``
decides what a working day is and in which zone its days fall. How a time reads to people is
the caller's (``show``, `officeflow.clock.format_local` in the service).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pendulum

from rules.calendar import WorkCalendar

TOPIC_DEADLINE_WORKDAYS = 3
MATERIALS_DEADLINE_WORKDAYS = 1

# Steps that are only carried out on working days; the others (hour reminders, updated
# invitations, cancellations) go when due, whatever the day.
WORKDAY_STEPS = frozenset(
    {"call_for_topics", "topic_reminder", "agenda_approval", "notice", "materials_reminder"}
)


@dataclass(frozen=True)
class PlannedStep:
    kind: str
    label: str
    due_at: pendulum.DateTime


def _in_zone(calendar: WorkCalendar, value: dt.datetime) -> pendulum.DateTime:
    """``value`` in the calendar's zone, for arithmetic in local days and hours."""
    return pendulum.instance(value).in_timezone(calendar.timezone)


def office_start(calendar: WorkCalendar, day: dt.date) -> pendulum.DateTime:
    t = calendar.office_start
    return pendulum.datetime(day.year, day.month, day.day, t.hour, t.minute, tz=calendar.timezone)


def workdays_before_end_of_day(calendar: WorkCalendar, start: dt.datetime, n: int) -> dt.datetime:
    """End of office hours on the n-th working day before the day of ``start``."""
    day = calendar.subtract_workdays(calendar.local_date(start), n)
    return calendar.end_of_office_hours(day)


def default_topic_deadline(calendar: WorkCalendar, start: dt.datetime) -> dt.datetime:
    return workdays_before_end_of_day(calendar, start, TOPIC_DEADLINE_WORKDAYS)


def default_materials_deadline(calendar: WorkCalendar, start: dt.datetime) -> dt.datetime:
    return workdays_before_end_of_day(calendar, start, MATERIALS_DEADLINE_WORKDAYS)


def on_a_workday(calendar: WorkCalendar, when: dt.datetime) -> pendulum.DateTime:
    """``when`` if it falls on a working day, else the start of office hours of the next one."""
    local = _in_zone(calendar, when)
    if calendar.is_workday(local.date()):
        return local
    return office_start(calendar, calendar.next_workday(local.date()))


def reminder_time(
    calendar: WorkCalendar, start: dt.datetime, before: int, unit: str
) -> pendulum.DateTime:
    """A reminder ``before`` working days (at office start), hours or minutes before ``start``."""
    if unit == "working_days":
        return office_start(
            calendar, calendar.subtract_workdays(calendar.local_date(start), before)
        )
    if unit == "hours":
        return _in_zone(calendar, start).subtract(hours=before)
    if unit == "minutes":
        return _in_zone(calendar, start).subtract(minutes=before)
    raise ValueError(f"unknown reminder unit {unit!r}")


def schedule(
    calendar: WorkCalendar,
    *,
    now: dt.datetime,
    start: dt.datetime,
    topic_deadline: dt.datetime,
    materials_deadline: dt.datetime,
    reminders: list[tuple[str, int, str]],
) -> list[PlannedStep]:
    """Every step of a meeting with its due time. ``reminders`` holds (label, before, unit).

    Call for topics at once (or the next working day); at the topic deadline the reminder to
    departments with nothing submitted and the approval request; the notice once the agenda is
    approved, not before the topic deadline; presenters reminded on the morning of the
    materials deadline, and the office told who is late when it passes.
    """
    at_deadline = on_a_workday(calendar, topic_deadline)
    materials_day = calendar.local_date(materials_deadline)
    steps = [
        PlannedStep("call_for_topics", "call-for-topics", on_a_workday(calendar, now)),
        PlannedStep("topic_reminder", "topic-reminder", at_deadline),
        PlannedStep("agenda_approval", "agenda-approval", at_deadline),
        PlannedStep("notice", "notice", at_deadline),
        PlannedStep(
            "materials_reminder",
            "materials-reminder",
            on_a_workday(calendar, office_start(calendar, materials_day)),
        ),
        PlannedStep("materials_check", "materials-check", _in_zone(calendar, materials_deadline)),
    ]
    for label, before, unit in reminders:
        steps.append(
            PlannedStep(
                "reminder", f"reminder:{label}", reminder_time(calendar, start, before, unit)
            )
        )
    return sorted(steps, key=lambda s: s.due_at)


def problems_with_times(
    *,
    now: dt.datetime,
    start: dt.datetime,
    topic_deadline: dt.datetime,
    materials_deadline: dt.datetime,
    show: Callable[[dt.datetime], str],
) -> list[tuple[str, str]]:
    """(field, message) for every time that cannot work; ``show`` writes a time for people."""
    problems = []
    if start <= now:
        problems.append(("start", f"the start {show(start)} is in the past"))
    if topic_deadline >= start:
        problems.append(
            (
                "topic_deadline",
                f"the topic deadline {show(topic_deadline)} is not before the meeting",
            )
        )
    elif topic_deadline <= now:
        problems.append(("topic_deadline", f"the topic deadline {show(topic_deadline)} has passed"))
    if materials_deadline >= start:
        problems.append(
            (
                "materials_deadline",
                f"the materials deadline {show(materials_deadline)} is not before the meeting",
            )
        )
    return problems
