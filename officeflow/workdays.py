"""The organisation's working-day calendar, built once from settings."""

from __future__ import annotations

from functools import lru_cache

from officeflow.settings import Settings, get_settings
from rules.calendar import CalendarOverrides, WorkCalendar


@lru_cache(maxsize=4)
def _build(settings_key: tuple) -> WorkCalendar:  # type: ignore[type-arg]
    tz, start, end, overrides_path = settings_key
    overrides = CalendarOverrides.load(overrides_path) if overrides_path else CalendarOverrides()
    return WorkCalendar(timezone=tz, office_start=start, office_end=end, overrides=overrides)


def get_calendar(settings: Settings | None = None) -> WorkCalendar:
    s = settings or get_settings()
    return _build((s.timezone, s.office_hours_start, s.office_hours_end, s.calendar_overrides))
