"""What people are told: the context the meeting templates render, and the invitation
(iCalendar) attached to the notice, its update and its cancellation."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.meeting import Meeting, MeetingTopic
from models.org import Department, Person
from officeflow import clock
from officeflow.meeting.common import attendee_ids, topics
from officeflow.org import office_name
from officeflow.settings import get_settings
from rules import invite as ics

# A meeting kind's name in each locale (the mails are in the office's, settings.locale).
KIND_WORDS = {
    "zh-CN": {"office": "办公会议", "special_topic": "专题会议", "coordination": "协调会议"},
    "en": {
        "office": "office meeting",
        "special_topic": "special-topic meeting",
        "coordination": "coordination meeting",
    },
}
KIND_NAMES = KIND_WORDS["zh-CN"]


def kind_name(kind: str, locale: str | None = None) -> str:
    words = KIND_WORDS.get(locale or get_settings().locale, KIND_WORDS["en"])
    return words.get(kind, kind)


def topic_context(session: Session, topic: MeetingTopic) -> dict[str, Any]:
    dept = session.get(Department, topic.department_id)
    presenter = session.get(Person, topic.presenter_id)
    return {
        "id": topic.id,
        "title": topic.title,
        "department": dept.name if dept else topic.department_id,
        "presenter": presenter.name if presenter else topic.presenter_id,
        "late": topic.late_accepted_by is not None,
        "materials": topic.materials_at is not None,
    }


def meeting_context(session: Session, meeting: Meeting) -> dict[str, Any]:
    chair = session.get(Person, meeting.chair_id)
    return {
        "meeting": {
            "id": meeting.id,
            "title": meeting.title,
            "kind": kind_name(meeting.kind.value),
            "chair": chair.name if chair else meeting.chair_id,
            "start": meeting.start_at,
            "end": meeting.end_at,
            "venue": meeting.venue,
            "topic_deadline": meeting.topic_deadline,
            "materials_deadline": meeting.materials_deadline,
            "sequence": meeting.sequence,
        },
        "agenda": [topic_context(session, t) for t in topics(session, meeting.id)],
    }


def invite_text(session: Session, meeting: Meeting, *, method: str) -> bytes:
    settings = get_settings()
    people = session.scalars(
        select(Person).where(Person.id.in_(attendee_ids(session, meeting.id))).order_by(Person.id)
    )
    parties = [ics.Party(p.name, _email(p)) for p in people]
    agenda = "\n".join(
        f"{i}. {t['title']}（{t['department']}，{t['presenter']}）"
        for i, t in enumerate(meeting_context(session, meeting)["agenda"], 1)
    )
    return ics.build(
        ics.InviteData(
            meeting_id=meeting.id,
            sequence=meeting.sequence,
            title=meeting.title,
            start=meeting.start_at,
            end=meeting.end_at,
            timezone=settings.timezone,
            location=meeting.venue,
            organizer=ics.Party(office_name(session), settings.smtp_from),
            attendees=parties,
            description=agenda,
            stamp=clock.now(),
        ),
        method=method,
    )


def _email(person: Person) -> str | None:
    for c in person.contacts:
        if c.channel.value == "email":
            return c.address
    return None
