"""The emergency sweep: every escalation and reporting reminder that is due, once.

Rungs and report deadlines are ledger rows with a ``due_at``. Each pass claims a due row with a
conditional UPDATE before planning its notice, and notice keys are unique, so two sweeps at once
(the `emergency-sweep` flow and a reporting run's own ``--watch`` loop) plan each notice once.
`plan_sweep` runs the passes in one transaction; `run_sweep` then sends."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from models.common import SweepResult
from models.emergency import EscalationRung, Incident, IncidentStatus, SituationReport
from models.ledger import Delivery, DeliveryStatus
from officeflow import clock, events
from officeflow.db import get_engine, insert_ignore, session_scope
from officeflow.delivery import send_pending
from officeflow.duty.officers import duty_officers
from officeflow.emergency.config import OBJECT
from officeflow.emergency.notices import plan_alert, plan_report_reminder
from officeflow.emergency.recording import clock_from
from rules.response_plan import ReportKind, follow_ups_to_schedule, report_label

PROCESS = "emergency"

_OWED = (SituationReport.filed_at.is_(None), SituationReport.cancelled_at.is_(None))


def fire_due_rungs(session: Session, now: dt.datetime) -> list[str]:
    """Alert every rung due on an open, unacknowledged incident, and make the next rung due
    ``ack_within`` from now. Returns the alerts' notice keys."""
    keys: list[str] = []
    due_rungs = session.execute(
        select(EscalationRung.id, EscalationRung.incident_id, EscalationRung.rung)
        .join(Incident, Incident.id == EscalationRung.incident_id)
        .where(
            EscalationRung.fired_at.is_(None),
            EscalationRung.cancelled_at.is_(None),
            EscalationRung.due_at <= now,
            Incident.status == IncidentStatus.OPEN,
            Incident.acknowledged_at.is_(None),
        )
        .order_by(EscalationRung.incident_id, EscalationRung.rung)
    ).all()
    for rung_id, incident_id, number in due_rungs:
        claimed = session.execute(
            update(EscalationRung)
            .where(EscalationRung.id == rung_id, EscalationRung.fired_at.is_(None))
            .values(fired_at=now)
        ).rowcount
        if not claimed:
            continue
        incident = session.get_one(Incident, incident_id)
        rung = session.get_one(EscalationRung, rung_id)
        keys.append(plan_alert(session, incident, rung, now))
        ack_within = dt.timedelta(seconds=incident.response["ack_within_s"])
        session.execute(
            update(EscalationRung)
            .where(
                EscalationRung.incident_id == incident_id,
                EscalationRung.rung == number + 1,
                EscalationRung.due_at.is_(None),
            )
            .values(due_at=now + ack_within)
        )
    return keys


def schedule_follow_ups(session: Session, now: dt.datetime) -> None:
    """Follow-up reports (续报) are scheduled one interval ahead while the incident is open."""
    open_incidents = session.execute(
        select(Incident.id, Incident.recorded_at, Incident.response).where(
            Incident.status == IncidentStatus.OPEN
        )
    ).all()
    for incident_id, recorded_at, response in open_incidents:
        deadlines = follow_ups_to_schedule(clock_from(response["clock"]), recorded_at, now)
        if deadlines:
            session.execute(
                insert_ignore(session, SituationReport),
                [
                    {
                        "incident_id": incident_id,
                        "kind": d.kind,
                        "number": d.number,
                        "due_at": d.due_at,
                        "remind_at": d.remind_at,
                        "late": False,
                    }
                    for d in deadlines
                ],
            )


def remind_of_reports(session: Session, now: dt.datetime) -> list[str]:
    """Remind the duty officers of every owed report whose reminder time has come. Returns the
    reminders' notice keys."""
    keys: list[str] = []
    reminders = session.execute(
        select(SituationReport.id).where(
            *_OWED, SituationReport.reminded_at.is_(None), SituationReport.remind_at <= now
        )
    ).scalars()
    officers: list[str] | None = None
    for report_id in list(reminders):
        claimed = session.execute(
            update(SituationReport)
            .where(SituationReport.id == report_id, SituationReport.reminded_at.is_(None))
            .values(reminded_at=now)
        ).rowcount
        if not claimed:
            continue
        report = session.get_one(SituationReport, report_id)
        incident = session.get_one(Incident, report.incident_id)
        officers = officers if officers is not None else duty_officers(session, now)
        keys.append(plan_report_reminder(session, incident, report, officers, now))
    return keys


def flag_overdue_reports(session: Session, now: dt.datetime) -> int:
    """Flag every owed report past its deadline late (`incident.report_overdue`), once."""
    flagged = 0
    overdue = session.execute(
        select(
            SituationReport.id,
            SituationReport.incident_id,
            SituationReport.kind,
            SituationReport.number,
        ).where(*_OWED, SituationReport.overdue_at.is_(None), SituationReport.due_at <= now)
    ).all()
    for report_id, incident_id, kind, number in overdue:
        claimed = session.execute(
            update(SituationReport)
            .where(SituationReport.id == report_id, SituationReport.overdue_at.is_(None))
            .values(overdue_at=now, late=True)
        ).rowcount
        if claimed:
            events.record(
                session,
                action="incident.report_overdue",
                object_type=OBJECT,
                object_id=incident_id,
                at=now,
                data={"report": report_label(ReportKind(kind), number)},
            )
            flagged += 1
    return flagged


def unsent_incident_keys(session: Session) -> list[str]:
    """Notice keys of incidents with deliveries still pending: planned by a run that died
    before it sent them."""
    return list(
        session.scalars(
            select(Delivery.notice_key)
            .where(
                Delivery.status == DeliveryStatus.PENDING, Delivery.notice_key.like("incident:%")
            )
            .distinct()
        )
    )


def plan_sweep(session: Session, *, now: dt.datetime | None = None) -> SweepResult:
    """Plan every escalation and reminder due at ``now``, once, and flag overdue reports.
    ``notice_keys`` are the notices to send: those planned now, then any incident notice a run
    that died left pending. Idempotent."""
    now = now or clock.now()
    escalations = fire_due_rungs(session, now)
    schedule_follow_ups(session, now)
    reminders = remind_of_reports(session, now)
    overdue = flag_overdue_reports(session, now)
    planned = escalations + reminders
    keys = list(dict.fromkeys(planned + unsent_incident_keys(session)))
    return SweepResult(
        process=PROCESS,
        counts={
            "escalations": len(escalations),
            "reminders": len(reminders),
            "overdue": overdue,
            "left_pending": len(keys) - len(set(planned)),
        },
        notice_keys=keys,
    )


def run_sweep(*, now: dt.datetime | None = None, engine: Engine | None = None) -> SweepResult:
    """Plan what is due (one transaction), then send every pending incident delivery. Run it as
    often as you like; nothing is sent twice. The flow does the same with its tasks."""
    with session_scope(engine) as session:
        result = plan_sweep(session, now=now)
    report = send_pending(result.notice_keys, engine=engine or get_engine())
    return result.model_copy(update={"sent": report.sent, "failed": report.failed})
