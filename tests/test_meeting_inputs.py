"""Bad input is refused with the field named and nothing written; re-runs send nothing new;
cancelling drops pending steps and sends METHOD:CANCEL; chat channels get the text."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pendulum
import pytest
from sqlalchemy import func, select

from models.common import SweepResult
from models.ledger import Delivery, Notice
from models.meeting import Meeting, MeetingMinutes, MeetingStep, MeetingTopic, StepStatus
from models.meeting_input import MeetingSpec, MinutesSpec
from models.org import Person
from models.supervision import Decision
from officeflow import actions, clock, db
from officeflow import meeting as service
from officeflow.actors import NotAllowed
from officeflow.inputs import InputError
from officeflow.mailcatcher import MailCatcher
from tests.conftest import both_backends
from tests.meeting_helpers import calendar_parts, example_meeting, example_minutes, parse_ics

backend = both_backends  # these tests run on SQLite and on PostgreSQL

TZ = "Asia/Shanghai"


def at(text: str) -> None:
    clock.set_now(pendulum.parse(text, tz=TZ))


def count(model: Any) -> int:
    with db.session_scope() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def create(spec: MeetingSpec, actor: str = "sun.li") -> int:
    with db.session_scope() as s:
        return service.create_meeting(s, spec, actor=actor).meeting_id


def perform(key: str, meeting_id: int, params: dict[str, Any], actor: str) -> Any:
    """An action on the meeting through the one door (the input, who may, the service)."""
    with db.session_scope() as s:
        return actions.perform(s, key, meeting_id, params, actor)


def minutes_of(spec: MinutesSpec) -> dict[str, Any]:
    """The service's keyword arguments for these minutes (their recorder is the actor)."""
    return dict(spec.input())


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"start": "2026-09-20T09:30:00+08:00"},
            "start: the start 2026-09-20 09:30 is in",
        ),
        # A time given in another offset is shown in office time, like every other time.
        (
            {"start": "2026-09-20T01:30:00+00:00"},
            "start: the start 2026-09-20 09:30 is in the past",
        ),
        (
            {"topic_deadline": "2026-10-09T18:00:00+08:00"},
            "topic_deadline: the topic deadline 2026-10-09 18:00 is not before the",
        ),
        (
            {"departments": ["finance", "no-such-dept"]},
            "departments[1]: unknown department 'no-such-dept'",
        ),
        ({"chair": "nobody"}, "chair: unknown person 'nobody'"),
    ],
)
def test_bad_meeting_is_refused_and_nothing_written(
    org: Any, overrides: dict[str, Any], message: str
) -> None:
    at("2026-09-25T10:00:00")
    with pytest.raises(InputError) as err:
        create(example_meeting(**overrides))
    assert message in str(err.value)
    assert count(Meeting) == count(MeetingStep) == 0


def test_reruns_send_nothing_new(org: Any, mail_office: MailCatcher) -> None:
    at("2026-09-28T10:00:00")
    first = create(example_meeting())
    assert create(example_meeting()) == first
    assert count(Meeting) == 1
    service.run_sweep()
    service.run_sweep()
    assert len(mail_office.messages) == 4  # the call for topics, once per department head
    at("2026-09-30T10:00:00")
    for _ in range(2):
        with db.session_scope() as s:
            service.approve_agenda(s, meeting_id=first, actor="sun.li")
        service.run_sweep()
    notices = [m for m in mail_office.messages if "会议通知" in m.subject]
    assert len(notices) == 8 and len(set(m.rcpt_tos for m in notices)) == 8
    # Sending again after the fact (a retry of the same keys) finds every row sent.
    from officeflow.delivery import send_pending

    with db.session_scope() as s:
        keys = list(s.scalars(select(Notice.key)))
    assert send_pending(keys).sent == 0


