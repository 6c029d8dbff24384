"""Emergency response (突发事件): report, grade, alert, escalate, report upward, close.

The ladder and the reporting clock are ledger rows with a ``due_at``; the `emergency-sweep`
flow (scheduled every minute) sends whatever is due, so an emergency survives the death of the
process that reported it. See docs/emergency.md.
"""

from __future__ import annotations

from typing import Annotated

from prefect import flow
from pydantic import Field

from models.common import SweepResult
from models.emergency_input import (
    AcknowledgeInput,
    AckResult,
    CloseInput,
    CloseResult,
    FileReportInput,
    FileReportResult,
    IncidentReport,
    IncidentResult,
)
from officeflow.emergency import assess
from tasks.actions import take_action
from tasks.delivery import deliver_notices
from tasks.emergency import (
    load_rules,
    plan_emergency_sweep,
    publish_timeline,
    record_incident,
    watch_incident,
)


@flow(name="emergency-response")
def emergency_response(
    report: IncidentReport,
    watch_minutes: Annotated[float, Field(ge=0, le=24 * 60, allow_inf_nan=False)] = 0,
    poll_seconds: Annotated[float, Field(ge=0.1, le=3600, allow_inf_nan=False)] = 5,
) -> IncidentResult:
    """Grade the incident, record it, alert the plan's first group, publish the sheet.
    With ``watch_minutes``, keep escalating from this run until someone acknowledges."""
    matrix, plan = load_rules()
    assessment = assess(report, matrix)
    incident = record_incident(report, assessment, plan)
    delivered = deliver_notices(incident.keys)
    publish_timeline(incident.incident_id)
    watched = 0
    if watch_minutes > 0:
        watched = watch_incident(incident.incident_id, watch_minutes, poll_seconds)
    return IncidentResult(
        incident_id=incident.incident_id,
        grade=incident.grade,
        alerted=incident.recipients,
        notices_sent=delivered.sent,
        notices_failed=delivered.failed,
        watched_sent=watched,
    )


@flow(name="emergency-sweep")
def emergency_sweep() -> SweepResult:
    """Send every escalation and reporting reminder that is due. Idempotent; schedule it."""
    result = plan_emergency_sweep()
    delivered = deliver_notices(result.notice_keys)
    return result.model_copy(update={"sent": delivered.sent, "failed": delivered.failed})


# --- actions on an incident (declared: officeflow/emergency/declarations.py) -------------------


@flow(name="incident-acknowledge")
def incident_acknowledge(incident_id: int, params: AcknowledgeInput, actor: str) -> AckResult:
    """确认收到: a notified person acknowledges the incident; its escalation ladder stops."""
    return take_action("incident.acknowledge", incident_id, params, actor)


@flow(name="incident-file-report")
def incident_file_report(incident_id: int, params: FileReportInput, actor: str) -> FileReportResult:
    """报送续报: record a report made to the next level up (电话报告, 初报, 续报, 终报); a late
    one is flagged. The timeline artifact shows it."""
    filed = take_action("incident.file-report", incident_id, params, actor)
    publish_timeline(incident_id)
    return filed


@flow(name="incident-close")
def incident_close(incident_id: int, params: CloseInput, actor: str) -> CloseResult:
    """结束: close the incident, stop the clocks, ask for the final report (终报), request the
    review (复盘) and publish the timeline."""
    closed = take_action("incident.close", incident_id, params, actor)
    delivered = deliver_notices(closed.notice_keys)
    publish_timeline(incident_id)
    return closed.model_copy(
        update={"notices_sent": delivered.sent, "notices_failed": delivered.failed}
    )
