"""值班日志 and 交接班: the officer on duty records calls and events; at handover the outgoing
officer signs, the incoming officer receives the open items and signs taking over."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.duty import DutyHandover, DutyLogEntry, DutyShift
from models.duty_input import DutyLogView, HandoverResult
from officeflow import clock, events
from officeflow.duty.common import OBJECT, require_person, shift_at
from officeflow.duty.notices import notify, person_name, shift_context
from officeflow.inputs import check_text, input_error, is_ledger_id
from officeflow.org import is_office_member

KINDS = ("call", "event", "instruction", "other")
MAX_TEXT = 4000
# How long after the end of one's shift the outgoing officer may still hand it over.
HANDOVER_GRACE = dt.timedelta(hours=6)


def add_entry(
    session: Session, *, officer: str, kind: str, text: str, open_item: bool = False
) -> DutyLogEntry:
    """Record a call or event in the duty log. The writer is on duty now (officer or leader) or
    a member of the general office; the entry belongs to the shift in force."""
    check_text(text=text)
    require_person(session, "officer", officer)
    if kind not in KINDS:
        raise input_error("kind", f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if not text.strip():
        raise input_error("text", "a log entry needs text")
    if len(text) > MAX_TEXT:
        raise input_error("text", f"at most {MAX_TEXT} characters, not {len(text)}")
    now = clock.now()
    shift = shift_at(session, now)
    on_it = shift is not None and officer in (shift.officer_id, shift.leader_id)
    if not on_it and not is_office_member(session, officer):
        raise input_error("officer", f"{officer!r} is not on duty now")
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
    require_person(session, "closed_by", closed_by)
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


def handover(session: Session, *, person: str, note: str = "") -> HandoverResult:
    """One command for both signatures: a handover awaiting ``person`` as the incoming officer
    is signed taken over; otherwise ``person`` hands over their current (or just ended) shift
    to the next shift's officer, who receives the open items."""
    check_text(note=note)
    require_person(session, "person", person)
    now = clock.now()
    waiting = session.scalar(
        select(DutyHandover)
        .where(DutyHandover.incoming_id == person, DutyHandover.incoming_signed_at.is_(None))
        .order_by(DutyHandover.id.desc())
    )
    if waiting is not None:
        waiting.incoming_signed_at = now
        events.record(
            session,
            action="duty.taken_over",
            object_type=OBJECT,
            object_id=f"handover:{waiting.id}",
            actor=person,
            at=now,
            data={"open_items": waiting.open_items},
        )
        return HandoverResult(
            handover_id=waiting.id,
            step="taken_over",
            outgoing_id=waiting.outgoing_id,
            incoming_id=waiting.incoming_id,
            open_items=[int(i) for i in waiting.open_items],
        )
    done = select(DutyHandover.from_shift_id)
    mine = session.scalar(
        select(DutyShift)
        .where(
            DutyShift.in_force.is_(True),
            DutyShift.officer_id == person,
            DutyShift.starts_at <= now,
            DutyShift.ends_at > now - HANDOVER_GRACE,
            DutyShift.id.not_in(done),
        )
        .order_by(DutyShift.starts_at.desc())
    )
    if mine is None:
        raise input_error("person", f"{person!r} has no shift to hand over now")
    nxt = shift_at(session, max(mine.ends_at, now))
    if nxt is None or nxt.id == mine.id:
        raise input_error("person", f"no roster has a shift after shift {mine.id}")
    items = open_items(session)
    record = DutyHandover(
        from_shift_id=mine.id,
        to_shift_id=nxt.id,
        outgoing_id=person,
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
        actor=person,
        at=now,
        data={"to": nxt.officer_id, "open_items": record.open_items},
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
            "outgoing": person_name(session, person),
            "incoming_id": nxt.officer_id,
            "note": note,
            "items": [{"id": e.id, "at": e.at, "kind": e.kind, "text": e.text} for e in items],
        },
    )
    return HandoverResult(
        handover_id=record.id,
        step="handed_over",
        outgoing_id=person,
        incoming_id=nxt.officer_id,
        open_items=[e.id for e in items],
        notice_keys=[key],
    )