def test_late_topic_refused_unless_the_office_accepts(org: Any) -> None:
    at("2026-09-28T10:00:00")
    mid = create(example_meeting())
    at("2026-09-30T10:00:00")
    sub = {"department": "health", "title": "议题", "presenter": "yang.fan"}
    with pytest.raises(InputError, match="only the office can accept a late topic"):
        perform("meeting.submit-topic", mid, sub, "yang.fan")
    # Accepting a late topic is the office's: anyone else is refused, not asked for input.
    with pytest.raises(
        NotAllowed,
        match=r"'zhang.wei' \(张伟\) may not submit a topic \(meeting \d+\): only the people of "
        r"the department 卫生健康委员会 \(a late topic only the general office accepts\) or the "
        r"general office \(办公室\) may",
    ):
        perform("meeting.submit-topic", mid, {**sub, "accept_late": True}, "zhang.wei")
    assert count(MeetingTopic) == 0
    with pytest.raises(InputError, match="'education' does not attend meeting"):
        perform("meeting.submit-topic", mid, {**sub, "department": "education"}, "liu.yang")
    perform("meeting.submit-topic", mid, {**sub, "accept_late": True}, "liu.yang")
    assert count(MeetingTopic) == 1
    with db.session_scope() as s:
        assert s.scalars(select(MeetingTopic.late_accepted_by)).one() == "liu.yang"


def test_only_the_chair_or_office_director_approves(org: Any) -> None:
    at("2026-09-28T10:00:00")
    mid = create(example_meeting())
    with pytest.raises(NotAllowed, match="only its chair 周国强 or the office director may"):
        perform("meeting.approve-agenda", mid, {}, "zhang.wei")
    with db.session_scope() as s:
        assert s.get(Meeting, mid).agenda_approved_by is None  # type: ignore[union-attr]
    perform("meeting.approve-agenda", mid, {"comment": "同意"}, "sun.li")  # the office director
    with db.session_scope() as s:
        assert s.get(Meeting, mid).agenda_approved_by == "sun.li"  # type: ignore[union-attr]


def test_cancel_drops_steps_sends_cancel_and_refuses_minutes(
    org: Any, mail_office: MailCatcher
) -> None:
    at("2026-09-28T10:00:00")
    mid = create(example_meeting())
    service.run_sweep()
    with db.session_scope() as s:
        cancelled = service.cancel(s, meeting_id=mid, reason="领导出差", actor="sun.li")
    assert cancelled.steps_dropped == 7
    service.run_sweep()
    service.run_sweep()
    cancels = [m for m in mail_office.messages if "会议取消" in m.subject]
    assert len(cancels) == 8 and len({m.rcpt_tos for m in cancels}) == 8
    alternative, attachment = calendar_parts(cancels[0].message)
    assert alternative is not None and alternative.get_param("method") == "CANCEL"
    cal, event = parse_ics(attachment)  # type: ignore[arg-type]
    assert str(cal["METHOD"]) == "CANCEL" and int(event["SEQUENCE"]) == 1
    with db.session_scope() as s:
        statuses = Counter(s.scalars(select(MeetingStep.status)).all())
    assert statuses == {StepStatus.DONE: 2, StepStatus.CANCELLED: 7}

    at("2026-10-09T12:00:00")
    with (
        pytest.raises(InputError, match=f"meeting {mid} was cancelled; it has no minutes"),
        db.session_scope() as s,
    ):
        service.record_minutes(s, meeting_id=mid, **minutes_of(example_minutes()), actor="sun.li")
    assert count(MeetingMinutes) == count(Decision) == 0
    with pytest.raises(InputError, match="was cancelled"), db.session_scope() as s:
        service.cancel(s, meeting_id=mid, reason="", actor="sun.li")


def test_bad_minutes_name_the_action_item(org: Any) -> None:
    at("2026-09-28T10:00:00")
    mid = create(example_meeting())
    at("2026-10-09T12:00:00")
    minutes = example_minutes()
    minutes.action_items[1].lead_department = "nowhere"
    with (
        pytest.raises(InputError, match=r"action_items\[1\]\.lead_department: unknown department"),
        db.session_scope() as s,
    ):
        service.record_minutes(s, meeting_id=mid, **minutes_of(minutes), actor="sun.li")
    with pytest.raises(InputError, match="'sun.li' is not a leader"), db.session_scope() as s:
        service.record_minutes(
            s,
            meeting_id=mid,
            **minutes_of(example_minutes(issued_by="sun.li")),
            actor="sun.li",
        )
    assert count(MeetingMinutes) == count(Decision) == 0


