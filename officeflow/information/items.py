"""An item's life: submitted (an urgent one alerts the duty officer at once), edited with its
revisions kept, then adopted into an issue or rejected with a reason.

Who may edit, adopt and reject is declared beside these (officeflow/information/declarations.py)
and checked at the door (`officeflow.actions.perform`), before they run."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.information import (
    InfoIssue,
    InfoItem,
    InfoKind,
    InfoRevision,
    IssueStatus,
    ItemStatus,
    Publication,
)
from models.information_input import InfoItemSpec, ItemResult
from models.org import Department
from models.supervision import Assignment, AssignmentStatus
from officeflow import clock, events
from officeflow.duty.officers import duty_officers
from officeflow.information.common import (
    OBJECT,
    find_issue,
    get_item,
    get_request,
    issue_name,
    notify_item,
)
from officeflow.information.issues import current_issue, open_issue
from officeflow.inputs import input_error
from officeflow.policy import require
from rules.information import PUBLICATION_LABELS


def check_item(session: Session, spec: InfoItemSpec) -> None:
    """The department exists, the submitter may submit for it (one of its people, or of the
    office: `declarations.SUBMITTERS`, else `NotAllowed`), the commissioned report, when named,
    asked this department."""
    from officeflow.information.declarations import SUBMITTERS

    if session.get(Department, spec.department) is None:
        raise input_error("department", f"unknown department {spec.department!r}")
    require(
        session,
        spec.submitted_by,
        SUBMITTERS,
        spec,
        en="submit an information item",
        zh="报送信息",
    )
    if spec.request_id is not None:
        request = get_request(session, spec.request_id)
        if spec.department not in request.departments:
            raise input_error(
                "request_id",
                f"commissioned report {request.id} did not ask {spec.department!r}",
            )


def submit_item(session: Session, spec: InfoItemSpec) -> ItemResult:
    """Record the item once (the same submission again finds it) with revision 1; an urgent
    item alerts the duty officer; an answer to a 约稿 completes that department's assignment."""
    check_item(session, spec)
    fingerprint = spec.fingerprint()
    existing = session.scalar(select(InfoItem).where(InfoItem.fingerprint == fingerprint))
    if existing is not None:
        return ItemResult(
            item_id=existing.id, action="submitted", status=existing.status.value, created=False
        )
    now = clock.now()
    item = InfoItem(
        fingerprint=fingerprint,
        title=spec.title,
        body=spec.body,
        kind=spec.kind,
        people=list(spec.people),
        places=list(spec.places),
        department_id=spec.department,
        submitted_by=spec.submitted_by,
        submitted_at=now,
        request_id=spec.request_id,
        status=ItemStatus.SUBMITTED,
        revision=1,
    )
    session.add(item)
    session.flush()
    session.add(
        InfoRevision(
            item_id=item.id,
            revision=1,
            title=spec.title,
            body=spec.body,
            kind=spec.kind,
            edited_by=spec.submitted_by,
            edited_at=now,
            note="submitted",
        )
    )
    events.record(
        session,
        action="info_item.submitted",
        object_type=OBJECT,
        object_id=item.id,
        actor=spec.submitted_by,
        data={"department": spec.department, "kind": spec.kind.value, "request": spec.request_id},
    )
    keys = []
    if spec.kind is InfoKind.URGENT:
        officers = duty_officers(session)
        if officers:
            keys.append(notify_item(session, item, "urgent", officers, template="info_urgent"))
    if spec.request_id is not None:
        _complete_request_assignment(session, item)
    return ItemResult(
        item_id=item.id, action="submitted", status=item.status.value, notice_keys=keys
    )


def _complete_request_assignment(session: Session, item: InfoItem) -> None:
    """The department has answered the 约稿: its assignment is done (销号), on time or late."""
    request = get_request(session, item.request_id or 0)
    assignment = session.scalar(
        select(Assignment).where(
            Assignment.decision_id == request.decision_id,
            Assignment.lead_department_id == item.department_id,
            Assignment.status != AssignmentStatus.CLOSED,
        )
    )
    if assignment is None:
        return
    now = clock.now()
    assignment.status, assignment.closed_at, assignment.progress = AssignmentStatus.CLOSED, now, 100
    events.record(
        session,
        action="assignment.closed",
        object_type="assignment",
        object_id=assignment.id,
        actor=item.submitted_by,
        data={"info_item": item.id, "on_time": now <= assignment.due_at},
    )


