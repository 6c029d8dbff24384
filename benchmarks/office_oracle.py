"""The oracle of the office year: every notice 2026 must produce, from the script alone.

Input: the generated `Year` (its org and its timeline), the working-day calendar and the pure
rules (`rules.supervision`, `rules.response_plan`, `rules.grading`). It never reads the ledger
and imports nothing from `officeflow` (the services, the sweep SQL, `officeflow.delivery`): it
is a second, independent statement of what the office promises, so that a bug in the product
shows up as a difference.

Output: a set of (business key, recipient, channel). Ids in keys (assignment 17, completion
request 4, incident 3) are predicted the way a fresh ledger numbers rows: in the order the
script creates them.

What it assumes about the schedule (the same the deployments promise): the supervision sweep
runs at 09:00 on every working day; the emergency watchdog runs at every instant something is
due (a rung, a reminder); nothing fails, so every planned delivery is sent once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from benchmarks.office_plan import YEAR, Calendar, Step, Year, processes
from rules.grading import Category, GradingMatrix, grade_incident
from rules.response_plan import (
    Audience,
    ResponsePlan,
    final_deadline,
    follow_up_anchor,
    ladder,
    opening_deadlines,
)
from rules.supervision import AssignmentFacts, assess

CONFIG = Path(__file__).resolve().parent.parent / "officeflow" / "config"
Notice = tuple[str, str, str]  # (key, person, channel)


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
    cal: Calendar = field(default_factory=Calendar)
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
        self.plan = ResponsePlan.model_validate(
            yaml.safe_load((CONFIG / "response_plan.yaml").read_text())
        )
        self.matrix = GradingMatrix.model_validate(
            yaml.safe_load((CONFIG / "grading_matrix.yaml").read_text())
        )
        self.decisions = {d.index: d for d in self.year.decisions}
        self.incidents = {i.index: i for i in self.year.incidents}
        self.incident_ids: dict[int, int] = {}

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
        further = {kind: fn for m in processes() for kind, fn in m.ORACLE.items()}
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
            due_at=self.cal.end_of_office_hours(due_on),
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
            a.due_on, a.due_at = new_due, self.cal.end_of_office_hours(new_due)
        outcome = "approved" if step.args["approve"] else "refused"
        self.notify(
            f"assignment:{a.id}:extension:{request}:{outcome}", [a.owner, *self.heads(a.lead)]
        )

    def _sweep(self, step: Step) -> None:
        """The 09:00 sweep of a working day: `rules.supervision.assess` for every assignment
        not closed; a reminder for each open one whose light owes one."""
        counts: dict[str, int] = {}
        for a in self.assignments.values():
            if a.status == "closed":
                continue
            facts = AssignmentFacts(
                id=a.id,
                issued_on=a.issued_on,
                issued_at=a.issued_at,
                due_on=a.due_on,
                due_at=a.due_at,
                progress=a.progress,
                last_feedback_at=a.last_feedback,
                report_cycle=a.cycle,
                awaiting_verification=a.status == "requested",
            )
            result = assess(self.cal, step.at, facts)
            counts[result.light.value] = counts.get(result.light.value, 0) + 1
            if result.reminder_key is None:
                continue
            people = [a.owner]
            if result.light.value in ("yellow", "red"):
                people += self.heads(a.lead)
            if result.light.value == "red":
                people.append(a.issuer)
            self.notify(result.reminder_key, people)
        self.lights.append((step.at.date(), counts))

    # --- incidents: computed whole when recorded, from the response plan -------------------

    def _incident(self, step: Step) -> None:
        i = self.incidents[step.ref[1]]
        incident_id = self.next_id("incidents")
        self.incident_ids[i.index] = incident_id
        grading = grade_incident(
            self.matrix,
            Category(i.category),
            deaths=i.deaths,
            serious_injuries=0,
            direct_loss_cny=0,
        )
        assert grading.grade.value == step.args["grade"], (grading, step)
        gp = self.plan.for_grade(grading.grade)
        clock = self.plan.clock(grading.grade, None)
        channels = [c.value for c in gp.channels] if gp.channels is not None else None
        departments = list(dict.fromkeys([i.department, *i.affected]))
        t0 = step.at
        ack = self._first(step, "ack")
        close = self._first(step, "close")
        for spec in ladder(gp):
            # Rung k falls due k × ack_within after recording (the watchdog runs at each due
            # moment, and each rung sets the next one ack_within later); an acknowledgement or
            # the closure before then cancels it.
            fires = t0 + spec.rung * gp.ack_within
            if spec.rung and any(x is not None and fires >= x for x in (ack, close)):
                continue
            if fires > self.year.end:
                continue
            key = (
                f"incident:{incident_id}:initial"
                if spec.rung == 0
                else (f"incident:{incident_id}:rung:{spec.rung}")
            )
            self.notify(key, self._audience(spec, departments), channels)
        open_until = close or self.year.end
        officers = self.duty_officers()
        deadlines = list(opening_deadlines(clock, t0))
        if clock.follow_up_every is not None:
            anchor, n = follow_up_anchor(clock, t0), 1
            while True:
                start = anchor + (n - 1) * clock.follow_up_every
                due = anchor + n * clock.follow_up_every
                remind = max(due - clock.remind_before, start)
                if not (remind < open_until and remind <= self.year.end):
                    break
                deadlines.append(_Deadline("follow_up", n, remind))
                n += 1
        for d in deadlines:
            kind = getattr(d.kind, "value", d.kind)
            if d.remind_at < open_until and d.remind_at <= self.year.end:
                self.notify(
                    f"incident:{incident_id}:report:{kind}:{d.number}:reminder", officers, channels
                )
        self._pending_close = getattr(self, "_pending_close", {})
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

    def _audience(self, spec: Any, departments: list[str]) -> list[str]:
        out: list[str] = []
        for audience in spec.audiences:
            if audience is Audience.DUTY_OFFICER:
                out += self.duty_officers()
            elif audience in (Audience.LEADER_ON_DUTY, Audience.OFFICE_DIRECTOR):
                out += self.with_role("office_director")
            elif audience is Audience.LEADER_IN_CHARGE:
                out += sorted({self.leader_of[d] for d in departments if self.leader_of.get(d)})
            elif audience is Audience.AFFECTED_DEPARTMENTS:
                for d in departments:
                    out += self.heads(d)
            elif audience is Audience.ALL_LEADERS:
                out += self.with_role("leader")
        return [*out, *spec.people]

    def _ack(self, step: Step) -> None:  # the ladder stops: handled when recorded
        pass

    def _close(self, step: Step) -> None:
        i = self.incidents[step.ref[1]]
        incident_id, clock, channels = self._pending_close[i.index]
        officers = self.duty_officers()
        final = final_deadline(clock, step.at)
        if final is not None:
            self.notify(
                f"incident:{incident_id}:final:request",
                officers + self.heads(i.department),
                channels,
            )
            if final.remind_at <= self.year.end:
                self.notify(f"incident:{incident_id}:report:final:0:reminder", officers, channels)
        # The review (复盘): a decision by the department's leader in charge, due in 5 working
        # days, issued now.
        day = step.at.date()
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


@dataclass(frozen=True)
class _Deadline:
    kind: str
    number: int
    remind_at: dt.datetime


def expected_notices(year: Year) -> tuple[set[Notice], Oracle]:
    oracle = Oracle(year)
    return oracle.run(), oracle


assert YEAR == 2026
