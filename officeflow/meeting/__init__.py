"""办会 services: a meeting from registration to minutes. Each function takes an explicit session
and is shared by the Prefect tasks, the CLI and the tests.

A meeting's life is a set of `MeetingStep` rows with due times. `plan_due_steps` (the sweep)
takes every due pending step, reserves its notices and marks it done in one transaction, so a
step's notices are reserved exactly once; `send_pending` then delivers them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pendulum
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models.common import FIRST_YEAR, LAST_YEAR
from models.meeting import (
    AgendaStatus,
    Meeting,
    MeetingAttendee,
    MeetingDepartment,
    MeetingMinutes,
    MeetingStatus,
    MeetingStep,
    MeetingTopic,
    StepKind,
    StepStatus,
)
from models.meeting_input import (
    AgendaApproval,
    MeetingSpec,
    MinutesSpec,
    Reminder,
    TopicSubmission,
)
from models.org import Department, Person, Role
from models.supervision import DecisionSource
from models.supervision_input import AssignmentSpec, DecisionSpec
from officeflow import clock, events, supervision
from officeflow.delivery import DeliveryReport, plan_notice, send_pending
from officeflow.inputs import InputError, Problem, is_ledger_id
from officeflow.org import department_heads, office_name, people_with_role
from officeflow.settings import get_settings
from officeflow.workdays import get_calendar
from rules import invite as ics
from rules import meeting as rules

OBJECT = "meeting"

KIND_NAMES = {
    "office": "办公会议 office meeting",
    "special_topic": "专题会议 special-topic meeting",
    "coordination": "协调会议 coordination meeting",
}


@dataclass
class MeetingRecord:
    meeting_id: int
    created: bool
    notice_keys: list[str] = field(default_factory=list)


@dataclass
class SweepResult:
    steps_done: list[str] = field(default_factory=list)  # "meeting:5:notice"
    waiting: list[str] = field(default_factory=list)  # due, but waiting for something
    notice_keys: list[str] = field(default_factory=list)


def _fail(field_name: str, message: str) -> InputError:
    return InputError([Problem((field_name,), message)])


def _fmt(value: dt.datetime) -> str:
    return clock.to_local(value).format("YYYY-MM-DD HH:mm")


def _aware(value: dt.datetime) -> pendulum.DateTime:
    """A naive time is read in the organisation's zone."""
    if value.tzinfo is None:
        return pendulum.instance(value, tz=clock.local_zone())
    return pendulum.instance(value)


def _roles(session: Session, person_id: str) -> set[Role]:
    person = session.get(Person, person_id)
    return {r.role for r in person.roles} if person else set()


def _active_person(session: Session, person_id: str) -> Person | None:
    person = session.get(Person, person_id)
    return person if person is not None and person.active else None


def is_office_member(session: Session, person_id: str) -> bool:
    """The general office (办公室): its director, or anyone in the general-office department."""
    person = _active_person(session, person_id)
    if person is None:
        return False
    if Role.OFFICE_DIRECTOR in _roles(session, person_id):
        return True
    dept = session.get(Department, person.department_id)
    return bool(dept and dept.is_general_office)


def get_meeting(session: Session, meeting_id: int) -> Meeting:
    meeting = session.get(Meeting, meeting_id) if is_ledger_id(meeting_id) else None
    if meeting is None:
        raise _fail("meeting", f"no meeting {meeting_id}; `officeflow meeting list` lists them")
    return meeting


def _scheduled(session: Session, meeting_id: int) -> Meeting:
    meeting = get_meeting(session, meeting_id)
    if meeting.status is MeetingStatus.CANCELLED:
        raise _fail("meeting", f"meeting {meeting_id} was cancelled")
    if meeting.status is MeetingStatus.MINUTED:
        raise _fail("meeting", f"meeting {meeting_id} has been held and minuted")
    return meeting


# --- registration --------------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingTimes:
    start: pendulum.DateTime
    end: pendulum.DateTime
    topic_deadline: pendulum.DateTime
    materials_deadline: pendulum.DateTime


