"""值班: publish rosters, swap shifts, hand over, remind people before their shifts, and show
who is on duty."""

from __future__ import annotations

from prefect import flow

from models.common import OfficeDate, SweepResult
from models.duty_input import (
    BoardResult,
    DecideSwapInput,
    HandOverInput,
    HandoverResult,
    RequestSwapInput,
    RosterResult,
    RosterSpec,
    SwapResult,
)
from tasks.actions import take_action
from tasks.delivery import deliver_notices
from tasks.duty import plan_duty_sweep, publish_duty_board, publish_roster


@flow(name="duty-roster")
def duty_roster(roster: RosterSpec, actor: str) -> RosterResult:
    """值班表: publish a roster (daily, weekly or explicit; a holiday roster wins on its dates)
    after checking every shift is covered by known people, and show the week it starts."""
    result = publish_roster(roster, actor)
    publish_duty_board(week_of=roster.start)
    return result


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


# --- actions on a duty shift (declared: officeflow/duty/declarations.py) ----------------------


@flow(name="shift-request-swap")
def shift_request_swap(shift_id: int, params: RequestSwapInput, actor: str) -> SwapResult:
    """换班申请: ask that ``params.with_person`` take your shift; the office is asked to
    decide."""
    return _delivered(take_action("shift.request-swap", shift_id, params, actor))


@flow(name="shift-decide-swap")
def shift_decide_swap(shift_id: int, params: DecideSwapInput, actor: str) -> SwapResult:
    """换班审批: the general office approves (the shift changes hands) or refuses with a
    reason."""
    return _delivered(take_action("shift.decide-swap", shift_id, params, actor))


@flow(name="shift-hand-over")
def shift_hand_over(shift_id: int, params: HandOverInput, actor: str) -> HandoverResult:
    """交接班: the outgoing officer signs and the incoming one receives the open items; run it
    again as the incoming officer to sign taking over."""
    result = take_action("shift.hand-over", shift_id, params, actor)
    delivered = deliver_notices(result.notice_keys)
    return result.model_copy(update={"notices_sent": delivered.sent})


def _delivered(result: SwapResult) -> SwapResult:
    delivered = deliver_notices(result.notice_keys)
    return result.model_copy(
        update={"notices_sent": delivered.sent, "notices_failed": delivered.failed}
    )
