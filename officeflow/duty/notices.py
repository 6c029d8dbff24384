"""Message context of the duty notices, and planning them."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from models.duty import DutyShift
from models.org import Person
from officeflow.delivery import plan_notice
from officeflow.duty.common import OBJECT


def person_name(session: Session, person_id: str | None) -> str:
    person = session.get(Person, person_id) if person_id else None
    return person.name if person else (person_id or "")


def shift_context(session: Session, shift: DutyShift) -> dict[str, Any]:
    return {
        "shift_id": shift.id,
        "shift": shift.name,
        "day": shift.day.isoformat(),
        "starts_at": shift.starts_at,
        "ends_at": shift.ends_at,
        "officer": person_name(session, shift.officer_id),
        "leader": person_name(session, shift.leader_id),
    }


def notify(
    session: Session,
    *,
    key: str,
    template: str,
    object_id: str,
    recipients: list[str],
    context: dict[str, Any],
) -> str:
    plan_notice(
        session,
        key=key,
        template=template,
        object_type=OBJECT,
        object_id=object_id,
        recipients=list(dict.fromkeys(recipients)),
        context=context,
    )
    return key
