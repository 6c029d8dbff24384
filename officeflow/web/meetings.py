"""Meeting pages (办会), opened by the signed links of the meeting notices:

- ``attend`` (会议通知): an attendee accepts, declines or names a stand-in (出席回执);
- ``submit-topic`` (议题征集): a department submits a topic, with its materials if ready; its
  sibling ``upload-materials`` uploads materials for a topic already submitted;
- ``approve-agenda`` (议程审定): the chair or the office director approves the agenda; the
  meeting's sweep then sends whatever became due (the meeting notice).

Everyone the link was sent to sees the meeting and its agenda; the general office and the chair
also see the attendance answers. The services (`officeflow.meeting`) decide who may do what."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from models.meeting import AgendaStatus, MeetingStatus
from models.meeting_input import AgendaApproval, TopicSubmission
from models.org import Person
from officeflow import clock, files
from officeflow import meeting as service
from officeflow.inputs import input_error
from officeflow.meeting.attendance import TOPIC_FILES
from officeflow.org import active_person, is_office_member
from officeflow.settings import get_settings
from officeflow.web import messages2  # noqa: F401  (the pages' words)
from officeflow.web.assignments import _uploads
from officeflow.web.i18n import MESSAGES
from officeflow.web.pages import ActionPage, Outcome, form_text, register
from officeflow.web.tokens import Claim
from officeflow.web.views import object_id, person_name, timeline

OBJECT = service.OBJECT

MESSAGES["zh-CN"].update(
    {
        "meeting.attend.done.accept": "回执已登记：出席。",
        "meeting.attend.done.decline": "回执已登记：请假。",
        "meeting.attend.done.stand_in": "回执已登记：由他人代为出席，已通知代会人。",
        "meeting.topic.done": "议题已报送（编号 {id}），上传材料 {n} 个。",
        "meeting.history": "记录",
    }
)
MESSAGES["en"].update(
    {
        "meeting.attend.done.accept": "Recorded: you attend.",
        "meeting.attend.done.decline": "Recorded: you cannot attend.",
        "meeting.attend.done.stand_in": "Recorded: your stand-in attends; they have been told.",
        "meeting.topic.done": "Topic submitted (no. {id}), {n} file(s) of materials uploaded.",
        "meeting.history": "Record",
    }
)


def _load(session: Session, claim: Claim) -> dict[str, Any]:
    meeting_id = object_id(claim)
    view = service.meeting_view(session, meeting_id)
    meeting = service.get_meeting(session, meeting_id)
    me = active_person(session, claim.person_id)
    dept = me.department_id if me else None
    colleagues = (
        list(
            session.execute(
                select(Person.id, Person.name)
                .where(Person.department_id == dept, Person.active.is_(True))
                .order_by(Person.id)
            ).all()
        )
        if dept
        else []
    )
    mine = next((a for a in view["attendance"] if a["person"] == claim.person_id), None)
    my_topics = [t for t in service.topics(session, meeting_id) if t.department_id == dept]
    return {
        "m": meeting,
        "view": view,
        "chair": person_name(session, meeting.chair_id),
        "my_answer": mine,
        "colleagues": [(pid, name) for pid, name in colleagues if pid != claim.person_id],
        "presenters": colleagues,
        "my_topics": my_topics,
        "topic_files": {
            t.id: files.files_of(session, TOPIC_FILES, t.id)
            for t in service.topics(session, meeting_id)
        },
        "sees_attendance": claim.person_id == meeting.chair_id
        or is_office_member(session, claim.person_id),
        "timeline": timeline(session, OBJECT, meeting_id),
        "person_name": person_name(session, claim.person_id),
        "accept_types": ",".join(files.allowed_types()),
        "max_mb": round(get_settings().file_max_bytes / 1024 / 1024, 1),
    }


def _closed(session: Session, claim: Claim) -> str | None:
    meeting = service.get_meeting(session, object_id(claim))
    if meeting.status is not MeetingStatus.SCHEDULED or clock.now() >= meeting.start_at:
        return "meeting.closed"
    return None


def _agenda_done(session: Session, claim: Claim) -> str | None:
    if closed := _closed(session, claim):
        return closed
    meeting = service.get_meeting(session, object_id(claim))
    return "meeting.approve.already" if meeting.agenda_status is AgendaStatus.APPROVED else None


def _attend(session: Session, claim: Claim, form: FormData) -> Outcome:
    result = service.answer_attendance(
        session,
        meeting_id=object_id(claim),
        person=claim.person_id,
        answer=form_text(form, "answer"),
        stand_in=form_text(form, "stand_in", 64) or None,
        note=form_text(form, "note", 2000),
        actor=claim.person_id,
    )
    if not result.changed:
        return Outcome("meeting.attend.same")
    return Outcome(f"meeting.attend.done.{result.answer}", notice_keys=result.notice_keys)


def _department_of(session: Session, person_id: str) -> str:
    me = active_person(session, person_id)
    if me is None:
        raise input_error("person", f"unknown person {person_id!r}")
    return me.department_id


def _submit_topic(session: Session, claim: Claim, form: FormData) -> Outcome:
    title = form_text(form, "title", 300).strip()
    if not title:
        raise input_error("title", "name the topic")
    attached = _uploads(form)  # checked before anything is written
    presenter = form_text(form, "presenter", 64).strip() or claim.person_id
    topic_id, _ = service.submit_topic(
        session,
        TopicSubmission(
            meeting_id=object_id(claim),
            department=_department_of(session, claim.person_id),
            title=title,
            presenter=presenter,
        ),
        actor=claim.person_id,
    )
    n = 0
    if attached:
        n = len(
            service.upload_materials(
                session,
                meeting_id=object_id(claim),
                topic_id=topic_id,
                uploads=attached,
                actor=claim.person_id,
            )
        )
    return Outcome("meeting.topic.done", {"id": topic_id, "n": n})


def _upload_materials(session: Session, claim: Claim, form: FormData) -> Outcome:
    text = form_text(form, "topic").strip()
    if not text.isdigit():
        raise input_error("topic", "choose the topic")
    ids = service.upload_materials(
        session,
        meeting_id=object_id(claim),
        topic_id=int(text),
        uploads=_uploads(form),
        actor=claim.person_id,
    )
    return Outcome("meeting.materials.done", {"n": len(ids)})


def _approve(session: Session, claim: Claim, form: FormData) -> Outcome:
    meeting_id = object_id(claim)
    service.approve_agenda(
        session,
        AgendaApproval(
            meeting_id=meeting_id,
            approved_by=claim.person_id,
            comment=form_text(form, "comment", 2000),
        ),
        actor=claim.person_id,
    )

    def send_due() -> None:
        service.run_sweep()  # the meeting notice, if it is due now (else at its time)
        return None

    return Outcome("meeting.approve.done", after=send_due)


register(
    ActionPage(
        object_type=OBJECT,
        action="attend",
        template="meeting_attend.html",
        load=_load,
        perform=_attend,
        already=_closed,
    )
)
register(
    ActionPage(
        object_type=OBJECT,
        action="submit-topic",
        template="meeting_topic.html",
        load=_load,
        perform=_submit_topic,
        already=_agenda_done,
        siblings=("upload-materials",),
    )
)
register(
    ActionPage(
        object_type=OBJECT,
        action="upload-materials",
        template="meeting_materials.html",
        load=_load,
        perform=_upload_materials,
        already=_closed,
        siblings=("submit-topic",),
    )
)
register(
    ActionPage(
        object_type=OBJECT,
        action="approve-agenda",
        template="meeting_approve.html",
        load=_load,
        perform=_approve,
        already=_agenda_done,
    )
)
