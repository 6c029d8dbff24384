"""The oracle's rules for 办文 in the office year (see `benchmarks/_year_documents.py`).

From the script, the org and the oracle's own calendar alone: it imports nothing of `rules/`,
`models/` or `officeflow/`, and never reads the ledger. It keeps each document's route the way
docs/documents.md describes it: every step a row numbered in creation order, pending with a
deadline from the urgency (`step_deadline` below, docs/documents.md's "Deadlines and
reminders": 特急 within the day, 加急 the 2nd working day, 平件 the 5th) or waiting its turn, and
predicts:

- ``document:<d>:step:<s>:open`` when a step starts, to whoever must take it: the office
  director for the office's steps (拟办, 分办, 核稿), the leader (批示, 签发), the department's
  heads (会签);
- ``document:<d>:step:<s>:returned`` to the author when 核稿 returns a draft;
- ``document:<d>:signed`` to the author and the office director;
- ``document:<d>:issued:<dept>`` to each recipient department's heads (签收 due at the end of
  the issue day);
- a leader's comment with tasks and a distribution: a decision issued by that leader (or, for
  分办, the leader who commented last, or the one named), its assignments predicted by
  `Oracle._new_assignment`;
- the 09:00 sweep of a working day: for every pending step past its deadline,
  one red reminder per red period (``document:<d>:step:<s>:red:<due date>:<period>``, the
  supervision sweep's red rule) to its holder and (except 签收) the office director;
- 归档 closes the open steps (and takes a step row of its own).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from benchmarks.office_plan import Step

NORMAL_WORKDAYS = 5  # 平件 (OFFICEFLOW_DOCUMENT_NORMAL_WORKDAYS, not set in the year)
URGENT_WORKDAYS = 2  # 加急 (OFFICEFLOW_DOCUMENT_URGENT_WORKDAYS)


def step_deadline(cal: Any, now: dt.datetime, urgency: str) -> dt.datetime:
    """特急: 18:00 today, or of the next working day when the office is closed (a day off, or
    past 18:00); 加急 and 平件: 18:00 on the 2nd (5th) working day after today."""
    today = cal.local_date(now)
    if urgency == "extra_urgent":
        if cal.is_workday(today) and now < cal.office_closes(today):
            return cal.office_closes(today)  # type: ignore[no-any-return]
        return cal.office_closes(cal.add_workdays(today, 1))  # type: ignore[no-any-return]
    days = {"urgent": URGENT_WORKDAYS, "normal": NORMAL_WORKDAYS}[urgency]
    return cal.office_closes(cal.add_workdays(today, days))  # type: ignore[no-any-return]


def assignment_workdays(urgency: str) -> int:
    """An assignment from a leader's comment: 特急 1 working day, 加急 2, 平件 5."""
    return {"extra_urgent": 1, "urgent": URGENT_WORKDAYS, "normal": NORMAL_WORKDAYS}[urgency]


def red_key(cal: Any, now: dt.datetime, doc: int, step: int, due_at: dt.datetime) -> str | None:
    """Past its deadline, a step is owed one reminder per red period: period 0 from the
    deadline through the first working day overdue, then one more every working day."""
    if now <= due_at:
        return None
    due_on = cal.local_date(due_at)
    period = max(cal.workdays_between(due_on, cal.local_date(now)) - 1, 0)
    return f"document:{doc}:step:{step}:red:{due_on.isoformat()}:{period}"


@dataclass
class _Step:
    id: int
    kind: str
    holders: list[str]
    status: str  # pending, waiting, done, returned, cancelled
    due_at: dt.datetime | None = None
    person: str | None = None
    department: str | None = None
    done_at: dt.datetime | None = None


@dataclass
class _Doc:
    id: int
    urgency: str
    author: str | None = None
    decision: bool = False
    steps: list[_Step] = field(default_factory=list)


