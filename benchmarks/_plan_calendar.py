"""The office year's script calendar: the product's working-day calendar, its answers remembered.

`benchmarks/office_plan.generate` places the script's steps with it (the sweeps on working
days, deadlines counted in working days), as the office counts them. It lives apart from
`office_plan`'s plain data so that the oracle, which reads that data, imports nothing of
`rules/`: the oracle counts with its own table (`benchmarks/_year_calendar_oracle.py`).
"""

from __future__ import annotations

import datetime as dt

from benchmarks.office_plan import TZ, ZONE, _plain
from rules.calendar import WorkCalendar


class Calendar(WorkCalendar):
    """The working-day calendar with its answers remembered (the same answers, faster)."""

    FROM, TO = dt.date(2025, 1, 1), dt.date(2028, 12, 31)

    def __init__(self) -> None:
        super().__init__(timezone=ZONE)
        index, days, n, day = {}, [], 0, self.FROM
        while day <= self.TO:
            if super().is_workday(day):
                n += 1
                days.append(day)
            index[day] = n
            day += dt.timedelta(days=1)
        object.__setattr__(self, "_index", index)
        object.__setattr__(self, "_days", days)

    def is_workday(self, day: dt.date) -> bool:
        index = self._index  # type: ignore[attr-defined]
        if day in index and day - dt.timedelta(days=1) in index:
            return index[day] != index[day - dt.timedelta(days=1)]
        return super().is_workday(day)

    def local_date(self, instant: dt.datetime) -> dt.date:
        return instant.astimezone(TZ).date()

    def add_workdays(self, day: dt.date, n: int) -> dt.date:
        day = _plain(day)
        index, days = self._index, self._days  # type: ignore[attr-defined]
        if n == 0 or day not in index or index[day] + n > len(days):
            return super().add_workdays(day, n)
        return days[index[day] + n - 1]

    def subtract_workdays(self, day: dt.date, n: int) -> dt.date:
        day = _plain(day)
        index, days = self._index, self._days  # type: ignore[attr-defined]
        before = index.get(day, 0) - (1 if day in index and self.is_workday(day) else 0)
        if n == 0 or day not in index or before - n < 0:
            return super().subtract_workdays(day, n)
        return days[before - n]

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        start, end = _plain(start), _plain(end)
        index = self._index  # type: ignore[attr-defined]
        if start in index and end in index:
            return index[end] - index[start]
        return super().workdays_between(start, end)
