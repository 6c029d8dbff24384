"""Incident pages: acknowledge an alert (stops the escalation ladder), and record the reports made
upward (电话报告, 初报, 续报n, 终报). Both show the incident's timeline (its events and reports) to
whoever the link was sent to. Both act through the one door, `officeflow.actions.perform`
(the declared ``incident.acknowledge`` and ``incident.file-report``): the policy refuses with
403, a bad field with 400."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from models.emergency import Acknowledgement, IncidentStatus
from officeflow import actions, clock, delivered, emergency
from officeflow.web.pages import ActionPage, Outcome, form_text, register
from officeflow.web.tokens import Claim
from officeflow.web.views import names, object_id, person_name, timeline
from rules.response_plan import ReportKind, report_label


def _load(session: Session, claim: Claim) -> dict[str, Any]:
    incident_id = object_id(claim)
    incident = emergency.get_incident(session, incident_id)
    reports = emergency.reports_of(session, incident_id)
    who = names(session, {incident.acknowledged_by or "", *(r.filed_by or "" for r in reports)})
    open_kinds = [r.kind.value for r in reports if r.filed_at is None and r.cancelled_at is None]
    return {
        "incident": incident,
        "closed": incident.status is IncidentStatus.CLOSED,
        "acknowledged_by": who.get(incident.acknowledged_by or "", incident.acknowledged_by),
        "reports": [
            {
                "label": report_label(r.kind, r.number),
                "due_at": r.due_at,
                "filed_at": r.filed_at,
                "filed_by": who.get(r.filed_by or "", r.filed_by or ""),
                "summary": r.summary or "",
                "late": r.late,
                "cancelled": r.cancelled_at is not None,
            }
            for r in reports
        ],
        "kinds": [k.value for k in ReportKind],
        "next_kind": open_kinds[0] if open_kinds else ReportKind.FOLLOW_UP.value,
        "ladder": _ladder(session, incident_id),
        "timeline": timeline(session, emergency.OBJECT, incident_id),
        "person_name": person_name(session, claim.person_id),
    }


def _ladder(session: Session, incident_id: int) -> list[dict[str, Any]]:
    """Each rung: when it was due and fired, and, once fired, what became of each recipient's
    notice (delivered, retrying and when, undeliverable on which channels)."""
    rungs = emergency.rungs_of(session, incident_id)
    outcome = delivered.outcome(session, [r.notice_key for r in rungs if r.fired_at])
    who = names(session, {p for r in rungs for p in r.recipients})
    return [
        {
            "rung": r.rung,
            "due_at": r.due_at,
            "fired_at": r.fired_at,
            "stopped": r.cancelled_at is not None,
            "reached": [
                {
                    "name": x.name,
                    "state": x.state.value,
                    "at": clock.format_local(x.next_attempt_at),
                    "channels": x.channels,
                }
                for x in outcome.of(r.notice_key)
            ],
            "recipients": [who.get(p, p) for p in r.recipients],
        }
        for r in rungs
    ]


def _acknowledged(session: Session, claim: Claim) -> str | None:
    done = session.scalar(
        select(Acknowledgement.id).where(
            Acknowledgement.incident_id == object_id(claim),
            Acknowledgement.person_id == claim.person_id,
        )
    )
    return "incident.ack.already" if done is not None else None


def _acknowledge(session: Session, claim: Claim, form: FormData) -> Outcome:
    result = actions.perform(session, "incident.acknowledge", object_id(claim), {}, claim.person_id)
    if result.already:
        return Outcome("incident.ack.already")
    return Outcome("incident.ack.done", {"n": result.stopped_rungs})


def _file_report(session: Session, claim: Claim, form: FormData) -> Outcome:
    filed = actions.perform(
        session,
        "incident.file-report",
        object_id(claim),
        {"kind": form_text(form, "kind"), "summary": form_text(form, "summary")},
        claim.person_id,
    )
    return Outcome("incident.report.done", {"label": filed.label + (" ⚠" if filed.late else "")})


register(
    ActionPage(
        object_type=emergency.OBJECT,
        action="acknowledge",
        template="incident_acknowledge.html",
        load=_load,
        perform=_acknowledge,
        already=_acknowledged,
        siblings=("file-report",),
    )
)
register(
    ActionPage(
        object_type=emergency.OBJECT,
        action="file-report",
        template="incident_report.html",
        load=_load,
        perform=_file_report,
        siblings=("acknowledge",),
    )
)
