"""Pure emergency rules: grading boundaries, the ladder, the reporting clock and its numbering."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from officeflow.emergency import load_grading_matrix, load_response_plan
from officeflow.settings import Settings
from rules.grading import DECREE_493, Category, Grade, GradingMatrix, grade_incident
from rules.response_plan import (
    Audience,
    ReportKind,
    ResponsePlan,
    final_deadline,
    follow_ups_to_schedule,
    is_late,
    ladder,
    opening_deadlines,
    report_label,
)

MATRIX = GradingMatrix(default=DECREE_493)
T = dt.datetime(2026, 9, 21, 2, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("deaths", "injuries", "loss", "grade"),
    [
        (0, 0, 0, Grade.IV),
        (2, 9, 9_999_999, Grade.IV),
        (3, 0, 0, Grade.III),
        (0, 10, 0, Grade.III),
        (0, 0, 10_000_000, Grade.III),
        (9, 49, 49_999_999, Grade.III),
        (10, 0, 0, Grade.II),
        (0, 50, 0, Grade.II),
        (0, 0, 50_000_000, Grade.II),
        (29, 99, 99_999_999, Grade.II),
        (30, 0, 0, Grade.I),
        (0, 100, 0, Grade.I),
        (0, 0, 100_000_000, Grade.I),
        (1, 1, Decimal("100000000.00"), Grade.I),
    ],
)
def test_decree_493_boundaries(deaths: int, injuries: int, loss: int, grade: Grade) -> None:
    result = grade_incident(
        MATRIX, Category.ACCIDENT, deaths=deaths, serious_injuries=injuries, direct_loss_cny=loss
    )
    assert result.grade is grade


def test_the_most_severe_figure_wins_and_is_named() -> None:
    result = grade_incident(
        MATRIX, Category.ACCIDENT, deaths=3, serious_injuries=60, direct_loss_cny=0
    )
    assert result.grade is Grade.II and result.reasons == ("serious_injuries 60 ≥ 50",)


def test_a_category_can_have_its_own_table() -> None:
    matrix = GradingMatrix.model_validate(
        {
            "default": DECREE_493.model_dump(),
            "categories": {
                "public_health": {
                    "I": {"serious_injuries": 50},
                    "II": {"serious_injuries": 10},
                    "III": {"serious_injuries": 5},
                }
            },
        }
    )
    kw = {"deaths": 0, "serious_injuries": 12, "direct_loss_cny": 0}
    assert grade_incident(matrix, Category.PUBLIC_HEALTH, **kw).grade is Grade.II
    assert grade_incident(matrix, Category.ACCIDENT, **kw).grade is Grade.III


def test_shipped_files_load_and_encode_the_defaults() -> None:
    settings = Settings()
    matrix = load_grading_matrix(settings)
    assert matrix.table(Category.NATURAL_DISASTER) == DECREE_493
    plan = load_response_plan(settings)
    minutes = {g: plan.for_grade(g).ack_within.total_seconds() / 60 for g in Grade}
    assert minutes == {Grade.I: 5, Grade.II: 5, Grade.III: 15, Grade.IV: 30}
    for grade in (Grade.I, Grade.II):
        clock = plan.clock(grade)
        assert clock.phone_within == dt.timedelta(minutes=30)
        assert clock.written_within == dt.timedelta(hours=1)


def test_ladder_is_cumulative_and_repeats_past_its_end() -> None:
    plan = load_response_plan(Settings()).for_grade(Grade.II)
    rungs = ladder(plan.model_copy(update={"rounds": 3}))
    assert [r.rung for r in rungs] == [0, 1, 2, 3]
    assert rungs[0].audiences == (
        Audience.DUTY_OFFICER,
        Audience.OFFICE_DIRECTOR,
        Audience.AFFECTED_DEPARTMENTS,
    )
    assert rungs[1].audiences[-1] is Audience.LEADER_IN_CHARGE
    assert rungs[2].audiences[-1] is Audience.ALL_LEADERS
    assert rungs[3].audiences == rungs[2].audiences


def test_reporting_clock_deadlines_and_numbering() -> None:
    clock = load_response_plan(Settings()).clock(Grade.II)
    phone, written = opening_deadlines(clock, T)
    assert (phone.kind, phone.due_at, phone.remind_at) == (
        ReportKind.PHONE,
        T + dt.timedelta(minutes=30),
        T + dt.timedelta(minutes=20),
    )
    assert (written.label(), written.due_at) == ("初报", T + dt.timedelta(hours=1))
    # Before the first follow-up's reminder only 续报1 is scheduled; later ones follow.
    assert [d.label() for d in follow_ups_to_schedule(clock, T, T)] == ["续报1"]
    later = follow_ups_to_schedule(clock, T, T + dt.timedelta(hours=9))
    assert [d.label() for d in later] == ["续报1", "续报2", "续报3"]
    assert later[1].due_at == T + dt.timedelta(hours=9)
    assert later[1].remind_at == T + dt.timedelta(hours=8, minutes=50)
    final = final_deadline(clock, T)
    assert final is not None and final.label() == "终报" and final.due_at == T + dt.timedelta(7)
    assert report_label(ReportKind.FOLLOW_UP, 2, "en") == "follow-up report 2"
    assert is_late(T, T + dt.timedelta(seconds=1)) and not is_late(T, T)


def test_jurisdiction_overrides_one_clock_field() -> None:
    data = load_response_plan(Settings()).model_dump()
    data["jurisdictions"] = {"county-a": {"III": {"written_within": "1h"}}}
    plan = ResponsePlan.model_validate(data)
    assert plan.clock(Grade.III, "county-a").written_within == dt.timedelta(hours=1)
    assert plan.clock(Grade.III, "county-a").follow_up_every == dt.timedelta(hours=24)
    assert plan.clock(Grade.III).written_within == dt.timedelta(hours=2)
