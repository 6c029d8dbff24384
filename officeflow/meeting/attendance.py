"""Attendance (出席回执) and materials: an attendee accepts, declines or names a stand-in; a
department uploads its topic's materials (会议材料) into the file store.

Each answer is one `MeetingAttendance` row per meeting and attendee (the latest answer wins) and
one ``meeting.attendance`` event; a stand-in is told with a notice of their own. Answering the
same again changes nothing. The office reads the answers with `attendance_rows`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.attendance import AttendanceAnswer, MeetingAttendance
from models.meeting import Meeting
from models.meeting_input import MeetingActionResult
from models.org import Person
from officeflow import clock, delivery, events, files
from officeflow.inputs import input_error
from officeflow.meeting.agenda import chosen_topics, result
from officeflow.meeting.common import OBJECT, attendee_ids, scheduled_meeting, topics
from officeflow.meeting.notices import meeting_context
from officeflow.org import active_person

NOTE_MAX = 500
TOPIC_FILES = "meeting_topic"  # the file store's object type of a topic's materials

# Who may answer (the attendee, or the general office on their behalf) and who may submit a
# topic's materials (its department, or the general office) is declared in
# officeflow/meeting/declarations.py and checked at the door (`officeflow.actions.perform`).


def register_attendance(
    session: Session,
    *,
    meeting_id: int,
    answer: AttendanceAnswer | str,
    attendee: str | None = None,
    stand_in: str | None = None,
    note: str = "",
    actor: str,
) -> MeetingActionResult:
    """The ``attendee`` (the actor by default) answers the meeting's invitation. Answers close
    when the meeting starts; the same answer again changes nothing (``changed`` false)."""
    meeting = scheduled_meeting(session, meeting_id)
    person = attendee or actor
    try:
        answer = AttendanceAnswer(answer)
    except ValueError:
        choices = ", ".join(a.value for a in AttendanceAnswer)
        raise input_error("answer", f"{answer!r} is not one of {choices}") from None
    if person not in attendee_ids(session, meeting.id):
        raise input_error("attendee", f"{person!r} is not an attendee of meeting {meeting.id}")
    now = clock.now()
    if now >= meeting.start_at:
        raise input_error(
            "meeting",
            f"meeting {meeting.id} started at {clock.format_local(meeting.start_at)}; "
            "attendance answers are closed",
        )
    if len(note) > NOTE_MAX:
        raise input_error("note", f"at most {NOTE_MAX} characters")
    if answer is AttendanceAnswer.STAND_IN:
        if not stand_in:
            raise input_error("stand_in", "name the person who attends in your place")
        if active_person(session, stand_in) is None:
            raise input_error("stand_in", f"unknown person {stand_in!r}")
        if stand_in == person:
            raise input_error("stand_in", "a stand-in is someone else")
    else:
        stand_in = None

    row = session.get(MeetingAttendance, (meeting.id, person))
    if (
        row is not None
        and row.answer is answer
        and row.stand_in_id == stand_in
        and row.sequence == meeting.sequence
        and row.note == note
    ):
        return result(meeting, "attendance", changed=False, answer=answer.value)
    if row is None:
        row = MeetingAttendance(meeting_id=meeting.id, person_id=person)
        session.add(row)
    row.answer, row.stand_in_id, row.note = answer, stand_in, note
    row.answered_at, row.answered_by, row.sequence = now, actor, meeting.sequence
    session.flush()
    events.record(
        session,
        action="meeting.attendance",
        object_type=OBJECT,
        object_id=meeting.id,
        actor=actor,
        data={"person": person, "answer": answer.value, "stand_in": stand_in, "note": note},
    )
    keys = []
    if stand_in is not None:
        keys.append(_tell_stand_in(session, meeting, person, stand_in))
    return result(meeting, "attendance", answer=answer.value, notice_keys=keys)


def _tell_stand_in(session: Session, meeting: Meeting, person: str, stand_in: str) -> str:
    key = f"meeting:{meeting.id}:stand-in:{meeting.sequence}:{person}:{stand_in}"
    absent = session.get(Person, person)
    delivery.plan_notice(
        session,
        key=key,
        template="meeting_stand_in",
        object_type=OBJECT,
        object_id=meeting.id,
        recipients=[stand_in],
        context={
            **meeting_context(session, meeting),
            "absent": {"id": person, "name": absent.name if absent else person},
        },
    )
    return key


def attendance_rows(session: Session, meeting_id: int) -> list[dict[str, Any]]:
    """Every attendee with their answer (``none`` before they answer), for the office."""
    meeting = session.get(Meeting, meeting_id)
    answers = {
        r.person_id: r
        for r in session.scalars(
            select(MeetingAttendance).where(MeetingAttendance.meeting_id == meeting_id)
        )
    }
    ids = attendee_ids(session, meeting_id)
    wanted = ids + [r.stand_in_id for r in answers.values() if r.stand_in_id]
    names = dict(session.execute(select(Person.id, Person.name).where(Person.id.in_(wanted))).all())
    rows = []
    for pid in ids:
        r = answers.get(pid)
        rows.append(
            {
                "person": pid,
                "name": names.get(pid, pid),
                "answer": r.answer.value if r else "none",
                "stand_in": r.stand_in_id if r else None,
                "stand_in_name": names.get(r.stand_in_id, r.stand_in_id)
                if r and r.stand_in_id
                else None,
                "note": r.note if r else "",
                "answered_at": clock.format_local(r.answered_at) if r else "",
                "stale": bool(r and meeting and r.sequence != meeting.sequence),
            }
        )
    return rows


def attendance_counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    counts = {a.value: 0 for a in AttendanceAnswer} | {"none": 0}
    for r in rows:
        counts[r["answer"]] += 1
    return counts


def materials_department(session: Session, meeting_id: int, params: Any) -> str | None:
    """The department whose materials a `SubmitMaterialsInput` names: its ``department``, or the
    department of its topic (None when the meeting has no such topic)."""
    department = getattr(params, "department", None)
    if department is not None:
        return str(department)
    topic = getattr(params, "topic", None)
    found = next((t for t in topics(session, meeting_id) if t.id == topic), None)
    return found.department_id if found is not None else None


def store_materials(
    session: Session,
    *,
    meeting_id: int,
    topic_id: int,
    uploads: list[files.FileContent],
    actor: str,
) -> list[int]:
    """Keep a topic's materials in the file store (each checked first: size, type), after the
    action `meeting.submit-materials` (`agenda.submit_materials`) allowed the actor and marked
    them received. Returns the
    stored files' ids."""
    meeting = scheduled_meeting(session, meeting_id)
    [topic] = chosen_topics(session, meeting, topic_id, None)
    if not uploads:
        raise input_error("files", "choose at least one file")
    checked = [files.check_file(u, field=("files", i)) for i, u in enumerate(uploads)]
    stored = [
        files.store(
            session,
            c,
            object_type=TOPIC_FILES,
            object_id=topic.id,
            actor=actor,
            purpose="materials",
            field=("files", i),
        )
        for i, c in enumerate(checked)
    ]
    return [s.id for s in stored]
