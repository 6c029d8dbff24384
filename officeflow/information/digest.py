"""The issue the leaders read (每日要情, 专报): its adopted items and the duty log compiled,
rendered as a .docx under the officeflow home, its checksum kept, and sent to the leaders."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.information import InfoIssue, InfoItem, IssueStatus, ItemStatus, Publication
from models.information_input import DigestResult
from models.org import Role
from officeflow import clock, events
from officeflow.delivery import plan_notice
from officeflow.information.common import (
    department_name,
    files_dir,
    find_issue,
    issue_name,
    keep_file,
    relative_to_home,
)
from officeflow.information.document import render_docx
from officeflow.information.issues import current_issue
from officeflow.inputs import input_error
from officeflow.org import office_name, people_with_role
from officeflow.settings import get_settings
from officeflow.workdays import get_calendar
from rules.information import (
    PUBLICATION_LABELS,
    Digest,
    DigestEntry,
    DutyLine,
    build_digest,
    kind_label,
)


def duty_log_lines(session: Session, start: dt.datetime, end: dt.datetime) -> list[DutyLine]:
    """The duty log (值班日志) from ``start`` to ``end``, for the issue's 值班情况 section: each
    entry of `officeflow.duty.log_entries` with the officer's name."""
    from models.org import Person
    from officeflow.duty import log_entries

    entries = log_entries(session, start=start, end=end)
    ids = {e.officer_id for e in entries}
    names = dict(session.execute(select(Person.id, Person.name).where(Person.id.in_(ids))).all())
    return [
        DutyLine(at=e.at, officer=names.get(e.officer_id, e.officer_id), text=e.text, open=e.open)
        for e in entries
    ]


def issue_items(session: Session, issue: InfoIssue) -> list[InfoItem]:
    return list(
        session.scalars(
            select(InfoItem)
            .where(InfoItem.issue_id == issue.id, InfoItem.status == ItemStatus.ADOPTED)
            .order_by(InfoItem.decided_at, InfoItem.id)
        )
    )


def _duty_window(session: Session, publication: Publication, now: dt.datetime) -> dt.datetime:
    """Since the previous issue of the publication was published (at most a week back)."""
    last = session.scalar(
        select(InfoIssue.published_at)
        .where(InfoIssue.publication == publication, InfoIssue.status == IssueStatus.PUBLISHED)
        .order_by(InfoIssue.published_at.desc())
        .limit(1)
    )
    floor = now - dt.timedelta(days=7)
    return max(last, floor) if last else now - dt.timedelta(days=1)


def compile_digest(session: Session, issue: InfoIssue, day: dt.date, now: dt.datetime) -> Digest:
    entries = [
        DigestEntry(
            item_id=i.id,
            title=i.title,
            body=i.body,
            kind=i.kind,
            department=department_name(session, i.department_id),
            people=list(i.people),
            places=list(i.places),
        )
        for i in issue_items(session, issue)
    ]
    return build_digest(
        publication=issue.publication,
        number=issue.number,
        day=day,
        office=office_name(session),
        entries=entries,
        duty=duty_log_lines(session, _duty_window(session, issue.publication, now), now),
        timezone=get_settings().timezone,
    )


def issue_to_publish(
    session: Session, publication: Publication, number: int | None
) -> InfoIssue | None:
    """Issue ``number`` (refused when unknown or already published), or the publication's
    current open issue."""
    if number is None:
        return current_issue(session, publication)
    issue = find_issue(session, publication, number)
    label = PUBLICATION_LABELS[publication]
    if issue is None:
        raise input_error("number", f"{label} has no issue 第{number}期")
    if issue.status is IssueStatus.PUBLISHED:
        raise input_error("number", f"{issue_name(issue)} is already published")
    return issue


def publish_issue(
    session: Session,
    *,
    publication: Publication = Publication.DAILY,
    number: int | None = None,
    link: str | None = None,
    actor: str = "system",
) -> tuple[DigestResult, Digest | None]:
    """Compile, render and close the issue; plan its notice to the leaders (email with the
    .docx attached, chat with the link). A 每日要情 is published once a day."""
    now = clock.now()
    day = get_calendar().local_date(now)
    result = DigestResult(publication=publication)
    if publication is Publication.DAILY and number is None:
        done = session.scalar(
            select(InfoIssue).where(
                InfoIssue.publication == publication,
                InfoIssue.status == IssueStatus.PUBLISHED,
                InfoIssue.issue_date == day,
            )
        )
        if done is not None:
            return result.model_copy(
                update={
                    "skipped": True,
                    "reason": f"today's issue ({issue_name(done)}) is already published",
                    "issue_id": done.id,
                    "number": done.number,
                }
            ), None
    issue = issue_to_publish(session, publication, number)
    if issue is None or not issue_items(session, issue):
        what = issue_name(issue) if issue else PUBLICATION_LABELS[publication]
        return result.model_copy(
            update={"skipped": True, "reason": f"nothing adopted into {what}"}
        ), None
    digest = compile_digest(session, issue, day, now)
    path = files_dir("issues") / f"{publication.value}-{issue.number:04d}-{day.isoformat()}.docx"
    sha = render_docx(digest, path)
    document = relative_to_home(path)
    issue.status, issue.issue_date, issue.published_at = IssueStatus.PUBLISHED, day, now
    issue.document_path, issue.document_sha256 = document, sha
    events.record(
        session,
        action="info_issue.published",
        object_type="info_issue",
        object_id=issue.id,
        actor=actor,
        data={
            "label": issue_name(issue),
            "items": [e.item_id for e in digest.entries],
            "sha256": sha,
        },
    )
    key = f"info-issue:{publication.value}:{issue.number}:published"
    plan_notice(
        session,
        key=key,
        template="info_digest",
        object_type="info_issue",
        object_id=issue.id,
        recipients=people_with_role(session, Role.LEADER),
        context={
            "issue": issue_name(issue),
            "date": digest.date_line,
            "items": [
                {"title": e.title, "kind_label": kind_label(e.kind), "department": e.department}
                for e in digest.entries
            ],
            "duty_lines": len(digest.duty_lines),
            "link": link,
            "document": path.name,
        },
        attachment_id=keep_file(
            session, path, object_type="info_issue", object_id=issue.id, actor=actor
        ),
    )
    return result.model_copy(
        update={
            "issue_id": issue.id,
            "number": issue.number,
            "items": [e.item_id for e in digest.entries],
            "document": document,
            "sha256": sha,
            "notice_keys": [key],
        }
    ), digest
