"""信息报送 in the office year: the departments' information items, the office's edits,
adoptions and rejections, the leaders' daily issue (每日要情) and special issues (专报), the
leaders' comments (批示) that become supervised decisions, the office's commissioned reports
(约稿) that some departments answer late or never, and the monthly scores (信息考核).

Full-scale volumes (a city government's office), scaled like the others with
``max(1, round(N * scale))``:

- 10,000 information items a year (about 40 a working day), 4 % of them urgent (紧急, any hour
  of any day, alerting the duty officers); 55 % adopted (1 in 20 into a 专报 issue of its own,
  published the next working day), 20 % rejected with a reason, the rest left waiting; 30 % of
  the decided ones edited first (a new revision);
- 12 % of the adopted items commented on by a leader, 40 % of those comments with one or two
  assignments (a supervision decision: 交办通知, the sweep's lights and reminders, completion
  and verification through the supervision steps);
- 100 约稿 a year, each to three to six departments due in three to five working days: 70 % of
  the departments answer in time, 20 % late, 10 % never (the supervision sweep's reminders and
  red escalations follow, and the scores count them);
- the `information-digest` deployment at 08:00 on every working day (the flow skips days
  off), the `information-scores` deployment at 09:00 on the 1st of every month.

Instants (apart from the other processes'): items are submitted at second 41, the office acts at
second 43, leaders comment at second 45, the digest runs at 08:00:07, the scores at 09:00:07.

The player half calls the services the flows' tasks and the CLI call (`officeflow.information`);
the oracle half is `benchmarks/_year_information_oracle.py`, which never imports officeflow.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from benchmarks import _year_information_oracle as oracle_half
from benchmarks.office_plan import YEAR, Calendar, People, Step, _finish, _plain

NAME = "information"
FULL_ITEMS = 10_000
FULL_REQUESTS = 100
KINDS = ("news", "problem", "suggestion", "practice")
SUBMIT_S, OFFICE_S, COMMENT_S = 41, 43, 45
DIGEST_AT = dt.time(8, 0, 7)
SCORES_AT = dt.time(9, 0, 7)
REQUEST_AT = dt.time(10, 20, 43)


@dataclass(frozen=True)
class InfoItemPlan:
    index: int
    kind: str
    department: str
    submitter: str
    request: int | None  # the 约稿 it answers


def _instant(day: dt.date, hour: int, minute: int, second: int) -> dt.datetime:
    from benchmarks.office_plan import TZ

    return dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=TZ)


def _office_time(rng: random.Random, day: dt.date, second: int) -> dt.datetime:
    return _instant(day, rng.randint(9, 16), rng.randint(0, 59), second)


def generate(
    rng: random.Random, cal: Calendar, people: People, order: Any, scale: float
) -> tuple[list[InfoItemPlan], list[Step]]:
    n_items = max(1, round(FULL_ITEMS * scale))
    n_requests = max(1, round(FULL_REQUESTS * scale))
    depts = people.depts
    office = people.office_staff
    workdays = [
        d
        for d in (dt.date(YEAR, 1, 5) + dt.timedelta(days=i) for i in range(345))
        if cal.is_workday(d)
    ]
    plans: list[InfoItemPlan] = []
    steps: list[Step] = []

    def submitter(dept: str) -> str:
        staff = people.staff_of[dept]
        return rng.choice(staff) if staff and rng.random() < 0.7 else people.heads[dept]

    def item_life(kind: str, dept: str, request: int | None, submitted: dt.datetime) -> None:
        i = len(plans)
        plan = InfoItemPlan(i, kind, dept, submitter(dept), request)
        plans.append(plan)
        ref = ("info", i)
        steps.append(
            Step(
                submitted,
                next(order),
                "info_submit",
                ref,
                {
                    "title": f"Information {i}",
                    "kind": kind,
                    "department": dept,
                    "by": plan.submitter,
                    "request": request,
                },
            )
        )
        fate = rng.random()
        if fate >= 0.75:
            return  # never decided
        decide_day = cal.add_workdays(_plain(submitted.date()), rng.randint(1, 2))
        decided = _office_time(rng, decide_day, OFFICE_S)
        actor = rng.choice(office)
        if rng.random() < 0.3:
            steps.append(Step(decided, next(order), "info_edit", ref, {"by": actor}))
        if fate >= 0.55:
            steps.append(Step(decided, next(order), "info_reject", ref, {"by": actor}))
            return
        special = rng.random() < 0.05
        steps.append(
            Step(
                decided,
                next(order),
                "info_adopt",
                ref,
                {"by": actor, "publication": "special" if special else "daily"},
            )
        )
        if special:
            publish = _instant(cal.add_workdays(decide_day, 1), 16, 30, OFFICE_S)
            steps.append(Step(publish, next(order), "info_special", ref, {"by": actor}))
        if rng.random() >= 0.12:
            return
        comment_day = cal.add_workdays(decide_day, rng.randint(1, 3))
        commented = _office_time(rng, comment_day, COMMENT_S)
        leader = rng.choice(people.leaders)
        tasks: list[tuple[str, int]] = []
        if rng.random() < 0.4:
            tasks = [(d, rng.randint(5, 15)) for d in rng.sample(depts, k=min(2, len(depts)))]
            tasks = tasks[: rng.randint(1, len(tasks))]
        steps.append(
            Step(commented, next(order), "info_comment", ref, {"by": leader, "tasks": tasks})
        )
        for seq, (lead, days) in enumerate(tasks, 1):
            due = cal.add_workdays(comment_day, days)
            if rng.random() < 0.85:
                request_day = cal.subtract_workdays(due, rng.randint(0, 2))
            else:
                request_day = cal.add_workdays(due, rng.randint(1, 3))
            request_day = max(request_day, cal.add_workdays(comment_day, 1))
            steps.extend(
                _finish(
                    rng,
                    cal,
                    order,
                    ("info-a", i, seq),
                    people.heads[lead],
                    request_day,
                    office,
                    reject=0.1,
                )
            )

    # 约稿 first (their answers are items too), then the departments' own items.
    answers = 0
    for r in range(n_requests):
        day = workdays[rng.randrange(len(workdays) - 10)]
        asked = rng.sample(depts, k=min(len(depts), rng.randint(3, 6)))
        due_in = rng.randint(3, 5)
        steps.append(
            Step(
                _instant(day, REQUEST_AT.hour, REQUEST_AT.minute, REQUEST_AT.second),
                next(order),
                "info_request",
                ("info-req", r),
                {"topic": f"Topic {r}", "departments": asked, "due": due_in, "by": office[0]},
            )
        )
        due = cal.add_workdays(day, due_in)
        for dept in asked:
            fate = rng.random()
            if r == 0 and dept == asked[-1]:
                fate = 1.0  # at any scale, one department never answers
            if fate < 0.7:
                answer_day = cal.add_workdays(day, rng.randint(1, due_in))
            elif fate < 0.9:
                answer_day = cal.add_workdays(due, rng.randint(1, 4))
            else:
                continue
            item_life(rng.choice(KINDS), dept, r, _office_time(rng, answer_day, SUBMIT_S))
            answers += 1
    for _ in range(max(0, n_items - answers)):
        dept = rng.choice(depts)
        if rng.random() < 0.04:  # urgent: any hour of any day
            day = dt.date(YEAR, 1, 1) + dt.timedelta(days=rng.randrange(355))
            submitted = _instant(day, rng.randint(0, 23), rng.randint(0, 59), SUBMIT_S)
            item_life("urgent", dept, None, submitted)
        else:
            day = workdays[rng.randrange(len(workdays))]
            item_life(rng.choice(KINDS), dept, None, _office_time(rng, day, SUBMIT_S))

    day = dt.date(YEAR, 1, 1)
    while day <= dt.date(YEAR, 12, 31):
        if cal.is_workday(day):
            steps.append(
                Step(
                    _instant(day, DIGEST_AT.hour, DIGEST_AT.minute, DIGEST_AT.second),
                    next(order),
                    "info_digest",
                )
            )
        if day.day == 1:
            steps.append(
                Step(
                    _instant(day, SCORES_AT.hour, SCORES_AT.minute, SCORES_AT.second),
                    next(order),
                    "info_scores",
                )
            )
        day += dt.timedelta(days=1)
    return plans, steps


# --- the player: the services the flows' tasks and the CLI call ------------------------------


def _submit(office: Any, session: Any, s: Step) -> None:
    from models.information import InfoKind
    from models.information_input import InfoItemSpec
    from officeflow import information

    request = s.args["request"]
    result = information.submit_item(
        session,
        InfoItemSpec(
            title=s.args["title"],
            body=f"{s.args['title']}: what the department saw.",
            kind=InfoKind(s.args["kind"]),
            department=s.args["department"],
            submitted_by=s.args["by"],
            places=["Simulated district"],
            request_id=None if request is None else office.ids[("info-req", request)],
        ),
    )
    office.ids[s.ref] = result.item_id


def _edit(office: Any, session: Any, s: Step) -> None:
    from officeflow import information

    information.edit_item(
        session,
        item_id=office.ids[s.ref],
        body="Edited by the office: the facts checked.",
        note="核实数据",
        actor=s.args["by"],
    )


def _adopt(office: Any, session: Any, s: Step) -> None:
    from models.information import InfoIssue, InfoItem, Publication
    from officeflow import information

    item_id = office.ids[s.ref]
    information.adopt_item(
        session,
        item_id=item_id,
        actor=s.args["by"],
        publication=Publication(s.args["publication"]),
    )
    if s.args["publication"] == "special":
        issue = session.get(InfoIssue, session.get(InfoItem, item_id).issue_id)
        office.ids[("info-special", s.ref[1])] = issue.number


def _reject(office: Any, session: Any, s: Step) -> None:
    from officeflow import information

    information.reject_item(
        session, item_id=office.ids[s.ref], reason="内容重复，请补充新情况", actor=s.args["by"]
    )


def _special(office: Any, session: Any, s: Step) -> None:
    from models.information import Publication
    from officeflow import information

    information.publish_issue(
        session,
        publication=Publication.SPECIAL,
        number=office.ids[("info-special", s.ref[1])],
        actor=s.args["by"],
    )


def _comment(office: Any, session: Any, s: Step) -> None:
    from sqlalchemy import select

    from models.supervision import Assignment
    from officeflow import information

    result = information.comment_item(
        session,
        item_id=office.ids[s.ref],
        text="请有关部门研究落实。",
        tasks=[f"{d}:{n}:落实批示 {s.ref[1]}" for d, n in s.args["tasks"]],
        actor=s.args["by"],
    )
    if result.decision_id is not None:
        ids = session.scalars(
            select(Assignment.id)
            .where(Assignment.decision_id == result.decision_id)
            .order_by(Assignment.id)
        )
        for seq, assignment_id in enumerate(ids, 1):
            office.ids[("info-a", s.ref[1], seq)] = assignment_id


def _request(office: Any, session: Any, s: Step) -> None:
    from models.information_input import RequestSpec
    from officeflow import information

    result = information.record_request(
        session,
        RequestSpec(
            topic=s.args["topic"],
            detail="请报送本部门有关情况。",
            departments=s.args["departments"],
            due_in_workdays=s.args["due"],
            requested_by=s.args["by"],
        ),
    )
    office.ids[s.ref] = result.request_id


def _digest(office: Any) -> None:
    """The `information-digest` deployment's run (08:00 on a working day)."""
    from officeflow import db, information

    with db.session_scope() as session:
        information.publish_issue(session)


def _scores(office: Any) -> None:
    """The `information-scores` deployment's run (09:00 on the 1st): last month's bulletin."""
    from officeflow import clock, db, information
    from officeflow.workdays import get_calendar
    from rules.information import previous_month

    month = previous_month(get_calendar().local_date(clock.now()))
    with db.session_scope() as session:
        information.plan_scores(session, month=month)


PLAY = {
    "info_submit": _submit,
    "info_edit": _edit,
    "info_adopt": _adopt,
    "info_reject": _reject,
    "info_special": _special,
    "info_comment": _comment,
    "info_request": _request,
}
SWEEPS = {"info_digest": _digest, "info_scores": _scores}
ORACLE = oracle_half.ORACLE
