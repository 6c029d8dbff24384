"""The incident's notices: their business keys, their message context, and planning them.
Nothing here sends; the keys go to `officeflow.delivery.send_pending` (or the flow's
`deliver_notices`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from models.emergency import EscalationRung, Incident, IncidentStatus, SituationReport
from models.org import Channel
from officeflow import delivery, events
from officeflow.delivery import plan_notice
from officeflow.emergency.config import OBJECT
from rules.response_plan import report_label


def rung_key(incident_id: int, rung: int) -> str:
    """``incident:{id}:initial`` for the first alert, ``incident:{id}:rung:{k}`` after."""
    return f"incident:{incident_id}:initial" if rung == 0 else f"incident:{incident_id}:rung:{rung}"


def reminder_key(report: SituationReport) -> str:
    return f"incident:{report.incident_id}:report:{report.kind.value}:{report.number}:reminder"


def final_request_key(incident_id: int) -> str:
    return f"incident:{incident_id}:final:request"


def incident_context(incident: Incident) -> dict[str, Any]:
    return {
        "incident": {
            "id": incident.id,
            "title": incident.title,
            "category": incident.category.value,
            "category_zh": incident.category.label_zh,
            "grade": incident.grade.value,
            "grade_zh": incident.grade.label_zh,
            "occurred_at": incident.occurred_at,
            "location": incident.location,
            "reported_by": incident.reported_by,
            "description": incident.description,
            "deaths": incident.deaths,
            "serious_injuries": incident.serious_injuries,
            "direct_loss_cny": str(incident.direct_loss_cny),
        }
    }


def channels(incident: Incident) -> list[Channel] | None:
    """The channels the incident's plan asks for (``None``: everyone's usual ones)."""
    wanted = incident.response.get("channels")
    return [Channel(c) for c in wanted] if wanted is not None else None


def urgency(incident: Incident) -> dict[str, Any]:
    """How hard the sender tries with every notice of an incident (`plan_notice`'s ``urgent``,
    ``fallback``, ``settled``): at once whatever the hour, retried within minutes, on the
    plan's ``fallback`` channels at once when one fails, and until the incident is acknowledged
    or closed (`settle`), however long that takes."""
    fallback = incident.response.get("fallback")
    return {
        "urgent": True,
        "fallback": [Channel(c) for c in fallback] if fallback else None,
        "settled": settled_reason(incident),
    }


def settled_reason(incident: Incident) -> str | None:
    """Why the incident's notices need no more tries (None: they do)."""
    if incident.status is IncidentStatus.CLOSED:
        return f"incident {incident.id} closed"
    if incident.acknowledged_at is not None:
        return f"incident {incident.id} acknowledged"
    return None


def settle(session: Session, incident: Incident) -> None:
    """An acknowledgement or the closure: the incident's failing notices stop being retried."""
    reason = settled_reason(incident)
    if reason is not None:
        delivery.settle(session, object_type=OBJECT, object_id=incident.id, reason=reason)


def plan_alert(session: Session, incident: Incident, rung: EscalationRung, now: dt.datetime) -> str:
    """Plan a rung's alert (rung 0: the first one, then the escalations) and record it."""
    ack_within = dt.timedelta(seconds=incident.response["ack_within_s"])
    plan_notice(
        session,
        key=rung.notice_key,
        template="incident_alert",
        object_type=OBJECT,
        object_id=incident.id,
        recipients=rung.recipients,
        channels_wanted=channels(incident),
        **urgency(incident),
        context={
            **incident_context(incident),
            "rung": rung.rung,
            "ack_by": now + ack_within,
        },
    )
    events.record(
        session,
        action="incident.notified" if rung.rung == 0 else "incident.escalated",
        object_type=OBJECT,
        object_id=incident.id,
        at=now,
        data={"rung": rung.rung, "key": rung.notice_key, "recipients": rung.recipients},
    )
    return rung.notice_key


def plan_report_reminder(
    session: Session,
    incident: Incident,
    report: SituationReport,
    officers: list[str],
    now: dt.datetime,
) -> str:
    """Remind the duty officers of a report falling due, and record it."""
    key = reminder_key(report)
    plan_notice(
        session,
        key=key,
        template="incident_report_reminder",
        object_type=OBJECT,
        object_id=incident.id,
        recipients=officers,
        channels_wanted=channels(incident),
        **urgency(incident),
        context={
            **incident_context(incident),
            "report": {
                "kind": report.kind.value,
                "number": report.number,
                "label": report_label(report.kind, report.number, "zh-CN"),
                "label_en": report_label(report.kind, report.number, "en"),
                "due_at": report.due_at,
            },
        },
    )
    events.record(
        session,
        action="incident.report_reminder",
        object_type=OBJECT,
        object_id=incident.id,
        at=now,
        data={"report": report_label(report.kind, report.number), "key": key},
    )
    return key


def plan_final_request(
    session: Session, incident: Incident, recipients: list[str], final_due: dt.datetime
) -> str:
    """Ask for the final report (终报) on closure."""
    key = final_request_key(incident.id)
    plan_notice(
        session,
        key=key,
        template="incident_final_request",
        object_type=OBJECT,
        object_id=incident.id,
        recipients=recipients,
        channels_wanted=channels(incident),
        **urgency(incident),
        context={**incident_context(incident), "final_due": final_due},
    )
    return key
