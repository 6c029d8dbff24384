"""The oracle of the office year's meetings: the notices each meeting must produce.

Imports nothing from `rules/`, `models/` or `officeflow/`: it reads the script
(`Year.extras["meetings"]` and the meeting steps), the org and the oracle's own calendar, and
states what docs/meetings.md promises, its default deadlines (topics 3 working days before the
meeting's day, materials 1, each at 18:00), its step schedule and which steps wait for a
working day included:

Each step: when it falls due → who is told, under which key (``meeting:ID:`` + the suffix):
- call for topics: at registration (next working morning) → heads of the attending
  departments, ``call-for-topics``;
- topic reminder: topic deadline → heads of departments with no topic, ``topic-reminder``;
- approval request: topic deadline, unless approved → chair, office director,
  ``agenda-approval``;
- notice: topic deadline, once approved → attendees, ``notice:seqN`` (N: the sequence then);
- materials reminder: 09:00 of the materials deadline's day → presenters with materials
  missing, ``materials-reminder``;
- materials check: materials deadline → office director, if any are missing,
  ``materials-late``;
- reminders: per the plan (1 working day, 1 hour …) → attendees, ``reminder:LABEL``;
- update: at a reschedule, once the notice went out → attendees, ``notice:seqN``;
- cancel: at a cancellation, if anything went out → attendees and department heads,
  ``cancel``.

Attendees: the chair, the people named and the heads of the attending departments. A reschedule
raises the sequence, moves the deadlines not yet passed to the new defaults (or to now, when
a new default has passed: a meeting moved sooner; never after the meeting), moves every
pending step, re-arms sent reminders whose new time is ahead (``reminder:1h:seq1``). The
working-day steps wait for a working day; the sweep runs every due step of every meeting, and
the actions that register, approve, move or cancel run it too. Minutes end the meeting's steps
and turn their action items into assignments issued by the chair that day (the supervision
oracle then follows them like any other).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

NAME = "meetings"
TOPIC_WORKDAYS = 3  # topics are due at 18:00 three working days before the meeting's day
MATERIALS_WORKDAYS = 1  # materials, one working day before
# Carried out on working days only; the others (hour reminders, updated invitations,
# cancellations) go when due, whatever the day.
WORKDAY_STEPS = frozenset(
    {"call_for_topics", "topic_reminder", "agenda_approval", "notice", "materials_reminder"}
)


def default_deadline(cal: Any, start: dt.datetime, workdays: int) -> dt.datetime:
    """18:00 on the n-th working day before the meeting's (local) day."""
    return cal.office_closes(cal.subtract_workdays(cal.local_date(start), workdays))  # type: ignore[no-any-return]


def topic_deadline(cal: Any, start: dt.datetime) -> dt.datetime:
    return default_deadline(cal, start, TOPIC_WORKDAYS)


def materials_deadline(cal: Any, start: dt.datetime) -> dt.datetime:
    return default_deadline(cal, start, MATERIALS_WORKDAYS)


def on_a_workday(cal: Any, when: dt.datetime) -> dt.datetime:
    """``when`` on a working day; on a day off, 09:00 of the next working day."""
    day = cal.local_date(when)
    return when if cal.is_workday(day) else cal.office_opens(cal.next_workday(day))  # type: ignore[no-any-return]


def reminder_due(cal: Any, start: dt.datetime, before: int, unit: str) -> dt.datetime:
    """``before`` working days (at 09:00 that day), hours or minutes before the start."""
    if unit == "working_days":
        return cal.office_opens(cal.subtract_workdays(cal.local_date(start), before))  # type: ignore[no-any-return]
    if unit == "hours":
        return start - dt.timedelta(hours=before)
    if unit == "minutes":
        return start - dt.timedelta(minutes=before)
    raise AssertionError(f"the oracle does not know the reminder unit {unit!r}")


@dataclass(frozen=True)
class Planned:
    kind: str
    label: str
    due_at: dt.datetime