def meeting_times(spec: MeetingSpec) -> MeetingTimes:
    calendar = get_calendar()
    start = _aware(spec.start)
    topic = (
        _aware(spec.topic_deadline)
        if spec.topic_deadline
        else rules.default_topic_deadline(calendar, start)
    )
    materials = (
        _aware(spec.materials_deadline)
        if spec.materials_deadline
        else rules.default_materials_deadline(calendar, start)
    )
    return MeetingTimes(
        start, start.add(minutes=spec.duration_minutes), _aware(topic), _aware(materials)
    )


def check_meeting(session: Session, spec: MeetingSpec) -> MeetingTimes:
    """Every reference checked against the ledger, every time against now and the meeting."""
    problems: list[Problem] = []
    if _active_person(session, spec.chair) is None:
        problems.append(Problem(("chair",), f"unknown person {spec.chair!r}"))
    if spec.created_by is not None and _active_person(session, spec.created_by) is None:
        problems.append(Problem(("created_by",), f"unknown person {spec.created_by!r}"))
    known = set(session.scalars(select(Department.id)))
    for i, d in enumerate(spec.departments):
        if d not in known:
            problems.append(Problem(("departments", i), f"unknown department {d!r}"))
        elif not department_heads(session, d):
            problems.append(
                Problem(("departments", i), f"{d!r} has no department head to ask for topics")
            )
    for i, p in enumerate(spec.people):
        if _active_person(session, p) is None:
            problems.append(Problem(("people", i), f"unknown person {p!r}"))
    times = meeting_times(spec)
    for name, message in rules.problems_with_times(
        now=clock.now(),
        start=times.start,
        topic_deadline=times.topic_deadline,
        materials_deadline=times.materials_deadline,
    ):
        problems.append(Problem((name,), message))
    if problems:
        raise InputError(problems)
    return times


def _reminder_tuples(labels: list[str]) -> list[tuple[str, int, str]]:
    out = []
    for label in labels:
        r = Reminder.from_label(label)
        out.append((r.label, r.before, r.unit.value))
    return out


def create_meeting(session: Session, spec: MeetingSpec, *, actor: str) -> MeetingRecord:
    """Write the meeting, its attendees and its steps, once: the same meeting submitted again
    returns the row already recorded."""
    fingerprint = spec.fingerprint()
    existing = session.scalar(select(Meeting.id).where(Meeting.fingerprint == fingerprint))
    if existing is not None:
        return MeetingRecord(existing, created=False)
    times = check_meeting(session, spec)
    now = clock.now()
    meeting = Meeting(
        fingerprint=fingerprint,
        title=spec.title,
        kind=spec.kind,
        chair_id=spec.chair,
        start_at=times.start,
        end_at=times.end,
        venue=spec.venue,
        topic_deadline=times.topic_deadline,
        materials_deadline=times.materials_deadline,
        reminder_plan=[r.label for r in spec.reminders],
        created_by=spec.created_by or actor,
        created_at=now,
    )
    session.add(meeting)
    session.flush()
    attendees = [spec.chair, *spec.people]
    for d in spec.departments:
        session.add(MeetingDepartment(meeting_id=meeting.id, department_id=d))
        attendees.extend(department_heads(session, d))
    for person_id in dict.fromkeys(attendees):
        session.add(MeetingAttendee(meeting_id=meeting.id, person_id=person_id))
    for step in rules.schedule(
        get_calendar(),
        now=now,
        start=times.start,
        topic_deadline=times.topic_deadline,
        materials_deadline=times.materials_deadline,
        reminders=_reminder_tuples(meeting.reminder_plan),
    ):
        if not spec.departments and step.kind in ("call_for_topics", "topic_reminder"):
            continue  # nobody to ask for topics
        session.add(
            MeetingStep(
                meeting_id=meeting.id,
                kind=StepKind(step.kind),
                label=step.label,
                due_at=step.due_at,
                outcome={},
            )
        )
    session.flush()
    events.record(
        session,
        action="meeting.created",
        object_type=OBJECT,
        object_id=meeting.id,
        actor=actor,
        data={"title": spec.title, "start": times.start.isoformat()},
    )
    return MeetingRecord(meeting.id, created=True)


def attendee_ids(session: Session, meeting_id: int) -> list[str]:
    return list(
        session.scalars(
            select(MeetingAttendee.person_id)
            .where(MeetingAttendee.meeting_id == meeting_id)
            .order_by(MeetingAttendee.person_id)
        )
    )


