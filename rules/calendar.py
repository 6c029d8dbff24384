"""Working days (工作日) for China: official holidays, make-up workdays (调休), local closures.

Built on the ``holidays`` package's CN calendar, plus an overrides file for the office's own
closures and for State Council notices newer than the installed package.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pendulum
from pydantic import Field, ValidationError

from models.common import StrictInput


class CalendarOverrides(StrictInput):
    """The overrides file. Every list holds ISO dates."""

    official_years: list[int] = Field(
        default_factory=list,
        description="Years whose official arrangement this file completes (e.g. a new notice).",
    )
    days_off: list[dt.date] = Field(default_factory=list, description="Extra closures.")
    workdays: list[dt.date] = Field(
        default_factory=list, description="Extra working days, e.g. make-up workdays (调休)."
    )

    @classmethod
    def load(cls, path: Path) -> CalendarOverrides:
        import yaml  # only where an overrides file is read

        from rules import yaml_loader

        try:
            raw = yaml_loader.load(path.read_text(encoding="utf-8")) or {}
        except OSError as exc:
            raise ValueError(f"cannot read calendar overrides {path}: {exc.strerror}") from exc
        except yaml.YAMLError as exc:
            raise ValueError(f"{path}: not valid YAML: {exc}") from exc
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ValueError(f"{path}: {where}: {first['msg']}") from exc


MINUTE = "YYYY-MM-DD HH:mm"


def format_instant(value: dt.datetime, timezone: str, fmt: str = MINUTE) -> str:
    """An instant as people in ``timezone`` read it. The one formatter of local time: the
    clock (`officeflow.clock.format_local`, the office's zone) and the templates call it."""
    return pendulum.instance(value).in_timezone(timezone).format(fmt)


@cache
def last_official_year() -> int:
    """The newest year the installed ``holidays`` package carries the State Council's
    arrangement for."""
    return int(_cached_calendar()["last_official_year"])


def __getattr__(name: str) -> Any:
    if name == "LAST_OFFICIAL_YEAR":
        return last_official_year()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# The official calendar (holidays and make-up workdays) comes from the ``holidays`` package, which
# takes about a second to import because it loads every country. Each year it gives is kept in a
# small JSON file named by the package's version, so a command reads a file instead: the answers
# are the package's own, and a new package version starts a new file.
CACHE_YEARS = range(2000, 2061)


def _cache_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "officeflow" / f"cn-calendar-holidays-{version('holidays')}.json"


def _compute_calendar() -> dict[str, Any]:
    import holidays
    from holidays.countries.china import ChinaStaticHolidays

    cn = holidays.country_holidays("CN", language="zh_CN", years=CACHE_YEARS)
    weekend_workdays = sorted(d.isoformat() for d in cn.weekend_workdays)
    return {
        "last_official_year": max(ChinaStaticHolidays.special_public_holidays),
        "holidays": {d.isoformat(): name for d, name in sorted(cn.items())},
        "weekend_workdays": weekend_workdays,
    }


@cache
def _cached_calendar() -> dict[str, Any]:
    path = _cache_file()
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    data = _compute_calendar()
    try:  # best effort: a read-only home only makes every command a second slower
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass
    return data


class OfficialCalendar:
    """China's official days off and make-up workdays, as the ``holidays`` package gives them
    (outside `CACHE_YEARS`, asked of the package itself)."""

    def __init__(self) -> None:
        data = _cached_calendar()
        self._names = {dt.date.fromisoformat(k): v for k, v in data["holidays"].items()}
        self._weekend_workdays = frozenset(
            dt.date.fromisoformat(d) for d in data["weekend_workdays"]
        )
        self._package: Any = None

    def _outside(self) -> Any:
        if self._package is None:
            import holidays

            self._package = holidays.country_holidays("CN", language="zh_CN")
        return self._package

    def is_working_day(self, day: dt.date) -> bool:
        if day.year not in CACHE_YEARS:
            return bool(self._outside().is_working_day(day))
        if day.weekday() >= 5:
            return day in self._weekend_workdays
        return day not in self._names

    def get(self, day: dt.date) -> str | None:
        if day.year not in CACHE_YEARS:
            return self._outside().get(day)
        return self._names.get(day)


@dataclass(frozen=True)
class WorkCalendar:
    timezone: str = "Asia/Shanghai"
    office_start: dt.time = dt.time(9, 0)
    office_end: dt.time = dt.time(18, 0)
    overrides: CalendarOverrides = field(default_factory=CalendarOverrides)

    @cached_property
    def _official(self) -> OfficialCalendar:
        return OfficialCalendar()

    @cached_property
    def _days_off(self) -> frozenset[dt.date]:
        return frozenset(self.overrides.days_off)

    @cached_property
    def _workdays(self) -> frozenset[dt.date]:
        return frozenset(self.overrides.workdays)

    def is_official_year(self, year: int) -> bool:
        """Whether the year's holiday arrangement is published, not a rule-based guess."""
        return year <= last_official_year() or year in self.overrides.official_years

    def unofficial_years(self, dates: Iterable[dt.date]) -> list[int]:
        return sorted({d.year for d in dates if not self.is_official_year(d.year)})

    def is_workday(self, day: dt.date) -> bool:
        if day in self._days_off:
            return False
        if day in self._workdays:
            return True
        return bool(self._official.is_working_day(day))

    def holiday_name(self, day: dt.date) -> str | None:
        return self._official.get(day)

    def add_workdays(self, day: dt.date, n: int) -> dt.date:
        """The n-th working day after ``day`` (n >= 1), or ``day`` itself for n == 0."""
        if n < 0:
            raise ValueError("n must be 0 or more")
        current, left = day, n
        while left:
            current += dt.timedelta(days=1)
            if self.is_workday(current):
                left -= 1
        return current

    def subtract_workdays(self, day: dt.date, n: int) -> dt.date:
        """The n-th working day before ``day``."""
        current, left = day, n
        while left:
            current -= dt.timedelta(days=1)
            if self.is_workday(current):
                left -= 1
        return current

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]; negative when end is before start."""
        if end < start:
            return -self.workdays_between(end, start)
        return sum(
            1
            for i in range(1, (end - start).days + 1)
            if self.is_workday(start + dt.timedelta(days=i))
        )

    def next_workday(self, day: dt.date) -> dt.date:
        """``day`` if it is a working day, else the next one."""
        while not self.is_workday(day):
            day += dt.timedelta(days=1)
        return day

    def end_of_office_hours(self, day: dt.date) -> pendulum.DateTime:
        return pendulum.datetime(
            day.year,
            day.month,
            day.day,
            self.office_end.hour,
            self.office_end.minute,
            tz=self.timezone,
        )

    def deadline(self, issued: dt.date, workdays: int) -> pendulum.DateTime:
        """A deadline of N working days: the end of office hours on the N-th working day."""
        return self.end_of_office_hours(self.add_workdays(issued, workdays))

    def local_date(self, instant: dt.datetime) -> dt.date:
        return pendulum.instance(instant).in_timezone(self.timezone).date()

    def next_opening(self, instant: dt.datetime) -> pendulum.DateTime | None:
        """Quiet hours: None when ``instant`` falls in office hours on a working day, else the
        start of office hours on the next working morning (today's, before opening time)."""
        local = pendulum.instance(instant).in_timezone(self.timezone)
        day = local.date()
        clock_time = dt.time(local.hour, local.minute, local.second)
        if self.is_workday(day):
            if self.office_start <= clock_time < self.office_end:
                return None
            if clock_time >= self.office_end:
                day = self.next_workday(day + dt.timedelta(days=1))
        else:
            day = self.next_workday(day)
        return pendulum.datetime(
            day.year,
            day.month,
            day.day,
            self.office_start.hour,
            self.office_start.minute,
            tz=self.timezone,
        )
