"""督查督办: decisions, their assignments, and everything that happens to an assignment.

Every function takes an explicit session (except the sweep, which owns its transaction) and is
shared by the Prefect tasks, the CLI and the tests. The modules:

- `decisions`: check and record a leader's decision as assignments; the 交办通知
- `actions`: progress, completion and verification (销号), extensions
- `sweep`: the periodic sweep: lights and reminders, set-based (`plan_sweep`)
- `bulletin`: the weekly 督办通报
- `notices`: what people are told and who is told
- `views`: lookups and read views (the 交办单, tables, deadline history)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from officeflow._lazy import exports

if TYPE_CHECKING:
    from models.supervision_input import DecisionRecord
    from officeflow.supervision.actions import (
        decide_extension,
        extension_to_decide,
        report_progress,
        request_completion,
        request_extension,
        resume_waiting_run,
        verify_completion,
    )
    from officeflow.supervision.bulletin import (
        BulletinRow,
        bulletin_markdown,
        bulletin_rows,
        check_recipients,
        plan_bulletin,
        week_markdown,
        week_of,
    )
    from officeflow.supervision.decisions import (
        check_decision,
        owner_of,
        plan_issue_notices,
        record_decision,
    )
    from officeflow.supervision.notices import assignment_context, supervising_office_staff
    from officeflow.supervision.sweep import plan_sweep, sweep_time
    from officeflow.supervision.views import (
        assignment_sheet,
        deadline_history,
        decision_state,
        get_assignment,
        get_decision,
        open_assignments_table,
    )

__getattr__, __dir__ = exports(__name__, __file__)

__all__ = [
    "BulletinRow",
    "DecisionRecord",
    "assignment_context",
    "assignment_sheet",
    "bulletin_markdown",
    "bulletin_rows",
    "check_decision",
    "check_recipients",
    "deadline_history",
    "decide_extension",
    "decision_state",
    "extension_to_decide",
    "get_assignment",
    "get_decision",
    "open_assignments_table",
    "owner_of",
    "plan_bulletin",
    "plan_issue_notices",
    "record_decision",
    "report_progress",
    "request_completion",
    "request_extension",
    "resume_waiting_run",
    "plan_sweep",
    "supervising_office_staff",
    "sweep_time",
    "verify_completion",
    "week_markdown",
    "week_of",
]
