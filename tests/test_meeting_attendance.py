"""Attendance (出席回执) and materials uploads on the real ledger (SQLite and PostgreSQL): answers
recorded once, an event per answer, shown to the office; a stand-in is told by email."""

from __future__ import annotations

from typing import Any

import pendulum
import pytest
from sqlalchemy import select

from models.attendance import MeetingAttendance
from models.ledger import Event, StoredFile
from models.meeting import MeetingTopic
from officeflow import actions, actors, clock, db, files
from officeflow import meeting as service
from officeflow.delivery import send_pending
from officeflow.inputs import InputError
from officeflow.mailcatcher import MailCatcher
from tests.conftest import both_backends
from tests.meeting_helpers import example_meeting

backend = both_backends

TZ = "Asia/Shanghai"


def at(text: str) -> None:
    clock.set_now(pendulum.parse(text, tz=TZ))


@pytest.fixture
def meeting_id(org: Any) -> int:
    at("2026-09-28T10:00:00")
    with db.session_scope() as s:
        return service.create_meeting(s, example_meeting(), actor="sun.li").meeting_id


def answer(meeting_id: int, person: str, what: str, actor: str | None = None, **kw: Any) -> Any:
    """``person``'s answer, given by ``actor`` (themself by default) through the door."""
    params = {"answer": what, "attendee": person, **kw}
    with actors.acting(actors.WEB), db.session_scope() as s:
        return actions.perform(
            s, "meeting.register-attendance", meeting_id, params, actor or person
        )


def test_answers_are_recorded_once_and_shown_to_the_office(
    meeting_id: int, mail_office: MailCatcher
) -> None:
    assert answer(meeting_id, "zhang.wei", "accept").changed
    assert not answer(meeting_id, "zhang.wei", "accept").changed  # the same again: nothing new
    answer(meeting_id, "lin.tao", "decline", note="出差 away")
    result = answer(meeting_id, "wu.qiang", "stand_in", stand_in="guo.xin")
    assert result.notice_keys == [f"meeting:{meeting_id}:stand-in:0:wu.qiang:guo.xin"]
    send_pending(result.notice_keys)
    [mail] = mail_office.to("guo.xin@example.gov.cn")
    assert "代为参会" in mail.subject and "吴强" in mail.text()

    with db.session_scope() as s:
        rows = s.scalars(
            select(MeetingAttendance).where(MeetingAttendance.meeting_id == meeting_id)
        ).all()
        assert {(r.person_id, r.answer.value, r.stand_in_id) for r in rows} == {
            ("zhang.wei", "accept", None),
            ("lin.tao", "decline", None),
            ("wu.qiang", "stand_in", "guo.xin"),
        }
        evs = s.scalars(
            select(Event).where(Event.action == "meeting.attendance").order_by(Event.id)
        ).all()
        assert [(e.actor, e.data["answer"], e.via) for e in evs] == [
            ("zhang.wei", "accept", "web"),
            ("lin.tao", "decline", "web"),
            ("wu.qiang", "stand_in", "web"),
        ]
        view = service.meeting_view(s, meeting_id)
    by_person = {a["person"]: a for a in view["attendance"]}
    assert by_person["wu.qiang"]["stand_in_name"] == "郭鑫"
    assert by_person["lin.tao"]["note"] == "出差 away"
    assert by_person["zhou.guoqiang"]["answer"] == "none"
    assert view["attendance_counts"] == {"accept": 1, "decline": 1, "stand_in": 1, "none": 5}

    # A changed answer replaces the old one (and is a new event).
    assert answer(meeting_id, "lin.tao", "accept").changed
    with db.session_scope() as s:
        assert s.get(MeetingAttendance, (meeting_id, "lin.tao")).answer.value == "accept"
        assert len(s.scalars(select(Event).where(Event.action == "meeting.attendance")).all()) == 4


def test_the_cli_shows_attendance(meeting_id: int) -> None:
    from typer.testing import CliRunner

    from officeflow.cli import app

    answer(meeting_id, "zhang.wei", "decline", note="另有公务")
    out = CliRunner().invoke(app, ["meeting", "show", str(meeting_id)])
    assert out.exit_code == 0, out.output
    assert "attendance" in out.output and "decline" in out.output and "另有公务" in out.output


