"""The office year's meetings (办会): 2,000 at scale 1, from registration to minutes.

Generator (pure data, from its own random stream and the calendar): each meeting is registered
by the general office some working days ahead, with a chair (a leader), attending departments
(their heads attend and are asked for topics) and sometimes other people, the default reminder
plan or another one. Departments submit topics before the deadline, some after it (accepted by
the office), some never; the chair or the office director approves the agenda before the
deadline, after it, or never; presenters hand in materials early, on the deadline's day, late
or never; some meetings are moved (reschedule) and some cancelled; most held meetings get
minutes whose action items become supervised assignments, each of which then lives like any
other (progress, extensions, completion, verification: the supervision steps of the script).

Player (``PLAY``, ``SWEEPS``): the same service functions the CLI and the flows' tasks call
(`officeflow.meeting`, `officeflow.supervision` for the minutes' decision). The flows that
register, approve, move or cancel a meeting run the meeting sweep at their end; so does the
player, in the action's transaction. The scheduled `meeting-sweep` (every five minutes in
`deployments/definitions.py`) is a ``meeting_sweep`` step at each moment a meeting step can fall
due (all of which are on five-minute marks): at that mark plus 51 s, so it never shares an
instant with another process's step.

Oracle (``ORACLE``): `benchmarks/_year_meetings_oracle.py`, which never imports officeflow.

Instants: meeting actions happen at second 43 of a minute that is 2 past a five-minute mark
(11:07:43), so no action ever falls between a due moment and the sweep that runs it.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from benchmarks._year_meetings_oracle import ORACLE
from benchmarks.office_plan import END, YEAR, Calendar, DecisionPlan, People, Step, _life, at
from rules import meeting as rules

NAME = "meetings"
FULL_MEETINGS = 2000
SWEEP_SECOND = 51
ACT_SECOND = 43
KINDS = ("office", "special_topic", "coordination")
STARTS = (dt.time(9, 0), dt.time(9, 30), dt.time(10, 0), dt.time(14, 30), dt.time(15, 0))
# Reminder plans: (label, before, unit) as `models.meeting_input.Reminder` labels them.
DEFAULT_REMINDERS = (("1wd", 1, "working_days"), ("1h", 1, "hours"))
OTHER_REMINDERS = (
    (("2wd", 2, "working_days"), ("1h", 1, "hours")),
    (("1wd", 1, "working_days"), ("2h", 2, "hours"), ("15m", 15, "minutes")),
)
# Lives the first meetings have whatever the dice say (the others draw theirs).
FORCED = {0: (), 1: ("move",), 2: ("cancel",), 3: ("earlier",), 4: ("move",), 5: ("move", "cancel")}
__all__ = ["NAME", "ORACLE", "PLAY", "SWEEPS", "generate"]


@dataclass(frozen=True)
class ItemPlan:
    """An action item of the minutes (one assignment)."""

    lead: str
    co: tuple[str, ...]
    owner: str | None
    due_in_workdays: int


@dataclass(frozen=True)
class MeetingPlan:
    index: int
    title: str
    kind: str
    chair: str
    start: dt.datetime  # as registered (a reschedule step moves it)
    duration: int
    venue: str
    departments: tuple[str, ...]
    people: tuple[str, ...]
    reminders: tuple[tuple[str, int, str], ...]
    created_by: str
    items: tuple[ItemPlan, ...]  # the minutes' action items (if the minutes are recorded)


def _minute(rng: random.Random, lo: int = 0, hi: int = 11) -> int:
    """A minute 2 past a five-minute mark (never the moment a step falls due)."""
    return 5 * rng.randint(lo, hi) + 2


def _act(rng: random.Random, day: dt.date, hour: int, lo: int = 0, hi: int = 11) -> dt.datetime:
    return at(day, dt.time(hour, _minute(rng, lo, hi)), ACT_SECOND)


def _workdays_between(cal: Calendar, first: dt.date, last: dt.date) -> list[dt.date]:
    out, day = [], first
    while day <= last:
        if cal.is_workday(day):
            out.append(day)
        day += dt.timedelta(days=1)
    return out


def _due_moments(
    cal: Calendar,
    now: dt.datetime,
    start: dt.datetime,
    topic: dt.datetime,
    materials: dt.datetime,
    reminders: tuple[tuple[str, int, str], ...],
) -> set[dt.datetime]:
    return {
        s.due_at
        for s in rules.schedule(
            cal,
            now=now,
            start=start,
            topic_deadline=topic,
            materials_deadline=materials,
            reminders=list(reminders),
        )
        if s.kind != "call_for_topics"  # due at registration: the create flow's own sweep
    }


def generate(
    rng: random.Random, cal: Calendar, people: People, order: Any, scale: float
) -> tuple[list[MeetingPlan], list[Step]]:
    n = max(1, round(FULL_MEETINGS * scale))
    first, last = dt.date(YEAR, 1, 5), dt.date(YEAR, 11, 30)
    reg_days = _workdays_between(cal, first, last)
    office = people.office_staff
    plans: list[MeetingPlan] = []
    steps: list[Step] = []
    due: set[dt.datetime] = set()

    def step(when: dt.datetime, kind: str, ref: Any, **args: Any) -> Step:
        return Step(when, next(order), kind, ref, args)

    for i in range(n):
        ref = ("m", i)
        reg_day = reg_days[rng.randrange(len(reg_days))]
        # The first few meetings fall in the first weeks (a quick run sees them) and are moved,
        # cancelled, or both, whatever the dice say (a small year sees every kind of life).
        forced = FORCED.get(i, ())
        if i < len(FORCED):
            reg_day = reg_days[rng.randrange(30)]
        registered = _act(rng, reg_day, rng.choice((10, 11)))
        start_day = cal.add_workdays(reg_day, rng.randint(5, 15))
        start = at(start_day, rng.choice(STARTS))
        chair = rng.choice(people.leaders)
        depts: tuple[str, ...] = ()
        if rng.random() < 0.9:
            depts = tuple(rng.sample(people.depts, k=min(rng.randint(1, 4), len(people.depts))))
        others = [p for p in (*people.leaders, *office) if p != chair]
        extra = tuple(rng.sample(others, k=rng.randint(0 if depts else 1, 2)))
        reminders = DEFAULT_REMINDERS if rng.random() < 0.8 else rng.choice(OTHER_REMINDERS)
        creator = rng.choice(office)
        topic_deadline = rules.default_topic_deadline(cal, start)
        materials_deadline = rules.default_materials_deadline(cal, start)
        deadline_day = cal.local_date(topic_deadline)
        materials_day = cal.local_date(materials_deadline)
        actions = [step(registered, "meeting_create", ref)]
        due |= _due_moments(cal, registered, start, topic_deadline, materials_deadline, reminders)

        # The agenda: approved before the deadline (every topic in by then), after it, or never.
        approval = rng.choices(("early", "late", "never"), (0.15, 0.75, 0.1))[0]
        approve_at = None
        if approval == "early":
            approve_at = _act(rng, deadline_day, 16)
        elif approval == "late":
            approve_at = _act(rng, cal.add_workdays(deadline_day, rng.choice((1, 1, 2))), 11)
        topics: list[tuple[str, str, dt.datetime]] = []  # (department, presenter, submitted)
        for d in depts:
            fate = rng.choices(("on_time", "late", "none"), (0.65, 0.15, 0.2))[0]
            if fate == "late" and approval == "early":
                fate = "none"
            presenter = rng.choice([people.heads[d], *people.staff_of[d][:3]])
            if fate == "on_time":
                day = rng.choice(_workdays_between(cal, reg_day, deadline_day))
                when = _act(rng, day, 15)
                late_by = None
            elif fate == "late":
                when = _act(rng, cal.add_workdays(deadline_day, 1), 9, 0, 4)
                late_by = rng.choice(office)
            else:
                continue
            topics.append((d, presenter, when))
            actions.append(
                step(
                    when,
                    "meeting_topic",
                    ref,
                    department=d,
                    presenter=presenter,
                    title=f"Topic {i}.{d}",
                    late_by=late_by,
                )
            )
        if approve_at is not None:
            by = chair if rng.random() < 0.6 else "director"
            actions.append(step(approve_at, "meeting_approve", ref, by=by))
        for d, presenter, submitted in topics:
            fate = rng.choices(("early", "deadline_day", "late", "never"), (0.6, 0.2, 0.1, 0.1))[0]
            submitted_day = submitted.date()
            if fate == "early":
                days = _workdays_between(cal, submitted_day, materials_day - dt.timedelta(days=1))
                if not days:
                    fate = "deadline_day"
                else:
                    when = _act(rng, rng.choice(days), 17)
            if fate == "deadline_day":
                when = _act(rng, materials_day, 11)
            elif fate == "late":
                when = _act(rng, cal.add_workdays(materials_day, 1), 8, 0, 5)
            elif fate == "never":
                continue
            actions.append(step(when, "meeting_materials", ref, department=d, by=presenter))

        final_start = start
        if rng.random() < 0.12 or "move" in forced:  # moved to a later day
            window = _workdays_between(
                cal, cal.add_workdays(reg_day, 1), cal.subtract_workdays(start_day, 1)
            )
            if "move" in forced:  # the eve: after the notice and the 1-working-day reminder
                window = window[-1:]
            moved_at = _act(rng, rng.choice(window), 16)
            final_start = at(cal.add_workdays(start_day, rng.randint(1, 5)), rng.choice(STARTS))
            actions.append(
                step(
                    moved_at,
                    "meeting_reschedule",
                    ref,
                    to=final_start,
                    by=rng.choice((chair, *office)),
                )
            )
            topic2 = rules.default_topic_deadline(cal, final_start)
            materials2 = rules.default_materials_deadline(cal, final_start)
            for t in (topic_deadline, topic2):
                for m in (materials_deadline, materials2):
                    due |= _due_moments(cal, moved_at, final_start, t, m, reminders)
        if final_start == start and (rng.random() < 0.03 or "earlier" in forced):
            # Moved to an earlier day, so soon that the new default deadlines have passed.
            day = cal.add_workdays(reg_day, 1)
            moved_at = _act(rng, day, 16)
            final_start = at(cal.add_workdays(day, 2), rng.choice(STARTS))
            actions = [a for a in actions if a.at < moved_at]
            actions.append(
                step(moved_at, "meeting_reschedule", ref, to=final_start, by=rng.choice(office))
            )
            if not any(a.kind == "meeting_approve" for a in actions):
                actions.append(step(_act(rng, day, 17), "meeting_approve", ref, by=chair))
            topic2 = rules.default_topic_deadline(cal, final_start)
            materials2 = rules.default_materials_deadline(cal, final_start)
            for t in (topic_deadline, topic2, moved_at):
                for m in (materials_deadline, materials2, moved_at):
                    due |= _due_moments(cal, moved_at, final_start, t, m, reminders)
        cancelled = None
        if rng.random() < 0.06 or "cancel" in forced:
            window = _workdays_between(cal, reg_day, cal.subtract_workdays(start_day, 1))
            if "move" in forced and "cancel" in forced:  # moved, then cancelled after all
                window = [cal.add_workdays(moved_at.date(), 1)]
            cancelled = _act(rng, rng.choice(window), 17)
            actions = [a for a in actions if a.at < cancelled]
            actions.append(
                step(
                    cancelled,
                    "meeting_cancel",
                    ref,
                    by=rng.choice((chair, *office)),
                    reason="postponed sine die",
                )
            )

        items: list[ItemPlan] = []
        if cancelled is None and rng.random() < 0.7:
            held = final_start.date()
            if final_start.hour < 15:
                minutes_at = _act(rng, held, 16)
            else:
                minutes_at = _act(rng, cal.add_workdays(held, 1), 10)
            pool = list(depts) or people.depts
            for _ in range(rng.choice((0, 1, 2, 2, 3))):
                lead = rng.choice(pool)
                co = tuple(c for c in rng.sample(people.depts, k=1) if c != lead)[
                    : rng.choice((0, 0, 1))
                ]
                owner = rng.choice(people.staff_of[lead]) if rng.random() < 0.5 else None
                items.append(ItemPlan(lead, co, owner, rng.randint(5, 30)))
            if minutes_at <= END:
                actions.append(
                    step(minutes_at, "meeting_minutes", ref, recorded_by=rng.choice(office))
                )
                issued = minutes_at.date()
                decision = DecisionPlan(-1, f"Meeting {i} minutes", chair, issued, "none", ())
                for k, item in enumerate(items, 1):
                    owner = item.owner or people.heads[item.lead]
                    due_on = cal.add_workdays(issued, item.due_in_workdays)
                    actions += _life(
                        rng, cal, order, ("ma", i, k), decision, owner, issued, due_on, office
                    )
        plans.append(
            MeetingPlan(
                i,
                f"Meeting {i}",
                rng.choice(KINDS),
                chair,
                start,
                rng.choice((60, 90, 120)),
                f"Room {rng.randint(1, 12)}",
                depts,
                extra,
                reminders,
                creator,
                tuple(items),
            )
        )
        steps += actions
    for moment in sorted(due):
        if moment.second or moment.minute % 5:
            continue  # the action's own sweep ran it (the deployment's runs are on the 5 minutes)
        when = moment + dt.timedelta(seconds=SWEEP_SECOND)
        if when <= END:
            steps.append(Step(when, next(order), "meeting_sweep"))
    return plans, steps


# --- the player (the product's services, as the CLI and the flows' tasks call them) --------


def _plan(office: Any, step: Step) -> MeetingPlan:
    return office.year.extras[NAME][step.ref[1]]


def _sweep_now(session: Any) -> None:
    """What the action flows do at their end (`flows/meeting.py: _sweep`)."""
    from officeflow import meeting

    meeting.plan_sweep(session)


def _create(office: Any, session: Any, step: Step) -> None:
    from models.meeting_input import MeetingSpec, Reminder
    from officeflow import meeting

    p = _plan(office, step)
    spec = MeetingSpec(
        title=p.title,
        kind=p.kind,
        chair=p.chair,
        start=p.start,
        duration_minutes=p.duration,
        venue=p.venue,
        departments=list(p.departments),
        people=list(p.people),
        reminders=[Reminder(before=before, unit=unit) for _, before, unit in p.reminders],
        created_by=p.created_by,
    )
    record = meeting.create_meeting(session, spec, actor=p.created_by)
    assert record.created, step
    office.ids[step.ref] = record.meeting_id
    _sweep_now(session)


def _topic(office: Any, session: Any, step: Step) -> None:
    from officeflow import meeting

    a = step.args
    # A late topic is the office's to accept: its member is the one who submits it then.
    meeting.submit_topic(
        session,
        meeting_id=office.ids[step.ref],
        department=a["department"],
        title=a["title"],
        presenter=a["presenter"],
        accept_late=a["late_by"] is not None,
        actor=a["late_by"] or a["presenter"],
    )


def _approve(office: Any, session: Any, step: Step) -> None:
    from officeflow import meeting

    meeting.approve_agenda(session, meeting_id=office.ids[step.ref], actor=step.args["by"])
    _sweep_now(session)


def _materials(office: Any, session: Any, step: Step) -> None:
    from officeflow import meeting

    meeting.submit_materials(
        session,
        meeting_id=office.ids[step.ref],
        department=step.args["department"],
        actor=step.args["by"],
    )


def _reschedule(office: Any, session: Any, step: Step) -> None:
    from officeflow import meeting

    meeting.reschedule(
        session, meeting_id=office.ids[step.ref], to=step.args["to"], actor=step.args["by"]
    )
    _sweep_now(session)


def _cancel(office: Any, session: Any, step: Step) -> None:
    from officeflow import meeting

    meeting.cancel(
        session,
        meeting_id=office.ids[step.ref],
        reason=step.args["reason"],
        actor=step.args["by"],
    )
    _sweep_now(session)


def _minutes(office: Any, session: Any, step: Step) -> None:
    """`meeting-record-minutes`: the minutes, then `decision-implementation` with their items."""
    from models.meeting_input import ActionItem
    from officeflow import meeting, supervision

    p = _plan(office, step)
    meeting_id = office.ids[step.ref]
    spec = meeting.record_minutes(
        session,
        meeting_id=meeting_id,
        decisions=[f"Agreed on {p.title}"],
        action_items=[
            ActionItem(
                task=f"Item {p.index}.{k}",
                lead_department=item.lead,
                co_departments=list(item.co),
                owner=item.owner,
                acceptance_standard="A written report",
                due_in_workdays=item.due_in_workdays,
            )
            for k, item in enumerate(p.items, 1)
        ],
        actor=step.args["recorded_by"],
    ).decision
    if spec is None:
        return
    supervision.check_decision(session, spec)
    record = supervision.record_decision(session, spec, actor="system")
    supervision.plan_issue_notices(session, record)
    meeting.link_decision(session, meeting_id=meeting_id, decision_id=record.decision_id)
    for k, assignment_id in enumerate(record.assignment_ids, 1):
        office.ids[("ma", p.index, k)] = assignment_id


def _scheduled_sweep(office: Any) -> None:
    """The `meeting-sweep` deployment's run: every due step, its notices planned (then sent)."""
    from officeflow import db, meeting

    with db.session_scope() as session:
        meeting.plan_sweep(session)


PLAY = {
    "meeting_create": _create,
    "meeting_topic": _topic,
    "meeting_approve": _approve,
    "meeting_materials": _materials,
    "meeting_reschedule": _reschedule,
    "meeting_cancel": _cancel,
    "meeting_minutes": _minutes,
}
SWEEPS = {"meeting_sweep": _scheduled_sweep}
