"""A meeting on 2026-10-09 09:30 whose deadlines fall across the National Day holiday, lived
through with the clock override against a real SMTP server and a real Prefect API."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pendulum
import pytest
from sqlalchemy import func, select

from flows.meeting import (
    meeting_approve_agenda,
    meeting_preparation,
    meeting_record_minutes,
    meeting_submit_topic,
)
from models.ledger import Delivery
from models.meeting import MeetingStep, MeetingTopic, StepStatus
from models.meeting_input import (
    ApproveAgendaInput,
    MeetingActionResult,
    MeetingSweepResult,
    SubmitTopicInput,
)
from officeflow import clock, db, supervision
from officeflow import meeting as service
from officeflow.inputs import InputError
from officeflow.mailcatcher import MailCatcher
from officeflow.workdays import get_calendar
from tests.conftest import both_backends
from tests.meeting_helpers import calendar_parts, example_meeting, example_minutes, parse_ics

backend = both_backends  # these tests run on SQLite and on PostgreSQL

TZ = "Asia/Shanghai"
HEADS = {
    "development-reform": "zhang.wei@example.gov.cn",
    "finance": "lin.tao@example.gov.cn",
    "emergency-management": "wu.qiang@example.gov.cn",
    "health": "han.xue@example.gov.cn",
}
ATTENDEES = {
    *HEADS.values(),
    "zhou.guoqiang@example.gov.cn",
    "li.jianguo@example.gov.cn",
    "wang.haitao@example.gov.cn",
    "sun.li@example.gov.cn",
}


def at(text: str) -> None:
    clock.set_now(pendulum.parse(text, tz=TZ))


def sweep() -> MeetingSweepResult:
    return service.run_sweep()


def subjects_to(catcher: MailCatcher, address: str) -> list[str]:
    return [m.subject for m in catcher.to(address)]


def rcpt_counts(catcher: MailCatcher, marker: str) -> Counter[str]:
    return Counter(m.rcpt_tos[0] for m in catcher.messages if marker in m.subject)


def sent_days(key: str) -> set[Any]:
    with db.session_scope() as s:
        times = s.scalars(select(Delivery.sent_at).where(Delivery.notice_key == key)).all()
    return {clock.to_local(t).date() for t in times}


@pytest.mark.slow
def test_meeting_across_national_day(prefect_api: None, org: Any, mail_office: MailCatcher) -> None:
    calendar = get_calendar()

    # Registered on the Mid-Autumn holiday: the call for topics waits for the next working day.
    at("2026-09-25T10:00:00")
    result = meeting_preparation(example_meeting())
    mid = result.meeting_id
    assert result.newly_recorded and result.sweep.steps_done == []
    assert mail_office.messages == []
    with db.session_scope() as s:
        view = service.meeting_view(s, mid)
    due = {st["label"]: st["due"] for st in view["steps"]}
    assert view["topic_deadline"] == "2026-09-29 18:00"  # 3 working days before, over the holiday
    assert view["materials_deadline"] == "2026-10-08 18:00"
    assert due["call-for-topics"] == "2026-09-28 09:00"
    assert due["reminder:1wd"] == "2026-10-08 09:00"
    assert due["reminder:1h"] == "2026-10-09 08:30"

    # The first working day: each attending department's head is asked once.
    at("2026-09-28T09:05:00")
    sweep()
    sweep()
    assert rcpt_counts(mail_office, "议题征集】") == Counter(HEADS.values())
    assert sent_days(f"meeting:{mid}:call-for-topics") == {pendulum.date(2026, 9, 28)}

    with db.session_scope() as s:
        service.submit_topic(
            s,
            meeting_id=mid,
            department="development-reform",
            title="2027年政府投资项目计划（草案）",
            presenter="guo.xin",
            actor="guo.xin",
        )
        service.submit_topic(
            s,
            meeting_id=mid,
            department="finance",
            title="秋冬季防疫资金安排",
            presenter="lin.tao",
            actor="lin.tao",
        )
    # The same topic again through the flow (the UI form): found, not recorded twice.
    again = meeting_submit_topic(
        mid,
        SubmitTopicInput(department="finance", title="秋冬季防疫资金安排", presenter="lin.tao"),
        "lin.tao",
    )
    assert isinstance(again, MeetingActionResult) and again.meeting_id == mid
    assert not again.changed
    with db.session_scope() as s:
        finance = select(MeetingTopic.id).where(MeetingTopic.department_id == "finance")
        assert again.topic_id == s.scalar(finance)

    # At the topic deadline: one reminder to the departments with nothing submitted, and the
    # approval request to the chair and the office; the notice waits for the approval.
    at("2026-09-29T18:00:00")
    first = sweep()
    sweep()
    assert f"meeting:{mid}:notice" in first.waiting
    reminded = rcpt_counts(mail_office, "议题征集提醒")
    assert reminded == Counter([HEADS["emergency-management"], HEADS["health"]])
    assert rcpt_counts(mail_office, "议程审定") == Counter(
        ["zhou.guoqiang@example.gov.cn", "sun.li@example.gov.cn"]
    )

    # A late topic is refused unless the office accepts it.
    at("2026-09-30T09:00:00")
    late = {"department": "health", "title": "流感疫苗接种", "presenter": "yang.fan"}
    with (
        pytest.raises(InputError, match="deadline passed at 2026-09-29 18:00"),
        db.session_scope() as s,
    ):
        service.submit_topic(s, meeting_id=mid, **late, actor="yang.fan")
    with db.session_scope() as s:
        assert s.scalar(select(func.count()).select_from(MeetingTopic)) == 2
        service.submit_topic(s, meeting_id=mid, **late, accept_late=True, actor="sun.li")

    # The chair approves: the agenda artifact is published and the notice goes to everyone.
    at("2026-09-30T10:00:00")
    approved = meeting_approve_agenda(mid, ApproveAgendaInput(), "zhou.guoqiang")
    assert approved.newly_approved and approved.sweep.sent == len(ATTENDEES)
    notices = [m for m in mail_office.messages if "会议通知" in m.subject]
    assert Counter(m.rcpt_tos[0] for m in notices) == Counter(ATTENDEES)
    assert sent_days(f"meeting:{mid}:notice:seq0") == {pendulum.date(2026, 9, 30)}
    notice = mail_office.to("zhang.wei@example.gov.cn")[-1].message
    assert "流感疫苗接种" in notice.get_body(preferencelist=("plain",)).get_content()
    alternative, attachment = calendar_parts(notice)
    assert alternative is not None and attachment is not None
    assert alternative.get_param("method") == "REQUEST"
    cal, event = parse_ics(attachment)
    assert str(cal["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == f"meeting-{mid}@officeflow"
    assert int(event["SEQUENCE"]) == 0
    start = event.decoded("DTSTART")
    assert str(start.tzinfo) == TZ
    assert (start.year, start.month, start.day, start.hour, start.minute) == (2026, 10, 9, 9, 30)
    assert event["DTSTART"].params["TZID"] == TZ
    assert cal.walk("VTIMEZONE")[0]["TZID"] == TZ
    assert str(event["LOCATION"]) == "市政府三楼第一会议室"
    assert "mailto:office@example.org" in str(event["ORGANIZER"])
    assert {str(a).removeprefix("mailto:") for a in event.get("ATTENDEE")} == ATTENDEES

    # The holiday: nothing is sent.
    before = len(mail_office.messages)
    at("2026-10-03T10:00:00")
    sweep()
    assert len(mail_office.messages) == before

    # Back at work: the 1-working-day reminder and the materials reminder to presenters.
    with db.session_scope() as s:
        service.submit_materials(s, meeting_id=mid, department="finance", actor="sun.li")
    at("2026-10-08T09:00:00")
    sweep()
    assert rcpt_counts(mail_office, "会议提醒") == Counter(ATTENDEES)
    assert rcpt_counts(mail_office, "材料报送提醒") == Counter(
        ["guo.xin@example.gov.cn", "yang.fan@example.gov.cn"]
    )
    at("2026-10-08T18:00:00")
    sweep()
    late_mail = mail_office.to("sun.li@example.gov.cn")[-1]
    assert "材料逾期" in late_mail.subject and "guo.xin" not in late_mail.text()
    assert "2027年政府投资项目计划" in late_mail.text() and "秋冬季防疫" not in late_mail.text()

    # An hour before: the 1-hour reminder.
    at("2026-10-09T08:30:00")
    sweep()
    assert rcpt_counts(mail_office, "会议提醒") == Counter({a: 2 for a in ATTENDEES})

    # Moved to the make-up Saturday: an updated invitation, same UID, SEQUENCE 1.
    at("2026-10-09T08:40:00")
    with db.session_scope() as s:
        moved = service.reschedule(
            s, meeting_id=mid, to=pendulum.datetime(2026, 10, 10, 9, 30, tz=TZ), actor="sun.li"
        )
        assert moved.sequence == 1
    sweep()
    updated = [m for m in mail_office.messages if "时间变更" in m.subject]
    assert Counter(m.rcpt_tos[0] for m in updated) == Counter(ATTENDEES)
    _, event = parse_ics(calendar_parts(updated[0].message)[1])
    assert int(event["SEQUENCE"]) == 1 and str(event["UID"]) == f"meeting-{mid}@officeflow"
    assert event.decoded("DTSTART").day == 10
    at("2026-10-10T08:30:00")
    assert calendar.is_workday(pendulum.date(2026, 10, 10))
    sweep()
    assert rcpt_counts(mail_office, "会议提醒") == Counter({a: 4 for a in ATTENDEES})

    # Every step ran once; running them all again sends nothing.
    count = len(mail_office.messages)
    sweep()
    with db.session_scope() as s:
        pending = s.scalars(
            select(MeetingStep.label).where(MeetingStep.status == StepStatus.PENDING)
        ).all()
    assert pending == [] and len(mail_office.messages) == count

    # Minutes: each action item becomes an assignment traceable to the meeting and item.
    at("2026-10-10T12:00:00")
    minutes = meeting_record_minutes(mid, example_minutes().input(), "sun.li")
    assert minutes.decision_id is not None and len(minutes.assignment_ids) == 2
    with db.session_scope() as s:
        rows = supervision.decision_state(s, minutes.decision_id)
    assert [r["source"] for r in rows] == [f"meeting:{mid}:item:1", f"meeting:{mid}:item:2"]
    assert [r["department"] for r in rows] == ["development-reform", "health"]
    issued = len(mail_office.messages)
    again = meeting_record_minutes(mid, example_minutes().input(), "sun.li")
    assert again.decision_id == minutes.decision_id
    assert again.assignment_ids == minutes.assignment_ids
    assert len(mail_office.messages) == issued
    with db.session_scope() as s:
        assert service.meeting_view(s, mid)["decision_id"] == minutes.decision_id