def department_ids(session: Session, meeting_id: int) -> list[str]:
    return list(
        session.scalars(
            select(MeetingDepartment.department_id)
            .where(MeetingDepartment.meeting_id == meeting_id)
            .order_by(MeetingDepartment.department_id)
        )
    )


def topics(session: Session, meeting_id: int) -> list[MeetingTopic]:
    return list(
        session.scalars(
            select(MeetingTopic)
            .where(MeetingTopic.meeting_id == meeting_id)
            .order_by(MeetingTopic.submitted_at, MeetingTopic.id)
        )
    )


def steps(session: Session, meeting_id: int) -> list[MeetingStep]:
    return list(
        session.scalars(
            select(MeetingStep)
            .where(MeetingStep.meeting_id == meeting_id)
            .order_by(MeetingStep.due_at, MeetingStep.id)
        )
    )


# --- topics, agenda, materials -------------------------------------------------------------


def submit_topic(session: Session, sub: TopicSubmission, *, actor: str) -> tuple[int, bool]:
    """A department's topic. After the deadline it is refused unless the office accepts it.
    Returns (topic id, newly recorded)."""
    meeting = _scheduled(session, sub.meeting_id)
    if sub.department not in department_ids(session, meeting.id):
        raise _fail("department", f"{sub.department!r} does not attend meeting {meeting.id}")
    presenter = _active_person(session, sub.presenter)
    if presenter is None:
        raise _fail("presenter", f"unknown person {sub.presenter!r}")
    if presenter.department_id != sub.department:
        raise _fail("presenter", f"{sub.presenter!r} is not in {sub.department!r}")
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
        raise _fail("meeting", f"the agenda of meeting {meeting.id} is already approved")
    now = clock.now()
    late = now > meeting.topic_deadline
    if late:
        if sub.accept_late_by is None:
            raise _fail(
                "title",
                f"the topic deadline passed at {_fmt(meeting.topic_deadline)}; only the office "
                "can accept a late topic (--accept-late --by OFFICE_MEMBER)",
            )
        if not is_office_member(session, sub.accept_late_by):
            raise _fail("accept_late_by", f"{sub.accept_late_by!r} is not in the general office")
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
    meeting = _scheduled(session, approval.meeting_id)
    by = approval.approved_by
    if _active_person(session, by) is None:
        raise _fail("approved_by", f"unknown person {by!r}")
    if by != meeting.chair_id and Role.OFFICE_DIRECTOR not in _roles(session, by):
        raise _fail("approved_by", f"{by!r} is neither the chair nor the office director")
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
    meeting = _scheduled(session, meeting_id)
    chosen = [
        t
        for t in topics(session, meeting.id)
        if (topic_id is not None and t.id == topic_id)
        or (department is not None and t.department_id == department)
    ]
    if not chosen:
        raise _fail("topic", f"no such topic in meeting {meeting.id}")
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


def late_materials(session: Session, meeting: Meeting) -> list[MeetingTopic]:
    return [t for t in topics(session, meeting.id) if t.materials_at is None]


# --- reschedule and cancel -----------------------------------------------------------------