def _docs(oracle: Any) -> dict[Any, _Doc]:
    if not hasattr(oracle, "_documents"):
        oracle._documents = {}
    return oracle._documents  # type: ignore[no-any-return]


def _directors(oracle: Any) -> list[str]:
    return oracle.with_role("office_director")  # type: ignore[no-any-return]


def _deadline(oracle: Any, doc: _Doc, now: dt.datetime) -> dt.datetime:
    return step_deadline(oracle.cal, now, doc.urgency)


def _open(
    oracle: Any,
    doc: _Doc,
    kind: str,
    now: dt.datetime,
    *,
    person: str | None = None,
    department: str | None = None,
    waiting: bool = False,
    due_at: dt.datetime | None = None,
    notify: bool = True,
) -> _Step:
    if person is not None:
        holders = [person]
    elif department is not None:
        holders = oracle.heads(department)
    else:
        holders = _directors(oracle)
    step = _Step(
        oracle.next_id("document_steps"),
        kind,
        holders,
        "waiting" if waiting else "pending",
        None if waiting else (due_at or _deadline(oracle, doc, now)),
        person,
        department,
    )
    doc.steps.append(step)
    if notify and not waiting:
        oracle.notify(f"document:{doc.id}:step:{step.id}:open", holders)
    return step


def _pending(doc: _Doc, kind: str, **match: Any) -> _Step:
    for step in doc.steps:
        matches = all(getattr(step, k) == v for k, v in match.items())
        if step.kind == kind and step.status == "pending" and matches:
            return step
    raise AssertionError(f"document {doc.id} has no pending {kind} {match}")


def _finish(step: _Step, now: dt.datetime) -> None:
    step.status, step.done_at = "done", now


def _tasks(oracle: Any, s: Step, doc: _Doc, k: int, issuer: str) -> None:
    oracle.next_id("decisions")
    day = oracle.cal.local_date(s.at)
    for seq, (lead, days) in enumerate(s.args["tasks"], 1):
        n = days or assignment_workdays(doc.urgency)
        oracle._new_assignment(
            ("doc-a", s.ref[1], k, seq),
            lead=lead,
            owner=None,
            issuer=issuer,
            co=(),
            issued_on=day,
            issued_at=s.at,
            due_on=oracle.cal.add_workdays(day, n),
            cycle="none",
        )
    doc.decision = True


# --- incoming -----------------------------------------------------------------------------


def _receive(oracle: Any, s: Step) -> None:
    doc = _Doc(oracle.next_id("documents"), s.args["urgency"])
    _docs(oracle)[s.ref] = doc
    _open(oracle, doc, "propose", s.at)


def _propose(oracle: Any, s: Step) -> None:
    doc = _docs(oracle)[s.ref]
    _finish(_pending(doc, "propose"), s.at)
    leaders = s.args["leaders"]
    for n, leader in enumerate(leaders, 1):
        waiting = not s.args["parallel"] and n > 1
        _open(oracle, doc, "comment", s.at, person=leader, waiting=waiting)
    if not leaders:
        _open(oracle, doc, "distribute", s.at)


def _comment(oracle: Any, s: Step) -> None:
    doc = _docs(oracle)[s.ref]
    step = _pending(doc, "comment", person=s.args["by"])
    if s.args["tasks"]:
        _tasks(oracle, s, doc, s.args["k"], s.args["by"])
    _finish(step, s.at)
    comments = [x for x in doc.steps if x.kind == "comment"]
    waiting = [x for x in comments if x.status == "waiting"]
    if waiting:
        nxt = waiting[0]
        nxt.status, nxt.due_at = "pending", _deadline(oracle, doc, s.at)
        oracle.notify(f"document:{doc.id}:step:{nxt.id}:open", nxt.holders)
    elif not any(x.status == "pending" for x in comments) and not doc.decision:
        _open(oracle, doc, "distribute", s.at)


