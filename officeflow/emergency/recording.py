"""Recording an incident: the incident row with the plan in force, its escalation ladder, its
reporting clock, and the first alert (rung 0), in one transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from models.emergency import EscalationRung, Incident, IncidentStatus, SituationReport
from models.emergency_input import IncidentReport
from officeflow import clock, events
from officeflow.emergency.audience import resolve
from officeflow.emergency.checks import Assessment, check_references
from officeflow.emergency.config import OBJECT
from officeflow.emergency.notices import plan_alert, rung_key
from rules.grading import Grade
from rules.response_plan import (
    MIN_FOLLOW_UP_EVERY,
    Deadline,
    GradePlan,
    ReportingClock,
    ResponsePlan,
    ladder,
    opening_deadlines,
)


@dataclass(frozen=True)
class Recorded:
    incident_id: int
    grade: Grade
    keys: list[str]
    recipients: list[str]


def _seconds(value: dt.timedelta | None) -> float | None:
    return value.total_seconds() if value is not None else None


def response_snapshot(grade_plan: GradePlan, reporting: ReportingClock) -> dict[str, Any]:
    """The part of the plan an incident keeps (``Incident.response``), so that a later edit of
    the plan file does not change a running emergency."""
    return {
        "ack_within_s": grade_plan.ack_within.total_seconds(),
        "channels": [c.value for c in grade_plan.channels]
        if grade_plan.channels is not None
        else None,
        "clock": {name: _seconds(getattr(reporting, name)) for name in ReportingClock.model_fields},
    }


def clock_of(incident: Incident) -> ReportingClock:
    """The reporting clock the incident was recorded with."""
    return clock_from(incident.response["clock"])


def clock_from(snapshot: dict[str, Any]) -> ReportingClock:
    values = {k: dt.timedelta(seconds=v) for k, v in snapshot.items() if v is not None}
    if "follow_up_every" in values:  # a snapshot taken before the minimum existed
        values["follow_up_every"] = max(values["follow_up_every"], MIN_FOLLOW_UP_EVERY)
    return ReportingClock.model_validate(values)


def report_row(incident_id: int, deadline: Deadline) -> SituationReport:
    return SituationReport(
        incident_id=incident_id,
        kind=deadline.kind,
        number=deadline.number,
        due_at=deadline.due_at,
        remind_at=deadline.remind_at,
        late=False,
    )


def record_incident(
    session: Session,
    *,
    report: IncidentReport,
    assessment: Assessment,
    plan: ResponsePlan,
    actor: str = events.SYSTEM,
    now: dt.datetime | None = None,
) -> Recorded:
    """Write the incident, its ladder and its reporting clock, and plan the first alert.
    One transaction: a bad reference leaves nothing behind."""
    now = now or clock.now()
    grade_plan = plan.for_grade(assessment.grade)
    check_references(session, report, grade_plan)
    reporting = plan.clock(assessment.grade, report.jurisdiction)
    incident = Incident(
        title=report.title,
        category=report.category,
        occurred_at=report.occurred_at,
        location=report.location,
        reported_by=report.reported_by,
        description=report.description,
        deaths=report.deaths,
        serious_injuries=report.serious_injuries,
        direct_loss_cny=report.direct_loss_cny,
        computed_grade=assessment.computed,
        grade=assessment.grade,
        manual_grade_reason=report.manual_grade_reason if report.manual_grade else None,
        department_id=report.department,
        affected_departments=report.departments(),
        jurisdiction=report.jurisdiction,
        status=IncidentStatus.OPEN,
        response={
            **response_snapshot(grade_plan, reporting),
            "fallback": [c.value for c in plan.fallback_for(assessment.grade)],
        },
        recorded_at=now,
    )
    session.add(incident)
    session.flush()
    _record_events(session, incident.id, report, assessment, now)

    rungs = [
        EscalationRung(
            incident_id=incident.id,
            rung=spec.rung,
            recipients=resolve(session, spec, incident.affected_departments, now),
            notice_key=rung_key(incident.id, spec.rung),
            due_at=now if spec.rung == 0 else None,
            fired_at=now if spec.rung == 0 else None,
        )
        for spec in ladder(grade_plan)
    ]
    if len(rungs) > 1:
        rungs[1].due_at = now + grade_plan.ack_within
    session.add_all(rungs)
    session.flush()
    for deadline in opening_deadlines(reporting, now):
        session.add(report_row(incident.id, deadline))
    key = plan_alert(session, incident, rungs[0], now)
    return Recorded(incident.id, assessment.grade, [key], list(rungs[0].recipients))


def _record_events(
    session: Session,
    incident_id: int,
    report: IncidentReport,
    assessment: Assessment,
    now: dt.datetime,
) -> None:
    events.record(
        session,
        action="incident.reported",
        object_type=OBJECT,
        object_id=incident_id,
        at=now,
        data={
            "title": report.title,
            "grade": assessment.grade.value,
            "computed_grade": assessment.computed.value,
            "reasons": list(assessment.reasons),
            "reported_by": report.reported_by,
        },
    )
    if assessment.overridden:
        events.record(
            session,
            action="incident.grade_set_by_hand",
            object_type=OBJECT,
            object_id=incident_id,
            at=now,
            data={
                "computed": assessment.computed.value,
                "grade": assessment.grade.value,
                "reason": report.manual_grade_reason,
            },
        )