def schedule(
    cal: Any,
    now: dt.datetime,
    start: dt.datetime,
    topic_due: dt.datetime,
    materials_due: dt.datetime,
    reminders: Any,
) -> list[Planned]:
    """A meeting's steps and when each falls due: the call for topics at once (or the next
    working morning); at the topic deadline (on a working day) the topic reminder, the approval
    request and the notice; the presenters' reminder at 09:00 of the materials deadline's day
    (a working day); the materials check at the materials deadline; the plan's reminders."""
    at_deadline = on_a_workday(cal, topic_due)
    materials_day = cal.local_date(materials_due)
    steps = [
        Planned("call_for_topics", "call-for-topics", on_a_workday(cal, now)),
        Planned("topic_reminder", "topic-reminder", at_deadline),
        Planned("agenda_approval", "agenda-approval", at_deadline),
        Planned("notice", "notice", at_deadline),
        Planned(
            "materials_reminder",
            "materials-reminder",
            on_a_workday(cal, cal.office_opens(materials_day)),
        ),
        Planned("materials_check", "materials-check", materials_due),
    ]
    for label, before, unit in reminders:
        steps.append(
            Planned("reminder", f"reminder:{label}", reminder_due(cal, start, before, unit))
        )
    return sorted(steps, key=lambda s: s.due_at)


@dataclass
class _Step:
    kind: str
    due: dt.datetime
    status: str = "pending"  # pending, done, cancelled


@dataclass
class _Meeting:
    id: int
    plan: Any
    start: dt.datetime
    topic_deadline: dt.datetime
    materials_deadline: dt.datetime
    attendees: list[str]
    status: str = "scheduled"  # scheduled, cancelled, minuted
    sequence: int = 0
    approved: bool = False
    told: bool = False  # a notice of this meeting has gone out
    steps: dict[str, _Step] = field(default_factory=dict)
    topics: dict[str, dict[str, Any]] = field(default_factory=dict)  # department → topic


def _state(oracle: Any) -> dict[Any, _Meeting]:
    if not hasattr(oracle, "meetings"):
        oracle.meetings = {}
    return oracle.meetings  # type: ignore[no-any-return]


def _plans(oracle: Any) -> list[Any]:
    return oracle.year.extras[NAME]  # type: ignore[no-any-return]


def _schedule(oracle: Any, m: _Meeting, now: dt.datetime) -> dict[str, Planned]:
    return {
        s.label: s
        for s in schedule(
            oracle.cal, now, m.start, m.topic_deadline, m.materials_deadline, m.plan.reminders
        )
    }


def _key(m: _Meeting, suffix: str) -> str:
    return f"meeting:{m.id}:{suffix}"


def _tell(oracle: Any, m: _Meeting, suffix: str, people: list[str]) -> None:
    if people:
        oracle.notify(_key(m, suffix), people)
        m.told = True


def _heads(oracle: Any, departments: Any) -> list[str]:
    return [h for d in departments for h in oracle.heads(d)]


def _run(oracle: Any, m: _Meeting, label: str, step: _Step) -> None:
    directors = oracle.with_role("office_director")
    missing = [t for t in m.topics.values() if not t["materials"]]
    kind = step.kind
    if kind == "call_for_topics":
        _tell(oracle, m, "call-for-topics", _heads(oracle, m.plan.departments))
    elif kind == "topic_reminder":
        silent = [d for d in m.plan.departments if d not in m.topics]
        _tell(oracle, m, "topic-reminder", _heads(oracle, silent))
    elif kind == "agenda_approval":
        if not m.approved:
            _tell(oracle, m, "agenda-approval", [m.plan.chair, *directors])
    elif kind in ("notice", "update"):
        _tell(oracle, m, f"notice:seq{m.sequence}", m.attendees)
    elif kind == "materials_reminder":
        _tell(oracle, m, "materials-reminder", [t["presenter"] for t in missing])
    elif kind == "materials_check":
        if missing:
            _tell(oracle, m, "materials-late", directors)
    elif kind == "reminder":
        _tell(oracle, m, label, m.attendees)
    elif kind == "cancel":
        _tell(oracle, m, "cancel", [*m.attendees, *_heads(oracle, m.plan.departments)])
    else:
        raise AssertionError(kind)


def sweep(oracle: Any, now: dt.datetime) -> None:
    """Every due step of every meeting, once; working-day steps wait for a working day and the
    notice for the agenda's approval."""
    workday = oracle.cal.is_workday(oracle.cal.local_date(now))
    for m in _state(oracle).values():
        if m.status != "scheduled" and not any(s.status == "pending" for s in m.steps.values()):
            continue
        for label, s in sorted(m.steps.items(), key=lambda kv: kv[1].due):
            if s.status != "pending" or s.due > now:
                continue
            if not workday and s.kind in WORKDAY_STEPS:
                continue
            if s.kind == "notice" and not m.approved:
                continue
            s.status = "done"
            _run(oracle, m, label, s)


