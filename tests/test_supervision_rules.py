import datetime as dt

import pendulum
import pytest

from models.supervision import Light
from rules.calendar import WorkCalendar
from rules.supervision import assignment_deadline, classify, planned_progress, red_period

cal = WorkCalendar()
NOW = pendulum.datetime(2026, 9, 24, 9, tz="Asia/Shanghai")


def test_deadline_in_workdays_skips_mid_autumn() -> None:
    due = assignment_deadline(cal, dt.date(2026, 9, 21), due_in_workdays=5)
    assert due.isoformat() == "2026-09-29T18:00:00+08:00"


def test_deadline_as_date_is_end_of_office_hours() -> None:
    due = assignment_deadline(cal, dt.date(2026, 9, 21), due_date=dt.date(2026, 10, 9))
    assert due.isoformat() == "2026-10-09T18:00:00+08:00"


def test_deadline_needs_one_form() -> None:
    with pytest.raises(ValueError, match="needs a date or a number"):
        assignment_deadline(cal, dt.date(2026, 9, 21))


@pytest.mark.parametrize(
    ("issued", "due", "today", "expected"),
    [(1, 6, 1, 0), (1, 6, 2, 0), (1, 6, 3, 20), (1, 6, 6, 80), (1, 6, 9, 100), (4, 4, 5, 0)],
)
def test_planned_progress(issued: int, due: int, today: int, expected: int) -> None:
    assert planned_progress(issued, due, today) == min(expected, 100)


@pytest.mark.parametrize(
    ("due_at", "progress", "planned", "late", "expected"),
    [
        (NOW.subtract(minutes=1), 100, 0, False, Light.RED),
        (NOW.add(days=20), 10, 20, False, Light.YELLOW),  # 10 points behind
        (NOW.add(days=20), 11, 20, False, Light.GREEN),  # 9 points behind
        (NOW.add(days=20), 50, 20, True, Light.YELLOW),  # feedback overdue
        (NOW.add(days=2), 50, 20, False, Light.BLUE),
    ],
)
def test_classify(
    due_at: pendulum.DateTime, progress: int, planned: int, late: bool, expected: Light
) -> None:
    light = classify(
        now=NOW,
        due_at=due_at,
        due_on=due_at.date(),
        progress=progress,
        planned=planned,
        feedback_overdue=late,
        blue_until=dt.date(2026, 9, 29),
    )
    assert light is expected


@pytest.mark.parametrize(
    ("overdue", "repeat", "period"), [(1, 1, 0), (2, 1, 1), (3, 2, 1), (4, 2, 1)]
)
def test_red_period(overdue: int, repeat: int, period: int) -> None:
    assert red_period(overdue, repeat) == period