def reschedule(session: Session, *, meeting_id: int, to: dt.datetime, actor: str) -> int:
    """Move the meeting: SEQUENCE+1, deadlines not yet passed follow it, pending steps move,
    and attendees already invited get an updated invitation. Returns the new sequence."""
    meeting = _scheduled(session, meeting_id)
    now = clock.now()
    start = _aware(to)
    if start <= now:
        raise _fail("to", f"the new start {_fmt(start)} is in the past")
    if not FIRST_YEAR <= start.year <= LAST_YEAR:
        raise _fail("to", f"the new start {_fmt(start)} is outside the years 2000–2099")
    if start == meeting.start_at:
        return meeting.sequence
    calendar = get_calendar()
    duration = meeting.end_at - meeting.start_at
    old_start = meeting.start_at
    if meeting.topic_deadline > now:
        topic = rules.default_topic_deadline(calendar, start)
        meeting.topic_deadline = topic if topic > now else meeting.topic_deadline
    if meeting.materials_deadline > now:
        materials = rules.default_materials_deadline(calendar, start)
        meeting.materials_deadline = materials if materials > now else meeting.materials_deadline
    meeting.start_at, meeting.end_at = start, start + duration
    meeting.sequence += 1
    seq = meeting.sequence

    planned = {
        s.label: s
        for s in rules.schedule(
            calendar,
            now=now,
            start=start,
            topic_deadline=meeting.topic_deadline,
            materials_deadline=meeting.materials_deadline,
            reminders=_reminder_tuples(meeting.reminder_plan),
        )
    }
    rows = {s.label: s for s in steps(session, meeting.id)}
    for label, row in rows.items():
        base = label.split(":seq")[0]
        if row.status is StepStatus.PENDING and base in planned and base != "call-for-topics":
            row.due_at = planned[base].due_at
    # Reminders already sent for the old time are due again for the new one.
    for label, step in planned.items():
        if step.kind != "reminder" or step.due_at <= now:
            continue
        done = [r for k, r in rows.items() if k.split(":seq")[0] == label]
        if done and all(r.status is StepStatus.DONE for r in done):
            session.add(
                MeetingStep(
                    meeting_id=meeting.id,
                    kind=StepKind.REMINDER,
                    label=f"{label}:seq{seq}",
                    due_at=step.due_at,
                    outcome={},
                )
            )
    notice = rows.get("notice")
    if notice is not None and notice.status is StepStatus.DONE:
        session.add(
            MeetingStep(
                meeting_id=meeting.id,
                kind=StepKind.UPDATE,
                label=f"update:seq{seq}",
                due_at=now,
                outcome={},
            )
        )
    session.flush()
    events.record(
        session,
        action="meeting.rescheduled",
        object_type=OBJECT,
        object_id=meeting.id,
        actor=actor,
        data={"from": old_start.isoformat(), "to": start.isoformat(), "sequence": seq},
    )
    return seq


def cancel(session: Session, *, meeting_id: int, reason: str, actor: str) -> int:
    """Drop every pending step and tell everyone told about the meeting (METHOD:CANCEL).
    Returns the number of steps dropped."""
    meeting = _scheduled(session, meeting_id)
    now = clock.now()
    dropped = session.execute(
        update(MeetingStep)
        .where(MeetingStep.meeting_id == meeting.id, MeetingStep.status == StepStatus.PENDING)
        .values(status=StepStatus.CANCELLED, done_at=now)
    ).rowcount
    meeting.status = MeetingStatus.CANCELLED
    meeting.cancelled_at = now
    meeting.sequence += 1
    told = session.scalar(
        select(MeetingStep.id).where(
            MeetingStep.meeting_id == meeting.id, MeetingStep.status == StepStatus.DONE
        )
    )
    if told is not None:
        session.add(
            MeetingStep(
                meeting_id=meeting.id,
                kind=StepKind.CANCEL,
                label="cancel",
                due_at=now,
                outcome={"reason": reason},
            )
        )
    session.flush()
    events.record(
        session,
        action="meeting.cancelled",
        object_type=OBJECT,
        object_id=meeting.id,
        actor=actor,
        data={"reason": reason, "steps_dropped": dropped},
    )
    return dropped


# --- the sweep -----------------------------------------------------------------------------


def plan_due_steps(session: Session, *, now: dt.datetime | None = None) -> SweepResult:
    """Take every due pending step (set-based), reserve its notices and mark it done in this
    transaction. Steps whose condition is not met yet (the notice before the agenda is
    approved) stay pending. Working-day steps wait for a working day."""
    now = now or clock.now()
    calendar = get_calendar()
    stmt = (
        select(MeetingStep.id, MeetingStep.meeting_id, MeetingStep.kind, MeetingStep.label)
        .where(MeetingStep.status == StepStatus.PENDING, MeetingStep.due_at <= now)
        .order_by(MeetingStep.due_at, MeetingStep.id)
    )
    if not calendar.is_workday(calendar.local_date(now)):
        workday_kinds = [StepKind(k) for k in rules.WORKDAY_STEPS]
        stmt = stmt.where(MeetingStep.kind.not_in(workday_kinds))
    result = SweepResult()
    for row in session.execute(stmt).all():
        meeting = session.get(Meeting, row.meeting_id)
        assert meeting is not None
        name = f"meeting:{meeting.id}:{row.label}"
        if row.kind is StepKind.NOTICE and meeting.agenda_status is not AgendaStatus.APPROVED:
            result.waiting.append(name)
            continue
        claimed = session.execute(
            update(MeetingStep)
            .where(MeetingStep.id == row.id, MeetingStep.status == StepStatus.PENDING)
            .values(status=StepStatus.DONE, done_at=now)
        ).rowcount
        if not claimed:
            continue  # another sweep took it
        outcome = _run_step(session, meeting, row.kind, row.label)
        session.execute(update(MeetingStep).where(MeetingStep.id == row.id).values(outcome=outcome))
        if outcome.get("key"):
            result.notice_keys.append(outcome["key"])
        result.steps_done.append(name)
    return result


