"""值班 (duty): rosters, who is on duty, swaps, the duty log and handover, reminders.

Modules: `common` (object name, people checks, the shift in force at an instant), `rosters`
(check and publish a roster; holiday rosters win on their days), `swaps` (换班 request and the
office's decision), `log` (值班日志, 交接班, `log_entries` for the information digest),
`notices` (message context), `sweep` (the reminders, set-based), `views` (now, a week),
`officers` (who is on duty, the service other processes call)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from officeflow._lazy import exports

if TYPE_CHECKING:
    from officeflow.duty.common import any_roster, get_shift, on_duty, shift_at
    from officeflow.duty.log import (
        add_entry,
        close_entry,
        hand_over,
        log_entries,
        open_items,
        shift_to_hand_over,
    )
    from officeflow.duty.officers import duty_officers, leader_on_duty
    from officeflow.duty.rosters import check_roster, publish_roster, refresh_in_force
    from officeflow.duty.swaps import decide_swap, request_swap, swap_to_decide
    from officeflow.duty.sweep import plan_sweep, run_sweep
    from officeflow.duty.views import now_markdown, week_markdown, week_rows, week_start

__getattr__, __dir__ = exports(__name__, __file__)

__all__ = [
    "add_entry",
    "any_roster",
    "check_roster",
    "close_entry",
    "decide_swap",
    "duty_officers",
    "get_shift",
    "hand_over",
    "leader_on_duty",
    "log_entries",
    "now_markdown",
    "on_duty",
    "open_items",
    "plan_sweep",
    "publish_roster",
    "refresh_in_force",
    "request_swap",
    "run_sweep",
    "shift_at",
    "shift_to_hand_over",
    "swap_to_decide",
    "week_markdown",
    "week_rows",
    "week_start",
]
