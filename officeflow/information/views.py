"""Read views: an item with its revisions and comments, the list of items, an issue."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.information import InfoComment, InfoIssue, InfoItem, InfoRevision, ItemStatus
from officeflow import clock
from officeflow.information.common import department_name, get_item, issue_name
from rules.information import kind_label


def item_view(session: Session, item_id: int) -> dict[str, Any]:
    item = get_item(session, item_id)
    issue = session.get(InfoIssue, item.issue_id) if item.issue_id else None
    revisions = session.scalars(
        select(InfoRevision).where(InfoRevision.item_id == item.id).order_by(InfoRevision.revision)
    )
    comments = session.scalars(
        select(InfoComment).where(InfoComment.item_id == item.id).order_by(InfoComment.id)
    )
    return {
        "id": item.id,
        "title": item.title,
        "body": item.body,
        "kind": kind_label(item.kind),
        "department": department_name(session, item.department_id),
        "submitted_by": item.submitted_by,
        "submitted_at": clock.format_local(item.submitted_at),
        "people": list(item.people),
        "places": list(item.places),
        "status": item.status.value,
        "issue": issue_name(issue) if issue else None,
        "reject_reason": item.reject_reason,
        "request": item.request_id,
        "revisions": [
            {
                "revision": r.revision,
                "by": r.edited_by,
                "at": clock.format_local(r.edited_at),
                "title": r.title,
                "note": r.note,
            }
            for r in revisions
        ],
        "comments": [
            {"leader": c.leader_id, "text": c.text, "decision": c.decision_id} for c in comments
        ],
    }


def items_table(session: Session, status: ItemStatus | None = None) -> list[dict[str, Any]]:
    stmt = select(InfoItem).order_by(InfoItem.id.desc()).limit(500)
    if status is not None:
        stmt = stmt.where(InfoItem.status == status)
    issues = {i.id: issue_name(i) for i in session.scalars(select(InfoIssue))}
    return [
        {
            "id": i.id,
            "kind": kind_label(i.kind),
            "title": i.title,
            "department": i.department_id,
            "submitted": clock.format_local(i.submitted_at),
            "status": i.status.value,
            "issue": issues.get(i.issue_id or 0, ""),
        }
        for i in session.scalars(stmt)
    ]