def _run_step(session: Session, meeting: Meeting, kind: StepKind, label: str) -> dict[str, Any]:
    key_base = f"meeting:{meeting.id}"
    ctx = meeting_context(session, meeting)
    if kind is StepKind.CALL_FOR_TOPICS:
        heads = _heads(session, department_ids(session, meeting.id))
        return _plan(session, meeting, f"{key_base}:call-for-topics", "meeting_call", heads, ctx)
    if kind is StepKind.TOPIC_REMINDER:
        submitted = {t.department_id for t in topics(session, meeting.id)}
        silent = [d for d in department_ids(session, meeting.id) if d not in submitted]
        if not silent:
            return {"skipped": "every department submitted"}
        heads = _heads(session, silent)
        return _plan(
            session, meeting, f"{key_base}:topic-reminder", "meeting_topic_reminder", heads, ctx
        )
    if kind is StepKind.AGENDA_APPROVAL:
        if meeting.agenda_status is AgendaStatus.APPROVED:
            return {"skipped": "agenda already approved"}
        deciders = [meeting.chair_id, *people_with_role(session, Role.OFFICE_DIRECTOR)]
        return _plan(
            session,
            meeting,
            f"{key_base}:agenda-approval",
            "meeting_agenda_approval",
            deciders,
            ctx,
        )
    if kind in (StepKind.NOTICE, StepKind.UPDATE):
        key = f"{key_base}:notice:seq{meeting.sequence}"
        return _plan(
            session,
            meeting,
            key,
            "meeting_notice",
            attendee_ids(session, meeting.id),
            {**ctx, "updated": kind is StepKind.UPDATE},
            invite=invite_text(session, meeting, method="REQUEST"),
        )
    if kind is StepKind.MATERIALS_REMINDER:
        missing = late_materials(session, meeting)
        if not missing:
            return {"skipped": "no materials outstanding"}
        presenters = [t.presenter_id for t in missing]
        return _plan(
            session,
            meeting,
            f"{key_base}:materials-reminder",
            "meeting_materials_reminder",
            presenters,
            ctx,
        )
    if kind is StepKind.MATERIALS_CHECK:
        missing = late_materials(session, meeting)
        if not missing:
            return {"skipped": "all materials received"}
        office = people_with_role(session, Role.OFFICE_DIRECTOR)
        late = [_topic_context(session, t) for t in missing]
        return _plan(
            session,
            meeting,
            f"{key_base}:materials-late",
            "meeting_materials_late",
            office,
            {**ctx, "late": late},
        )
    if kind is StepKind.REMINDER:
        return _plan(
            session,
            meeting,
            f"{key_base}:{label}",
            "meeting_reminder",
            attendee_ids(session, meeting.id),
            ctx,
        )
    if kind is StepKind.CANCEL:
        people = [*attendee_ids(session, meeting.id)]
        people.extend(_heads(session, department_ids(session, meeting.id)))
        return _plan(
            session,
            meeting,
            f"{key_base}:cancel",
            "meeting_cancelled",
            list(dict.fromkeys(people)),
            ctx,
            invite=invite_text(session, meeting, method="CANCEL"),
        )
    raise ValueError(f"unknown step kind {kind!r}")


def _heads(session: Session, departments: list[str]) -> list[str]:
    out: list[str] = []
    for d in departments:
        out.extend(department_heads(session, d))
    return list(dict.fromkeys(out))


