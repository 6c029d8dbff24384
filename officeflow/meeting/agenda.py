"""Topics, the agenda and materials: a department submits a topic (a late one only with the
office's acceptance), the chair or the office director approves the agenda, a department's
materials are marked received."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.meeting import AgendaStatus, Meeting, MeetingTopic
from models.meeting_input import MeetingActionResult
from officeflow import clock, events
from officeflow.inputs import input_error
from officeflow.meeting.common import OBJECT, department_ids, scheduled_meeting, topics
from officeflow.org import active_person

# Who may take each action is declared beside it (officeflow/meeting/declarations.py) and checked
# at the door (`officeflow.actions.perform`) before these run.


def result(
    meeting: Meeting, action: str, *, changed: bool = True, **values: object
) -> MeetingActionResult:
    return MeetingActionResult(
        meeting_id=meeting.id,
        action=action,
        status=meeting.status.value,
        changed=changed,
        sequence=meeting.sequence,
        **values,  # type: ignore[arg-type]
    )


def submit_topic(
    session: Session,
    *,
    meeting_id: int,
    department: str,
    title: str,
    presenter: str,
    accept_late: bool = False,
    actor: str,
) -> MeetingActionResult:
    """A department's topic. After the deadline it is refused unless the office accepts it
    (``accept_late``: the actor, of the general office, accepts it). The same topic again
    finds the one recorded (``changed`` false)."""
    meeting = scheduled_meeting(session, meeting_id)
    if department not in department_ids(session, meeting.id):
        raise input_error("department", f"{department!r} does not attend meeting {meeting.id}")
    person = active_person(session, presenter)
    if person is None:
        raise input_error("presenter", f"unknown person {presenter!r}")
    if person.department_id != department:
        raise input_error("presenter", f"{presenter!r} is not in {department!r}")
    existing = session.scalar(
        select(MeetingTopic.id).where(
            MeetingTopic.meeting_id == meeting.id,
            MeetingTopic.department_id == department,
            MeetingTopic.title == title,
        )
    )
    if existing is not None:
        return result(meeting, "topic_submitted", changed=False, topic_id=existing)
    if meeting.agenda_status is AgendaStatus.APPROVED:
        raise input_error("meeting", f"the agenda of meeting {meeting.id} is already approved")
    now = clock.now()
    late = now > meeting.topic_deadline
    if late and not accept_late:
        raise input_error(
            "title",
            f"the topic deadline passed at {clock.format_local(meeting.topic_deadline)}; "
            "only the office can accept a late topic (--accept-late --as OFFICE_MEMBER)",
        )
    topic = MeetingTopic(
        meeting_id=meeting.id,
        department_id=department,
        title=title,
        presenter_id=presenter,
        submitted_at=now,
        late_accepted_by=actor if late else None,
    )
    session.add(topic)
    session.flush()
    events.record(
        session,
        action="meeting.topic_submitted",
        object_type=OBJECT,
        object_id=meeting.id,
        actor=actor,
        data={"topic": topic.id, "department": department, "late": late},
    )
    return result(meeting, "topic_submitted", topic_id=topic.id)


def approve_agenda(
    session: Session, *, meeting_id: int, comment: str = "", actor: str
) -> MeetingActionResult:
    """The chair or the office director (the actor) approves the agenda. Approving it again
    changes nothing (``changed`` false)."""
    meeting = scheduled_meeting(session, meeting_id)
    if meeting.agenda_status is AgendaStatus.APPROVED:
        return result(meeting, "agenda_approved", changed=False)
    meeting.agenda_status = AgendaStatus.APPROVED
    meeting.agenda_approved_by = actor
    meeting.agenda_approved_at = clock.now()
    events.record(
        session,
        action="meeting.agenda_approved",
        object_type=OBJECT,
        object_id=meeting.id,
        actor=actor,
        data={"by": actor, "comment": comment, "topics": len(topics(session, meeting.id))},
    )
    return result(meeting, "agenda_approved")


def chosen_topics(
    session: Session, meeting: Meeting, topic: int | None, department: str | None
) -> list[MeetingTopic]:
    """The topics a materials action names: one topic of the meeting, or every topic of a
    department (an input error when it names none)."""
    if topic is None and department is None:
        raise input_error("topic", "give a topic or a department")
    chosen = [
        t
        for t in topics(session, meeting.id)
        if (topic is not None and t.id == topic)
        or (department is not None and t.department_id == department)
    ]
    if not chosen:
        raise input_error("topic", f"no such topic in meeting {meeting.id}")
    return chosen


def submit_materials(
    session: Session,
    *,
    meeting_id: int,
    topic: int | None = None,
    department: str | None = None,
    actor: str,
) -> MeetingActionResult:
    """报送材料: materials (会议材料) received for a topic, or for every topic of a department
    (a page that uploads the files stores them after this, `attendance.store_materials`).
    Marking them again changes nothing (``changed`` false)."""
    meeting = scheduled_meeting(session, meeting_id)
    chosen = chosen_topics(session, meeting, topic, department)
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
    return result(meeting, "materials_received", changed=bool(marked), topic_ids=marked)
