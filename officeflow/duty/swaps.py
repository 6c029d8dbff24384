"""换班: a person on a shift asks that someone else take it (optionally taking one of theirs in
return); a member of the general office approves or refuses. Both are recorded; an approved
swap changes who is on duty. Who may ask and who may decide is declared beside them
(`officeflow/duty/declarations.py`) and checked at the door (`officeflow.actions.perform`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.duty import DutyRole, DutyShift, DutySwap, SwapStatus
from models.duty_input import SwapResult
from models.org import Role
from officeflow import clock, events
from officeflow.duty.common import OBJECT, get_shift, require_person
from officeflow.duty.notices import notify, person_name, shift_context
from officeflow.inputs import check_text, input_error, is_ledger_id
from officeflow.org import general_office, people_with_role


def _role_on(shift: DutyShift, person: str) -> DutyRole | None:
    if shift.officer_id == person:
        return DutyRole.OFFICER
    if shift.leader_id == person:
        return DutyRole.LEADER
    return None


def _holder(shift: DutyShift, role: DutyRole) -> str:
    return shift.officer_id if role is DutyRole.OFFICER else shift.leader_id


def _set_holder(shift: DutyShift, role: DutyRole, person: str) -> None:
    if role is DutyRole.OFFICER:
        shift.officer_id = person
    else:
        shift.leader_id = person


def _deciders(session: Session) -> list[str]:
    """Who is asked to decide: the office director(s), else the general office's staff."""
    directors = people_with_role(session, Role.OFFICE_DIRECTOR)
    if directors:
        return directors
    office = general_office(session)
    return people_with_role(session, Role.STAFF, office.id) if office else []


def request_swap(
    session: Session,
    *,
    shift_id: int,
    with_person: str,
    their_shift_id: int | None = None,
    reason: str = "",
    actor: str,
) -> SwapResult:
    """Record the request of ``actor`` (the shift's officer or leader) and ask the office.
    Refused: a swap with oneself, an unknown person, a shift already begun, a request already
    pending (so a replay is refused)."""
    requested_by = actor
    check_text(reason=reason)
    if with_person == requested_by:
        raise input_error("with_person", "a swap with oneself changes nothing; name someone else")
    require_person(session, "with_person", with_person)
    shift = get_shift(session, shift_id)
    now = clock.now()
    role = _role_on(shift, requested_by)
    if role is None:  # the office's own steps (system) hold no shift
        raise input_error("actor", f"{requested_by!r} is not on duty in shift {shift.id}")
    if not shift.in_force:
        raise input_error("shift", f"shift {shift.id} is no longer in force")
    if shift.starts_at <= now:
        raise input_error("shift", f"shift {shift.id} has already begun")
    if with_person in (shift.officer_id, shift.leader_id):
        raise input_error("with_person", f"{with_person!r} is already on shift {shift.id}")
    their = None
    if their_shift_id is not None:
        their = get_shift(session, their_shift_id, "their_shift")
        if _holder(their, role) != with_person:
            raise input_error(
                "their_shift", f"{with_person!r} is not the {role.value} of shift {their.id}"
            )
        if their.starts_at <= now or not their.in_force:
            raise input_error("their_shift", f"shift {their.id} has begun or is not in force")
    pending = session.scalar(
        select(DutySwap.id).where(
            DutySwap.shift_id == shift.id, DutySwap.status == SwapStatus.PENDING
        )
    )
    if pending is not None:
        raise input_error("shift", f"swap {pending} of shift {shift.id} awaits a decision")
    swap = DutySwap(
        shift_id=shift.id,
        role=role,
        requested_by=requested_by,
        with_person=with_person,
        their_shift_id=their.id if their else None,
        reason=reason,
        requested_at=now,
        status=SwapStatus.PENDING,
    )
    session.add(swap)
    session.flush()
    events.record(
        session,
        action="duty.swap_requested",
        object_type=OBJECT,
        object_id=f"swap:{swap.id}",
        actor=requested_by,
        at=now,
        data={"shift": shift.id, "with": with_person, "their_shift": swap.their_shift_id},
    )
    key = notify(
        session,
        key=f"duty:swap:{swap.id}:requested",
        template="duty_swap",
        object_id=f"swap:{swap.id}",
        recipients=_deciders(session) + [with_person],
        context=_swap_context(session, swap, shift),
    )
    return _result(swap, shift, [key])


