"""值班 rules: rotation patterns, the coverage check, who is on duty, reminder instants."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from models.duty_input import RosterSpec
from rules.duty import (
    RosterProblem,
    ShiftFacts,
    due_reminders,
    expand,
    on_duty,
    reminder_instants,
)

ZONE = "Asia/Shanghai"
SH = ZoneInfo(ZONE)
TWO_SHIFTS = [
    {"name": "day", "start": "08:30", "end": "17:30"},
    {"name": "night", "start": "17:30", "end": "08:30"},
]


def spec(**kw: Any) -> RosterSpec:
    data: dict[str, Any] = {
        "name": "r",
        "start": "2026-10-01",
        "end": "2026-10-03",
        "officers": ["a", "b", "c"],
        "leaders": ["x", "y"],
    }
    data.update(kw)
    return RosterSpec.model_validate(data)


def test_daily_rotation_takes_shifts_in_turn_and_leaders_day_by_day() -> None:
    shifts = expand(spec(shifts=TWO_SHIFTS), ZONE)
    assert [(s.day.day, s.name, s.officer, s.leader) for s in shifts] == [
        (1, "day", "a", "x"),
        (1, "night", "b", "x"),
        (2, "day", "c", "y"),
        (2, "night", "a", "y"),
        (3, "day", "b", "x"),
        (3, "night", "c", "x"),
    ]
    night = shifts[1]
    assert night.starts_at == dt.datetime(2026, 10, 1, 17, 30, tzinfo=SH)
    assert night.ends_at == dt.datetime(2026, 10, 2, 8, 30, tzinfo=SH)
    assert (night.officer_field, night.leader_field) == (("officers", 1), ("leaders", 0))


def test_weekly_rotation_changes_each_seven_days() -> None:
    shifts = expand(spec(pattern="weekly", end="2026-10-14", officers=["a", "b"]), ZONE)
    assert {s.officer for s in shifts[:7]} == {"a"}
    assert {s.officer for s in shifts[7:]} == {"b"}
    assert {s.leader for s in shifts[7:]} == {"y"}
    # the default single shift runs 08:30 to 08:30 the next day
    assert shifts[0].ends_at - shifts[0].starts_at == dt.timedelta(hours=24)


def test_explicit_roster_must_cover_every_shift() -> None:
    slots = [
        {"date": "2026-10-01", "shift": "day", "officer": "a", "leader": "x"},
        {"date": "2026-10-01", "shift": "night", "officer": "b", "leader": "x"},
    ]
    one_day = spec(pattern="explicit", end="2026-10-01", shifts=TWO_SHIFTS, slots=slots)
    assert [s.officer_field for s in expand(one_day, ZONE)] == [
        ("slots", 0, "officer"),
        ("slots", 1, "officer"),
    ]
    with pytest.raises(RosterProblem) as err:
        expand(spec(pattern="explicit", end="2026-10-02", shifts=TWO_SHIFTS, slots=slots), ZONE)
    assert (err.value.loc, err.value.message) == (
        ("slots",),
        "2026-10-02 day has no duty officer and leader",
    )


@pytest.mark.parametrize(
    ("changes", "loc", "fragment"),
    [
        ({"officers": []}, ("officers",), "at least one officer"),
        ({"leaders": []}, ("leaders",), "at least one leader"),
        (
            {"shifts": [{"name": "day", "start": "08:30", "end": "17:30"}]},
            ("shifts", 0, "end"),
            "must cover the whole day",
        ),
        (
            {
                "pattern": "explicit",
                "slots": [{"date": "2026-10-09", "officer": "a", "leader": "x"}],
            },
            ("slots", 0, "date"),
            "outside the roster's range",
        ),
        (
            {
                "pattern": "explicit",
                "shifts": TWO_SHIFTS,
                "slots": [{"date": "2026-10-01", "officer": "a", "leader": "x"}],
            },
            ("slots", 0, "shift"),
            "name the shift",
        ),
    ],
)
def test_bad_rosters_name_the_field(
    changes: dict[str, Any], loc: tuple[Any, ...], fragment: str
) -> None:
    with pytest.raises(RosterProblem) as err:
        expand(spec(**changes), ZONE)
    assert err.value.loc == loc and fragment in err.value.message


def test_reminders_the_evening_before_and_an_hour_before() -> None:
    start = dt.datetime(2026, 10, 3, 8, 30, tzinfo=SH)
    eve, soon = reminder_instants(start, ZONE)
    assert eve == dt.datetime(2026, 10, 2, 18, 0, tzinfo=SH)
    assert soon == dt.datetime(2026, 10, 3, 7, 30, tzinfo=SH)
    # A shift starting 00:30: the evening reminder (18:00 the day before) precedes the other.
    eve, soon = reminder_instants(dt.datetime(2026, 10, 3, 0, 30, tzinfo=SH), ZONE)
    assert (eve.hour, soon.hour) == (18, 23)
    assert due_reminders(eve - dt.timedelta(minutes=1), start, eve, soon) == []
    assert due_reminders(eve, start, eve, soon) == ["eve"]
    assert due_reminders(soon, start, eve, soon) == ["soon"]
    assert due_reminders(start, start, eve, soon) == []


def test_on_duty_prefers_the_holiday_roster_then_the_later_start() -> None:
    t = dt.datetime(2026, 10, 3, 2, 0, tzinfo=SH)
    regular = ShiftFacts(1, t - dt.timedelta(hours=8), t + dt.timedelta(hours=6), False)
    holiday = ShiftFacts(2, t - dt.timedelta(hours=9), t + dt.timedelta(hours=6), True)
    ended = ShiftFacts(3, t - dt.timedelta(hours=20), t, True)
    assert on_duty([regular, holiday, ended], t) == holiday
    assert on_duty([regular, ended], t) == regular
    assert on_duty([ended], t) is None


def test_roster_model_refuses_reversed_or_endless_ranges() -> None:
    with pytest.raises(ValueError, match="end must not be before start"):
        spec(start="2026-10-05", end="2026-10-01")
    with pytest.raises(ValueError, match="at most 400 days"):
        spec(end="2028-10-01")
    with pytest.raises(ValueError, match="2000–2099"):
        spec(end="2206-10-01")
