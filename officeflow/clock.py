"""The one clock. Every rule takes ``now`` as an argument; this is where it comes from."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import pendulum

from officeflow.settings import get_settings
from rules.calendar import MINUTE, format_instant

_frozen: dt.datetime | None = None
_frozen_utc: pendulum.DateTime | None = None  # `_frozen` in UTC (pendulum's are immutable)


def now() -> pendulum.DateTime:
    """The current instant in UTC, honouring `set_now` and then ``OFFICEFLOW_NOW``."""
    if _frozen_utc is not None:
        return _frozen_utc
    override = get_settings().now
    if override is not None:
        return pendulum.instance(override).in_timezone("UTC")
    return pendulum.now("UTC")


def set_now(value: dt.datetime | str | None) -> None:
    global _frozen, _frozen_utc
    if isinstance(value, str):
        value = parse_instant(value)
    if value is not None and value.tzinfo is None:
        raise ValueError("the clock needs an aware datetime")
    _frozen = value
    _frozen_utc = None if value is None else pendulum.instance(value).in_timezone("UTC")


@contextmanager
def frozen(value: dt.datetime | str) -> Iterator[None]:
    previous = _frozen
    set_now(value)
    try:
        yield
    finally:
        set_now(previous)


def local_zone() -> pendulum.Timezone:
    return pendulum.timezone(get_settings().timezone)


def parse_instant(text: str) -> pendulum.DateTime:
    """Parse an ISO instant; a naive one is read in the organisation's zone."""
    parsed = pendulum.parse(text, tz=local_zone())
    if not isinstance(parsed, pendulum.DateTime):
        raise ValueError(f"{text!r} is not a date and time")
    return parsed


def to_local(value: dt.datetime) -> pendulum.DateTime:
    return pendulum.instance(value).in_timezone(local_zone())


DAY = "YYYY-MM-DD"


def format_local(value: dt.datetime | None, fmt: str = MINUTE) -> str:
    """An instant as the office reads it, in its own zone (``""`` for None). The one place
    that formats local time for people: messages, tables, artifacts, errors."""
    if value is None:
        return ""
    return format_instant(value, get_settings().timezone, fmt)
