"""Emergency side effects as Prefect tasks: recording an incident, the sweep, the watch loop, the
timeline, each one transaction or one batch. The actions on an incident (acknowledge, file a
report, close) go through `tasks.actions.take_action` (declared)."""

from __future__ import annotations

import time

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.logging import get_run_logger

from models.common import SweepResult
from models.emergency import Incident, IncidentStatus
from models.emergency_input import IncidentReport
from officeflow import db
from officeflow import emergency as service
from rules.grading import GradingMatrix
from rules.response_plan import ResponsePlan


@task(name="load-emergency-rules")
def load_rules() -> tuple[GradingMatrix, ResponsePlan]:
    """The grading matrix and the response plan in force (settings or the shipped files)."""
    return service.load_grading_matrix(), service.load_response_plan()


@task(name="record-incident")
def record_incident(
    report: IncidentReport, assessment: service.Assessment, plan: ResponsePlan
) -> service.Recorded:
    """Write the incident, its ladder and clock, and plan the first alert: one transaction."""
    with db.session_scope() as session:
        recorded = service.record_incident(session, report=report, assessment=assessment, plan=plan)
    get_run_logger().info(
        "incident %d recorded, grade %s, alerting %d people",
        recorded.incident_id,
        recorded.grade.value,
        len(recorded.recipients),
    )
    return recorded


@task(name="plan-emergency-sweep")
def plan_emergency_sweep() -> SweepResult:
    """Claim every due rung and reminder and plan its notice; the result's keys are the notices
    to send (with any incident notices a dead run left pending)."""
    with db.session_scope() as session:
        result = service.plan_sweep(session)
    counts = result.counts
    get_run_logger().info(
        "due: %d escalations, %d reminders, %d reports overdue; %d notices to send",
        counts["escalations"],
        counts["reminders"],
        counts["overdue"],
        len(result.notice_keys),
    )
    return result


@task(name="watch-incident")
def watch_incident(incident_id: int, minutes: float, poll_seconds: float) -> int:
    """The run's own short loop: send what falls due until the incident is acknowledged or
    closed, or ``minutes`` pass. The `emergency-sweep` flow does the same job if this process
    dies."""
    deadline = time.monotonic() + minutes * 60
    sent = 0
    while time.monotonic() < deadline:
        with db.session_scope() as session:
            incident = session.get_one(Incident, incident_id)
            settled = incident.acknowledged_at is not None or (
                incident.status is IncidentStatus.CLOSED
            )
        if settled:
            break
        sent += service.run_sweep().sent
        time.sleep(poll_seconds)
    return sent


@task(name="publish-incident-timeline")
def publish_timeline(incident_id: int) -> str:
    """The incident's Markdown timeline as an artifact (key ``incident-<id>``)."""
    with db.session_scope() as session:
        markdown = service.timeline_markdown(session, incident_id=incident_id)
    create_markdown_artifact(
        key=f"incident-{incident_id}",
        markdown=markdown,
        description=f"Emergency {incident_id}: timeline",
    )
    return markdown
