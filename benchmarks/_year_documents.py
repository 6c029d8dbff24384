"""办文 in the office year: incoming documents (收文) registered and routed through 拟办, 批示 and
分办 to the handling departments, whose work (承办) is supervised assignments; outgoing
documents (发文) drafted, checked (核稿, sometimes returned and redrafted), co-signed (会签),
signed off (签发), issued (印发) and confirmed (签收); filing (归档); and the `documents-sweep`
deployment's reminders of every step past its deadline.

Full-scale volumes (a city government's general office), scaled like the others with
``max(1, round(N * scale))``:

- 4,000 documents a year: 2,400 incoming, 1,600 outgoing; 10 % 特急, 30 % 加急, 60 % 平件;
- incoming: 拟办 to one leader (55 %), two leaders in sequence or in parallel (30 %), or none
  (15 %, straight to 分办); 45 % of the documents get tasks in a leader's comment (a supervision
  decision; the first or the second leader's), the others are distributed (分办) to one or two
  departments, except one in five read and filed (阅件: its open 分办 step is closed); every
  assignment is asked to be closed and verified (10 % rejected once, 15 % late); 60 % are
  filed later;
- outgoing: 20 % returned at 核稿 with a comment and redrafted; zero to two departments co-sign;
  the signer signs off; the office issues to one to four departments, of which 70 % confirm the
  same day, 20 % one to three working days late and 10 % never; 90 % are filed a week or two
  after issue (which ends the 签收 reminders);
- every route step is taken in time 85 % of the time and one to three working days late
  otherwise, so the 09:00 sweep reminds (once per red period);
- the sweep runs at 09:00 on every working day (the deployment's schedule; it skips days off).

Instants (apart from the other processes'): document actions at second 47 (office hours), the
sweep at 09:00:37; the assignments' completion and verification are supervision steps at 14:00.

The player half calls the services the flows' tasks and the CLI call (`officeflow.documents`);
the oracle half is `benchmarks/_year_documents_oracle.py`, which never imports officeflow.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from benchmarks import _year_documents_oracle as oracle_half
from benchmarks.office_plan import TZ, YEAR, Calendar, People, Step, _finish, _plain
from models.documents import Urgency
from rules.documents import assignment_workdays, step_deadline

NAME = "documents"
FULL_INCOMING = 2_400
FULL_OUTGOING = 1_600
ACT_S = 47
SWEEP_AT = dt.time(9, 0, 37)
URGENCIES = (("extra_urgent", 0.1), ("urgent", 0.3), ("normal", 0.6))
TYPES = ("通知", "通报", "意见", "报告", "请示", "函", "批复")
SERIES = ("X府办发", "X府办函", "X政办发")
CLOSE = dt.time(17, 50)


@dataclass(frozen=True)
class DocumentPlan:
    index: int
    direction: str  # incoming, outgoing
    urgency: str


def _at(day: dt.date, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, ACT_S, tzinfo=TZ)


class _Clock:
    """Picks when people act: on a working day, in office hours, after the previous step, in
    time for the step's deadline (or late, sometimes)."""

    def __init__(self, rng: random.Random, cal: Calendar) -> None:
        self.rng, self.cal = rng, cal

    def random_time(self, day: dt.date, after: dt.datetime | None = None) -> dt.datetime:
        lo = 9 * 60 + 5
        if after is not None and _plain(after.date()) == day:
            lo = max(lo, after.hour * 60 + after.minute + 1)
        minute = self.rng.randint(lo, max(lo, CLOSE.hour * 60 + CLOSE.minute))
        return _at(day, minute // 60, minute % 60)

    def first_day(self, after: dt.datetime) -> dt.date:
        day = _plain(after.date())
        if self.cal.is_workday(day) and after.time() < dt.time(17, 30):
            return day
        return self.cal.add_workdays(day, 1)

    def act(self, after: dt.datetime, due: dt.datetime | None, late: float = 0.15) -> dt.datetime:
        """An instant after ``after``: by ``due`` mostly, one to three working days late
        otherwise (never, when ``due`` is None: the step has no deadline)."""
        first = self.first_day(after)
        if due is not None and self.rng.random() < late:
            day = self.cal.add_workdays(_plain(due.date()), self.rng.randint(1, 3))
            return self.random_time(day)
        day = first if self.rng.random() < 0.5 else self.cal.add_workdays(first, 1)
        if due is not None and day > _plain(due.date()):
            day = first
        instant = self.random_time(day, after)
        if due is not None and instant > due and day == first:
            # 特急 at the end of the day: still in time, just after the previous step.
            instant = min(instant, due - dt.timedelta(minutes=1))
            instant = instant.replace(second=ACT_S)
            if instant <= after:
                instant = after + dt.timedelta(minutes=1)
        return instant


def _deadline(cal: Calendar, now: dt.datetime, urgency: str) -> dt.datetime:
    return step_deadline(cal, now, Urgency(urgency))


def generate(
    rng: random.Random, cal: Calendar, people: People, order: Any, scale: float
) -> tuple[list[DocumentPlan], list[Step]]:
    n_in = max(1, round(FULL_INCOMING * scale))
    n_out = max(1, round(FULL_OUTGOING * scale))
    clock = _Clock(rng, cal)
    depts, office, leaders = people.depts, people.office_staff, people.leaders
    workdays = [
        d
        for d in (dt.date(YEAR, 1, 5) + dt.timedelta(days=i) for i in range(340))
        if cal.is_workday(d)
    ]
    kinds = [u for u, _ in URGENCIES]
    weights = [w for _, w in URGENCIES]
    plans: list[DocumentPlan] = []
    steps: list[Step] = []

    def step(at: dt.datetime, kind: str, ref: Any, **args: Any) -> None:
        steps.append(Step(at, next(order), kind, ref, args))

    def tasks_for() -> list[tuple[str, int | None]]:
        chosen = rng.sample(depts, k=min(len(depts), rng.randint(1, 2)))
        return [(d, None if rng.random() < 0.3 else rng.randint(3, 15)) for d in chosen]

    def assignment_lives(
        ref: Any, k: int, tasks: list[tuple[str, int | None]], at: dt.datetime, urgency: str
    ) -> None:
        day = _plain(at.date())
        for seq, (lead, days) in enumerate(tasks, 1):
            n = days or assignment_workdays(Urgency(urgency), normal_workdays=5, urgent_workdays=2)
            due = cal.add_workdays(day, n)
            if rng.random() < 0.85:
                request_day = cal.subtract_workdays(due, rng.randint(0, 2))
            else:
                request_day = cal.add_workdays(due, rng.randint(1, 3))
            request_day = max(request_day, cal.add_workdays(day, 1))
            steps.extend(
                _finish(
                    rng,
                    cal,
                    order,
                    ("doc-a", ref[1], k, seq),
                    people.heads[lead],
                    request_day,
                    office,
                    reject=0.1,
                )
            )

    for j in range(n_in):
        urgency = rng.choices(kinds, weights)[0]
        plans.append(DocumentPlan(len(plans), "incoming", urgency))
        ref = ("doc", len(plans) - 1)
        received = clock.random_time(workdays[rng.randrange(len(workdays) - 15)])
        step(received, "doc_receive", ref, urgency=urgency, by=rng.choice(office), n=j + 1)
        proposed = clock.act(received, _deadline(cal, received, urgency))
        shape = rng.random()
        route = [] if shape < 0.15 else rng.sample(leaders, k=1 if shape < 0.7 else 2)
        parallel = len(route) == 2 and rng.random() < 0.25
        step(proposed, "doc_propose", ref, leaders=route, parallel=parallel, by=rng.choice(office))
        with_tasks = bool(route) and rng.random() < 0.45 / 0.85
        task_turn = rng.randint(1, len(route)) if route else 0  # whose comment carries them
        last = proposed
        done: list[tuple[dt.datetime, str]] = []
        for n, leader in enumerate(route, 1):
            start = proposed if parallel or n == 1 else done[-1][0]
            at = clock.act(start, _deadline(cal, start, urgency))
            tasks = tasks_for() if with_tasks and n == task_turn else []
            step(at, "doc_comment", ref, by=leader, tasks=tasks, k=n)
            if tasks:
                assignment_lives(ref, n, tasks, at, urgency)
            done.append((at, leader))
        if done:
            last = max(done)[0]
        if not with_tasks and rng.random() < 0.2:
            # 阅件: read by the leaders and filed, never distributed (its 分办 step is closed)
            at = clock.act(last, _deadline(cal, last, urgency))
            step(at, "doc_file", ref, by=rng.choice(office))
            continue
        if not with_tasks:
            tasks = tasks_for()
            at = clock.act(last, _deadline(cal, last, urgency))
            explicit = None if route else rng.choice(leaders)
            step(at, "doc_distribute", ref, tasks=tasks, leader=explicit, by=rng.choice(office))
            assignment_lives(ref, 0, tasks, at, urgency)
            last = at
        if rng.random() < 0.6:
            day = cal.add_workdays(_plain(last.date()), rng.randint(3, 10))
            step(clock.random_time(day), "doc_file", ref, by=rng.choice(office))

    for _ in range(n_out):
        urgency = rng.choices(kinds, weights)[0]
        plans.append(DocumentPlan(len(plans), "outgoing", urgency))
        ref = ("doc", len(plans) - 1)
        dept = rng.choice(depts)
        author = rng.choice(people.staff_of[dept] or [people.heads[dept]])
        drafted = clock.random_time(workdays[rng.randrange(len(workdays) - 20)])
        step(
            drafted,
            "doc_draft",
            ref,
            urgency=urgency,
            department=dept,
            by=author,
            doc_type=rng.choice(TYPES),
            series=rng.choice(SERIES),
        )
        last = drafted
        if rng.random() < 0.2:
            returned = clock.act(last, _deadline(cal, last, urgency))
            step(returned, "doc_review", ref, accept=False, by=rng.choice(office))
            last = clock.act(returned, None)
            step(last, "doc_redraft", ref, by=author)
        reviewed = clock.act(last, _deadline(cal, last, urgency))
        others = [d for d in depts if d != dept]
        cosigners = rng.sample(others, k=min(len(others), rng.choice((0, 0, 1, 2))))
        signer = rng.choice(leaders)
        step(
            reviewed,
            "doc_review",
            ref,
            accept=True,
            cosigners=cosigners,
            signer=signer,
            by=rng.choice(office),
        )
        last = reviewed
        signs = [clock.act(reviewed, _deadline(cal, reviewed, urgency)) for _ in cosigners]
        for d, at in zip(cosigners, signs, strict=True):
            step(at, "doc_cosign", ref, department=d, by=people.heads[d])
        if signs:
            last = max(signs)
        signed = clock.act(last, _deadline(cal, last, urgency))
        step(signed, "doc_signoff", ref, by=signer)
        issued = clock.act(signed, None)
        recipients = rng.sample(depts, k=min(len(depts), rng.randint(1, 4)))
        step(issued, "doc_issue", ref, recipients=recipients, by=rng.choice(office))
        issue_day = _plain(issued.date())
        end = cal.end_of_office_hours(issue_day)
        for d in recipients:
            fate = rng.random()
            if fate < 0.7 and issued.time() < dt.time(17, 40):
                at = clock.random_time(issue_day, issued)
            elif fate < 0.9:  # late (or issued too late in the day to confirm it)
                at = clock.random_time(cal.add_workdays(issue_day, rng.randint(1, 3)))
            else:
                continue  # never confirmed
            assert at > issued and (at <= end or at.date() > issued.date())
            step(at, "doc_confirm", ref, department=d, by=people.heads[d])
        if rng.random() < 0.9:
            day = cal.add_workdays(issue_day, rng.randint(5, 10))
            step(clock.random_time(day), "doc_file", ref, by=rng.choice(office))

    day = dt.date(YEAR, 1, 1)
    while day <= dt.date(YEAR, 12, 31):
        if cal.is_workday(day):
            steps.append(
                Step(
                    dt.datetime(
                        day.year,
                        day.month,
                        day.day,
                        SWEEP_AT.hour,
                        SWEEP_AT.minute,
                        SWEEP_AT.second,
                        tzinfo=TZ,
                    ),
                    next(order),
                    "doc_sweep",
                )
            )
        day += dt.timedelta(days=1)
    return plans, steps


# --- the player: the services the flows' tasks and the CLI call ------------------------------


def _doc(office: Any, s: Step) -> int:
    return office.ids[s.ref]  # type: ignore[no-any-return]


def _map_assignments(office: Any, session: Any, ref: Any, k: int, decision_id: int | None) -> None:
    from sqlalchemy import select

    from models.supervision import Assignment

    if decision_id is None:
        return
    ids = session.scalars(
        select(Assignment.id).where(Assignment.decision_id == decision_id).order_by(Assignment.id)
    )
    for seq, assignment_id in enumerate(ids, 1):
        office.ids[("doc-a", ref[1], k, seq)] = assignment_id


def _tasks(s: Step) -> list[str]:
    """The step's tasks as the action's task lines (``DEPARTMENT[:WORKDAYS]:TASK``)."""
    return [
        f"{d}:{n}:办理文件 {s.ref[1]}" if n else f"{d}:办理文件 {s.ref[1]}"
        for d, n in s.args["tasks"]
    ]


def _receive(office: Any, session: Any, s: Step) -> None:
    from models.documents_input import IncomingDocumentSpec
    from officeflow import documents

    result = documents.register_incoming(
        session,
        IncomingDocumentSpec(
            sender="Simulated Province",
            number=f"X政发〔{YEAR}〕{s.args['n']}号",
            title=f"Incoming document {s.ref[1]}",
            urgency=s.args["urgency"],
            registered_by=s.args["by"],
        ),
    )
    office.ids[s.ref] = result.document_id


def _propose(office: Any, session: Any, s: Step) -> None:
    from officeflow import documents

    documents.propose(
        session,
        document_id=_doc(office, s),
        proposal="拟请领导阅示。",
        leaders=s.args["leaders"],
        parallel=s.args["parallel"],
        actor=s.args["by"],
    )


def _comment(office: Any, session: Any, s: Step) -> None:
    from officeflow import documents

    result = documents.comment(
        session,
        document_id=_doc(office, s),
        text="同意，请抓紧落实。",
        tasks=_tasks(s),
        actor=s.args["by"],
    )
    _map_assignments(office, session, s.ref, s.args["k"], result.decision_id)


def _distribute(office: Any, session: Any, s: Step) -> None:
    from officeflow import documents

    result = documents.distribute(
        session,
        document_id=_doc(office, s),
        tasks=_tasks(s),
        actor=s.args["by"],
        leader=s.args["leader"],
    )
    _map_assignments(office, session, s.ref, 0, result.decision_id)


def _file(office: Any, session: Any, s: Step) -> None:
    from officeflow import documents

    documents.file_document(session, document_id=_doc(office, s), actor=s.args["by"])


def _draft(office: Any, session: Any, s: Step) -> None:
    from models.documents_input import OutgoingDocumentSpec
    from officeflow import documents

    result = documents.draft(
        session,
        OutgoingDocumentSpec(
            title=f"Outgoing document {s.ref[1]}",
            doc_type=s.args["doc_type"],
            series=s.args["series"],
            department=s.args["department"],
            author=s.args["by"],
            urgency=s.args["urgency"],
            main_recipients="各区人民政府，市政府各部门",
            body="为做好有关工作，现通知如下。",
        ),
    )
    office.ids[s.ref] = result.document_id


def _review(office: Any, session: Any, s: Step) -> None:
    from officeflow import documents

    if s.args["accept"]:
        documents.review(
            session,
            document_id=_doc(office, s),
            approve=True,
            actor=s.args["by"],
            cosigners=s.args["cosigners"],
            signer=s.args["signer"],
        )
    else:
        documents.review(
            session,
            document_id=_doc(office, s),
            approve=False,
            actor=s.args["by"],
            comment="请补充依据，压缩篇幅。",
        )


def _redraft(office: Any, session: Any, s: Step) -> None:
    from officeflow import documents

    documents.redraft(
        session, document_id=_doc(office, s), body="修改稿：依据已补充。", actor=s.args["by"]
    )


def _cosign(office: Any, session: Any, s: Step) -> None:
    from officeflow import documents

    documents.cosign(
        session, document_id=_doc(office, s), department=s.args["department"], actor=s.args["by"]
    )


def _signoff(office: Any, session: Any, s: Step) -> None:
    from officeflow import documents

    documents.sign_off(session, document_id=_doc(office, s), actor=s.args["by"])


def _issue(office: Any, session: Any, s: Step) -> None:
    from officeflow import documents

    documents.issue(
        session, document_id=_doc(office, s), recipients=s.args["recipients"], actor=s.args["by"]
    )


def _confirm(office: Any, session: Any, s: Step) -> None:
    from officeflow import documents

    documents.confirm_receipt(
        session, document_id=_doc(office, s), department=s.args["department"], actor=s.args["by"]
    )


def _sweep(office: Any) -> None:
    """The `documents-sweep` deployment's run (09:00 on a working day)."""
    from officeflow import documents

    documents.plan_sweep()


PLAY = {
    "doc_receive": _receive,
    "doc_propose": _propose,
    "doc_comment": _comment,
    "doc_distribute": _distribute,
    "doc_file": _file,
    "doc_draft": _draft,
    "doc_review": _review,
    "doc_redraft": _redraft,
    "doc_cosign": _cosign,
    "doc_signoff": _signoff,
    "doc_issue": _issue,
    "doc_confirm": _confirm,
}
SWEEPS = {"doc_sweep": _sweep}
ORACLE = oracle_half.ORACLE
