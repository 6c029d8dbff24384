"""The append-only event log: every state change of every office object lands here."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.orm import Session

from models.ledger import Event
from officeflow import actors, clock
from officeflow.inputs import check_actor_id, check_text, input_error

SYSTEM = "system"


def record(
    session: Session,
    *,
    action: str,
    object_type: str,
    object_id: str | int,
    actor: str = SYSTEM,
    data: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> None:
    problem = check_actor_id(actor)
    if problem:
        raise input_error("actor", problem)
    check_text(**{str(k): v for k, v in (data or {}).items()})
    door = actors.current()
    # One prepared INSERT for every event (its compiled form is cached), in the session's
    # transaction; the ORM's bulk machinery has nothing to add to a row of plain values.
    session.execute(
        _INSERT,
        {
            "at": at or clock.now(),
            "actor": actor,
            "action": action,
            "object_type": object_type,
            "object_id": str(object_id),
            "data": data or {},
            "via": door.via,
            "operator": door.operator,
        },
    )


_INSERT = insert(Event.__table__)


def record_many(session: Session | Connection, entries: list[dict[str, Any]]) -> None:
    """`record` for many events in one Core INSERT (the sender's marks, at hundreds a second).
    Each entry has `record`'s keyword arguments."""
    if not entries:
        return
    door = actors.current()
    rows = []
    for e in entries:
        actor = e.get("actor", SYSTEM)
        problem = check_actor_id(actor)
        if problem:
            raise input_error("actor", problem)
        data = e.get("data") or {}
        check_text(**{str(k): v for k, v in data.items()})
        rows.append(
            {
                "at": e.get("at") or clock.now(),
                "actor": actor,
                "action": e["action"],
                "object_type": e["object_type"],
                "object_id": str(e["object_id"]),
                "data": data,
                "via": door.via,
                "operator": door.operator,
            }
        )
    session.execute(_INSERT, rows)


def history(session: Session, *, object_type: str, object_id: str | int) -> list[Event]:
    return list(
        session.scalars(
            select(Event)
            .where(Event.object_type == object_type, Event.object_id == str(object_id))
            .order_by(Event.at, Event.id)
        )
    )
