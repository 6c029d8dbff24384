"""The oracle of the office year: every notice 2026 must produce, from the script alone.

Input: the generated `Year` (its org and its timeline), the office's configuration files
(`officeflow/config/response_plan.yaml` and `grading_matrix.yaml`, read as YAML by this module,
the data the office is given) and nothing of the product's code. It imports nothing from
`rules/`, `officeflow/` or `models/` (issue 30; `tests/test_oracle_independence.py` imports the
oracle modules in a fresh interpreter and checks): the working-day calendar is its own table of
the State Council's notices (`benchmarks/_year_calendar_oracle.py`), and the lights, the
reminder keys, the incident grades, the escalation ladders and the reporting deadlines are
stated here again from the docs (docs/supervision.md, docs/emergency.md), so that a wrong rule
in the product shows up as a difference instead of being wrong on both sides.

Output: a set of (business key, recipient, channel). Ids in keys (assignment 17, completion
request 4, incident 3) are predicted the way a fresh ledger numbers rows: in the order the
script creates them.

What it assumes about the schedule (the same the deployments promise): the supervision sweep
runs at 09:00 and lights and reminds on working days only; the emergency watchdog runs at every
instant something is due (a rung, a reminder); nothing fails, so every planned delivery is sent
once.
"""

from __future__ import annotations

import datetime as dt
import importlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from benchmarks._year_calendar_oracle import OracleCalendar
from benchmarks.office_plan import PROCESS_MODULES, YEAR, Step, Year

CONFIG = Path(__file__).resolve().parent.parent / "officeflow" / "config"
Notice = tuple[str, str, str]  # (key, person, channel)


def oracle_halves() -> list[ModuleType]:
    """The further processes' oracle halves: ``<process module>_oracle``, each with its
    ``ORACLE`` table (kind → fn(oracle, step)); never the process modules themselves, which
    play the year through the product."""
    return [importlib.import_module(f"{name}_oracle") for name in PROCESS_MODULES]


# --- the supervision lights (docs/supervision.md, "The supervision sweep") ------------------

PACE_GAP = 10  # yellow: reported progress trails the planned pace by 10 points or more
FEEDBACK_DAYS = {"weekly": 7, "monthly": 30}  # yellow: no feedback within the report cycle
BLUE_WORKDAYS = 3  # blue: due within 3 working days (remind_before_workdays)
RED_REPEAT = 1  # red: a new reminder every working day overdue (red_repeat_workdays)


