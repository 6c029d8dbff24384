import datetime as dt
import json
from pathlib import Path

import pytest

from rules.calendar import LAST_OFFICIAL_YEAR, CalendarOverrides, WorkCalendar
from tests.cli_helpers import run_cli

cal = WorkCalendar()


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2026, 10, 1), False),  # National Day
        (dt.date(2026, 10, 7), False),  # extended National Day holiday
        (dt.date(2026, 10, 10), True),  # Saturday make-up workday (调休)
        (dt.date(2026, 9, 20), True),  # Sunday make-up workday
        (dt.date(2026, 9, 26), False),  # ordinary Saturday
        (dt.date(2026, 9, 25), False),  # Mid-Autumn Festival (a Friday)
        (dt.date(2026, 9, 24), True),  # ordinary Thursday
        (dt.date(2026, 2, 14), True),  # Spring Festival make-up Saturday
        (dt.date(2026, 2, 17), False),  # Spring Festival
    ],
)
def test_is_workday_follows_the_state_council_arrangement(day: dt.date, expected: bool) -> None:
    assert cal.is_workday(day) is expected


def test_add_workdays_skips_national_day() -> None:
    assert cal.add_workdays(dt.date(2026, 9, 24), 5) == dt.date(2026, 10, 9)
    assert cal.add_workdays(dt.date(2026, 9, 24), 0) == dt.date(2026, 9, 24)
    assert cal.subtract_workdays(dt.date(2026, 10, 9), 5) == dt.date(2026, 9, 24)


def test_workdays_between_counts_the_holiday_gap() -> None:
    assert cal.workdays_between(dt.date(2026, 9, 30), dt.date(2026, 10, 9)) == 2  # 10-08 and 10-09
    assert cal.workdays_between(dt.date(2026, 10, 9), dt.date(2026, 9, 30)) == -2


def test_deadline_is_end_of_office_hours_in_the_org_zone() -> None:
    due = cal.deadline(dt.date(2026, 9, 21), 5)
    assert due.isoformat() == "2026-09-29T18:00:00+08:00"
    assert due.in_timezone("UTC").hour == 10


def test_unofficial_years_are_flagged() -> None:
    assert cal.is_official_year(LAST_OFFICIAL_YEAR)
    assert not cal.is_official_year(LAST_OFFICIAL_YEAR + 1)
    assert cal.unofficial_years([dt.date(2026, 1, 5), dt.date(LAST_OFFICIAL_YEAR + 1, 3, 1)]) == [
        LAST_OFFICIAL_YEAR + 1
    ]


def test_overrides_add_closures_and_workdays_and_official_years(tmp_path: Path) -> None:
    f = tmp_path / "overrides.yaml"
    f.write_text(
        "official_years: [2027]\ndays_off: [2026-09-25]\nworkdays: [2026-09-26]\n", encoding="utf-8"
    )
    local = WorkCalendar(overrides=CalendarOverrides.load(f))
    assert not local.is_workday(dt.date(2026, 9, 25))
    assert local.is_workday(dt.date(2026, 9, 26))
    assert local.is_official_year(2027)


def test_bad_overrides_file_names_the_field(tmp_path: Path) -> None:
    f = tmp_path / "overrides.yaml"
    f.write_text("days_off: [2026-02-30]\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"days_off\.0"):
        CalendarOverrides.load(f)


def test_cli_prints_the_answers_of_the_issue() -> None:
    result = run_cli("calendar", "add-workdays", "2026-09-24", "5")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2026-10-09"
    result = run_cli("calendar", "is-workday", "2026-10-10")
    assert result.stdout.strip() == "yes"
    assert result.stderr == ""


def test_cli_warns_on_a_guessed_year_and_rejects_bad_dates() -> None:
    year = LAST_OFFICIAL_YEAR + 1
    result = run_cli("calendar", "is-workday", f"{year}-10-08")
    assert result.returncode == 0
    assert result.stdout.strip() in ("yes", "no")
    assert f"no official holiday arrangement is known for {year}" in result.stderr
    bad = run_cli("calendar", "is-workday", "2026-13-01")
    assert bad.returncode == 2
    assert "must be an ISO date" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_the_cached_official_calendar_is_the_packages_own(tmp_path, monkeypatch) -> None:
    """Commands read China's official days from a JSON file (importing ``holidays`` costs about a
    second); every day of every cached year must answer as the package does, and a damaged
    cache file is rebuilt."""
    import holidays

    from rules import calendar

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    calendar._cached_calendar.cache_clear()
    try:
        calendar._cache_file().parent.mkdir(parents=True)
        calendar._cache_file().write_text("{not json", encoding="utf-8")
        ours = calendar.OfficialCalendar()
        assert json.loads(calendar._cache_file().read_text(encoding="utf-8"))["holidays"]
        package = holidays.country_holidays("CN", language="zh_CN")
        day, differ = dt.date(2000, 1, 1), []
        while day <= dt.date(2061, 12, 31):
            if (ours.is_working_day(day), ours.get(day)) != (
                package.is_working_day(day),
                package.get(day),
            ):
                differ.append(day)
            day += dt.timedelta(days=1)
        assert differ == []
        assert ours.is_working_day(dt.date(2026, 9, 20))  # a make-up Sunday (调休)
        assert ours.get(dt.date(2026, 10, 1)) == package.get(dt.date(2026, 10, 1))
    finally:
        calendar._cached_calendar.cache_clear()
