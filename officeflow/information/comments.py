"""批示: a leader's comment on an adopted item. With tasks it becomes a supervision
decision (source ``information``) whose decision and assignments name the item (``info:<id>``),
recorded through the supervision service like meeting minutes are."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.common import split_task_line
from models.information import InfoComment, ItemStatus
from models.information_input import ItemResult
from models.supervision import DecisionSource
from models.supervision_input import AssignmentSpec, DecisionSpec
from officeflow import clock, events, supervision
from officeflow.information.common import OBJECT, get_item, notify_item
from officeflow.inputs import InputError, Problem, input_error
from officeflow.org import department_heads
from officeflow.workdays import get_calendar


def comment_decision(
    item_id: int,
    title: str,
    text: str,
    tasks: list[str],
    due_in_workdays: int,
    leader_id: str,
    issued_on: dt.date,
) -> DecisionSpec:
    """The decision a 批示's tasks become, each traceable to the item. A task line without its
    own working days takes ``due_in_workdays``."""
    ref = f"info:{item_id}"
    assignments = []
    for line in tasks:
        department, days, task = split_task_line(line)
        assignments.append(
            AssignmentSpec(
                lead_department=department,
                task=task,
                acceptance_standard=f"按领导批示办理并报送结果（{text[:200]}）",
                due_in_workdays=days or due_in_workdays,
                source_ref=ref,
            )
        )
    return DecisionSpec(
        title=f"领导批示：{title}"[:300],
        source=DecisionSource.INFORMATION,
        source_ref=ref,
        issued_by=leader_id,
        issued_on=issued_on,
        assignments=assignments,
    )


def comment_item(
    session: Session,
    *,
    item_id: int,
    text: str,
    tasks: list[str] | None = None,
    due_in_workdays: int = 5,
    actor: str,
) -> ItemResult:
    """Record the comment; with tasks, record the decision and plan its 交办通知. The
    submitting department is told of the comment. The same leader's same comment again is
    found, not recorded twice."""
    tasks = list(tasks or [])
    item = get_item(session, item_id)
    if item.status is not ItemStatus.ADOPTED:
        raise input_error("item", f"item {item.id} is {item.status.value}, not adopted")
    last = session.scalar(
        select(InfoComment)
        .where(InfoComment.item_id == item.id, InfoComment.leader_id == actor)
        .order_by(InfoComment.id.desc())
    )
    if last is not None and last.text == text:
        return ItemResult(
            item_id=item.id,
            action="commented",
            status=item.status.value,
            created=False,
            decision_id=last.decision_id,
        )
    now = clock.now()
    decision_spec = None
    if tasks:
        decision_spec = comment_decision(
            item.id, item.title, text, tasks, due_in_workdays, actor, get_calendar().local_date(now)
        )
        # Problems name the comment's own field: the task line (tasks.0).
        try:
            supervision.check_decision(session, decision_spec)
        except InputError as exc:
            raise InputError(
                [
                    Problem(
                        ("tasks", *pr.loc[1:2]) if pr.loc[0] == "assignments" else pr.loc,
                        pr.message,
                    )
                    for pr in exc.problems
                ]
            ) from exc
    comment = InfoComment(item_id=item.id, leader_id=actor, text=text, at=now)
    session.add(comment)
    session.flush()
    keys: list[str] = []
    decision_id = None
    if decision_spec is not None:
        record = supervision.record_decision(session, decision_spec, actor=actor)
        comment.decision_id = decision_id = record.decision_id
        keys += supervision.plan_issue_notices(session, record)
    events.record(
        session,
        action="info_item.commented",
        object_type=OBJECT,
        object_id=item.id,
        actor=actor,
        data={"comment": comment.id, "decision": decision_id},
    )
    told = [item.submitted_by, *department_heads(session, item.department_id)]
    keys.append(
        notify_item(session, item, f"comment:{comment.id}", told, event="commented", comment=text)
    )
    return ItemResult(
        item_id=item.id,
        action="commented",
        status=item.status.value,
        decision_id=decision_id,
        notice_keys=keys,
    )
