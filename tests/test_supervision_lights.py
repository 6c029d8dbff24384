"""One lights rule: the set-based SQL sweep and the pure rule (`rules.supervision.assess`) agree
on every assignment's light and on the reminder each is owed.

Hypothesis generates clocks (office hours, after hours, days off, make-up Saturdays, across
holidays) and assignments (issued before or after today, due soon or long overdue, extended,
with and without progress and feedback, awaiting verification), runs the real sweep on the
ledger and compares the lights it stored and the reminder notices it reserved with the rule's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select

from models.ledger import Delivery, Notice
from models.supervision import (
    Assignment,
    AssignmentStatus,
    Decision,
    DecisionSource,
    Light,
    Priority,
    ReportCycle,
)
from officeflow import clock, db
from officeflow.supervision import plan_sweep
from officeflow.workdays import get_calendar
from rules.calendar import WorkCalendar
from rules.supervision import AssignmentFacts, assess, is_sweep_day
from tests.conftest import both_backends

backend = both_backends  # SQLite and PostgreSQL

ZONE = "Asia/Shanghai"
CAL = WorkCalendar()
YEAR_START, YEAR_END = dt.date(2026, 1, 1), dt.date(2026, 12, 31)


def _special_days() -> list[dt.date]:
    """Holidays, make-up workdays (调休) and the days either side of them."""
    days = set()
    day = YEAR_START
    while day <= YEAR_END:
        if CAL.is_workday(day) != (day.weekday() < 5):
            days.update({day - dt.timedelta(days=1), day, day + dt.timedelta(days=1)})
        day += dt.timedelta(days=1)
    return sorted(d for d in days if YEAR_START <= d <= YEAR_END)


SPECIAL_DAYS = _special_days()
EDGE_TIMES = [
    dt.time(0, 0),
    dt.time(8, 59),
    dt.time(9, 0),
    dt.time(12, 0),
    dt.time(17, 59, 59),
    dt.time(18, 0),
    dt.time(18, 0, 1),
    dt.time(18, 30),
    dt.time(23, 59, 59),
]


def _at(day: dt.date, time: dt.time) -> pendulum.DateTime:
    return pendulum.datetime(
        day.year, day.month, day.day, time.hour, time.minute, time.second, tz=ZONE
    )


clocks = st.builds(
    _at,
    st.one_of(st.dates(YEAR_START, YEAR_END), st.sampled_from(SPECIAL_DAYS)),
    st.one_of(st.sampled_from(EDGE_TIMES), st.times()),
)


@st.composite
def assignments(draw: Any, now: pendulum.DateTime) -> dict[str, Any]:
    today = now.date()
    issued_on = today - dt.timedelta(days=draw(st.integers(-5, 60)))
    if draw(st.booleans()):
        issued_at = _at(issued_on, CAL.office_start)
    else:
        issued_at = _at(issued_on, draw(st.times()))
    due_on = CAL.add_workdays(issued_on, draw(st.integers(1, 30)))
    original_due_at = CAL.end_of_office_hours(due_on)
    extension = draw(st.integers(0, 10))
    if extension:
        due_on = CAL.add_workdays(due_on, extension)
    feedback_hours = draw(st.none() | st.integers(0, 24 * 45))
    return {
        "issued_on": issued_on,
        "issued_at": issued_at,
        "due_on": due_on,
        "due_at": CAL.end_of_office_hours(due_on),
        "original_due_at": original_due_at,
        "progress": draw(st.integers(0, 100)),
        "last_feedback_at": None if feedback_hours is None else now.subtract(hours=feedback_hours),
        "report_cycle": draw(st.sampled_from(list(ReportCycle))),
        "status": draw(
            st.sampled_from([AssignmentStatus.OPEN, AssignmentStatus.COMPLETION_REQUESTED])
        ),
    }


@st.composite
def cases(draw: Any) -> tuple[pendulum.DateTime, list[dict[str, Any]], int, int]:
    now = draw(clocks)
    rows = draw(st.lists(assignments(now), min_size=1, max_size=6))
    return now, rows, draw(st.integers(0, 5)), draw(st.integers(1, 3))


def _reset(decision_id: int) -> None:
    with db.session_scope() as s:
        for table in (Delivery, Notice, Assignment):  # events are append-only
            s.execute(delete(table))


def _insert(decision_id: int, rows: list[dict[str, Any]]) -> list[int]:
    with db.session_scope() as s:
        ids = s.scalars(
            insert(Assignment).returning(Assignment.id),
            [
                {
                    **row,
                    "decision_id": decision_id,
                    "seq": i + 1,
                    "lead_department_id": "dept-0",
                    "co_departments": [],
                    "owner_id": "p0-1",
                    "task": f"task {i}",
                    "acceptance_standard": "done",
                    "light": Light.GREEN,
                    "red_count": 0,
                }
                for i, row in enumerate(rows)
            ],
        ).all()
    return list(ids)


def _facts(assignment_id: int, row: dict[str, Any]) -> AssignmentFacts:
    return AssignmentFacts(
        id=assignment_id,
        issued_on=row["issued_on"],
        issued_at=row["issued_at"],
        due_on=row["due_on"],
        due_at=row["due_at"],
        progress=row["progress"],
        last_feedback_at=row["last_feedback_at"],
        report_cycle=row["report_cycle"].value,
        awaiting_verification=row["status"] is AssignmentStatus.COMPLETION_REQUESTED,
    )


@pytest.fixture
def decision_id(make_org: Any) -> int:
    make_org(departments=1)
    with db.session_scope() as s:
        decision = Decision(
            fingerprint="property",
            title="lights",
            source=DecisionSource.OTHER,
            issued_by="boss",
            issued_on=dt.date(2026, 1, 1),
            priority=Priority.NORMAL,
            report_cycle=ReportCycle.NONE,
            created_at=clock.now(),
        )
        s.add(decision)
        s.flush()
        return decision.id


def _check(
    decision_id: int,
    now: pendulum.DateTime,
    rows: list[dict[str, Any]],
    remind_before: int,
    red_repeat: int,
) -> None:
    _reset(decision_id)
    ids = _insert(decision_id, rows)
    result = plan_sweep(
        now=now,
        remind_before_workdays=remind_before,
        red_repeat_workdays=red_repeat,
        plan_deliveries=False,
    )
    with db.session_scope() as s:
        stored = dict(s.execute(select(Assignment.id, Assignment.light)).all())
        escalations = dict(s.execute(select(Assignment.id, Assignment.red_count)).all())
        keys = set(s.scalars(select(Notice.key)))
    calendar = get_calendar()
    assert result.skipped is not is_sweep_day(calendar, now)
    if result.skipped:
        assert set(stored.values()) == {Light.GREEN} and keys == set()
        return
    expected = {
        aid: assess(
            calendar,
            now,
            _facts(aid, row),
            remind_before_workdays=remind_before,
            red_repeat_workdays=red_repeat,
        )
        for aid, row in zip(ids, rows, strict=True)
    }
    assert stored == {aid: e.light for aid, e in expected.items()}, now
    assert keys == {e.reminder_key for e in expected.values() if e.reminder_key}, now
    assert escalations == {
        aid: int(e.reminder_key is not None and e.light is Light.RED) for aid, e in expected.items()
    }
    # The same sweep again reserves nothing new.
    again = plan_sweep(
        now=now,
        remind_before_workdays=remind_before,
        red_repeat_workdays=red_repeat,
        plan_deliveries=False,
    )
    assert again.notice_keys == []


def test_sql_sweep_and_pure_rule_agree(decision_id: int, backend: str) -> None:
    examples = 500 if backend == "sqlite" else 150

    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(cases())
    def agree(case: tuple[pendulum.DateTime, list[dict[str, Any]], int, int]) -> None:
        _check(decision_id, *case)

    agree()


# --- regressions: each disagreement the property found, pinned ----------------------------


def test_red_on_the_due_evening_and_the_next_morning_is_one_reminder(decision_id: int) -> None:
    """Before: the SQL red period had no lower bound, so a sweep at 18:30 on the due day
    reserved red period -1 and the next morning's sweep period 0: two reds a day apart with red
    repeating every working day. The rule counts both in period 0."""
    issued = dt.date(2026, 9, 21)
    due_on = CAL.add_workdays(issued, 3)  # Thursday 09-24
    row = {
        "issued_on": issued,
        "issued_at": _at(issued, CAL.office_start),
        "due_on": due_on,
        "due_at": CAL.end_of_office_hours(due_on),
        "original_due_at": CAL.end_of_office_hours(due_on),
        "progress": 50,
        "last_feedback_at": None,
        "report_cycle": ReportCycle.NONE,
        "status": AssignmentStatus.OPEN,
    }
    [aid] = _insert(decision_id, [row])
    evening = plan_sweep(now=_at(due_on, dt.time(18, 30)), plan_deliveries=False)
    next_working_day = CAL.add_workdays(due_on, 1)  # Monday: Friday is Mid-Autumn
    morning = plan_sweep(now=_at(next_working_day, dt.time(9, 0)), plan_deliveries=False)
    assert evening.notice_keys == [f"assignment:{aid}:red:{due_on}:0"]
    assert morning.notice_keys == []
    after = plan_sweep(
        now=_at(CAL.add_workdays(next_working_day, 1), dt.time(9, 0)), plan_deliveries=False
    )
    assert after.notice_keys == [f"assignment:{aid}:red:{due_on}:1"]
    with db.session_scope() as s:
        assert s.get(Assignment, aid).red_count == 2
