"""The generated office year: an organisation and a dated script of everything people do in 2026.

Pure data, made from a seed with the working-day calendar (`rules.calendar`, through
`benchmarks/_plan_calendar.py`, imported only by `generate`) and nothing else:
no ledger, no services, no settings. `benchmarks/office_year.py` plays the script against the
product; `benchmarks/office_oracle.py` reads the same script to compute the notices it must
produce. Both walk `Year.timeline` in order; objects are named by references (``Ref``) that each
side maps to its own ids.

Every instant is in the office's zone (Asia/Shanghai). The script keeps instants apart on
purpose so the order of things at "the same moment" rarely matters: incidents are recorded at
second 13 and closed at second 29; the supervision sweep runs at 09:00:00, decisions are issued
at 10:00:00, assignment actions happen at 14:00:00. (An acknowledgement falls on any second; at
the very instant a rung falls due it counts first, for the player and the oracle alike.)
"""

from __future__ import annotations

import datetime as dt
import importlib
import random
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from benchmarks._plan_calendar import Calendar

ZONE = "Asia/Shanghai"
YEAR = 2026
TZ = ZoneInfo(ZONE)
START = dt.datetime(YEAR, 1, 1, 0, 0, tzinfo=TZ)
END = dt.datetime(YEAR, 12, 31, 23, 59, 59, tzinfo=TZ)  # the simulation stops here
SWEEP_AT = dt.time(9, 0)
ISSUE_AT = dt.time(10, 0)
ACT_AT = dt.time(14, 0)
RETRY_AT = dt.time(23, 30)
FULL = {"people": 5000, "departments": 200, "decisions": 20000, "assignments": 100000}
FULL_INCIDENTS = 500
CATEGORIES = ("natural_disaster", "accident", "public_health", "social_security")
# Figures that reach each grade on the default matrix (deaths 30 / 10 / 3).
GRADE_DEATHS = {"I": (30, 40), "II": (10, 29), "III": (3, 9), "IV": (0, 2)}
GRADE_SHARE = (("I", 0.06), ("II", 0.14), ("III", 0.3), ("IV", 0.5))

# A reference to an object both sides name their own way: ("a", decision index, seq) for an
# assignment of a generated decision, ("review", incident index) for an incident's review,
# ("i", incident index) for an incident.
Ref = tuple[Any, ...]


def at(day: dt.date, time: dt.time, second: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, time.hour, time.minute, second, tzinfo=TZ)


@dataclass(frozen=True)
class AssignmentPlan:
    lead: str
    co: tuple[str, ...]
    owner: str | None  # None: the lead department's head
    due_in_workdays: int


@dataclass(frozen=True)
class DecisionPlan:
    index: int
    title: str
    issued_by: str
    issued_on: dt.date
    report_cycle: str
    assignments: tuple[AssignmentPlan, ...]


@dataclass(frozen=True)
class IncidentPlan:
    index: int
    title: str
    category: str
    deaths: int
    department: str
    affected: tuple[str, ...]
    occurred_at: dt.datetime


@dataclass(frozen=True)
class Step:
    """One thing that happens at ``at``: ``kind`` and its arguments."""

    at: dt.datetime
    order: int
    kind: str
    ref: Ref = ()
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class Year:
    scale: float
    seed: int
    org: dict[str, Any]
    decisions: list[DecisionPlan]
    incidents: list[IncidentPlan]
    timeline: list[Step]
    end: dt.datetime = END  # the simulation stops here (a shorter year with --until)
    # The further processes' plans, by the module's NAME ("meetings", "information", …).
    extras: dict[str, list[Any]] = field(default_factory=dict)

    def until(self, end: dt.datetime) -> Year:
        """The same year, stopped at ``end`` (for a quick look)."""
        return Year(
            self.scale,
            self.seed,
            self.org,
            self.decisions,
            self.incidents,
            [s for s in self.timeline if s.at <= end],
            min(end, self.end),
            self.extras,
        )

    @property
    def assignments(self) -> int:
        return sum(len(d.assignments) for d in self.decisions)


@dataclass(frozen=True)
class People:
    """Who is who in the generated organisation, for the further processes' generators."""

    org: dict[str, Any]
    depts: list[str]  # every department but the general office
    heads: dict[str, str]  # department → its head
    staff_of: dict[str, list[str]]  # department → its staff
    leaders: list[str]
    officers: list[str]  # the duty officers
    office_staff: list[str]  # the general office's director and deputy


