"""Emergency response (突发事件) services, shared by the tasks, the CLI and the tests.

Every function takes an explicit session (keyword-only arguments) and ``now``; none of them
sends anything except `run_sweep`. Sending is `officeflow.delivery.send_pending` on the notice
keys they return, which is what makes every path (the flow, its own loop, the sweep, a re-run)
exactly-once:

- ``incident:{id}:initial``                    the first alert (rung 0)
- ``incident:{id}:rung:{k}``                   the k-th escalation
- ``incident:{id}:report:{kind}:{n}:reminder`` a reporting-clock reminder to the duty officers
- ``incident:{id}:final:request``              the request for the final report on closure

The modules: `config` (the rules in force), `checks` (grading and what must hold before a
write), `audience` (who hears), `notices` (keys, context, planning), `recording` (a new
incident), `sweep` (what falls due), `actions` (acknowledge, file a report, close), `review`
(the 复盘 assignment) and `views` (reading).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from officeflow._lazy import exports

if TYPE_CHECKING:
    from models.emergency_input import AckResult, CloseResult, FileReportResult
    from officeflow.emergency.actions import acknowledge, close_incident, file_report
    from officeflow.emergency.audience import notified_people, resolve
    from officeflow.emergency.checks import (
        Assessment,
        assess,
        check_close,
        check_references,
        get_incident,
    )
    from officeflow.emergency.config import OBJECT, load_grading_matrix, load_response_plan
    from officeflow.emergency.recording import Recorded, record_incident
    from officeflow.emergency.review import REVIEW_WORKDAYS, create_review_assignment
    from officeflow.emergency.sweep import plan_sweep, run_sweep, unsent_incident_keys
    from officeflow.emergency.views import reports_of, rungs_of, timeline_markdown

__getattr__, __dir__ = exports(__name__, __file__)

__all__ = [
    "OBJECT",
    "REVIEW_WORKDAYS",
    "AckResult",
    "Assessment",
    "CloseResult",
    "FileReportResult",
    "Recorded",
    "acknowledge",
    "assess",
    "check_close",
    "check_references",
    "close_incident",
    "create_review_assignment",
    "file_report",
    "get_incident",
    "load_grading_matrix",
    "load_response_plan",
    "notified_people",
    "plan_sweep",
    "record_incident",
    "reports_of",
    "resolve",
    "rungs_of",
    "run_sweep",
    "timeline_markdown",
    "unsent_incident_keys",
]