def _distribute(oracle: Any, s: Step) -> None:
    doc = _docs(oracle)[s.ref]
    leader = s.args["leader"]
    if leader is None:  # the leader who commented last
        done = [x for x in doc.steps if x.kind == "comment" and x.status == "done"]
        leader = max(done, key=lambda x: x.done_at).person  # type: ignore[arg-type,return-value]
    _tasks(oracle, s, doc, 0, leader)
    for x in doc.steps:
        if x.kind == "distribute" and x.status == "pending":
            _finish(x, s.at)
            break


def _file(oracle: Any, s: Step) -> None:
    doc = _docs(oracle)[s.ref]
    for x in doc.steps:
        if x.status in ("pending", "waiting"):
            x.status = "cancelled"
    doc.steps.append(_Step(oracle.next_id("document_steps"), "file", [], "done"))


# --- outgoing -----------------------------------------------------------------------------


def _draft(oracle: Any, s: Step) -> None:
    doc = _Doc(oracle.next_id("documents"), s.args["urgency"], author=s.args["by"])
    _docs(oracle)[s.ref] = doc
    _open(oracle, doc, "review", s.at)


def _review(oracle: Any, s: Step) -> None:
    doc = _docs(oracle)[s.ref]
    step = _pending(doc, "review")
    if not s.args["accept"]:
        step.status = "returned"
        assert doc.author is not None
        oracle.notify(f"document:{doc.id}:step:{step.id}:returned", [doc.author])
        return
    _finish(step, s.at)
    for dept in s.args["cosigners"]:
        _open(oracle, doc, "cosign", s.at, department=dept)
    _open(oracle, doc, "signoff", s.at, person=s.args["signer"], waiting=bool(s.args["cosigners"]))


def _redraft(oracle: Any, s: Step) -> None:
    _open(oracle, _docs(oracle)[s.ref], "review", s.at)


def _cosign(oracle: Any, s: Step) -> None:
    doc = _docs(oracle)[s.ref]
    _finish(_pending(doc, "cosign", department=s.args["department"]), s.at)
    if not any(x.kind == "cosign" and x.status == "pending" for x in doc.steps):
        signoff = next(x for x in doc.steps if x.kind == "signoff" and x.status == "waiting")
        signoff.status, signoff.due_at = "pending", _deadline(oracle, doc, s.at)
        oracle.notify(f"document:{doc.id}:step:{signoff.id}:open", signoff.holders)


def _signoff(oracle: Any, s: Step) -> None:
    doc = _docs(oracle)[s.ref]
    _finish(_pending(doc, "signoff"), s.at)
    assert doc.author is not None
    oracle.notify(f"document:{doc.id}:signed", [doc.author, *_directors(oracle)])


def _issue(oracle: Any, s: Step) -> None:
    doc = _docs(oracle)[s.ref]
    cal = oracle.cal
    today = cal.local_date(s.at)
    due = cal.office_closes(today if cal.is_workday(today) else cal.next_workday(today))
    for dept in dict.fromkeys(s.args["recipients"]):
        step = _open(oracle, doc, "receipt", s.at, department=dept, due_at=due, notify=False)
        oracle.notify(f"document:{doc.id}:issued:{dept}", step.holders)


def _confirm(oracle: Any, s: Step) -> None:
    doc = _docs(oracle)[s.ref]
    _finish(_pending(doc, "receipt", department=s.args["department"]), s.at)


# --- the documents sweep --------------------------------------------------------------------


def _sweep(oracle: Any, s: Step) -> None:
    cal = oracle.cal
    if not cal.is_workday(cal.local_date(s.at)):
        return
    directors = _directors(oracle)
    for doc in _docs(oracle).values():
        for step in doc.steps:
            if step.status != "pending" or step.due_at is None or not step.due_at < s.at:
                continue
            key = red_key(cal, s.at, doc.id, step.id, step.due_at)
            if key is None:
                continue
            people = step.holders if step.kind == "receipt" else [*step.holders, *directors]
            oracle.notify(key, people)


ORACLE = {
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
    "doc_sweep": _sweep,
}