def light_and_key(cal: OracleCalendar, now: dt.datetime, a: _Assignment) -> tuple[str, str | None]:
    """The light of an open assignment at a working-day sweep and the reminder it is owed."""
    today = cal.local_date(now)
    allowed = max(cal.workdays_between(a.issued_on, a.due_on), 1)
    passed = max(cal.workdays_between(a.issued_on, today) - 1, 0)  # fully passed: not today
    planned = min(100, 100 * passed // allowed)
    heard = a.last_feedback or a.issued_at
    window = FEEDBACK_DAYS.get(a.cycle)
    silent = window is not None and heard < now - dt.timedelta(days=window)
    if now > a.due_at:
        light = "red"
    elif planned - a.progress >= PACE_GAP or silent:
        light = "yellow"
    elif a.due_on <= cal.add_workdays(today, BLUE_WORKDAYS):
        light = "blue"
    else:
        light = "green"
    if light == "green" or a.status == "requested":  # awaiting verification: lit, not reminded
        return light, None
    if light == "red":
        period = max(cal.workdays_between(a.due_on, today) - 1, 0) // RED_REPEAT
        return light, f"assignment:{a.id}:red:{a.due_on.isoformat()}:{period}"
    if light == "yellow":
        year, week, _ = today.isocalendar()
        return light, f"assignment:{a.id}:yellow:{year}-W{week:02d}"
    return light, f"assignment:{a.id}:blue:{a.due_on.isoformat()}"


# --- the emergency plan (docs/emergency.md): grades, ladders, the reporting clock -----------

GRADES = ("I", "II", "III", "IV")  # most severe first
FIGURES = ("deaths", "serious_injuries", "direct_loss_cny")
_UNIT = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


def duration(value: Any) -> dt.timedelta | None:
    """A duration as the plan writes it: ``30m``, ``1h``, ``7d``, ``90s`` or seconds."""
    if value is None:
        return None
    if isinstance(value, int | float):
        return dt.timedelta(seconds=value)
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(s|min|m|h|d)\s*", str(value))
    if match is None:
        raise ValueError(f"the oracle cannot read the duration {value!r}")
    return dt.timedelta(seconds=float(match[1]) * _UNIT[match[2]])


def grade_of(matrix: dict[str, Any], category: str, figures: dict[str, int]) -> str:
    """The most severe grade any one figure reaches (thresholds are minimums); IV below III.
    A category without a table of its own uses ``default``."""
    table = (matrix.get("categories") or {}).get(category) or matrix["default"]
    for grade in GRADES[:3]:
        limits = table[grade] or {}
        if any(limits.get(f) is not None and figures.get(f, 0) >= limits[f] for f in FIGURES):
            return grade
    return "IV"


def rungs(gp: dict[str, Any]) -> list[tuple[int, list[str], list[str]]]:
    """(rung, audiences, people): rung 0 is the first notice, rung k the k-th escalation, each
    group the one before plus the ladder's k-th ``add``; past the ladder's end the whole group
    is alerted again, up to ``rounds`` escalations."""
    audiences = list(dict.fromkeys(gp["notify"]))
    people = list(dict.fromkeys(gp.get("people") or []))
    out = [(0, list(audiences), list(people))]
    ladder = gp.get("ladder") or []
    for k in range(1, int(gp.get("rounds") or 0) + 1):
        if k <= len(ladder):
            audiences += [a for a in ladder[k - 1].get("add") or [] if a not in audiences]
            people += [p for p in ladder[k - 1].get("people") or [] if p not in people]
        out.append((k, list(audiences), list(people)))
    return out


@dataclass(frozen=True)
class _Clock:
    """The reporting clock of a grade, counted from the moment the incident is recorded."""

    phone_within: dt.timedelta | None
    written_within: dt.timedelta | None
    follow_up_every: dt.timedelta | None
    final_within: dt.timedelta | None
    remind_before: dt.timedelta

    @classmethod
    def of(cls, gp: dict[str, Any]) -> _Clock:
        r = gp.get("reporting") or {}
        return cls(
            duration(r.get("phone_within")),
            duration(r.get("written_within")),
            duration(r.get("follow_up_every")),
            duration(r.get("final_within")),
            duration(r.get("remind_before")) or dt.timedelta(minutes=10),
        )

    def reminder(self, due: dt.datetime, start: dt.datetime) -> dt.datetime:
        """The duty officer is reminded ``remind_before`` a deadline, never before its clock
        starts."""
        return max(due - self.remind_before, start)


@dataclass
class _Assignment:
    id: int
    lead: str
    owner: str
    issuer: str
    co: tuple[str, ...]
    issued_on: dt.date
    issued_at: dt.datetime
    due_on: dt.date
    due_at: dt.datetime
    cycle: str
    progress: int = 0
    last_feedback: dt.datetime | None = None
    status: str = "open"  # open, requested, closed
    completion: int | None = None  # the pending completion request's id
    extension: tuple[int, dt.date] | None = None  # the pending extension (id, new date)


@dataclass
class Oracle:
    """Walks the script and collects the notices (key → recipients) it must produce."""

    year: Year
    cal: OracleCalendar = field(default_factory=OracleCalendar)
    notices: dict[str, list[str]] = field(default_factory=dict)
    channels_of: dict[str, list[str]] = field(default_factory=dict)
    notice_channels: dict[str, list[str] | None] = field(default_factory=dict)
    roles: dict[str, set[str]] = field(default_factory=dict)
    dept_of: dict[str, str] = field(default_factory=dict)
    leader_of: dict[str, str | None] = field(default_factory=dict)
    office: str = ""
    assignments: dict[Any, _Assignment] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)
    # What the charts and the docs may want: the lights each sweep saw (not a notice).
    lights: list[tuple[dt.date, dict[str, int]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        org = self.year.org
        for d in org["departments"]:
            self.leader_of[d["id"]] = d.get("leader")
            if d.get("general_office"):
                self.office = d["id"]
        for p in org["people"]:
            self.roles[p["id"]] = set(p["roles"])
            self.dept_of[p["id"]] = p["department"]
            reach = ["email"] if p.get("email") else []
            reach += [c for c, v in (p.get("chat") or {}).items() if v]
            self.channels_of[p["id"]] = sorted(reach)
        # The configuration the office is given (the year does not override it), as data.
        self.plan = yaml.safe_load((CONFIG / "response_plan.yaml").read_text(encoding="utf-8"))
        self.matrix = yaml.safe_load((CONFIG / "grading_matrix.yaml").read_text(encoding="utf-8"))
        self.decisions = {d.index: d for d in self.year.decisions}
        self.incidents = {i.index: i for i in self.year.incidents}
        self.incident_ids: dict[int, int] = {}
        self._pending_close: dict[int, tuple[int, _Clock, list[str] | None]] = {}

    # --- who is who ------------------------------------------------------------------------

    def with_role(self, role: str, dept: str | None = None) -> list[str]:
        return sorted(
            p
            for p, r in self.roles.items()
            if role in r and (dept is None or self.dept_of[p] == dept)
        )

    def heads(self, dept: str) -> list[str]:
        return self.with_role("department_head", dept)

    def duty_officers(self) -> list[str]:
        return self.with_role("duty_officer", self.office) or self.with_role("duty_officer")

    # --- notices ---------------------------------------------------------------------------

    def notify(self, key: str, people: list[str], channels: list[str] | None = None) -> None:
        """Once per key: a key planned again adds nothing (the ledger's unique key)."""
        if key not in self.notices:
            self.notices[key] = list(dict.fromkeys(people))
            self.notice_channels[key] = channels

    def expected(self) -> set[Notice]:
        out: set[Notice] = set()
        for key, people in self.notices.items():
            wanted = self.notice_channels.get(key)
            for person in people:
                for channel in self.channels_of[person]:
                    if wanted is None or channel in wanted:
                        out.add((key, person, channel))
        return out

    def next_id(self, table: str) -> int:
        self.ids[table] = self.ids.get(table, 0) + 1
        return self.ids[table]

    # --- the walk --------------------------------------------------------------------------

    def run(self) -> set[Notice]:
        further = {kind: fn for m in oracle_halves() for kind, fn in m.ORACLE.items()}
        for step in self.year.timeline:
            if step.kind in further:
                further[step.kind](self, step)
            else:
                getattr(self, f"_{step.kind}")(step)
        return self.expected()

    def _retry(self, step: Step) -> None:  # nothing fails: nothing to retry
        pass

    def _new_assignment(
        self,
        ref: Any,
        *,
        lead: str,
        owner: str | None,
        issuer: str,
        co: tuple[str, ...],
        issued_on: dt.date,
        issued_at: dt.datetime,
        due_on: dt.date,
        cycle: str,
    ) -> _Assignment:
        a = _Assignment(
            id=self.next_id("assignments"),
            lead=lead,
            owner=owner or self.heads(lead)[0],
            issuer=issuer,
            co=co,
            issued_on=issued_on,
            issued_at=issued_at,
            due_on=due_on,
            due_at=self.cal.office_closes(due_on),
            cycle=cycle,
        )
        self.assignments[ref] = a
        people = [a.owner, *self.heads(lead)]
        for c in co:
            people += self.heads(c)
        self.notify(f"assignment:{a.id}:issued", people)
        return a

    def _decision(self, step: Step) -> None:
        d = self.decisions[step.ref[1]]
        self.next_id("decisions")
        for seq, plan in enumerate(d.assignments, 1):
            self._new_assignment(
                ("a", d.index, seq),
                lead=plan.lead,
                owner=plan.owner,
                issuer=d.issued_by,
                co=plan.co,
                issued_on=d.issued_on,
                issued_at=step.at,  # issued today: the moment it was recorded
                due_on=self.cal.add_workdays(d.issued_on, plan.due_in_workdays),
                cycle=d.report_cycle,
            )

    def _progress(self, step: Step) -> None:
        a = self.assignments[step.ref]
        a.progress, a.last_feedback = step.args["progress"], step.at

    def _complete(self, step: Step) -> None:
        a = self.assignments[step.ref]
        a.status, a.completion = "requested", self.next_id("completion_requests")
        office_directors = self.with_role("office_director")
        self.notify(f"assignment:{a.id}:completion:{a.completion}:requested", office_directors)

    def _verify(self, step: Step) -> None:
        a = self.assignments[step.ref]
        people = [a.owner, *self.heads(a.lead)]
        if step.args["accept"]:
            a.status, a.progress = "closed", 100
            self.notify(f"assignment:{a.id}:closed", people)
        else:
            a.status = "open"
            self.notify(f"assignment:{a.id}:completion:{a.completion}:rejected", people)

    def _extend(self, step: Step) -> None:
        a = self.assignments[step.ref]
        a.extension = (self.next_id("extension_requests"), step.args["new_due"])
        self.notify(f"assignment:{a.id}:extension:{a.extension[0]}:requested", [a.issuer])

    def _decide(self, step: Step) -> None:
        a = self.assignments[step.ref]
        assert a.extension is not None
        request, new_due = a.extension
        a.extension = None
        if step.args["approve"]:
            a.due_on, a.due_at = new_due, self.cal.office_closes(new_due)
        outcome = "approved" if step.args["approve"] else "refused"
        self.notify(
            f"assignment:{a.id}:extension:{request}:{outcome}", [a.owner, *self.heads(a.lead)]
        )

    def _sweep(self, step: Step) -> None:
        """The 09:00 sweep: on a working day (by the oracle's own table), the light of every
        assignment not closed, and a reminder for each whose light owes one."""
        if not self.cal.is_workday(self.cal.local_date(step.at)):
            return
        counts: dict[str, int] = {}
        for a in self.assignments.values():
            if a.status == "closed":
                continue
            light, key = light_and_key(self.cal, step.at, a)
            counts[light] = counts.get(light, 0) + 1
            if key is None:
                continue
            people = [a.owner]
            if light in ("yellow", "red"):
                people += self.heads(a.lead)
            if light == "red":
                people.append(a.issuer)
            self.notify(key, people)
        self.lights.append((step.at.date(), counts))

    # --- incidents: computed whole when recorded, from the response plan -------------------

    def _incident(self, step: Step) -> None:
        i = self.incidents[step.ref[1]]
        incident_id = self.next_id("incidents")
        self.incident_ids[i.index] = incident_id
        grade = grade_of(self.matrix, i.category, {"deaths": i.deaths})
        assert grade == step.args["grade"], (grade, step)
        gp = self.plan["grades"][grade]
        clock = _Clock.of(gp)  # the year's incidents name no jurisdiction
        channels = list(gp["channels"]) if gp.get("channels") is not None else None
        ack_within = duration(gp["ack_within"])
        assert ack_within is not None
        departments = list(dict.fromkeys([i.department, *i.affected]))
        t0 = step.at
        ack = self._first(step, "ack")
        close = self._first(step, "close")
        for rung, audiences, named in rungs(gp):
            # Rung k falls due k × ack_within after recording (the watchdog runs at each due
            # moment, and each rung sets the next one ack_within later); an acknowledgement or
            # the closure before then cancels it.
            fires = t0 + rung * ack_within
            if rung and any(x is not None and fires >= x for x in (ack, close)):
                continue
            if fires > self.year.end:
                continue
            key = (
                f"incident:{incident_id}:initial"
                if rung == 0
                else f"incident:{incident_id}:rung:{rung}"
            )
            self.notify(key, [*self._audience(audiences, departments), *named], channels)
        open_until = close or self.year.end
        officers = self.duty_officers()
        reminders: list[tuple[str, int, dt.datetime]] = []  # (kind, number, remind at)
        if clock.phone_within is not None:
            reminders.append(("phone", 0, clock.reminder(t0 + clock.phone_within, t0)))
        if clock.written_within is not None:
            reminders.append(("initial", 0, clock.reminder(t0 + clock.written_within, t0)))
        if clock.follow_up_every is not None:
            # 续报 n falls due n intervals after the initial report's deadline (or recording).
            anchor, n = t0 + (clock.written_within or dt.timedelta()), 1
            while True:
                start = anchor + (n - 1) * clock.follow_up_every
                remind = clock.reminder(anchor + n * clock.follow_up_every, start)
                if not (remind < open_until and remind <= self.year.end):
                    break
                reminders.append(("follow_up", n, remind))
                n += 1
        for kind, number, remind_at in reminders:
            if remind_at < open_until and remind_at <= self.year.end:
                self.notify(
                    f"incident:{incident_id}:report:{kind}:{number}:reminder", officers, channels
                )
        self._pending_close[i.index] = (incident_id, clock, channels)

    def _first(self, step: Step, kind: str) -> dt.datetime | None:
        """When the script acknowledges (closes) this incident, if it does in 2026."""
        index = getattr(self, "_by_ref", None)
        if index is None:
            index = {}
            for s in self.year.timeline:
                index.setdefault((s.kind, s.ref), s.at)
            self._by_ref = index
        return index.get((kind, step.ref))

    def _audience(self, audiences: list[str], departments: list[str]) -> list[str]:
        out: list[str] = []
        for audience in audiences:
            if audience == "duty_officer":  # no duty roster in the year: every duty officer
                out += self.duty_officers()
            elif audience in ("leader_on_duty", "office_director"):  # no roster: the director
                out += self.with_role("office_director")
            elif audience == "leader_in_charge":
                out += sorted({self.leader_of[d] for d in departments if self.leader_of.get(d)})
            elif audience == "affected_departments":
                for d in departments:
                    out += self.heads(d)
            elif audience == "all_leaders":
                out += self.with_role("leader")
            else:
                raise AssertionError(f"the oracle does not know the audience {audience!r}")
        return out

    def _ack(self, step: Step) -> None:  # the ladder stops: handled when recorded
        pass

    def _close(self, step: Step) -> None:
        i = self.incidents[step.ref[1]]
        incident_id, clock, channels = self._pending_close[i.index]
        officers = self.duty_officers()
        if clock.final_within is not None:  # 终报: due final_within after the closure
            self.notify(
                f"incident:{incident_id}:final:request",
                officers + self.heads(i.department),
                channels,
            )
            if clock.reminder(step.at + clock.final_within, step.at) <= self.year.end:
                self.notify(f"incident:{incident_id}:report:final:0:reminder", officers, channels)
        # The review (复盘): a decision by the department's leader in charge, due in 5 working
        # days, issued now.
        day = self.cal.local_date(step.at)
        self.next_id("decisions")
        leader = self.leader_of.get(i.department) or self.with_role("leader")[0]
        self._new_assignment(
            ("review", i.index),
            lead=i.department,
            owner=None,
            issuer=leader,
            co=(),
            issued_on=day,
            issued_at=step.at,
            due_on=self.cal.add_workdays(day, 5),
            cycle="none",
        )


def expected_notices(year: Year) -> tuple[set[Notice], Oracle]:
    oracle = Oracle(year)
    return oracle.run(), oracle


assert YEAR == 2026
