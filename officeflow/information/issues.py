"""Issues (第N期) of the publications: numbers allocated once, safely under concurrency."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.information import InfoIssue, IssueStatus, Publication
from officeflow import clock
from rules.information import next_issue_number

ATTEMPTS = 10


def current_issue(session: Session, publication: Publication) -> InfoIssue | None:
    """The lowest-numbered open issue of the publication: where today's items go."""
    return session.scalar(
        select(InfoIssue)
        .where(InfoIssue.publication == publication, InfoIssue.status == IssueStatus.OPEN)
        .order_by(InfoIssue.number)
        .limit(1)
    )


def open_issue(session: Session, publication: Publication) -> InfoIssue:
    """A new issue with the next number. Two transactions that both read the same highest
    number collide on the unique (publication, number) constraint: the loser's savepoint is
    rolled back and it takes the next number, so a number is never used twice."""
    for _ in range(ATTEMPTS):
        highest = session.scalar(
            select(func.max(InfoIssue.number)).where(InfoIssue.publication == publication)
        )
        issue = InfoIssue(
            publication=publication,
            number=next_issue_number(highest),
            status=IssueStatus.OPEN,
            opened_at=clock.now(),
        )
        try:
            with session.begin_nested():
                session.add(issue)
                session.flush()
        except IntegrityError:
            continue
        return issue
    raise RuntimeError(f"could not allocate an issue number of {publication.value}")
