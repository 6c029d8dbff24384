"""值班日志 and 交接班: the officer on duty records calls and events; at handover the outgoing
officer signs, the incoming officer receives the open items and signs taking over.

Who may write the log (`LOG_WRITERS`) and close an item is asked here
(`officeflow.policy.require`: not an action on one shift); who may hand a shift over is declared
(`shift.hand-over`, `officeflow/duty/declarations.py`) and checked at the door
(`officeflow.actions.perform`)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.duty import DutyHandover, DutyLogEntry, DutyShift
from models.duty_input import DutyLogView, HandoverResult
from officeflow import clock, events
from officeflow.duty.common import (
    OBJECT,
    get_shift,
    handover_of,
    next_shift,
    shift_at,
)
from officeflow.duty.notices import notify, person_name, shift_context
from officeflow.inputs import check_text, input_error, is_ledger_id
from officeflow.policy import require

KINDS = ("call", "event", "instruction", "other")
MAX_TEXT = 4000
# How long after the end of one's shift the outgoing officer may still hand it over.
HANDOVER_GRACE = dt.timedelta(hours=6)


def add_entry(
    session: Session, *, officer: str, kind: str, text: str, open_item: bool = False
) -> DutyLogEntry:
    """Record a call or event in the duty log. The writer is on duty now (officer or leader) or
    a member of the general office (`LOG_WRITERS`; anyone else is `NotAllowed`); the entry
    belongs to the shift in force."""
    from officeflow.duty.declarations import LOG_WRITERS

    check_text(text=text)
    require(session, officer, LOG_WRITERS, zh="记录值班日志", en="write the duty log")
    if kind not in KINDS:
        raise input_error("kind", f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if not text.strip():
        raise input_error("text", "a log entry needs text")
    if len(text) > MAX_TEXT:
        raise input_error("text", f"at most {MAX_TEXT} characters, not {len(text)}")
    now = clock.now()
    shift = shift_at(session, now)
    entry = DutyLogEntry(
        shift_id=shift.id if shift else None,
        officer_id=officer,
        at=now,
        kind=kind,
        text=text.strip(),
        open=open_item,
    )
    session.add(entry)
    session.flush()
    events.record(
        session,
        action="duty.logged",
        object_type=OBJECT,
        object_id=f"log:{entry.id}",
        actor=officer,
        at=now,
        data={"kind": kind, "open": open_item},
    )
    return entry


def close_entry(session: Session, *, entry_id: int, closed_by: str) -> DutyLogEntry:
    """Close an open item of the log (anyone of the organisation; closing it again changes
    nothing)."""
    from officeflow.duty.declarations import LOG_CLOSERS

    require(session, closed_by, LOG_CLOSERS, zh="关闭值班日志事项", en="close a duty log item")
    entry = session.get(DutyLogEntry, entry_id) if is_ledger_id(entry_id) else None
    if entry is None:
        raise input_error("entry", f"no duty log entry {entry_id}")
    if entry.open:
        entry.open = False
        entry.closed_at = clock.now()
        entry.closed_by = closed_by
        events.record(
            session,
            action="duty.log_closed",
            object_type=OBJECT,
            object_id=f"log:{entry.id}",
            actor=closed_by,
        )
    return entry


def log_entries(session: Session, *, start: dt.datetime, end: dt.datetime) -> list[DutyLogView]:
    """The duty log from ``start`` (inclusive) to ``end`` (exclusive), oldest first: what the
    information digest includes."""
    if start.tzinfo is None or end.tzinfo is None:
        raise input_error("start", "start and end must be aware datetimes")
    rows = session.execute(
        select(
            DutyLogEntry.at,
            DutyLogEntry.officer_id,
            DutyLogEntry.kind,
            DutyLogEntry.text,
            DutyLogEntry.open,
        )
        .where(DutyLogEntry.at >= start, DutyLogEntry.at < end)
        .order_by(DutyLogEntry.at, DutyLogEntry.id)
    ).all()
    return [DutyLogView(*row) for row in rows]


def open_items(session: Session) -> list[DutyLogEntry]:
    return list(
        session.scalars(
            select(DutyLogEntry).where(DutyLogEntry.open.is_(True)).order_by(DutyLogEntry.id)
        )
    )


def _handover_result(
    record: DutyHandover, step: str, keys: list[str] | None = None
) -> HandoverResult:
    return HandoverResult(
        shift_id=record.from_shift_id,
        handover_id=record.id,
        step=step,  # type: ignore[arg-type]
        outgoing_id=record.outgoing_id,
        incoming_id=record.incoming_id,
        open_items=[int(i) for i in record.open_items],
        notice_keys=keys or [],
    )


def hand_over(
    session: Session,
    *,
    shift_id: int,
    note: str = "",
    actor: str,
    now: dt.datetime | None = None,
) -> HandoverResult:
    """交接班 of shift ``shift_id``, two signatures: its officer signs handing it over (the next
    shift's officer receives the open items and a notice), then that incoming officer signs
    taking it over. Signing again changes nothing."""
    check_text(note=note)
    now = now or clock.now()
    shift = get_shift(session, shift_id)
    record = handover_of(session, shift.id)
    if record is not None:
        if actor == record.incoming_id and record.incoming_signed_at is None:
            record.incoming_signed_at = now
            events.record(
                session,
                action="duty.taken_over",
                object_type=OBJECT,
                object_id=f"handover:{record.id}",
                actor=actor,
                at=now,
                data={"open_items": record.open_items, "shift": shift.id},
            )
            return _handover_result(record, "taken_over")
        # A signature given again: nothing changes.
        step = "taken_over" if record.incoming_signed_at is not None else "handed_over"
        return _handover_result(record, step)
    if actor != shift.officer_id:
        raise input_error(
            "shift",
            f"shift {shift.id} has not been handed over yet: its officer "
            f"{shift.officer_id!r} signs first",
        )
    if not shift.in_force:
        raise input_error("shift", f"shift {shift.id} is no longer in force")
    if shift.starts_at > now:
        raise input_error("shift", f"shift {shift.id} has not begun")
    if shift.ends_at <= now - HANDOVER_GRACE:
        raise input_error("shift", f"shift {shift.id} ended too long ago to be handed over")
    nxt = next_shift(session, shift, now)
    if nxt is None:
        raise input_error("shift", f"no roster has a shift after shift {shift.id}")
    items = open_items(session)
    record = DutyHandover(
        from_shift_id=shift.id,
        to_shift_id=nxt.id,
        outgoing_id=actor,
        incoming_id=nxt.officer_id,
        open_items=[str(e.id) for e in items],
        note=note,
        outgoing_signed_at=now,
    )
    session.add(record)
    session.flush()
    events.record(
        session,
        action="duty.handed_over",
        object_type=OBJECT,
        object_id=f"handover:{record.id}",
        actor=actor,
        at=now,
        data={"to": nxt.officer_id, "open_items": record.open_items, "shift": shift.id},
    )
    key = notify(
        session,
        key=f"duty:handover:{record.id}:incoming",
        template="duty_handover",
        object_id=f"handover:{record.id}",
        recipients=[nxt.officer_id],
        context={
            **shift_context(session, nxt),
            "handover_id": record.id,
            "outgoing": person_name(session, actor),
            "incoming_id": nxt.officer_id,
            "note": note,
            "items": [{"id": e.id, "at": e.at, "kind": e.kind, "text": e.text} for e in items],
        },
    )
    return _handover_result(record, "handed_over", [key])


def shift_to_hand_over(session: Session, person: str) -> int:
    """The shift ``person`` would sign for now (the old ``duty handover`` without a shift): a
    handover awaiting them as the incoming officer, else their current (or just ended) shift
    not yet handed over."""
    now = clock.now()
    waiting = session.scalar(
        select(DutyHandover.from_shift_id)
        .where(DutyHandover.incoming_id == person, DutyHandover.incoming_signed_at.is_(None))
        .order_by(DutyHandover.id.desc())
    )
    if waiting is not None:
        return waiting
    mine = session.scalar(
        select(DutyShift.id)
        .where(
            DutyShift.in_force.is_(True),
            DutyShift.officer_id == person,
            DutyShift.starts_at <= now,
            DutyShift.ends_at > now - HANDOVER_GRACE,
            DutyShift.id.not_in(select(DutyHandover.from_shift_id)),
        )
        .order_by(DutyShift.starts_at.desc())
    )
    if mine is None:
        raise input_error("actor", f"{person!r} has no shift to hand over now")
    return mine