# The further processes of the year (meetings, information, documents), each a module with:
#   NAME                          the key of its plans in `Year.extras` (and of its JSON count)
#   generate(rng, cal, people, order, scale) -> (plans, steps)
#                                 its objects and its dated steps (its scheduled sweeps too),
#                                 drawn from its own random stream
#   PLAY:   {kind: fn(office, session, step)}   an action, inside the step's transaction
#   SWEEPS: {kind: fn(office)}                  a scheduled process run (its own sessions)
#   ORACLE: {kind: fn(oracle, step)}            the notices the step must produce
# office_year.py sends what is pending after every step and sweep, as the CLI and flows do.
PROCESS_MODULES: tuple[str, ...] = (
    "benchmarks._year_meetings",
    "benchmarks._year_information",
    "benchmarks._year_documents",
)


def processes() -> list[ModuleType]:
    return [importlib.import_module(name) for name in PROCESS_MODULES]


def _plain(day: dt.date) -> dt.date:
    """A standard-library date (pendulum's date arithmetic is about 30 times slower)."""
    return dt.date(day.year, day.month, day.day)


def __getattr__(name: str) -> Any:
    # The script's calendar is the product's (`benchmarks/_plan_calendar.py`), loaded only when
    # the script is generated: the oracle imports this module's plain data and nothing of
    # `rules/` (issue 30; tests/test_oracle_independence.py).
    if name == "Calendar":
        from benchmarks._plan_calendar import Calendar

        return Calendar
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def generate(scale: float, seed: int, incidents: int | None = None) -> Year:
    from benchmarks._plan_calendar import Calendar

    rng = random.Random(seed)
    cal = Calendar()
    n_people = max(60, round(FULL["people"] * scale))
    n_depts = max(4, round(FULL["departments"] * scale))
    n_decisions = max(1, round(FULL["decisions"] * scale))
    n_assignments = max(n_decisions, round(FULL["assignments"] * scale))
    n_incidents = incidents if incidents is not None else max(1, round(FULL_INCIDENTS * scale))
    org, heads, staff_of, leaders, officers, office_staff = _org(rng, n_people, n_depts)
    depts = [d["id"] for d in org["departments"] if not d.get("general_office")]

    workdays = [
        d
        for d in (dt.date(YEAR, 1, 1) + dt.timedelta(days=i) for i in range(365))
        if cal.is_workday(d) and d <= dt.date(YEAR, 11, 30) and d >= dt.date(YEAR, 1, 5)
    ]
    sizes = [1] * n_decisions
    for _ in range(n_assignments - n_decisions):
        sizes[rng.randrange(n_decisions)] += 1
    decisions: list[DecisionPlan] = []
    steps: list[Step] = []
    order = iter(range(10**9))
    for i in range(n_decisions):
        issued_on = workdays[rng.randrange(len(workdays))]
        plans = []
        for _ in range(min(sizes[i], 200)):
            lead = rng.choice(depts)
            co = tuple(d for d in rng.sample(depts, k=min(2, len(depts))) if d != lead)[
                : rng.choice((0, 0, 0, 1))
            ]
            owner = rng.choice(staff_of[lead]) if rng.random() < 0.5 and staff_of[lead] else None
            plans.append(AssignmentPlan(lead, co, owner, rng.randint(10, 60)))
        cycle = rng.choices(("none", "weekly", "monthly"), (0.5, 0.3, 0.2))[0]
        decisions.append(
            DecisionPlan(i, f"Decision {i}", rng.choice(leaders), issued_on, cycle, tuple(plans))
        )
    decisions.sort(key=lambda d: (d.issued_on, d.index))
    for d in decisions:
        steps.append(Step(at(d.issued_on, ISSUE_AT), next(order), "decision", ("d", d.index)))
        for seq, a in enumerate(d.assignments, 1):
            owner = a.owner or heads[a.lead]
            due = cal.add_workdays(d.issued_on, a.due_in_workdays)
            steps += _life(
                rng, cal, order, ("a", d.index, seq), d, owner, d.issued_on, due, office_staff
            )

    incidents: list[IncidentPlan] = []
    grade_pick = [g for g, _ in GRADE_SHARE]
    weights = [w for _, w in GRADE_SHARE]
    span = (dt.datetime(YEAR, 12, 20, tzinfo=TZ) - START).total_seconds()
    for i in range(n_incidents):
        grade = grade_pick[i % 4] if i < 4 else rng.choices(grade_pick, weights)[0]
        lo, hi = GRADE_DEATHS[grade]
        minute = int(rng.uniform(0, span) // 60)
        recorded = START + dt.timedelta(minutes=minute, seconds=13)
        dept = rng.choice(depts)
        affected = tuple(d for d in rng.sample(depts, k=min(3, len(depts))) if d != dept)[
            : rng.randint(0, 2)
        ]
        plan = IncidentPlan(
            i,
            f"Incident {i}",
            rng.choice(CATEGORIES),
            rng.randint(lo, hi),
            dept,
            affected,
            recorded - dt.timedelta(minutes=rng.randint(5, 90)),
        )
        incidents.append(plan)
        steps.append(Step(recorded, next(order), "incident", ("i", i), {"grade": grade}))
        ack_within = {"I": 5, "II": 5, "III": 15, "IV": 30}[grade]
        rounds = {"I": 2, "II": 2, "III": 2, "IV": 1}[grade]
        fate = rng.random()
        if fate < 0.6:  # in time
            ack = recorded + dt.timedelta(seconds=int(ack_within * 60 * rng.uniform(0.1, 0.9)) + 34)
        elif fate < 0.85:  # late: after one or more rungs
            k = rng.randint(1, rounds)
            ack = recorded + dt.timedelta(
                seconds=int(ack_within * 60 * (k + rng.uniform(0.1, 0.9))) + 34
            )
        else:
            ack = None
        if ack is not None:
            steps.append(Step(ack, next(order), "ack", ("i", i), {"person": officers[0]}))
        closed = recorded + dt.timedelta(minutes=rng.randint(6 * 60, 4 * 24 * 60), seconds=16)
        if closed > END:
            continue
        steps.append(Step(closed, next(order), "close", ("i", i), {"actor": office_staff[0]}))
        # The review (复盘) the closure asks for: an assignment due in 5 working days.
        close_day = _plain(closed.date())
        review_due = cal.add_workdays(close_day, 5)
        head = heads[dept]
        ref = ("review", i)
        if rng.random() < 0.8:
            request_day = cal.add_workdays(close_day, rng.randint(2, 4))
        else:
            request_day = cal.add_workdays(review_due, rng.randint(1, 3))
        steps += _finish(rng, cal, order, ref, head, request_day, office_staff, reject=0.0)
        del review_due

    people = People(org, depts, heads, staff_of, leaders, officers, office_staff)
    extras: dict[str, list[Any]] = {}
    for k, module in enumerate(processes(), 1):
        # Each process draws from its own stream: adding one changes nothing of the others.
        plans, more = module.generate(random.Random(seed * 1000 + k), cal, people, order, scale)
        extras[module.NAME] = plans
        steps += more

    day = dt.date(YEAR, 1, 1)
    while day <= dt.date(YEAR, 12, 31):
        if cal.is_workday(day):
            steps.append(Step(at(day, SWEEP_AT), next(order), "sweep"))
        steps.append(Step(at(day, RETRY_AT), next(order), "retry"))
        day += dt.timedelta(days=1)
    steps = [s for s in steps if s.at <= END]
    steps.sort(key=lambda s: (s.at, s.order))
    return Year(scale, seed, org, decisions, incidents, steps, END, extras)


def _org(
    rng: random.Random, n_people: int, n_depts: int
) -> tuple[dict[str, Any], dict[str, str], dict[str, list[str]], list[str], list[str], list[str]]:
    n_leaders = max(3, n_people // 250)
    n_officers = max(2, n_people // 500)
    leaders = [f"l{i:03d}" for i in range(n_leaders)]
    # The office's leader in charge issues its 约稿 (information requests) as decisions.
    departments = [
        {"id": "office", "name": "General Office", "general_office": True, "leader": leaders[0]}
    ]
    people: list[dict[str, Any]] = []

    def person(pid: str, dept: str, roles: list[str]) -> None:
        entry: dict[str, Any] = {
            "id": pid,
            "name": f"Person {pid}",
            "department": dept,
            "roles": roles,
            "email": f"{pid}@example.org",
        }
        if len(people) % 5 == 0:  # one in five also reads the chat webhook
            entry["chat"] = {"webhook": pid}
        people.append(entry)

    for pid in leaders:
        person(pid, "office", ["leader"])
    person("director", "office", ["office_director"])
    person("deputy", "office", ["staff"])  # verifies too: any office member may
    officers = [f"duty{i:02d}" for i in range(n_officers)]
    for pid in officers:
        person(pid, "office", ["duty_officer"])
    heads: dict[str, str] = {}
    staff_of: dict[str, list[str]] = {}
    ids = [f"d{i:03d}" for i in range(1, n_depts)]
    for i, dept in enumerate(ids):
        departments.append(
            {"id": dept, "name": f"Department {dept}", "leader": leaders[i % n_leaders]}
        )
        heads[dept] = f"{dept}h"
        person(heads[dept], dept, ["department_head"])
        staff_of[dept] = []
    i = 0
    while len(people) < n_people:
        dept = ids[i % len(ids)]
        pid = f"{dept}s{len(staff_of[dept]):02d}"
        staff_of[dept].append(pid)
        person(pid, dept, ["staff"])
        i += 1
    org = {
        "organisation": "Simulated City",
        "office_name": "Simulated City General Office",
        # A sweep's reminders to one person go as one message (channels.md, digests).
        "notifications": {"digests": True},
        "departments": departments,
        "people": people,
    }
    return org, heads, staff_of, leaders, officers, ["director", "deputy"]


def _life(
    rng: random.Random,
    cal: Calendar,
    order: Any,
    ref: Ref,
    d: DecisionPlan,
    owner: str,
    issued: dt.date,
    due: dt.date,
    office: list[str],
) -> list[Step]:
    """An assignment's year: progress reports, maybe an extension, completion, verification."""
    steps: list[Step] = []
    n = max(cal.workdays_between(issued, due), 1)
    fate = rng.random()
    if fate < 0.1:
        request_day = cal.add_workdays(issued, max(1, n // 2))  # early
    elif fate < 0.8:
        request_day = cal.add_workdays(issued, max(1, n - rng.randint(0, 3)))  # on time
    elif fate < 0.88:
        request_day = cal.add_workdays(due, rng.randint(1, 3))  # late
    else:  # asks for more time first
        ask = cal.add_workdays(issued, max(1, n - 2))
        new_due = cal.add_workdays(due, 10)
        decide = cal.add_workdays(ask, 1)
        approve = rng.random() < 0.8
        steps.append(
            Step(at(ask, ACT_AT), next(order), "extend", ref, {"new_due": new_due, "by": owner})
        )
        steps.append(
            Step(
                at(decide, ACT_AT),
                next(order),
                "decide",
                ref,
                {"approve": approve, "by": d.issued_by},
            )
        )
        if approve:
            request_day = cal.subtract_workdays(new_due, rng.randint(0, 3))
            request_day = max(request_day, cal.add_workdays(decide, 1))
        else:
            request_day = cal.add_workdays(due, rng.randint(1, 3))
    if request_day.month == 12 and rng.random() < 0.1:
        request_day = dt.date(YEAR + 1, 1, 15)  # still open at the end of the year
    # A weekly report every week (5 working days), a monthly one every 20 working days, and
    # without a cycle every two weeks; past a holiday a report can come late (a yellow light).
    cadence = {"weekly": 5, "monthly": 20}.get(d.report_cycle, 10)
    lagging = rng.random() < 0.05
    day = cal.add_workdays(issued, 1)  # a first word the next working day
    while day < request_day and day <= dt.date(YEAR, 12, 31):
        done = cal.workdays_between(issued, day)
        # Ahead of the planned pace until the next report (or behind, for the laggards).
        ahead = int(100 * (done + cadence) / n) + rng.randint(0, 8)
        pct = min(95, max(0, ahead - (40 if lagging else 0)))
        steps.append(
            Step(at(day, ACT_AT), next(order), "progress", ref, {"progress": pct, "by": owner})
        )
        day = cal.add_workdays(day, cadence)
    steps += _finish(rng, cal, order, ref, owner, request_day, office, reject=0.1)
    return steps


def _finish(
    rng: random.Random,
    cal: Calendar,
    order: Any,
    ref: Ref,
    owner: str,
    request_day: dt.date,
    office: list[str],
    *,
    reject: float,
) -> list[Step]:
    """A completion request and its verification (a rejection first, sometimes)."""
    steps = [Step(at(request_day, ACT_AT), next(order), "complete", ref, {"by": owner})]
    verify_day = cal.add_workdays(request_day, 1)
    if rng.random() < reject:
        steps.append(
            Step(
                at(verify_day, ACT_AT),
                next(order),
                "verify",
                ref,
                {"accept": False, "by": rng.choice(office)},
            )
        )
        request_day = cal.add_workdays(verify_day, 1)
        steps.append(Step(at(request_day, ACT_AT), next(order), "complete", ref, {"by": owner}))
        verify_day = cal.add_workdays(request_day, 1)
    steps.append(
        Step(
            at(verify_day, ACT_AT),
            next(order),
            "verify",
            ref,
            {"accept": True, "by": rng.choice(office)},
        )
    )
    return steps
