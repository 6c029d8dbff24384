"""Topics, the agenda and materials: a department submits a topic (a late one only with the
office's acceptance), the chair or the office director approves the agenda, the office marks
materials received."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.meeting import AgendaStatus, MeetingTopic
from models.meeting_input import AgendaApproval, TopicSubmission
from officeflow import clock, events, permissions
from officeflow.inputs import input_error
from officeflow.meeting.common import OBJECT, department_ids, scheduled_meeting, topics
from officeflow.org import active_person, is_office_member


def submit_topic(session: Session, sub: TopicSubmission, *, actor: str) -> tuple[int, bool]:
    """A department's topic. After the deadline it is refused unless the office accepts it.
    Returns (topic id, newly recorded)."""
    meeting = scheduled_meeting(session, sub.meeting_id)
    permissions.check_actor(session, actor, f"submit a topic to meeting {meeting.id}")
    if sub.department not in department_ids(session, meeting.id):
        raise input_error("department", f"{sub.department!r} does not attend meeting {meeting.id}")
    presenter = active_person(session, sub.presenter)
    if presenter is None:
        raise input_error("presenter", f"unknown person {sub.presenter!r}")
    if presenter.department_id != sub.department:
        raise input_error("presenter", f"{sub.presenter!r} is not in {sub.department!r}")
    existing = session.scalar(
        select(MeetingTopic.id).where(
            MeetingTopic.meeting_id == meeting.id,
            MeetingTopic.department_id == sub.department,
            MeetingTopic.title == sub.title,
        )
    )
    if existing is not None:
        return existing, False
    if meeting.agenda_status is AgendaStatus.APPROVED:
        raise input_error("meeting", f"the agenda of meeting {meeting.id} is already approved")
    now = clock.now()
    late = now > meeting.topic_deadline
    if late:
        if sub.accept_late_by is None:
            raise input_error(
                "title",
                f"the topic deadline passed at {clock.format_local(meeting.topic_deadline)}; "
                "only the office can accept a late topic (--accept-late --as OFFICE_MEMBER)",
            )
        if not is_office_member(session, sub.accept_late_by):
            raise input_error(
                "accept_late_by", f"{sub.accept_late_by!r} is not in the general office"
            )
    topic = MeetingTopic(
        meeting_id=meeting.id,
        department_id=sub.department,
        title=sub.title,
        presenter_id=sub.presenter,
        submitted_at=now,
        late_accepted_by=sub.accept_late_by if late else None,
    )
    session.add(topic)
    session.flush()
    events.record(
        session,
        action="meeting.topic_submitted",
        object_type=OBJECT,
        object_id=meeting.id,
        actor=actor,
        data={"topic": topic.id, "department": sub.department, "late": late},
    )
    return topic.id, True


def approve_agenda(session: Session, approval: AgendaApproval, *, actor: str) -> bool:
    """The chair or the office director approves the agenda. True when newly approved."""
    meeting = scheduled_meeting(session, approval.meeting_id)
    by = approval.approved_by
    # The chair or the office director approves; whoever records it must be someone too.
    permissions.check_approve_agenda(session, meeting, by)
    if actor != by:
        permissions.check_actor(
            session, actor, f"record the agenda approval of meeting {meeting.id}"
        )
    if meeting.agenda_status is AgendaStatus.APPROVED:
        return False
    meeting.agenda_status = AgendaStatus.APPROVED
    meeting.agenda_approved_by = by
    meeting.agenda_approved_at = clock.now()
    events.record(
        session,
        action="meeting.agenda_approved",
        object_type=OBJECT,
        object_id=meeting.id,
        actor=actor,
        data={"by": by, "comment": approval.comment, "topics": len(topics(session, meeting.id))},
    )
    return True


def mark_materials(
    session: Session, *, meeting_id: int, topic_id: int | None, department: str | None, actor: str
) -> list[int]:
    """Materials (会议材料) received for a topic, or for every topic of a department."""
    meeting = scheduled_meeting(session, meeting_id)
    permissions.check_actor(session, actor, f"mark materials of meeting {meeting.id} received")
    chosen = [
        t
        for t in topics(session, meeting.id)
        if (topic_id is not None and t.id == topic_id)
        or (department is not None and t.department_id == department)
    ]
    if not chosen:
        raise input_error("topic", f"no such topic in meeting {meeting.id}")
    now = clock.now()
    marked = []
    for t in chosen:
        if t.materials_at is None:
            t.materials_at = now
            marked.append(t.id)
    if marked:
        events.record(
            session,
            action="meeting.materials_received",
            object_type=OBJECT,
            object_id=meeting.id,
            actor=actor,
            data={"topics": marked},
        )
    return marked
