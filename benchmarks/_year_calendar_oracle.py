"""The oracle's own working-day calendar: the State Council's notices, typed here.

The office year's oracle shares no code with the product (issue 30): not `rules.calendar`, not
the ``holidays`` package the product reads its calendar from. This is its own copy of the
official table, typed from the notices, and its own working-day arithmetic.

- 2026: 国务院办公厅关于2026年部分节假日安排的通知 (国办发明电〔2025〕7号, 4 November 2025):
  元旦 1月1日至3日放假调休，1月4日（周日）上班；春节 2月15日至23日放假调休，2月14日（周六）、
  2月28日（周六）上班；清明节 4月4日至6日；劳动节 5月1日至5日放假调休，5月9日（周六）上班；
  端午节 6月19日至21日；中秋节 9月25日至27日；国庆节 10月1日至7日放假调休，9月20日（周日）、
  10月10日（周六）上班。
- 2025: 国务院办公厅关于2025年部分节假日安排的通知 (国办发明电〔2024〕12号): the script's
  first days count working days back into December 2025.
- 2027 has no notice this table knows of. The year's deadlines reach into its first months
  (an assignment issued in November, due in 60 working days), so it is stated by the law
  itself, 全国年节及纪念日放假办法 (2024): the statutory days (元旦 1, 春节 4 from 除夕,
  清明 1, 劳动节 2, 端午 1, 中秋 1, 国庆 3) and, for a statutory day on a weekend, a day off
  in lieu on the next weekday (补假), without make-up workdays. When the notice is published,
  type it here as a year of `NOTICES`.

Days outside these years raise: the oracle never guesses silently.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("Asia/Shanghai")
OFFICE_START = dt.time(9, 0)
OFFICE_END = dt.time(18, 0)


def _days(first: str, last: str) -> list[dt.date]:
    a, b = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    return [a + dt.timedelta(days=i) for i in range((b - a).days + 1)]


# year → (the days off, as the notice's ranges; the weekend days worked, 调休上班)
NOTICES: dict[int, tuple[list[tuple[str, str]], list[str]]] = {
    2025: (
        [
            ("2025-01-01", "2025-01-01"),  # 元旦
            ("2025-01-28", "2025-02-04"),  # 春节
            ("2025-04-04", "2025-04-06"),  # 清明节
            ("2025-05-01", "2025-05-05"),  # 劳动节
            ("2025-05-31", "2025-06-02"),  # 端午节
            ("2025-10-01", "2025-10-08"),  # 国庆节、中秋节
        ],
        ["2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"],
    ),
    2026: (
        [
            ("2026-01-01", "2026-01-03"),  # 元旦
            ("2026-02-15", "2026-02-23"),  # 春节
            ("2026-04-04", "2026-04-06"),  # 清明节
            ("2026-05-01", "2026-05-05"),  # 劳动节
            ("2026-06-19", "2026-06-21"),  # 端午节
            ("2026-09-25", "2026-09-27"),  # 中秋节
            ("2026-10-01", "2026-10-07"),  # 国庆节
        ],
        ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"],
    ),
}

# Years without a notice: the statutory days of 全国年节及纪念日放假办法 (lunar dates resolved).
STATUTORY: dict[int, list[str]] = {
    2027: [
        "2027-01-01",  # 元旦
        "2027-02-05",  # 除夕
        "2027-02-06",  # 春节 正月初一
        "2027-02-07",  # 正月初二
        "2027-02-08",  # 正月初三
        "2027-04-05",  # 清明节
        "2027-05-01",  # 劳动节
        "2027-05-02",
        "2027-06-09",  # 端午节
        "2027-09-15",  # 中秋节
        "2027-10-01",  # 国庆节
        "2027-10-02",
        "2027-10-03",
    ],
}


def _statutory_days_off(days: list[str]) -> set[dt.date]:
    """The statutory days and, for each on a weekend, the next weekday not yet off (补假)."""
    off = {dt.date.fromisoformat(d) for d in days}
    for day in sorted(off):
        if day.weekday() >= 5:
            lieu = day + dt.timedelta(days=1)
            while lieu.weekday() >= 5 or lieu in off:
                lieu += dt.timedelta(days=1)
            off.add(lieu)
    return off


def _table() -> tuple[frozenset[dt.date], frozenset[dt.date], frozenset[int]]:
    off: set[dt.date] = set()
    worked: set[dt.date] = set()
    for ranges, weekend_workdays in NOTICES.values():
        for first, last in ranges:
            off.update(_days(first, last))
        worked.update(dt.date.fromisoformat(d) for d in weekend_workdays)
    for days in STATUTORY.values():
        off |= _statutory_days_off(days)
    return frozenset(off), frozenset(worked), frozenset({*NOTICES, *STATUTORY})


DAYS_OFF, WEEKEND_WORKDAYS, YEARS = _table()


def _is_workday(day: dt.date) -> bool:
    """A weekday that is not a day off, or a weekend day worked (调休上班)."""
    if day in WEEKEND_WORKDAYS:
        return True
    return day.weekday() < 5 and day not in DAYS_OFF


class OracleCalendar:
    """Working days, office hours and local dates in Asia/Shanghai, from the table above.

    Working-day arithmetic counts along the table's days once (an index of each day's running
    count of working days), so a sweep over 100,000 assignments stays quick."""

    timezone = "Asia/Shanghai"

    def __init__(self) -> None:
        first, last = dt.date(min(YEARS), 1, 1), dt.date(max(YEARS), 12, 31)
        self._index: dict[dt.date, int] = {}  # working days from `first` up to the day, itself in
        self._days: list[dt.date] = []  # the working days, in order
        day = first
        while day <= last:
            if _is_workday(day):
                self._days.append(day)
            self._index[day] = len(self._days)
            day += dt.timedelta(days=1)

    def _count(self, day: dt.date) -> int:
        try:
            return self._index[dt.date(day.year, day.month, day.day)]
        except KeyError:
            raise ValueError(f"the oracle's calendar has no table for {day.year} ({day})") from None

    def _nth(self, i: int, day: dt.date) -> dt.date:
        if not 0 <= i < len(self._days):
            raise ValueError(f"working days counted from {day} leave the oracle's table")
        return self._days[i]

    def is_workday(self, day: dt.date) -> bool:
        if dt.date(day.year, day.month, day.day) not in self._index:
            self._count(day)  # raises
        return _is_workday(day)

    def add_workdays(self, day: dt.date, n: int) -> dt.date:
        """The n-th working day after ``day``; ``day`` itself for n == 0."""
        if n < 0:
            raise ValueError("n must be 0 or more")
        if n == 0:
            return dt.date(day.year, day.month, day.day)
        return self._nth(self._count(day) + n - 1, day)

    def subtract_workdays(self, day: dt.date, n: int) -> dt.date:
        """The n-th working day before ``day``."""
        if n == 0:
            return dt.date(day.year, day.month, day.day)
        before = self._count(day) - self.is_workday(day)  # working days strictly before
        return self._nth(before - n, day)

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]; negative when ``end`` is before ``start``."""
        return self._count(end) - self._count(start)

    def next_workday(self, day: dt.date) -> dt.date:
        """``day`` when it is a working day, else the next one."""
        while not self.is_workday(day):
            day += dt.timedelta(days=1)
        return day

    def local_date(self, instant: dt.datetime) -> dt.date:
        return instant.astimezone(ZONE).date()

    def local(self, instant: dt.datetime) -> dt.datetime:
        return instant.astimezone(ZONE)

    def at(self, day: dt.date, time: dt.time) -> dt.datetime:
        return dt.datetime(day.year, day.month, day.day, time.hour, time.minute, tzinfo=ZONE)

    def office_opens(self, day: dt.date) -> dt.datetime:
        return self.at(day, OFFICE_START)

    def office_closes(self, day: dt.date) -> dt.datetime:
        """The end of office hours (18:00) on ``day``: a deadline given as a date."""
        return self.at(day, OFFICE_END)
