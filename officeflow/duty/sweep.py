"""The duty sweep: the evening-before and hour-before reminders of every shift in force, to
whoever holds it now (after swaps), each once.

Set-based: per reminder kind and role, one INSERT … SELECT … ON CONFLICT DO NOTHING reserves a
notice named ``duty:shift:<id>:<eve|soon>:<person>`` for every shift whose reminder window is
open (rules.duty.due_reminders is the reference); the unique key keeps two sweeps from sending
twice, and a swap approved after a reminder gives the new person their own. The deliveries of
the newly reserved notices are then rendered and reserved in bulk."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, cast, literal, select
from sqlalchemy.orm import Session

from models.common import SweepResult
from models.duty import DutyShift
from models.ledger import Notice
from officeflow import clock
from officeflow.db import get_engine, insert_ignore, session_scope
from officeflow.delivery import PlannedNotice, reserve_deliveries, send_pending
from officeflow.duty.common import OBJECT, PROCESS
from officeflow.duty.notices import shift_context

_ROLES = {"officer": DutyShift.officer_id, "leader": DutyShift.leader_id}


def _window(kind: str, now: dt.datetime) -> list[object]:
    if kind == "eve":
        return [DutyShift.eve_remind_at <= now, DutyShift.soon_remind_at > now]
    return [DutyShift.soon_remind_at <= now]


def reserve_reminders(session: Session, now: dt.datetime) -> list[tuple[int, str, str, str]]:
    """Reserve every due reminder once. Returns (shift id, kind, role, key) newly reserved."""
    table = Notice.__table__
    out: list[tuple[int, str, str, str]] = []
    for kind in ("eve", "soon"):
        for role, person in _ROLES.items():
            key = (
                literal("duty:shift:") + cast(DutyShift.id, String) + literal(f":{kind}:") + person
            )
            due = select(
                key.label("key"),
                literal("duty_reminder").label("template"),
                literal(OBJECT).label("object_type"),
                cast(DutyShift.id, String).label("object_id"),
                literal({"kind": kind, "role": role}, type_=table.c.context.type).label("context"),
                literal(now, type_=table.c.created_at.type).label("created_at"),
            ).where(DutyShift.in_force.is_(True), DutyShift.starts_at > now, *_window(kind, now))
            inserted = session.execute(
                insert_ignore(session, table)
                .from_select(
                    ["key", "template", "object_type", "object_id", "context", "created_at"], due
                )
                .returning(table.c.object_id, table.c.key)
            ).all()
            out += [(int(oid), kind, role, k) for oid, k in inserted]
    return out


def _plan_deliveries(session: Session, reserved: list[tuple[int, str, str, str]]) -> None:
    shifts = {
        s.id: s
        for s in session.scalars(
            select(DutyShift).where(DutyShift.id.in_({r[0] for r in reserved}))
        )
    }
    ids = dict(
        session.execute(
            select(Notice.key, Notice.id).where(Notice.key.in_([r[3] for r in reserved]))
        ).all()
    )
    planned = [
        PlannedNotice(
            ids[key],
            key,
            "duty_reminder",
            OBJECT,
            str(shift_id),
            [key.rsplit(":", 1)[1]],
            {**shift_context(session, shifts[shift_id]), "kind": kind, "role": role},
        )
        for shift_id, kind, role, key in reserved
    ]
    reserve_deliveries(session, planned)


def plan_sweep(session: Session, *, now: dt.datetime | None = None) -> SweepResult:
    """Reserve every reminder due at ``now`` and its deliveries. Counts ``reminder:eve`` and
    ``reminder:soon`` (newly reserved). Idempotent."""
    now = now or clock.now()
    reserved = reserve_reminders(session, now)
    if reserved:
        _plan_deliveries(session, reserved)
    counts = {"reminder:eve": 0, "reminder:soon": 0}
    for _, kind, _, _ in reserved:
        counts[f"reminder:{kind}"] += 1
    return SweepResult(process=PROCESS, counts=counts, notice_keys=[r[3] for r in reserved])


def run_sweep(*, now: dt.datetime | None = None, send: bool = True) -> SweepResult:
    """Plan in one transaction, then send (unless ``send`` is False: the flow sends with its
    delivery task)."""
    with session_scope() as session:
        result = plan_sweep(session, now=now)
    if not send or not result.notice_keys:
        return result
    report = send_pending(result.notice_keys, engine=get_engine())
    return result.model_copy(update={"sent": report.sent, "failed": report.failed})
