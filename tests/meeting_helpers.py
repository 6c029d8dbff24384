"""Shared bits of the meeting tests."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path
from typing import Any

import yaml
from icalendar import Calendar

from models.meeting_input import MeetingSpec, MinutesSpec

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_MEETING = ROOT / "examples" / "meeting.yaml"
EXAMPLE_MINUTES = ROOT / "examples" / "minutes.yaml"


def example_meeting(**overrides: Any) -> MeetingSpec:
    data = yaml.safe_load(EXAMPLE_MEETING.read_text(encoding="utf-8"))
    data.update(overrides)
    return MeetingSpec.model_validate(data)


def example_minutes(**overrides: Any) -> MinutesSpec:
    data = yaml.safe_load(EXAMPLE_MINUTES.read_text(encoding="utf-8"))
    data.update(overrides)
    return MinutesSpec.model_validate(data)


def calendar_parts(message: EmailMessage) -> tuple[EmailMessage | None, EmailMessage | None]:
    """(the text/calendar alternative, the invite.ics attachment)."""
    alternative = attachment = None
    for part in message.walk():
        if part.get_filename() == "invite.ics":
            attachment = part
        elif part.get_content_type() == "text/calendar":
            alternative = part
    return alternative, attachment


def parse_ics(part: EmailMessage) -> Any:
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    cal = Calendar.from_ical(payload)
    return cal, cal.walk("VEVENT")[0]
