"""Meeting pages (办会), opened by the signed links of the meeting notices, written by hand for
the declared actions (`officeflow.meeting.declarations`) that want more than a generated form:

- ``register-attendance`` (会议通知; links sent before were ``attend``): an attendee accepts,
  declines or names a stand-in (出席回执);
- ``submit-topic`` (议题征集): a department submits a topic, with its materials if ready; its
  sibling ``submit-materials`` (was ``upload-materials``) uploads materials for a topic already
  submitted;
- ``approve-agenda`` (议程审定): the chair or the office director approves the agenda; the
  meeting's sweep then sends whatever became due (the meeting notice).

Everyone the link was sent to sees the meeting and its agenda; the general office and the chair
also see the attendance answers. Each form goes through the one door,
`officeflow.actions.perform`, which asks the policy who may (a refusal is 403) before the
service writes anything; files are stored only after it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from models.meeting import AgendaStatus, MeetingStatus
from models.org import Person
from officeflow import actions, clock, files, policy
from officeflow import meeting as service
from officeflow.actions import perform
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
    result = perform(
        session,
        "meeting.register-attendance",
        object_id(claim),
        {
            "answer": form_text(form, "answer").strip() or None,
            "stand_in": form_text(form, "stand_in", 64).strip() or None,
            "note": form_text(form, "note", 2000),
        },
        claim.person_id,
    )
    if not result.changed:
        return Outcome("meeting.attend.same")
    return Outcome(f"meeting.attend.done.{result.answer}", notice_keys=result.notice_keys)


def _department_of(session: Session, person_id: str) -> str:
    me = active_person(session, person_id)
    if me is None:
        raise input_error("person", f"unknown person {person_id!r}")
    return me.department_id


def _store(session: Session, claim: Claim, topic_id: int, attached: list[files.FileContent]) -> int:
    """The topic's materials, marked received through the door (who may: its department or the
    office), then kept in the file store. Returns how many files were stored."""
    perform(
        session, "meeting.submit-materials", object_id(claim), {"topic": topic_id}, claim.person_id
    )
    return len(
        service.store_materials(
            session,
            meeting_id=object_id(claim),
            topic_id=topic_id,
            uploads=attached,
            actor=claim.person_id,
        )
    )


def _submit_topic(session: Session, claim: Claim, form: FormData) -> Outcome:
    attached = _uploads(form)  # checked before anything is written
    presenter = form_text(form, "presenter", 64).strip() or claim.person_id
    # The page submits for the person's own department; a form naming another (the declared
    # input's field) is the policy's to refuse.
    department = form_text(form, "department", 64).strip()
    result = perform(
        session,
        "meeting.submit-topic",
        object_id(claim),
        {
            "department": department or _department_of(session, claim.person_id),
            "title": form_text(form, "title", 300).strip(),
            "presenter": presenter,
        },
        claim.person_id,
    )
    assert result.topic_id is not None
    n = _store(session, claim, result.topic_id, attached) if attached else 0
    return Outcome("meeting.topic.done", {"id": result.topic_id, "n": n})


def _submit_materials(session: Session, claim: Claim, form: FormData) -> Outcome:
    text = form_text(form, "topic").strip()
    if not text.isdigit():
        raise input_error("topic", "choose the topic")
    # Who may comes first: a person who may not submit this topic's materials is told so, not
    # asked for files.
    action = actions.get("meeting.submit-materials")
    meeting = action.obj.get(session, object_id(claim))
    policy.authorize(session, claim.person_id, action, meeting, action.input(topic=int(text)))
    attached = _uploads(form)  # checked before anything is written
    if not attached:
        raise input_error("files", "choose at least one file")
    return Outcome("meeting.materials.done", {"n": _store(session, claim, int(text), attached)})


def _approve(session: Session, claim: Claim, form: FormData) -> Outcome:
    params = {"comment": form_text(form, "comment", 2000)}
    result = perform(session, "meeting.approve-agenda", object_id(claim), params, claim.person_id)
    # The declared ``after``: the meeting notice goes now if it is due (else at its time).
    after = actions.resolve(actions.get("meeting.approve-agenda").after)
    return Outcome("meeting.approve.done", after=lambda: after(result, params, claim.person_id))


register(
    ActionPage(
        object_type=OBJECT,
        action="register-attendance",
        template="meeting_attend.html",
        load=_load,
        perform=_attend,
        already=_closed,
    ),
    aliases=("attend",),  # links sent before the action was declared
)
register(
    ActionPage(
        object_type=OBJECT,
        action="submit-topic",
        template="meeting_topic.html",
        load=_load,
        perform=_submit_topic,
        already=_agenda_done,
        siblings=("submit-materials",),
    )
)
register(
    ActionPage(
        object_type=OBJECT,
        action="submit-materials",
        template="meeting_materials.html",
        load=_load,
        perform=_submit_materials,
        already=_closed,
        siblings=("submit-topic",),
    ),
    aliases=("upload-materials",),  # links sent before the action was declared
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
