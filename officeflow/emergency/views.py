"""Reading an incident: its ladder, its reports and its whole timeline as Markdown."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.emergency import EscalationRung, SituationReport
from models.ledger import Delivery, Event
from officeflow.clock import format_local
from officeflow.emergency.checks import get_incident
from officeflow.emergency.config import OBJECT
from officeflow.text import md
from rules.response_plan import report_label

SECOND = "YYYY-MM-DD HH:mm:ss"  # the timeline shows seconds: escalations are minutes apart


def reports_of(session: Session, incident_id: int) -> list[SituationReport]:
    return list(
        session.scalars(
            select(SituationReport)
            .where(SituationReport.incident_id == incident_id)
            .order_by(SituationReport.due_at.is_(None), SituationReport.due_at, SituationReport.id)
        )
    )


def rungs_of(session: Session, incident_id: int) -> list[EscalationRung]:
    return list(
        session.scalars(
            select(EscalationRung)
            .where(EscalationRung.incident_id == incident_id)
            .order_by(EscalationRung.rung)
        )
    )


def timeline_markdown(session: Session, *, incident_id: int) -> str:
    """The whole incident as Markdown: facts, ladder, reports, and every event and notice."""
    incident = get_incident(session, incident_id)
    lines = [
        f"# 突发事件 #{incident.id}: {md(incident.title)}",
        "",
        "| | |",
        "| --- | --- |",
        f"| grade | {incident.grade.value} ({incident.grade.label_zh})"
        + (
            f"; computed {incident.computed_grade.value}, set by hand: "
            f"{md(incident.manual_grade_reason)}"
            if incident.grade != incident.computed_grade
            else ""
        )
        + " |",
        f"| category | {incident.category.label_zh} |",
        f"| occurred | {format_local(incident.occurred_at, SECOND)}, {md(incident.location)} |",
        f"| reported by | {md(incident.reported_by)} |",
        f"| casualties | {incident.deaths} deaths, {incident.serious_injuries} seriously injured |",
        f"| direct loss | CNY {incident.direct_loss_cny:,} |",
        f"| status | {incident.status.value}"
        + (f" since {format_local(incident.closed_at, SECOND)}" if incident.closed_at else "")
        + " |",
        f"| acknowledged | {format_local(incident.acknowledged_at, SECOND)} "
        f"{md(incident.acknowledged_by or '')} |",
        "",
        "## Ladder",
        "",
        "| rung | recipients | due | sent | stopped |",
        "| --- | --- | --- | --- | --- |",
    ]
    for rung in rungs_of(session, incident_id):
        lines.append(
            f"| {rung.rung} | {md(', '.join(rung.recipients))} | "
            f"{format_local(rung.due_at, SECOND)} | {format_local(rung.fired_at, SECOND)} | "
            f"{format_local(rung.cancelled_at, SECOND)} |"
        )
    lines += [
        "",
        "## Reports",
        "",
        "| report | due | filed | by | late |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in reports_of(session, incident_id):
        state = format_local(r.filed_at, SECOND) or ("cancelled" if r.cancelled_at else "open")
        lines.append(
            f"| {report_label(r.kind, r.number)} | {format_local(r.due_at, SECOND)} | {state} | "
            f"{md(r.filed_by or '')} | {'yes' if r.late else ''} |"
        )
    lines += ["", "## Timeline", "", "| time | what | detail |", "| --- | --- | --- |"]
    for at, what, detail in sorted(_timeline_rows(session, incident_id), key=lambda r: r[0]):
        lines.append(f"| {format_local(at, SECOND)} | {md(what)} | {md(detail)} |")
    return "\n".join(lines) + "\n"


def _timeline_rows(session: Session, incident_id: int) -> list[tuple[dt.datetime, str, str]]:
    """Every event of the incident and every delivery of its notices: (when, what, detail)."""
    rows: list[tuple[dt.datetime, str, str]] = []
    for e in session.scalars(
        select(Event).where(Event.object_type == OBJECT, Event.object_id == str(incident_id))
    ):
        detail = ", ".join(f"{k}={v}" for k, v in e.data.items() if k not in ("recipients",))
        rows.append((e.at, e.action, f"{e.actor}: {detail}"))
    deliveries = session.execute(
        select(
            Delivery.notice_key,
            Delivery.person_id,
            Delivery.channel,
            Delivery.status,
            Delivery.sent_at,
            Delivery.created_at,
        ).where(Delivery.notice_key.like(f"incident:{incident_id}:%"))
    ).all()
    for d in deliveries:
        rows.append(
            (
                d.sent_at or d.created_at,
                f"notice {d.status}",
                f"{d.notice_key} → {d.person_id} ({d.channel})",
            )
        )
    return rows
