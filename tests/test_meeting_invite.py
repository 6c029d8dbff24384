"""The invitation: iCalendar built by the pure rule, and the iTIP email built for SMTP."""

from __future__ import annotations

import pendulum
from icalendar import Calendar

from models.org import Channel
from officeflow import channels
from officeflow.mailcatcher import MailCatcher
from officeflow.settings import Settings
from rules import invite
from tests.meeting_helpers import calendar_parts, parse_ics

TZ = "Asia/Shanghai"


def data(sequence: int = 0) -> invite.InviteData:
    return invite.InviteData(
        meeting_id=7,
        sequence=sequence,
        title="市政府常务会议",
        start=pendulum.datetime(2026, 10, 9, 9, 30, tz=TZ),
        end=pendulum.datetime(2026, 10, 9, 11, 30, tz=TZ),
        timezone=TZ,
        location="第一会议室",
        organizer=invite.Party("市政府办公室", "office@example.org"),
        attendees=[
            invite.Party("张伟", "zhang.wei@example.gov.cn"),
            invite.Party("No Mail", None),
        ],
        description="1. 议题",
        stamp=pendulum.datetime(2026, 9, 30, 2, tz="UTC"),
    )


def test_request_has_method_uid_sequence_tzid_organizer_attendees_location() -> None:
    raw = invite.build(data())
    text = raw.decode()
    assert "METHOD:REQUEST" in text
    assert "DTSTART;TZID=Asia/Shanghai:20261009T093000" in text
    cal = Calendar.from_ical(raw)
    assert cal.walk("VTIMEZONE")[0]["TZID"] == TZ
    event = cal.walk("VEVENT")[0]
    assert str(event["UID"]) == "meeting-7@officeflow"
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == pendulum.datetime(2026, 10, 9, 1, 30, tz="UTC")
    assert str(event["LOCATION"]) == "第一会议室"
    assert str(event["ORGANIZER"]) == "mailto:office@example.org"
    assert event["ORGANIZER"].params["CN"] == "市政府办公室"
    attendees = event.get("ATTENDEE")
    attendees = attendees if isinstance(attendees, list) else [attendees]
    assert [str(a) for a in attendees] == ["mailto:zhang.wei@example.gov.cn"]
    assert attendees[0].params["RSVP"] == "TRUE"


def test_update_and_cancel_keep_the_uid() -> None:
    updated = Calendar.from_ical(invite.build(data(sequence=1))).walk("VEVENT")[0]
    cancelled_cal = Calendar.from_ical(invite.build(data(sequence=2), method="CANCEL"))
    cancelled = cancelled_cal.walk("VEVENT")[0]
    assert str(updated["UID"]) == str(cancelled["UID"]) == "meeting-7@officeflow"
    assert int(updated["SEQUENCE"]) == 1 and int(cancelled["SEQUENCE"]) == 2
    assert str(cancelled_cal["METHOD"]) == "CANCEL" and str(cancelled["STATUS"]) == "CANCELLED"


def test_invitation_email_reaches_smtp_with_a_calendar_part(smtp_server: MailCatcher) -> None:
    settings = Settings(smtp_host=smtp_server.host, smtp_port=smtp_server.port)
    ics = invite.build(data()).decode()
    outcome = channels.send(
        settings, Channel.EMAIL, "zhang.wei@example.gov.cn", "会议通知", "正文", invite=ics
    )
    assert outcome.ok, outcome.error
    [caught] = smtp_server.messages
    assert caught.rcpt_tos == ("zhang.wei@example.gov.cn",)
    assert caught.subject == "会议通知" and caught.text().strip() == "正文"
    alternative, attachment = calendar_parts(caught.message)
    assert alternative is not None and attachment is not None
    assert alternative.get_content_type() == "text/calendar"
    assert alternative.get_param("method") == "REQUEST"
    assert alternative.get_content_charset() == "utf-8"
    _, event = parse_ics(attachment)
    assert str(event["UID"]) == "meeting-7@officeflow"


def test_invitation_email_errors_are_scrubbed() -> None:
    with MailCatcher(auth=("office", "right")) as catcher:
        settings = Settings(
            smtp_host=catcher.host,
            smtp_port=catcher.port,
            smtp_user="office",
            smtp_password="Wr0ng-S3cret",
            smtp_allow_plain_auth=True,  # the catcher is on loopback, without TLS
            delivery_timeout_s=5,
        )
        outcome = channels.send(
            settings, Channel.EMAIL, "a@example.org", "s", "b", invite=invite.build(data()).decode()
        )
    assert not outcome.ok and outcome.error
    assert "Wr0ng-S3cret" not in outcome.error and outcome.error.startswith("email:")
    assert catcher.messages == []
