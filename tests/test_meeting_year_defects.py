"""Meeting defects the office year (benchmarks/office_year.py with benchmarks/_year_meetings.py)
found by disagreeing with its oracle; each is listed in docs/reliability.md."""

from __future__ import annotations

from typing import Any

import pendulum
import pytest

from models.meeting import StepStatus
from officeflow import clock, db
from officeflow import meeting as service
from officeflow.inputs import InputError
from officeflow.mailcatcher import MailCatcher
from officeflow.meeting.common import steps
from tests.meeting_helpers import example_meeting

TZ = "Asia/Shanghai"
ATTENDEES = {
    "zhang.wei@example.gov.cn",
    "lin.tao@example.gov.cn",
    "wu.qiang@example.gov.cn",
    "han.xue@example.gov.cn",
    "zhou.guoqiang@example.gov.cn",
    "li.jianguo@example.gov.cn",
    "wang.haitao@example.gov.cn",
    "sun.li@example.gov.cn",
}


def at(text: str) -> pendulum.DateTime:
    now = pendulum.parse(text, tz=TZ)
    clock.set_now(now)
    return now  # type: ignore[return-value]


def test_a_meeting_moved_sooner_closes_its_topic_call_and_sends_the_notice_before_it(
    org: Any, mail_office: MailCatcher
) -> None:
    """A meeting moved so soon that the new default deadlines have passed kept its old topic
    deadline, after the new start: the notice (with the invitation) waited for that deadline,
    so it would have gone after the meeting, and the minutes, recorded first, dropped it."""
    at("2026-11-09T10:00:00")
    with db.session_scope() as s:
        mid = service.create_meeting(
            s, example_meeting(start="2026-11-20T09:30:00+08:00"), actor="sun.li"
        ).meeting_id
        service.submit_topic(
            s,
            meeting_id=mid,
            department="finance",
            title="预算调整",
            presenter="lin.tao",
            actor="lin.tao",
        )
    service.run_sweep()  # the call for topics
    mail_office.messages.clear()

    moved = at("2026-11-10T10:00:00")
    with db.session_scope() as s:
        service.reschedule(
            s, meeting_id=mid, to=pendulum.parse("2026-11-12T09:30:00", tz=TZ), actor="sun.li"
        )
    service.run_sweep()  # what the meeting-reschedule flow runs at its end
    with db.session_scope() as s:
        meeting = service.get_meeting(s, mid)
        assert meeting.topic_deadline == moved  # closed now, not left on 11-17
        assert meeting.materials_deadline == pendulum.parse("2026-11-11T18:00:00", tz=TZ)
        late = [
            (st.label, clock.format_local(st.due_at))
            for st in steps(s, mid)
            if st.status is StepStatus.PENDING and st.due_at >= meeting.start_at
        ]
    assert late == []
    asked = {m.rcpt_tos[0] for m in mail_office.messages if m.notice.endswith("agenda-approval")}
    assert asked == {"zhou.guoqiang@example.gov.cn", "sun.li@example.gov.cn"}
    reminded = {m.rcpt_tos[0] for m in mail_office.messages if m.notice.endswith("topic-reminder")}
    assert reminded == {
        "zhang.wei@example.gov.cn",
        "wu.qiang@example.gov.cn",
        "han.xue@example.gov.cn",
    }

    # The call for topics is closed: a topic now is late, for the office to accept.
    at("2026-11-10T10:05:00")
    late_topic = {"department": "health", "title": "秋冬防疫", "presenter": "han.xue"}
    with (
        pytest.raises(InputError, match="the topic deadline passed at 2026-11-10 10:00"),
        db.session_scope() as s,
    ):
        service.submit_topic(s, meeting_id=mid, **late_topic, actor="han.xue")

    # The agenda approved, the notice (with the invitation) goes at once, before the meeting.
    at("2026-11-10T15:00:00")
    with db.session_scope() as s:
        service.approve_agenda(s, meeting_id=mid, actor="zhou.guoqiang")
    service.run_sweep()  # what the meeting-approve-agenda flow runs at its end
    notices = [m for m in mail_office.messages if m.notice == f"meeting:{mid}:notice:seq1"]
    assert {m.rcpt_tos[0] for m in notices} == ATTENDEES and len(notices) == len(ATTENDEES)