def swap_to_decide(session: Session, shift: DutyShift, swap_id: int | None) -> DutySwap:
    """The swap of ``shift`` named by ``swap_id``; by default the one awaiting a decision, else
    the latest (so that the same answer given again finds it and changes nothing)."""
    if swap_id is not None:
        swap = session.get(DutySwap, swap_id) if is_ledger_id(swap_id) else None
        if swap is None or swap.shift_id != shift.id:
            raise input_error("swap_id", f"shift {shift.id} has no swap {swap_id}")
        return swap
    swaps = select(DutySwap).where(DutySwap.shift_id == shift.id)
    swap = session.scalar(
        swaps.where(DutySwap.status == SwapStatus.PENDING).order_by(DutySwap.id.desc())
    ) or session.scalar(swaps.order_by(DutySwap.id.desc()))
    if swap is None:
        raise input_error("swap_id", f"shift {shift.id} has no swap to decide")
    return swap


def decide_swap(
    session: Session,
    *,
    shift_id: int,
    approve: bool,
    comment: str = "",
    swap_id: int | None = None,
    actor: str,
) -> SwapResult:
    """The office approves (the shift changes hands) or refuses (a reason is needed) the swap
    of shift ``shift_id`` (``swap_id``: which one; by default the one awaiting a decision).
    The same answer again changes nothing."""
    decided_by = actor
    check_text(comment=comment)
    shift = get_shift(session, shift_id)
    swap = swap_to_decide(session, shift, swap_id)
    wanted = SwapStatus.APPROVED if approve else SwapStatus.REFUSED
    if swap.status is wanted:
        return _result(swap, shift, [])
    if swap.status is not SwapStatus.PENDING:
        raise input_error("swap_id", f"swap {swap.id} was already {swap.status.value}")
    if not approve and not comment:
        raise input_error("comment", "a refusal needs a reason")
    now = clock.now()
    if approve:
        if shift.starts_at <= now:
            raise input_error("shift", f"shift {shift.id} has already begun")
        if _holder(shift, swap.role) != swap.requested_by:
            raise input_error("shift", f"{swap.requested_by!r} no longer holds shift {shift.id}")
        _set_holder(shift, swap.role, swap.with_person)
        if swap.their_shift_id is not None:
            their = session.get_one(DutyShift, swap.their_shift_id)
            if _holder(their, swap.role) != swap.with_person or their.starts_at <= now:
                raise input_error("shift", f"shift {their.id} has changed since the request")
            _set_holder(their, swap.role, swap.requested_by)
    swap.status = wanted
    swap.decided_by = decided_by
    swap.decided_at = now
    swap.comment = comment
    session.flush()
    events.record(
        session,
        action=f"duty.swap_{wanted.value}",
        object_type=OBJECT,
        object_id=f"swap:{swap.id}",
        actor=decided_by,
        at=now,
        data={"shift": shift.id, "comment": comment},
    )
    key = notify(
        session,
        key=f"duty:swap:{swap.id}:{wanted.value}",
        template="duty_swap",
        object_id=f"swap:{swap.id}",
        recipients=[swap.requested_by, swap.with_person],
        context=_swap_context(session, swap, shift),
    )
    return _result(swap, shift, [key])


def _swap_context(session: Session, swap: DutySwap, shift: DutyShift) -> dict[str, object]:
    return {
        **shift_context(session, shift),
        "swap_id": swap.id,
        "status": swap.status.value,
        "role": swap.role.value,
        "requested_by": person_name(session, swap.requested_by),
        "requested_by_id": swap.requested_by,
        "with_person": person_name(session, swap.with_person),
        "their_shift_id": swap.their_shift_id,
        "reason": swap.reason,
        "comment": swap.comment,
        "decided_by": person_name(session, swap.decided_by),
    }


def _result(swap: DutySwap, shift: DutyShift, keys: list[str]) -> SwapResult:
    return SwapResult(
        swap_id=swap.id,
        shift_id=shift.id,
        status=swap.status.value,
        officer_id=shift.officer_id,
        leader_id=shift.leader_id,
        notice_keys=keys,
    )
