"""Lookups that refuse unknown ids, the refusal of a person who may not start this, where files
go, and the one way an item's notice is planned."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.information import InfoIssue, InfoItem, InfoRequest, Publication
from models.org import Department, Person
from officeflow.delivery import plan_notice
from officeflow.inputs import input_error, is_ledger_id
from officeflow.settings import get_settings
from rules.information import issue_label, kind_label

OBJECT = "info_item"


def get_item(session: Session, item_id: int, field: str = "item") -> InfoItem:
    item = session.get(InfoItem, item_id) if is_ledger_id(item_id) else None
    if item is None:
        raise input_error(field, f"no information item {item_id}")
    return item


def get_request(session: Session, request_id: int, field: str = "request_id") -> InfoRequest:
    request = session.get(InfoRequest, request_id) if is_ledger_id(request_id) else None
    if request is None:
        raise input_error(field, f"no commissioned report (约稿) {request_id}")
    return request


def find_issue(session: Session, publication: Publication, number: int) -> InfoIssue | None:
    return session.scalar(
        select(InfoIssue).where(InfoIssue.publication == publication, InfoIssue.number == number)
    )


def department_name(session: Session, department_id: str) -> str:
    dept = session.get(Department, department_id)
    return dept.name if dept else department_id


def issue_name(issue: InfoIssue) -> str:
    return issue_label(issue.publication, issue.number)


def item_context(session: Session, item: InfoItem) -> dict[str, Any]:
    submitter = session.get(Person, item.submitted_by)
    issue = session.get(InfoIssue, item.issue_id) if item.issue_id else None
    return {
        "item": {
            "id": item.id,
            "title": item.title,
            "body": item.body,
            "kind": item.kind.value,
            "kind_label": kind_label(item.kind),
            "people": list(item.people),
            "places": list(item.places),
            "submitted_at": item.submitted_at,
            "reject_reason": item.reject_reason,
        },
        "department": department_name(session, item.department_id),
        "submitter": submitter.name if submitter else item.submitted_by,
        "issue": issue_name(issue) if issue else None,
    }


def notify_item(
    session: Session,
    item: InfoItem,
    suffix: str,
    recipients: list[str],
    *,
    template: str = "info_update",
    **extra: Any,
) -> str:
    """Plan one notice about an item, keyed ``info:<id>:<suffix>``; returns the key."""
    key = f"info:{item.id}:{suffix}"
    plan_notice(
        session,
        key=key,
        template=template,
        object_type=OBJECT,
        object_id=item.id,
        recipients=recipients,
        context={**item_context(session, item), **extra},
    )
    return key


def files_dir(kind: str) -> Path:
    """A folder under the officeflow home for the process's files (``information/issues``)."""
    folder = get_settings().home / "information" / kind
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def keep_file(
    session: Session, path: Path, *, object_type: str, object_id: str | int, actor: str
) -> int:
    """Record a file this process wrote (an issue's .docx, a chart) in the file store, with its
    checksum, so a notice can carry it (`plan_notice(attachment_id=…)`); returns its id."""
    from officeflow import files

    content = files.FileContent(path.name, path.read_bytes())
    stored = files.store(
        session, content, object_type=object_type, object_id=object_id, actor=actor
    )
    return stored.id


def relative_to_home(path: Path) -> str:
    return path.resolve().relative_to(get_settings().home.resolve()).as_posix()