@pytest.mark.parametrize(
    ("person", "what", "actor", "extra", "message"),
    [
        # The office answers for someone who is not an attendee.
        ("guo.xin", "accept", "liu.yang", {}, "attendee: 'guo.xin' is not an attendee of meeting"),
        ("zhang.wei", "maybe", None, {}, "answer: Input should be 'accept', 'decline' or"),
        ("zhang.wei", "stand_in", None, {}, "name the person who attends in your place"),
        ("zhang.wei", "stand_in", None, {"stand_in": "ghost"}, "unknown person 'ghost'"),
        ("zhang.wei", "stand_in", None, {"stand_in": "zhang.wei"}, "a stand-in is someone else"),
    ],
)
def test_bad_answers_are_refused_with_the_field(
    meeting_id: int, person: str, what: str, actor: str | None, extra: Any, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        answer(meeting_id, person, what, actor, **extra)
    with db.session_scope() as s:
        assert s.scalars(select(MeetingAttendance)).all() == []


def test_only_the_attendee_or_the_office_answers(meeting_id: int) -> None:
    only = r"only the attendee themself or the general office \(办公室\) may"
    with pytest.raises(actors.NotAllowed, match=only):
        answer(meeting_id, "zhang.wei", "decline", actor="lin.tao")  # another attendee
    with pytest.raises(actors.NotAllowed, match=only):
        answer(meeting_id, "guo.xin", "accept")  # not invited
    answer(meeting_id, "zhang.wei", "decline", actor="liu.yang")  # the office, on their behalf
    at("2026-10-09T09:30:00")
    with pytest.raises(InputError, match="attendance answers are closed"):
        answer(meeting_id, "zhang.wei", "accept")
    with db.session_scope() as s:
        row = s.get(MeetingAttendance, (meeting_id, "zhang.wei"))
        assert (row.answer.value, row.answered_by) == ("decline", "liu.yang")


def upload(meeting_id: int, topic_id: int, name: str, data: bytes, actor: str) -> list[int]:
    """What the materials page does: the action through the door, then the files stored."""
    with actors.acting(actors.WEB), db.session_scope() as s:
        actions.perform(s, "meeting.submit-materials", meeting_id, {"topic": topic_id}, actor)
        return service.store_materials(
            s,
            meeting_id=meeting_id,
            topic_id=topic_id,
            uploads=[files.FileContent(name, data)],
            actor=actor,
        )


def test_materials_upload_is_stored_and_marked(meeting_id: int) -> None:
    with db.session_scope() as s:
        topic_id = service.submit_topic(
            s,
            meeting_id=meeting_id,
            department="finance",
            title="预算调整",
            presenter="lin.tao",
            actor="lin.tao",
        ).topic_id
    assert topic_id is not None
    with pytest.raises(InputError, match="not an accepted type"):
        upload(meeting_id, topic_id, "run.exe", b"MZ", "lin.tao")
    with pytest.raises(
        actors.NotAllowed,
        match=r"only the people of the department 财政局 or the general office \(办公室\) may",
    ):
        upload(meeting_id, topic_id, "a.pdf", b"%PDF-1.4", "zhang.wei")
    with db.session_scope() as s:
        assert s.scalars(select(StoredFile)).all() == []
        assert s.get(MeetingTopic, topic_id).materials_at is None
    ids = upload(meeting_id, topic_id, "预算.pdf", b"%PDF-1.4 budget", "zheng.hui")
    with db.session_scope() as s:
        stored = s.get(StoredFile, ids[0])
        assert (stored.object_type, stored.object_id, stored.purpose) == (
            "meeting_topic",
            str(topic_id),
            "materials",
        )
        assert files.read(stored) == b"%PDF-1.4 budget"
        assert s.get(MeetingTopic, topic_id).materials_at is not None


# --- the pages, from the links in the real messages ------------------------------------------


def test_meeting_pages_from_the_messages(meeting_id: int, mail_office: MailCatcher) -> None:
    from officeflow.web import tokens
    from tests.web2_helpers import client, link_in, submit

    c = client()
    # 议题征集: the call for topics reaches the department heads with a submit-topic link.
    service.run_sweep()
    [call] = mail_office.to("zhang.wei@example.gov.cn")
    path = link_in(call.text())
    before = c.get(path)
    assert before.status_code == 200 and "报送议题" in before.text
    sent = submit(
        c,
        path,
        {"title": "重大项目储备", "presenter": "guo.xin"},
        files=[("files", ("项目清单.pdf", b"%PDF-1.4 list", "application/pdf"))],
    )
    assert sent.status_code == 200, sent.text
    assert "议题已报送" in sent.text and "上传材料 1 个" in sent.text
    with db.session_scope() as s:
        [topic] = s.scalars(select(MeetingTopic)).all()
        assert (topic.department_id, topic.presenter_id) == ("development-reform", "guo.xin")
        assert topic.materials_at is not None
        [stored] = files.files_of(s, "meeting_topic", topic.id)
        assert stored.filename == "项目清单.pdf"

    # 议程审定: at the topic deadline the chair is asked, and approves from the link.
    with db.session_scope() as s:
        deadline = service.get_meeting(s, meeting_id).topic_deadline
    clock.set_now(deadline + pendulum.duration(minutes=1))
    service.run_sweep()
    [ask] = [m for m in mail_office.to("zhou.guoqiang@example.gov.cn") if "审定" in m.subject]
    approved = submit(c, link_in(ask.text()), {"comment": "同意"})
    assert approved.status_code == 200 and "议程已审定" in approved.text
    # …and the meeting notice went out at once, with each attendee's attend link.
    [notice] = [m for m in mail_office.to("lin.tao@example.gov.cn") if "会议通知" in m.subject]
    attend = link_in(notice.text())

    # 出席回执: opening the link changes nothing; the answer comes from the form.
    with db.session_scope() as s:
        events_before = len(s.scalars(select(Event)).all())
    page = c.get(attend)
    assert page.status_code == 200 and 'name="answer"' in page.text
    assert 'id="attendance"' not in page.text  # an attendee does not see everyone's answers
    with db.session_scope() as s:
        assert len(s.scalars(select(Event)).all()) == events_before
        assert s.scalars(select(MeetingAttendance)).all() == []
    answered = submit(c, attend, {"answer": "stand_in", "stand_in": "zheng.hui", "note": "出差"})
    assert answered.status_code == 200 and "由他人代为出席" in answered.text
    [told] = mail_office.to("zheng.hui@example.gov.cn")
    assert "代为参会" in told.subject
    with db.session_scope() as s:
        row = s.get(MeetingAttendance, (meeting_id, "lin.tao"))
        assert (row.answer.value, row.stand_in_id, row.answered_by) == (
            "stand_in",
            "zheng.hui",
            "lin.tao",
        )
        [ev] = s.scalars(select(Event).where(Event.action == "meeting.attendance")).all()
        assert (ev.actor, ev.via) == ("lin.tao", "web")

    # The office sees the answers (sun.li, the office director, opens her own link).
    claim = tokens.Claim("sun.li", "meeting", str(meeting_id), "register-attendance", "test")
    office_page = c.get(f"/a/{tokens.sign(claim)}")
    assert 'id="attendance"' in office_page.text
    assert (
        "林涛" in office_page.text
        and "代会：郑慧" in office_page.text
        and "出差" in office_page.text
    )

    # Someone who is not an attendee is refused (a link sent before the action was declared
    # still says `attend`), with one sentence naming who may, and nothing is recorded.
    stranger = tokens.Claim("xie.peng", "meeting", str(meeting_id), "attend", "test")
    refused = submit(c, f"/a/{tokens.sign(stranger)}", {"answer": "accept"})
    assert refused.status_code == 403, refused.text
    assert "谢鹏无权" in refused.text and "参会人本人或办公室工作人员" in refused.text
    with db.session_scope() as s:
        assert s.get(MeetingAttendance, (meeting_id, "xie.peng")) is None
