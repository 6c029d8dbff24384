"""The meeting invitation as iCalendar (RFC 5545) with iTIP methods (RFC 5546).

Pure: builds bytes from plain data. One UID per meeting, kept for its whole life; every
reschedule raises SEQUENCE, so calendars replace the event instead of adding a second one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pendulum
from icalendar import Calendar, Event, Timezone, vCalAddress, vText


@dataclass(frozen=True)
class Party:
    name: str
    email: str | None


@dataclass(frozen=True)
class InviteData:
    meeting_id: int
    sequence: int
    title: str
    start: dt.datetime
    end: dt.datetime
    timezone: str
    location: str
    organizer: Party
    attendees: list[Party] = field(default_factory=list)
    description: str = ""
    stamp: dt.datetime | None = None
    domain: str = "officeflow"


def uid_for(meeting_id: int, domain: str = "officeflow") -> str:
    return f"meeting-{meeting_id}@{domain}"


def _address(party: Party, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{party.email}")
    address.params["CN"] = vText(party.name)
    for key, value in params.items():
        address.params[key] = vText(value)
    return address


def build(data: InviteData, *, method: str = "REQUEST") -> bytes:
    """The .ics text of a REQUEST (new or updated invitation) or a CANCEL."""
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"unsupported iTIP method {method!r}")
    zone = pendulum.timezone(data.timezone)
    start = pendulum.instance(data.start).in_timezone(zone)
    end = pendulum.instance(data.end).in_timezone(zone)

    cal = Calendar()
    cal.add("prodid", "-//officeflow//meeting//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    cal.add_component(Timezone.from_tzid(data.timezone))

    event = Event()
    event.add("uid", uid_for(data.meeting_id, data.domain))
    event.add("sequence", data.sequence)
    event.add("dtstamp", (data.stamp or pendulum.now("UTC")).astimezone(dt.UTC))
    event.add("dtstart", _zoned(start, data.timezone))
    event.add("dtend", _zoned(end, data.timezone))
    event.add("summary", data.title)
    event.add("location", data.location)
    if data.description:
        event.add("description", data.description)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    if data.organizer.email:
        event.add("organizer", _address(data.organizer))
    for party in data.attendees:
        if party.email:
            event.add(
                "attendee",
                _address(
                    party,
                    ROLE="REQ-PARTICIPANT",
                    PARTSTAT="NEEDS-ACTION",
                    RSVP="TRUE",
                ),
            )
    cal.add_component(event)
    return cal.to_ical()


def _zoned(value: pendulum.DateTime, tzid: str) -> dt.datetime:
    """A datetime whose tzinfo is the zoneinfo zone, so icalendar writes TZID=<zone>."""
    from zoneinfo import ZoneInfo

    return dt.datetime(
        value.year,
        value.month,
        value.day,
        value.hour,
        value.minute,
        value.second,
        tzinfo=ZoneInfo(tzid),
    )