def _editable(session: Session, item: InfoItem) -> None:
    if item.status is ItemStatus.REJECTED:
        raise input_error("item", f"item {item.id} was rejected")
    if item.issue_id is not None:
        issue = session.get(InfoIssue, item.issue_id)
        if issue is not None and issue.status is IssueStatus.PUBLISHED:
            raise input_error(
                "item", f"item {item.id} is in {issue_name(issue)}, already published"
            )


def edit_item(
    session: Session,
    *,
    item_id: int,
    title: str | None = None,
    body: str | None = None,
    kind: InfoKind | None = None,
    note: str = "",
    actor: str,
) -> ItemResult:
    """编辑: the office changes the text; every version stays in `info_revisions`. The same
    text again changes nothing (no new revision)."""
    item = get_item(session, item_id)
    _editable(session, item)
    if title is None and body is None and kind is None:
        raise input_error("title", "give a new title, body or kind")
    new = (title or item.title, body or item.body, kind or item.kind)
    if new == (item.title, item.body, item.kind):
        return ItemResult(item_id=item.id, action="edited", status=item.status.value, created=False)
    item.title, item.body, item.kind = new
    item.revision += 1
    session.add(
        InfoRevision(
            item_id=item.id,
            revision=item.revision,
            title=item.title,
            body=item.body,
            kind=item.kind,
            edited_by=actor,
            edited_at=clock.now(),
            note=note,
        )
    )
    events.record(
        session,
        action="info_item.edited",
        object_type=OBJECT,
        object_id=item.id,
        actor=actor,
        data={"revision": item.revision, "note": note},
    )
    return ItemResult(item_id=item.id, action="edited", status=item.status.value)


def adopt_item(
    session: Session,
    *,
    item_id: int,
    publication: Publication = Publication.DAILY,
    issue: int | None = None,
    actor: str,
) -> ItemResult:
    """采用: into issue number ``issue`` of the publication (it must exist and be open), or
    into the current open 每日要情 / a new 专报 issue. A published issue is closed."""
    item = get_item(session, item_id)
    if item.status is not ItemStatus.SUBMITTED:
        raise input_error("item", f"item {item.id} is already {item.status.value}")
    label = PUBLICATION_LABELS[publication]
    if issue is not None:
        into = find_issue(session, publication, issue)
        if into is None:
            raise input_error("issue", f"{label} has no issue 第{issue}期")
        if into.status is IssueStatus.PUBLISHED:
            raise input_error(
                "issue",
                f"{issue_name(into)} is already published (closed); adopt into an open issue",
            )
    elif publication is Publication.DAILY:
        into = current_issue(session, publication) or open_issue(session, publication)
    else:
        into = open_issue(session, publication)
    item.status, item.issue_id = ItemStatus.ADOPTED, into.id
    item.decided_by, item.decided_at = actor, clock.now()
    events.record(
        session,
        action="info_item.adopted",
        object_type=OBJECT,
        object_id=item.id,
        actor=actor,
        data={"publication": publication.value, "number": into.number},
    )
    key = notify_item(session, item, "adopted", [item.submitted_by], event="adopted")
    return ItemResult(
        item_id=item.id,
        action="adopted",
        status=item.status.value,
        issue=issue_name(into),
        notice_keys=[key],
    )


def reject_item(session: Session, *, item_id: int, reason: str, actor: str) -> ItemResult:
    """退回 with a reason, which the submitter is told."""
    item = get_item(session, item_id)
    if not reason.strip():
        raise input_error("reason", "a rejection needs a reason for the submitter")
    if len(reason) > 2000:
        raise input_error("reason", "at most 2000 characters")
    if item.status is not ItemStatus.SUBMITTED:
        raise input_error("item", f"item {item.id} is already {item.status.value}")
    item.status, item.reject_reason = ItemStatus.REJECTED, reason.strip()
    item.decided_by, item.decided_at = actor, clock.now()
    events.record(
        session,
        action="info_item.rejected",
        object_type=OBJECT,
        object_id=item.id,
        actor=actor,
        data={"reason": item.reject_reason},
    )
    key = notify_item(session, item, "rejected", [item.submitted_by], event="rejected")
    return ItemResult(
        item_id=item.id, action="rejected", status=item.status.value, notice_keys=[key]
    )