def _create(oracle: Any, step: Any) -> None:
    p = _plans(oracle)[step.ref[1]]
    start = p.start
    attendees = [p.chair, *p.people, *_heads(oracle, p.departments)]
    m = _Meeting(
        id=oracle.next_id("meetings"),
        plan=p,
        start=start,
        topic_deadline=topic_deadline(oracle.cal, start),
        materials_deadline=materials_deadline(oracle.cal, start),
        attendees=list(dict.fromkeys(attendees)),
    )
    for label, s in _schedule(oracle, m, step.at).items():
        if not p.departments and s.kind in ("call_for_topics", "topic_reminder"):
            continue  # nobody to ask
        m.steps[label] = _Step(s.kind, s.due_at)
    _state(oracle)[step.ref] = m
    sweep(oracle, step.at)


def _topic(oracle: Any, step: Any) -> None:
    m = _state(oracle)[step.ref]
    m.topics.setdefault(
        step.args["department"], {"presenter": step.args["presenter"], "materials": False}
    )


def _approve(oracle: Any, step: Any) -> None:
    _state(oracle)[step.ref].approved = True
    sweep(oracle, step.at)


def _materials(oracle: Any, step: Any) -> None:
    _state(oracle)[step.ref].topics[step.args["department"]]["materials"] = True


def _reschedule(oracle: Any, step: Any) -> None:
    m, now, cal = _state(oracle)[step.ref], step.at, oracle.cal
    to = step.args["to"]
    # A deadline not yet passed follows the meeting to its new default, or closes now when
    # that has passed already (a meeting moved sooner): never after the meeting.
    if m.topic_deadline > now:
        m.topic_deadline = max(topic_deadline(cal, to), now)
    if m.materials_deadline > now:
        m.materials_deadline = max(materials_deadline(cal, to), now)
    m.start = to
    m.sequence += 1
    planned = _schedule(oracle, m, now)
    for label, s in list(m.steps.items()):
        base = label.split(":seq")[0]
        if s.status == "pending" and base in planned and base != "call-for-topics":
            s.due = planned[base].due_at
    for label, s in planned.items():
        if s.kind != "reminder" or s.due_at <= now:
            continue
        same = [x for k, x in m.steps.items() if k.split(":seq")[0] == label]
        if same and all(x.status == "done" for x in same):
            m.steps[f"{label}:seq{m.sequence}"] = _Step("reminder", s.due_at)
    if "notice" in m.steps and m.steps["notice"].status == "done":
        m.steps[f"update:seq{m.sequence}"] = _Step("update", now)
    sweep(oracle, now)


def _cancel(oracle: Any, step: Any) -> None:
    m = _state(oracle)[step.ref]
    for s in m.steps.values():
        if s.status == "pending":
            s.status = "cancelled"
    m.status = "cancelled"
    m.sequence += 1
    if m.told:
        m.steps["cancel"] = _Step("cancel", step.at)
    sweep(oracle, step.at)


def _minutes(oracle: Any, step: Any) -> None:
    m = _state(oracle)[step.ref]
    for s in m.steps.values():
        if s.status == "pending":
            s.status = "cancelled"
    m.status = "minuted"
    p = m.plan
    if not p.items:
        return
    day = oracle.cal.local_date(step.at)
    oracle.next_id("decisions")
    for k, item in enumerate(p.items, 1):
        oracle._new_assignment(
            ("ma", p.index, k),
            lead=item.lead,
            owner=item.owner,
            issuer=p.chair,
            co=item.co,
            issued_on=day,
            issued_at=step.at,
            due_on=oracle.cal.add_workdays(day, item.due_in_workdays),
            cycle="none",
        )


def _scheduled_sweep(oracle: Any, step: Any) -> None:
    sweep(oracle, step.at)


ORACLE = {
    "meeting_create": _create,
    "meeting_topic": _topic,
    "meeting_approve": _approve,
    "meeting_materials": _materials,
    "meeting_reschedule": _reschedule,
    "meeting_cancel": _cancel,
    "meeting_minutes": _minutes,
    "meeting_sweep": _scheduled_sweep,
}
