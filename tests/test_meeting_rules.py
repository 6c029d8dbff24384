"""Pure meeting rules: default deadlines in working days across Mid-Autumn and National Day
2026 (Sep 25 and Oct 1–7 off; Sep 20 (Sun) and Oct 10 (Sat) make-up workdays), the step
schedule, and the time checks."""

from __future__ import annotations

import pendulum
import pytest

from models.meeting_input import Reminder, ReminderUnit
from rules import meeting as rules
from rules.calendar import WorkCalendar

CAL = WorkCalendar()
TZ = "Asia/Shanghai"


def t(*args: int) -> pendulum.DateTime:
    return pendulum.datetime(*args, tz=TZ)


@pytest.mark.parametrize(
    ("start", "topic", "materials"),
    [
        # Oct 9: back over the holiday to Sep 29; materials on Oct 8.
        (t(2026, 10, 9, 9, 30), t(2026, 9, 29, 18), t(2026, 10, 8, 18)),
        # Oct 12 (Mon): the make-up Saturday Oct 10 counts.
        (t(2026, 10, 12, 9, 30), t(2026, 10, 8, 18), t(2026, 10, 10, 18)),
        # Sep 28 (Mon): Sep 25–27 are off.
        (t(2026, 9, 28, 15), t(2026, 9, 22, 18), t(2026, 9, 24, 18)),
        # Sep 21 (Mon): the make-up Sunday Sep 20 is the working day before.
        (t(2026, 9, 21, 9), t(2026, 9, 17, 18), t(2026, 9, 20, 18)),
    ],
)
def test_default_deadlines_count_working_days(
    start: pendulum.DateTime, topic: pendulum.DateTime, materials: pendulum.DateTime
) -> None:
    assert rules.default_topic_deadline(CAL, start) == topic
    assert rules.default_materials_deadline(CAL, start) == materials


def test_on_a_workday_moves_holiday_times_to_the_next_office_morning() -> None:
    assert rules.on_a_workday(CAL, t(2026, 10, 3, 10)) == t(2026, 10, 8, 9)
    assert rules.on_a_workday(CAL, t(2026, 9, 25, 10)) == t(2026, 9, 28, 9)
    assert rules.on_a_workday(CAL, t(2026, 10, 10, 11)) == t(2026, 10, 10, 11)  # make-up Sat


def test_reminder_times() -> None:
    start = t(2026, 10, 9, 9, 30)
    assert rules.reminder_time(CAL, start, 1, "working_days") == t(2026, 10, 8, 9)
    assert rules.reminder_time(CAL, start, 2, "working_days") == t(2026, 9, 30, 9)
    assert rules.reminder_time(CAL, start, 1, "hours") == t(2026, 10, 9, 8, 30)
    assert rules.reminder_time(CAL, start, 15, "minutes") == t(2026, 10, 9, 9, 15)


def test_schedule_lists_every_step_in_time_order() -> None:
    steps = rules.schedule(
        CAL,
        now=t(2026, 9, 25, 10),
        start=t(2026, 10, 9, 9, 30),
        topic_deadline=t(2026, 9, 29, 18),
        materials_deadline=t(2026, 10, 8, 18),
        reminders=[("1wd", 1, "working_days"), ("1h", 1, "hours")],
    )
    assert [(s.label, s.due_at) for s in steps] == [
        ("call-for-topics", t(2026, 9, 28, 9)),
        ("topic-reminder", t(2026, 9, 29, 18)),
        ("agenda-approval", t(2026, 9, 29, 18)),
        ("notice", t(2026, 9, 29, 18)),
        ("materials-reminder", t(2026, 10, 8, 9)),
        ("reminder:1wd", t(2026, 10, 8, 9)),
        ("materials-check", t(2026, 10, 8, 18)),
        ("reminder:1h", t(2026, 10, 9, 8, 30)),
    ]


def test_time_problems_are_named() -> None:
    now = t(2026, 9, 25, 10)
    ok = rules.problems_with_times(
        now=now,
        start=t(2026, 10, 9, 9, 30),
        topic_deadline=t(2026, 9, 29, 18),
        materials_deadline=t(2026, 10, 8, 18),
        show=str,
    )
    assert ok == []
    bad = rules.problems_with_times(
        now=now,
        start=t(2026, 9, 24, 9, 30),
        topic_deadline=t(2026, 9, 30, 18),
        materials_deadline=t(2026, 9, 24, 18),
        show=lambda value: f"<{value:%m-%d %H:%M}>",
    )
    fields = [f for f, _ in bad]
    assert fields == ["start", "topic_deadline", "materials_deadline"]
    assert "in the past" in bad[0][1] and "not before the meeting" in bad[1][1]
    assert bad[0][1] == "the start <09-24 09:30> is in the past"  # times are written by `show`


def test_reminder_labels_round_trip() -> None:
    for r in (
        Reminder(before=1, unit=ReminderUnit.WORKING_DAYS),
        Reminder(before=2, unit=ReminderUnit.HOURS),
        Reminder(before=30, unit=ReminderUnit.MINUTES),
    ):
        assert Reminder.from_label(r.label) == r
    assert [r.label for r in (Reminder(before=1, unit="working_days"),)] == ["1wd"]
