"""值班: publish rosters, swap shifts, hand over, remind people before their shifts, and show
who is on duty."""

from __future__ import annotations

from prefect import flow

from models.common import OfficeDate, SweepResult
from models.duty_input import (
    BoardResult,
    HandoverResult,
    RosterResult,
    RosterSpec,
    SwapResult,
)
from tasks.delivery import deliver_notices
from tasks.duty import (
    plan_duty_sweep,
    publish_duty_board,
    publish_roster,
    record_handover,
    record_swap_decision,
    record_swap_request,
)


@flow(name="duty-roster")
def duty_roster(roster: RosterSpec, actor: str) -> RosterResult:
    """值班表: publish a roster (daily, weekly or explicit; a holiday roster wins on its dates)
    after checking every shift is covered by known people, and show the week it starts."""
    result = publish_roster(roster, actor)
    publish_duty_board(week_of=roster.start)
    return result


@flow(name="duty-swap-request")
def duty_swap_request(
    shift_id: int,
    with_person: str,
    requested_by: str,
    their_shift_id: int | None = None,
    reason: str = "",
) -> SwapResult:
    """换班申请: ask that ``with_person`` take your shift; the office is asked to decide."""
    result = record_swap_request(shift_id, with_person, requested_by, their_shift_id, reason)
    return _delivered(result)


@flow(name="duty-swap-decide")
def duty_swap_decide(swap_id: int, approve: bool, decided_by: str, comment: str = "") -> SwapResult:
    """换班审批: the general office approves (the shift changes hands) or refuses with a reason."""
    return _delivered(record_swap_decision(swap_id, approve, decided_by, comment))


@flow(name="duty-handover")
def duty_handover(person: str, note: str = "") -> HandoverResult:
    """交接班: the outgoing officer signs and the incoming one receives the open items; run it
    again as the incoming officer to sign taking over."""
    result = record_handover(person, note)
    delivered = deliver_notices(result.notice_keys)
    return result.model_copy(update={"notices_sent": delivered.sent})


@flow(name="duty-sweep")
def duty_sweep() -> SweepResult:
    """值班提醒: remind whoever holds each shift (after swaps) the evening before and an hour
    before it starts, once each; refresh the "on duty now" and "this week" artifacts. Runs as of
    the office's clock: a run cannot be given another instant."""
    result = plan_duty_sweep(None)
    delivered = deliver_notices(result.notice_keys)
    publish_duty_board(None)
    return result.model_copy(update={"sent": delivered.sent, "failed": delivered.failed})


@flow(name="duty-board")
def duty_board(week_containing: OfficeDate | None = None) -> BoardResult:
    """当前值班: publish who is on duty now and the roster of a week (this one by default)."""
    return publish_duty_board(week_of=week_containing)


def _delivered(result: SwapResult) -> SwapResult:
    delivered = deliver_notices(result.notice_keys)
    return result.model_copy(
        update={"notices_sent": delivered.sent, "notices_failed": delivered.failed}
    )
