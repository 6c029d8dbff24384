"""Cron cannot know the State Council's holiday arrangement. Scheduled office flows fire every
day and call `skip_if_not_workday` first: on a day off they log why and do nothing."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from officeflow import clock
from officeflow.workdays import get_calendar


def skip_if_not_workday(
    logger: logging.Logger | logging.LoggerAdapter[Any],
    now: dt.datetime | None = None,
    what: str = "this run",
) -> bool:
    """True (and a log line naming the day) when ``now`` falls on a day off in the office's zone;
    False on a working day, including make-up working days (调休) that fall on a weekend."""
    calendar = get_calendar()
    instant = now or clock.now()
    day = calendar.local_date(instant)
    if calendar.is_workday(day):
        return False
    reason = calendar.holiday_name(day) or "weekend"
    note = "" if calendar.is_official_year(day.year) else " (rule-based guess for this year)"
    logger.info(
        "skipping %s: %s %s is not a working day: %s%s",
        what,
        day.isoformat(),
        day.strftime("%A"),
        reason,
        note,
    )
    return True
