"""Reading helpers the pages share: people's names, an object's event log for a timeline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.org import Department, Person
from officeflow import clock, events
from officeflow.inputs import input_error
from officeflow.web.tokens import Claim


@dataclass(frozen=True)
class Line:
    at: str
    actor: str
    action: str
    via: str
    detail: tuple[tuple[str, Any], ...]  # (key, value): ids already replaced by names


def names(session: Session, ids: set[str]) -> dict[str, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    rows = session.execute(select(Person.id, Person.name).where(Person.id.in_(ids)))
    return {pid: name for pid, name in rows}


def person_name(session: Session, person_id: str) -> str:
    return names(session, {person_id}).get(person_id, person_id)


def timeline(session: Session, object_type: str, object_id: str | int) -> list[Line]:
    rows = events.history(session, object_type=object_type, object_id=object_id)
    details = [_detail(e.data) for e in rows]
    # People and departments named in a detail show by name, as the actors do.
    mentioned = {v for d in details for _k, v in d if isinstance(v, str)}
    who = names(session, {e.actor for e in rows} | mentioned)
    who.update(department_names(session, mentioned))
    # The office's own steps show as "system" (translated by the page), with no channel.
    return [
        Line(
            at=clock.format_local(e.at),
            actor=who.get(e.actor, e.actor),
            action=e.action,
            via=e.via,
            detail=tuple((k, who.get(v, v) if isinstance(v, str) else v) for k, v in d),
        )
        for e, d in zip(rows, details, strict=True)
    ]


def department_names(session: Session, ids: set[str]) -> dict[str, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    rows = session.execute(select(Department.id, Department.name).where(Department.id.in_(ids)))
    return {did: name for did, name in rows}


# The details of an event a timeline shows, in this order (`i18n.event_detail` says them).
DETAIL_KEYS = ("report", "progress", "note", "comment", "reason", "summary", "new_due_date", "rung")


def _detail(data: dict[str, Any] | None) -> tuple[tuple[str, Any], ...]:
    if not data:
        return ()
    return tuple((k, data[k]) for k in DETAIL_KEYS if k in data and data[k] not in ("", None))


def object_id(claim: Claim) -> int:
    """The ledger id a link names (signed by the office, so a number; checked anyway)."""
    if not claim.object_id.isdigit():
        raise input_error("object", f"no {claim.object_type} {claim.object_id!r}")
    return int(claim.object_id)
