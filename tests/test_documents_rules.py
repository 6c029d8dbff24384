"""办文 rules: urgency → step deadlines, numbers, the route's state machine, reminder keys."""

import datetime as dt

import pendulum
import pytest

from models.documents import DocumentStatus, StepKind, Urgency
from rules.calendar import WorkCalendar
from rules.documents import (
    StepFacts,
    format_number,
    number_problem,
    parse_urgency,
    series_problem,
    step_deadline,
    step_refusal,
    step_reminder_key,
)

CAL = WorkCalendar(timezone="Asia/Shanghai")


def at(text: str) -> pendulum.DateTime:
    return pendulum.parse(text)  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("now", "urgency", "due"),
    [
        ("2026-11-10T16:00:00+08:00", Urgency.EXTRA_URGENT, "2026-11-10T18:00:00+08:00"),
        # after hours or on a day off: the end of the next working day
        ("2026-11-10T19:00:00+08:00", Urgency.EXTRA_URGENT, "2026-11-11T18:00:00+08:00"),
        ("2026-11-14T10:00:00+08:00", Urgency.EXTRA_URGENT, "2026-11-16T18:00:00+08:00"),
        ("2026-11-10T16:00:00+08:00", Urgency.URGENT, "2026-11-12T18:00:00+08:00"),
        ("2026-11-10T16:00:00+08:00", Urgency.NORMAL, "2026-11-17T18:00:00+08:00"),
        # National Day week does not count
        ("2026-09-30T10:00:00+08:00", Urgency.URGENT, "2026-10-09T18:00:00+08:00"),
    ],
)
def test_step_deadline(now: str, urgency: Urgency, due: str) -> None:
    assert step_deadline(CAL, at(now), urgency) == at(due)


def test_configurable_normal_deadline() -> None:
    now = at("2026-11-10T16:00:00+08:00")
    assert step_deadline(CAL, now, Urgency.NORMAL, normal_workdays=3) == at(
        "2026-11-13T18:00:00+08:00"
    )


def test_urgency_labels_and_values() -> None:
    assert parse_urgency("特急") is Urgency.EXTRA_URGENT
    assert parse_urgency("urgent") is Urgency.URGENT
    assert parse_urgency(" 平件 ") is Urgency.NORMAL
    with pytest.raises(ValueError, match="unknown urgency '火急'"):
        parse_urgency("火急")


def test_numbers() -> None:
    assert format_number("X府办发", 2026, 1) == "X府办发〔2026〕1号"
    assert number_problem("X政发〔2026〕12号") is None
    for bad in ("X政发[2026]12号", "X政发〔2026〕012号", "X政发〔26〕12号", "X政发〔2026〕12"):
        assert number_problem(bad), bad
    assert series_problem("X府办发") is None
    assert series_problem("X府办发〔2026〕") and series_problem("x")


def test_route_state_machine() -> None:
    assert step_refusal(StepKind.PROPOSE, DocumentStatus.REGISTERED) is None
    assert step_refusal(StepKind.SIGNOFF, DocumentStatus.AWAITING_SIGNOFF) is None
    assert "签发" in (step_refusal(StepKind.SIGNOFF, DocumentStatus.DRAFTED) or "")
    assert step_refusal(StepKind.COSIGN, DocumentStatus.SIGNED)


def test_reminder_key_follows_red_periods() -> None:
    step = StepFacts(7, 3, dt.date(2026, 11, 10), at("2026-11-10T18:00:00+08:00"))
    assert step_reminder_key(CAL, at("2026-11-10T17:00:00+08:00"), step) is None
    key = "document:3:step:7:red:2026-11-10:"
    assert step_reminder_key(CAL, at("2026-11-10T18:30:00+08:00"), step) == key + "0"
    assert step_reminder_key(CAL, at("2026-11-11T09:00:00+08:00"), step) == key + "0"
    assert step_reminder_key(CAL, at("2026-11-12T09:00:00+08:00"), step) == key + "1"
    assert step_reminder_key(CAL, at("2026-11-12T09:00:00+08:00"), step, red_repeat_workdays=2) == (
        key + "0"
    )