def _plan(
    session: Session,
    meeting: Meeting,
    key: str,
    template: str,
    recipients: list[str],
    context: dict[str, Any],
    invite: bytes | None = None,
) -> dict[str, Any]:
    planned = plan_notice(
        session,
        key=key,
        template=template,
        object_type=OBJECT,
        object_id=meeting.id,
        recipients=recipients,
        context=context,
        invite=invite.decode("utf-8") if invite else None,
    )
    return {
        "key": key,
        "recipients": len(recipients),
        "reserved": planned.reserved,
        "unreachable": planned.unreachable,
    }


# --- what people are told ------------------------------------------------------------------


def _topic_context(session: Session, topic: MeetingTopic) -> dict[str, Any]:
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
            "kind": KIND_NAMES.get(meeting.kind.value, meeting.kind.value),
            "chair": chair.name if chair else meeting.chair_id,
            "start": meeting.start_at,
            "end": meeting.end_at,
            "venue": meeting.venue,
            "topic_deadline": meeting.topic_deadline,
            "materials_deadline": meeting.materials_deadline,
            "sequence": meeting.sequence,
        },
        "agenda": [_topic_context(session, t) for t in topics(session, meeting.id)],
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


def agenda_markdown(session: Session, meeting_id: int) -> str:
    """议程: the compiled agenda, as published in the Prefect UI."""
    meeting = get_meeting(session, meeting_id)
    ctx = meeting_context(session, meeting)["meeting"]
    approver = (
        session.get(Person, meeting.agenda_approved_by) if meeting.agenda_approved_by else None
    )
    lines = [
        f"# 会议议程 Agenda · {meeting.title}",
        "",
        f"- 会议类型 Kind: {ctx['kind']}",
        f"- 时间 Time: {_fmt(meeting.start_at)} – {clock.to_local(meeting.end_at).format('HH:mm')}",
        f"- 地点 Venue: {meeting.venue}",
        f"- 主持 Chair: {ctx['chair']}",
        f"- 审定 Approved by: {approver.name if approver else '—'}"
        + (f" ({_fmt(meeting.agenda_approved_at)})" if meeting.agenda_approved_at else ""),
        "",
        "| # | 议题 Topic | 汇报单位 Department | 汇报人 Presenter | 材料 Materials |",
        "|---|---|---|---|---|",
    ]
    for i, t in enumerate(meeting_context(session, meeting)["agenda"], 1):
        title = t["title"].replace("|", "\\|") + (" (补报 late)" if t["late"] else "")
        lines.append(
            f"| {i} | {title} | {t['department']} | {t['presenter']} | "
            f"{'✓' if t['materials'] else '—'} |"
        )
    return "\n".join(lines) + "\n"


# --- minutes -------------------------------------------------------------------------------


def minutes_decision(meeting: Meeting, minutes: MinutesSpec, issued_on: dt.date) -> DecisionSpec:
    """The decision the minutes' action items become, each item traceable to the meeting."""
    return DecisionSpec(
        title=f"{meeting.title} 会议纪要",
        source=DecisionSource.MEETING_MINUTES,
        source_ref=f"meeting:{meeting.id}",
        issued_by=minutes.issued_by or meeting.chair_id,
        issued_on=issued_on,
        assignments=[
            AssignmentSpec(
                lead_department=item.lead_department,
                co_departments=item.co_departments,
                owner=item.owner,
                task=item.task,
                acceptance_standard=item.acceptance_standard,
                due_date=item.due_date,
                due_in_workdays=item.due_in_workdays,
                source_ref=f"meeting:{meeting.id}:item:{n}",
            )
            for n, item in enumerate(minutes.action_items, 1)
        ],
    )


