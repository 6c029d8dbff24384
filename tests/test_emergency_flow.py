"""A grade II emergency, end to end with the clock moved by hand: real SMTP and HTTP servers,
a real Prefect API. Exact message counts at every step."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pendulum
from sqlalchemy import select

from flows.emergency import (
    emergency_response,
    emergency_sweep,
    incident_acknowledge,
    incident_close,
    incident_file_report,
)
from models.common import SweepResult
from models.emergency import EscalationRung, Incident, IncidentStatus
from models.emergency_input import (
    AcknowledgeInput,
    AckResult,
    CloseInput,
    CloseResult,
    FileReportInput,
    IncidentReport,
    IncidentResult,
)
from models.ledger import Event
from models.supervision import Assignment
from officeflow import clock, db
from officeflow import emergency as service
from officeflow.mailcatcher import MailCatcher
from officeflow.workdays import get_calendar
from rules.grading import Grade
from rules.response_plan import ReportKind
from tests.conftest import both_backends
from tests.emergency_support import T0, hook_counts, incident_data, load_emergency_org, mail_counts

backend = both_backends  # these tests run on SQLite and on PostgreSQL

RUNG0 = {"duty": 1, "director": 1, "p0-0": 1}
RUNG1 = {"duty": 1, "director": 1, "p0-0": 1, "boss": 1}


def _at(minutes: float) -> pendulum.DateTime:
    return pendulum.parse(T0).add(minutes=minutes)  # type: ignore[union-attr]


def _counts(catcher: MailCatcher, hooks: Any) -> Counter[str]:
    mail, web = mail_counts(catcher), hook_counts(hooks)
    assert mail == web  # every person has both channels
    return mail


def test_grade_ii_alert_escalate_ack_reminders_and_close(
    prefect_api: None,
    ledger: Any,
    office_env: Any,
    mail_office: MailCatcher,
    webhook_server: Any,
    tmp_path: Path,
) -> None:
    office_env.set(webhook_url=webhook_server.url, locale="en")
    load_emergency_org(tmp_path)
    clock.set_now(T0)
    report = IncidentReport.model_validate(incident_data())

    response = emergency_response(report)
    assert isinstance(response, IncidentResult)
    assert (response.grade, response.alerted) == (Grade.II, ["duty", "director", "p0-0"])
    assert (response.notices_sent, response.notices_failed, response.watched_sent) == (6, 0, 0)
    incident_id = response.incident_id
    assert _counts(mail_office, webhook_server) == Counter(RUNG0)
    first = mail_office.to("duty@example.org")[0]
    assert (
        first.subject == "[General Office] Grade II emergency: Warehouse fire in the port district"
    )
    assert "/a/" in first.text() and "officeflow incident" not in first.text()  # a signed link
    with db.session_scope() as s:
        incident = s.get_one(Incident, incident_id)
        assert (incident.grade, incident.computed_grade) == (Grade.II, Grade.II)
        kinds = [(r.kind, r.number) for r in service.reports_of(s, incident_id)]
        assert kinds == [(ReportKind.PHONE, 0), (ReportKind.INITIAL, 0)]

    # 4 minutes: nothing is due yet. 5 minutes, no acknowledgement: rung 1 adds the leader in
    # charge, and everyone in the group hears again.
    clock.set_now(_at(4))
    assert service.run_sweep().sent == 0
    clock.set_now(_at(5))
    swept = emergency_sweep()
    assert isinstance(swept, SweepResult) and swept.process == "emergency"
    assert swept.counts == {"escalations": 1, "reminders": 0, "overdue": 0, "left_pending": 0}
    assert (len(swept.notice_keys), swept.sent, swept.failed) == (1, 8, 0)
    assert _counts(mail_office, webhook_server) == Counter(RUNG0) + Counter(RUNG1)
    assert mail_office.to("boss@example.org")[0].subject.startswith(
        "[General Office] [ESCALATION 1: not acknowledged]"
    )
    emergency_sweep()  # a second sweep at the same moment sends nothing
    assert len(mail_office.messages) == 7

    # The leader acknowledges from the Prefect UI's flow: rung 2 never goes out.
    clock.set_now(_at(6))
    ack = incident_acknowledge(incident_id, AcknowledgeInput(), "boss")
    assert isinstance(ack, AckResult)
    assert (ack.first, ack.already, ack.stopped_rungs, ack.person_id) == (True, False, 1, "boss")
    clock.set_now(_at(15))
    emergency_sweep()
    assert len(mail_office.messages) == 7
    with db.session_scope() as s:
        rung2 = s.scalar(
            select(EscalationRung).where(
                EscalationRung.incident_id == incident_id, EscalationRung.rung == 2
            )
        )
        assert rung2 is not None and rung2.fired_at is None and rung2.cancelled_at is not None

    # The reporting clock: the duty officer is reminded 10 minutes before each deadline.
    clock.set_now(_at(20))  # phone report due at +30
    emergency_sweep()
    assert mail_counts(mail_office)["duty"] == 3
    assert "phone report" in mail_office.to("duty@example.org")[-1].subject
    with db.session_scope() as s:
        assert (
            service.file_report(
                s,
                incident_id=incident_id,
                kind=ReportKind.PHONE,
                summary="phoned",
                actor="duty",
            ).late
            is False
        )
    clock.set_now(_at(50))  # written initial report due at +60
    emergency_sweep()
    assert mail_counts(mail_office)["duty"] == 4
    clock.set_now(_at(70))  # filed ten minutes late
    emergency_sweep()
    filed = incident_file_report(  # through its flow, as the Prefect UI runs it
        incident_id, FileReportInput(kind=ReportKind.INITIAL, summary="初报"), "duty"
    )
    assert (filed.label, filed.late) == ("初报", True)

    # Follow-ups (续报) every 4 hours from the initial report's deadline: reminders at
    # +4h50 (续报1 due +5h) and +8h50 (续报2 due +9h), each exactly once.
    for minutes, expected in [(4 * 60 + 49, 4), (4 * 60 + 50, 5), (6 * 60, 5), (8 * 60 + 50, 6)]:
        clock.set_now(_at(minutes))
        emergency_sweep()
        assert mail_counts(mail_office)["duty"] == expected, minutes
    with db.session_scope() as s:
        filed = service.file_report(
            s, incident_id=incident_id, kind=ReportKind.FOLLOW_UP, summary="1", actor="duty"
        )
    assert (filed.label, filed.late) == ("续报1", True)

    # Closing stops the clocks, asks the duty officer and the department for the final report,
    # requests the review and publishes the timeline.
    clock.set_now(_at(8 * 60 + 55))
    closed = incident_close(
        incident_id, CloseInput(summary="Fire out; casualties confirmed."), actor="director"
    )
    assert isinstance(closed, CloseResult)
    assert closed.final_due == _at(8 * 60 + 55).add(days=7)
    assert (closed.notices_sent, closed.notices_failed) == (6, 0)  # 终报 request, review
    final_request = {"duty": 1, "p0-0": 1}
    review_notice = {"p0-0": 1}  # the review assignment's notice to the department head
    clock.set_now(_at(13 * 60))
    emergency_sweep()  # no more follow-up reminders after closure
    assert _counts(mail_office, webhook_server) == Counter(RUNG0) + Counter(RUNG1) + Counter(
        {"duty": 4}
    ) + Counter(final_request) + Counter(review_notice)
    assert len(mail_office.messages) == 3 + 4 + 4 + 2 + 1

    with db.session_scope() as s:
        incident = s.get_one(Incident, incident_id)
        assert incident.status is IncidentStatus.CLOSED
        reports = {(r.kind.value, r.number): r for r in service.reports_of(s, incident_id)}
        assert reports[("follow_up", 2)].cancelled_at is not None
        assert reports[("final", 0)].due_at == _at(8 * 60 + 55).add(days=7)
        review = s.scalars(select(Event).where(Event.action == "incident.review_requested")).one()
        due = get_calendar().deadline(pendulum.date(2026, 9, 21), 5)
        assignment = s.get_one(Assignment, review.data["assignment"])
        assert review.data == {
            "department": "dept-0",
            "due_at": due.isoformat(),
            "title": "突发事件复盘：Warehouse fire in the port district",
            "assignment": assignment.id,
        }
        # The review is a supervised assignment, traceable to the incident.
        assert (assignment.lead_department_id, assignment.owner_id) == ("dept-0", "p0-0")
        assert assignment.source_ref == f"incident:{incident_id}:review"
        assert assignment.due_at == due
        assert due.isoformat() == "2026-09-29T18:00:00+08:00"  # Mid-Autumn Festival skipped
        actions = Counter(s.scalars(select(Event.action).where(Event.object_type == "incident")))
        assert actions["incident.acknowledged"] == 1
        assert actions["incident.escalated"] == 1
        assert actions["incident.report_reminder"] == 4
        timeline = service.timeline_markdown(s, incident_id=incident_id)
    assert "incident.acknowledged" in timeline and "| 初报 |" in timeline
