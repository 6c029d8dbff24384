"""批示: a leader's comment on an adopted item. With assignments it becomes a supervision
decision (source ``information``) whose decision and assignments name the item (``info:<id>``),
recorded through the supervision service like meeting minutes are."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from models.information import InfoComment, ItemStatus
from models.information_input import CommentSpec, ItemResult
from models.supervision import DecisionSource
from models.supervision_input import AssignmentSpec, DecisionSpec
from officeflow import clock, events, supervision
from officeflow.information.common import OBJECT, get_item, leader, notify_item
from officeflow.inputs import input_error
from officeflow.org import department_heads
from officeflow.workdays import get_calendar


def comment_decision(
    item_id: int, title: str, spec: CommentSpec, leader_id: str, issued_on: dt.date
) -> DecisionSpec:
    """The decision a 批示's assignments become, each traceable to the item."""
    ref = f"info:{item_id}"
    return DecisionSpec(
        title=f"领导批示：{title}"[:300],
        source=DecisionSource.INFORMATION,
        source_ref=ref,
        issued_by=leader_id,
        issued_on=issued_on,
        assignments=[
            AssignmentSpec(
                lead_department=a.lead_department,
                owner=a.owner,
                task=a.task,
                acceptance_standard=f"按领导批示办理并报送结果（{spec.text[:200]}）",
                due_in_workdays=a.due_in_workdays,
                source_ref=ref,
            )
            for a in spec.assignments
        ],
    )


def comment_item(session: Session, *, item_id: int, spec: CommentSpec, actor: str) -> ItemResult:
    """Record the comment; with assignments, record the decision and plan its 交办通知. The
    submitting department is told of the comment."""
    item = get_item(session, item_id)
    leader(session, actor, "actor")
    if item.status is not ItemStatus.ADOPTED:
        raise input_error("item", f"item {item.id} is {item.status.value}, not adopted")
    now = clock.now()
    decision_spec = None
    if spec.assignments:
        decision_spec = comment_decision(
            item.id, item.title, spec, actor, get_calendar().local_date(now)
        )
        # Problems name the comment's own fields (assignments.0.lead_department).
        supervision.check_decision(session, decision_spec)
    comment = InfoComment(item_id=item.id, leader_id=actor, text=spec.text, at=now)
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
        notify_item(
            session, item, f"comment:{comment.id}", told, event="commented", comment=spec.text
        )
    )
    return ItemResult(
        item_id=item.id,
        action="commented",
        status=item.status.value,
        decision_id=decision_id,
        notice_keys=keys,
    )