def test_chat_channels_get_the_text_without_the_invitation(
    make_org: Any, mail_office: MailCatcher, webhook_server: Any, office_env: Any
) -> None:
    make_org(departments=2)
    office_env.set(webhook_url=webhook_server.url, locale="en")
    at("2026-09-28T10:00:00")
    spec = MeetingSpec(
        title="Budget coordination",
        kind="coordination",
        chair="boss",
        start=pendulum.datetime(2026, 10, 9, 9, 30, tz=TZ),
        venue="Room 1",
        departments=["dept-0", "dept-1"],
        reminders=[],
    )
    mid = create(spec, actor="boss")  # this org has no sun.li
    with db.session_scope() as s:
        service.approve_agenda(s, meeting_id=mid, actor="boss")
    at("2026-09-29T18:00:00")
    service.run_sweep()
    notice = [b for b in webhook_server.bodies() if b["notice"] == f"meeting:{mid}:notice:seq0"]
    assert sorted(b["recipient"] for b in notice) == ["chat-p0-0", "chat-p1-0"]
    assert "Budget coordination" in notice[0]["message"] and "BEGIN:VCALENDAR" not in str(notice)
    emails = [m for m in mail_office.messages if "Meeting notice" in m.subject]
    assert {m.rcpt_tos[0] for m in emails} == {
        "boss@example.org",
        "p0-0@example.org",
        "p1-0@example.org",
    }
    assert all(calendar_parts(m.message)[1] is not None for m in emails)
    with db.session_scope() as s:
        assert (
            s.scalar(select(func.count()).select_from(Delivery).where(Delivery.status != "sent"))
            == 0
        )


def test_the_sweep_returns_the_common_sweep_result(org: Any, mail_office: MailCatcher) -> None:
    at("2026-09-28T10:00:00")
    mid = create(example_meeting())
    result = service.run_sweep()
    assert isinstance(result, SweepResult) and result.process == "meeting"
    assert result.steps_done == [f"meeting:{mid}:call-for-topics"] and result.waiting == []
    assert result.counts == {"step:done": 1, "step:waiting": 0}
    assert result.notice_keys == [f"meeting:{mid}:call-for-topics"]
    assert (result.sent, result.failed) == (4, 0) and not result.skipped
    at("2026-09-29T18:00:00")
    later = service.run_sweep()
    assert later.waiting == [f"meeting:{mid}:notice"]
    assert later.tally("step")["waiting"] == 1


def deactivate(person_id: str) -> None:
    with db.session_scope() as s:
        s.get_one(Person, person_id).active = False


def test_people_who_left_the_org_cannot_accept_topics_or_issue_minutes(org: Any) -> None:
    at("2026-09-28T10:00:00")
    mid = create(example_meeting())
    at("2026-09-30T10:00:00")
    deactivate("liu.yang")  # was in the general office
    late = {"department": "health", "title": "议题", "presenter": "yang.fan", "accept_late": True}
    with pytest.raises(
        NotAllowed,
        match=r"'liu.yang' \(no longer in the organisation\) may not submit a topic",
    ):
        perform("meeting.submit-topic", mid, late, "liu.yang")
    with pytest.raises(NotAllowed, match="a late topic only the general office accepts"):
        perform("meeting.submit-topic", mid, late, "yang.fan")
    assert count(MeetingTopic) == 0

    at("2026-10-09T12:00:00")
    deactivate("li.jianguo")  # a leader no longer in the org
    minutes = example_minutes(issued_by="li.jianguo", action_items=[])
    with pytest.raises(InputError, match=r"issued_by: 'li.jianguo' is not a leader"):
        perform("meeting.record-minutes", mid, minutes_of(minutes), "sun.li")
    with pytest.raises(
        NotAllowed,
        match=r"'liu.yang' \(no longer in the organisation\) may not record the minutes",
    ):
        perform("meeting.record-minutes", mid, minutes_of(example_minutes()), "liu.yang")
    assert count(MeetingMinutes) == 0
