"""Actions on a recorded incident: an acknowledgement, a report filed upward, the closure.
Each takes a session, the incident's id, its input's fields, the ``actor`` and ``now``; none of
them sends anything. Who may take each is declared beside them
(`officeflow/emergency/declarations.py`) and checked at the door (`officeflow.actions.perform`)
before they run."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models.emergency import (
    Acknowledgement,
    EscalationRung,
    IncidentStatus,
    SituationReport,
)
from models.emergency_input import AckResult, CloseResult, FileReportResult
from officeflow import actors, clock, events
from officeflow.duty.officers import duty_officers
from officeflow.emergency.checks import check_close, get_incident
from officeflow.emergency.config import OBJECT
from officeflow.emergency.notices import plan_final_request, settle
from officeflow.emergency.recording import clock_of, report_row
from officeflow.emergency.review import REVIEW_WORKDAYS, create_review_assignment
from officeflow.inputs import check_text, input_error
from officeflow.org import department_heads
from officeflow.workdays import get_calendar
from rules.response_plan import ReportKind, final_deadline, is_late, report_label


def acknowledge(
    session: Session,
    *,
    incident_id: int,
    actor: str,
    now: dt.datetime | None = None,
) -> AckResult:
    """One acknowledgement by anyone alerted stops the ladder: unfired rungs are cancelled.
    The same person again changes nothing (``already``). The row keeps the door it came
    through (web, cli, prefect-ui, system)."""
    now = now or clock.now()
    person_id = actor
    via = actors.current().via
    incident = get_incident(session, incident_id)
    if incident.status is IncidentStatus.CLOSED:
        raise input_error("incident", f"incident {incident_id} is closed")
    existing = session.scalar(
        select(Acknowledgement).where(
            Acknowledgement.incident_id == incident_id, Acknowledgement.person_id == person_id
        )
    )
    if existing is not None:
        return AckResult(
            incident_id=incident_id,
            person_id=person_id,
            at=existing.at,
            first=False,
            already=True,
            stopped_rungs=0,
        )
    latest = session.scalar(
        select(func.max(EscalationRung.rung)).where(
            EscalationRung.incident_id == incident_id, EscalationRung.fired_at.is_not(None)
        )
    )
    session.add(
        Acknowledgement(
            incident_id=incident_id, person_id=person_id, at=now, rung=latest or 0, via=via
        )
    )
    first = incident.acknowledged_at is None
    if first:
        incident.acknowledged_at, incident.acknowledged_by = now, person_id
        settle(session, incident)  # its alerts that still fail are not retried any more
    stopped = _cancel_unfired_rungs(session, incident_id, now)
    events.record(
        session,
        action="incident.acknowledged",
        object_type=OBJECT,
        object_id=incident_id,
        actor=person_id,
        at=now,
        data={"person": person_id, "rung": latest or 0, "via": via, "stopped_rungs": stopped},
    )
    return AckResult(
        incident_id=incident_id,
        person_id=person_id,
        at=now,
        first=first,
        already=False,
        stopped_rungs=stopped,
    )


def _cancel_unfired_rungs(session: Session, incident_id: int, now: dt.datetime) -> int:
    return session.execute(
        update(EscalationRung)
        .where(
            EscalationRung.incident_id == incident_id,
            EscalationRung.fired_at.is_(None),
            EscalationRung.cancelled_at.is_(None),
        )
        .values(cancelled_at=now)
    ).rowcount


def file_report(
    session: Session,
    *,
    incident_id: int,
    kind: ReportKind,
    summary: str,
    actor: str,
    now: dt.datetime | None = None,
) -> FileReportResult:
    """Record a report made to the next level up. Follow-ups are numbered in filing order;
    a report filed after its deadline is flagged late. A phone, initial or final report filed
    again is refused (a follow-up is a new one each time)."""
    now = now or clock.now()
    person_id = actor
    kind = ReportKind(kind)
    incident = get_incident(session, incident_id)
    if not summary.strip():
        raise input_error("summary", "a report needs its text or a summary")
    check_text(summary=summary)
    closed = incident.status is IncidentStatus.CLOSED
    if kind is ReportKind.FINAL and not closed:
        raise input_error("kind", "the final report (终报) follows closure")
    if kind is not ReportKind.FINAL and closed:
        raise input_error("incident", f"incident {incident_id} is closed")
    open_rows = (
        select(SituationReport)
        .where(
            SituationReport.incident_id == incident_id,
            SituationReport.kind == kind,
            SituationReport.filed_at.is_(None),
            SituationReport.cancelled_at.is_(None),
        )
        .order_by(SituationReport.number)
    )
    row = session.scalars(open_rows).first()
    if row is None:
        last = session.scalar(
            select(func.max(SituationReport.number)).where(
                SituationReport.incident_id == incident_id, SituationReport.kind == kind
            )
        )
        if kind is not ReportKind.FOLLOW_UP and last is not None:
            raise input_error("kind", f"the {report_label(kind)} was already filed")
        number = (last or 0) + 1 if kind is ReportKind.FOLLOW_UP else 0
        row = SituationReport(incident_id=incident_id, kind=kind, number=number, late=False)
        session.add(row)
    row.filed_at, row.filed_by, row.summary = now, person_id, summary
    row.late = is_late(row.due_at, now)
    label = report_label(row.kind, row.number)
    events.record(
        session,
        action="incident.report_filed",
        object_type=OBJECT,
        object_id=incident_id,
        actor=person_id,
        at=now,
        data={"report": label, "late": row.late, "due_at": _iso(row.due_at)},
    )
    return FileReportResult(incident_id=incident_id, label=label, late=row.late, due_at=row.due_at)


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def close_incident(
    session: Session,
    *,
    incident_id: int,
    summary: str,
    actor: str,
    now: dt.datetime | None = None,
) -> CloseResult:
    """Stop the ladder and the clocks, ask for the final report, request the review. An
    incident is closed once: closing it again is refused."""
    now = now or clock.now()
    incident = check_close(session, incident_id=incident_id, summary=summary)
    incident.status, incident.closed_at, incident.closure_summary = (
        IncidentStatus.CLOSED,
        now,
        summary,
    )
    _cancel_unfired_rungs(session, incident_id, now)
    session.execute(
        update(SituationReport)
        .where(
            SituationReport.incident_id == incident_id,
            SituationReport.filed_at.is_(None),
            SituationReport.cancelled_at.is_(None),
        )
        .values(cancelled_at=now)
    )
    events.record(
        session,
        action="incident.closed",
        object_type=OBJECT,
        object_id=incident_id,
        actor=actor,
        at=now,
        data={"summary": summary},
    )
    keys = []
    final = final_deadline(clock_of(incident), now)
    if final is not None:
        session.add(report_row(incident_id, final))
        recipients = duty_officers(session, now) + department_heads(session, incident.department_id)
        keys.append(plan_final_request(session, incident, recipients, final.due_at))
    settle(session, incident)  # its notices that still fail are not retried any more
    calendar = get_calendar()
    review_due = calendar.deadline(calendar.local_date(now), REVIEW_WORKDAYS)
    keys += create_review_assignment(
        session,
        incident=incident,
        department_id=incident.department_id,
        due_at=review_due,
        actor=actor,
    )
    return CloseResult(
        incident_id=incident_id,
        final_due=final.due_at if final else None,
        review_due=review_due,
        notice_keys=keys,
    )


# --- what the CLI says after an action (`Action.after`) -----------------------------------------


def said_acknowledged(result: AckResult, params: object, actor: str) -> str:
    """The CLI's sentence for an acknowledgement: whether it stopped the ladder."""
    from officeflow.clock import format_local

    who, incident = actor, result.incident_id
    if result.already:
        return f"{who} had already acknowledged incident {incident}"
    if result.first:
        return (
            f"incident {incident} acknowledged by {who} at {format_local(result.at)}; "
            f"escalation stopped ({result.stopped_rungs} rungs not sent)"
        )
    return f"incident {incident}: acknowledgement by {who} recorded"


def said_filed(result: FileReportResult, params: object, actor: str) -> str:
    """The CLI's sentence for a report filed upward: its label, and LATE with its deadline."""
    from officeflow.clock import format_local

    late = f" LATE (due {format_local(result.due_at)})" if result.late else ""
    return f"incident {result.incident_id}: {result.label} recorded{late}"
