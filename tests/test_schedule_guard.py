"""Scheduled flows fire every day; the guard lets them run on working days only."""

from __future__ import annotations

import logging
from typing import Any

import pendulum
import pytest

from officeflow import clock
from officeflow.schedule_guard import skip_if_not_workday

LOG = logging.getLogger("test.guard")


@pytest.mark.parametrize(
    ("instant", "skipped", "said"),
    [
        ("2026-09-21T09:00:00+08:00", False, None),  # an ordinary Monday
        ("2026-10-01T09:00:00+08:00", True, "2026-10-01 Thursday is not a working day"),
        ("2026-10-10T09:00:00+08:00", False, None),  # 调休: a make-up Saturday
        ("2026-11-28T09:00:00+08:00", True, "weekend"),  # an ordinary Saturday
        # 01:00 on 1 October in Shanghai is still 30 September in UTC: the office's day counts.
        ("2026-09-30T17:00:00+00:00", True, "2026-10-01"),
    ],
)
def test_skip_if_not_workday(
    office_env: Any, caplog: pytest.LogCaptureFixture, instant: str, skipped: bool, said: Any
) -> None:
    with caplog.at_level(logging.INFO, logger="test.guard"):
        assert skip_if_not_workday(LOG, pendulum.parse(instant), what="the sweep") is skipped
    if said is None:
        assert not caplog.records
    else:
        assert "skipping the sweep" in caplog.text and said in caplog.text


def test_guard_uses_the_clock_when_no_time_is_given(
    office_env: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with clock.frozen("2026-10-02T09:00:00+08:00"), caplog.at_level(logging.INFO):
        assert skip_if_not_workday(LOG) is True
    assert "2026-10-02" in caplog.text