def record_minutes(
    session: Session, *, meeting_id: int, minutes: MinutesSpec, actor: str
) -> DecisionSpec | None:
    """Record the minutes once and return the decision their action items become (None when
    there are none). The same minutes recorded again return the same decision."""
    meeting = get_meeting(session, meeting_id)
    if meeting.status is MeetingStatus.CANCELLED:
        raise _fail("meeting", f"meeting {meeting_id} was cancelled; it has no minutes")
    existing = session.get(MeetingMinutes, meeting.id)
    if existing is not None:
        if existing.fingerprint != minutes.fingerprint():
            raise _fail("meeting", f"minutes of meeting {meeting_id} are already recorded")
        if not minutes.action_items:
            return None
        return minutes_decision(meeting, minutes, existing.issued_on)
    now = clock.now()
    if now < meeting.start_at:
        raise _fail("meeting", f"meeting {meeting_id} starts at {_fmt(meeting.start_at)}")
    if _active_person(session, minutes.recorded_by) is None:
        raise _fail("recorded_by", f"unknown person {minutes.recorded_by!r}")
    issuer = minutes.issued_by or meeting.chair_id
    if Role.LEADER not in _roles(session, issuer):
        where = "issued_by" if minutes.issued_by else "issued_by (the chair by default)"
        raise _fail(where, f"{issuer!r} is not a leader; name the leader who issues the items")
    issued_on = get_calendar().local_date(now)
    spec = minutes_decision(meeting, minutes, issued_on) if minutes.action_items else None
    if spec is not None:
        try:
            supervision.check_decision(session, spec)
        except InputError as exc:
            raise InputError(
                [
                    Problem(
                        tuple("action_items" if p == "assignments" else p for p in pr.loc),
                        pr.message,
                    )
                    for pr in exc.problems
                ]
            ) from exc
    session.add(
        MeetingMinutes(
            meeting_id=meeting.id,
            recorded_by=minutes.recorded_by,
            recorded_at=now,
            issued_on=issued_on,
            content=minutes.model_dump(mode="json"),
            fingerprint=minutes.fingerprint(),
        )
    )
    meeting.status = MeetingStatus.MINUTED
    session.execute(
        update(MeetingStep)
        .where(MeetingStep.meeting_id == meeting.id, MeetingStep.status == StepStatus.PENDING)
        .values(status=StepStatus.CANCELLED, done_at=now)
    )
    events.record(
        session,
        action="meeting.minuted",
        object_type=OBJECT,
        object_id=meeting.id,
        actor=actor,
        data={"decisions": len(minutes.decisions), "action_items": len(minutes.action_items)},
    )
    return spec


def link_decision(session: Session, *, meeting_id: int, decision_id: int) -> None:
    row = session.get(MeetingMinutes, meeting_id)
    if row is not None and row.decision_id != decision_id:
        row.decision_id = decision_id


# --- what the office sees ------------------------------------------------------------------


def meeting_view(session: Session, meeting_id: int) -> dict[str, Any]:
    meeting = get_meeting(session, meeting_id)
    now = clock.now()
    minutes = session.get(MeetingMinutes, meeting.id)
    return {
        "id": meeting.id,
        "title": meeting.title,
        "status": meeting.status.value,
        "agenda": meeting.agenda_status.value,
        "sequence": meeting.sequence,
        "start": _fmt(meeting.start_at),
        "venue": meeting.venue,
        "topic_deadline": _fmt(meeting.topic_deadline),
        "materials_deadline": _fmt(meeting.materials_deadline),
        "decision_id": minutes.decision_id if minutes else None,
        "steps": [
            {
                "label": s.label,
                "due": _fmt(s.due_at),
                "status": s.status.value,
                "note": _step_note(meeting, s, now),
            }
            for s in steps(session, meeting.id)
        ],
        "topics": [
            {
                **_topic_context(session, t),
                "materials_late": t.materials_at is None and now > meeting.materials_deadline,
            }
            for t in topics(session, meeting.id)
        ],
    }


def _step_note(meeting: Meeting, step: MeetingStep, now: dt.datetime) -> str:
    if step.status is StepStatus.DONE:
        return step.outcome.get("skipped") or step.outcome.get("key", "")
    if (
        step.status is StepStatus.PENDING
        and step.kind is StepKind.NOTICE
        and meeting.agenda_status is not AgendaStatus.APPROVED
    ):
        return "waits for the agenda approval"
    if step.status is StepStatus.PENDING and step.due_at <= now:
        return "due"
    return ""


def list_meetings(session: Session) -> list[Meeting]:
    return list(session.scalars(select(Meeting).order_by(Meeting.start_at.desc())))


def run_due_steps(now: dt.datetime | None = None) -> tuple[SweepResult, DeliveryReport]:
    """The sweep without Prefect: plan every due step in one transaction, then deliver."""
    from officeflow import db

    with db.session_scope() as session:
        result = plan_due_steps(session, now=now)
    return result, send_pending(result.notice_keys)
