"""The `officeflow incident` commands that start a flow refuse bad input before a flow run
exists (`check_first`), the actor is `--as`, and `incident sweep` runs the `emergency-sweep`
flow. The real console script against a real Prefect API, ledger and SMTP server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from models.emergency import EscalationRung, Incident, IncidentStatus
from models.emergency_input import IncidentReport
from models.ledger import Delivery, DeliveryStatus, Event
from officeflow import clock, db
from officeflow import emergency as service
from officeflow.inputs import validate_model
from officeflow.mailcatcher import MailCatcher
from tests.cli_helpers import run_cli
from tests.conftest import write_yaml
from tests.emergency_support import T0, incident_data, ledger_counts


def _runs(flow_name: str) -> int:
    """Flow runs of ``flow_name`` the Prefect API holds."""
    from prefect import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    with get_client(sync_client=True) as client:
        return client.count_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=[flow_name])))


def _record_incident() -> int:
    """An open grade II incident, recorded by the service: its first alert is planned, not sent."""
    clock.set_now(T0)
    report = validate_model(IncidentReport, incident_data(department="emergency-management"))
    with db.session_scope() as s:
        return service.record_incident(
            s,
            report=report,
            assessment=service.assess(report, service.load_grading_matrix()),
            plan=service.load_response_plan(),
        ).incident_id


def test_report_refuses_unknown_department_before_a_flow_run(
    prefect_env: dict[str, str], org: Any, mail_office: MailCatcher, tmp_path: Path
) -> None:
    env = {**prefect_env, "OFFICEFLOW_NOW": T0}
    bad = write_yaml(tmp_path / "bad.yaml", incident_data(department="nowhere"))
    before = _runs("emergency-response")
    result = run_cli("incident", "report", str(bad), env=env)
    assert result.returncode == 2, result.stderr
    assert "department: unknown department 'nowhere'" in result.stderr
    assert "Traceback" not in result.stderr
    assert _runs("emergency-response") == before  # refused before the flow
    assert ledger_counts() == (0, 0) and mail_office.messages == []


def test_sweep_and_close_from_the_cli(
    prefect_env: dict[str, str], org: Any, mail_office: MailCatcher
) -> None:
    incident_id = _record_incident()
    env = {**prefect_env, "OFFICEFLOW_NOW": "2026-09-21T10:06:00+08:00"}

    # The sweep runs the emergency-sweep flow: the escalation due at +5 minutes goes out, with
    # the first alert a dead run would have left pending.
    sweeps = _runs("emergency-sweep")
    result = run_cli("incident", "sweep", env=env)
    assert result.returncode == 0, result.stderr
    sent = len(mail_office.messages)
    assert sent > 0
    assert f"1 escalations, 0 reminders, 0 reports overdue; sent {sent}, failed 0" in (
        result.stdout
    )
    assert _runs("emergency-sweep") == sweeps + 1
    with db.session_scope() as s:
        rung1 = s.scalar(
            select(EscalationRung).where(
                EscalationRung.incident_id == incident_id, EscalationRung.rung == 1
            )
        )
        assert rung1 is not None and rung1.fired_at is not None
        pending = s.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(Delivery.status == DeliveryStatus.PENDING)
        )
        assert pending == 0
    result = run_cli("incident", "sweep", env=env)  # again at the same moment: nothing new
    assert result.returncode == 0, result.stderr
    assert "0 escalations, 0 reminders, 0 reports overdue; sent 0, failed 0" in result.stdout
    assert len(mail_office.messages) == sent

    # Closing without a summary is refused before the incident-close flow runs (the service's
    # own check, not only "already closed").
    closes = _runs("incident-close")
    result = run_cli(
        "incident", "close", str(incident_id), "--summary", "  ", "--as", "sun.li", env=env
    )
    assert result.returncode == 2, result.stderr
    assert "summary: closing needs a summary" in result.stderr
    assert _runs("incident-close") == closes

    result = run_cli(
        "incident", "close", str(incident_id), "--summary", "明火已扑灭", "--as", "sun.li", env=env
    )
    assert result.returncode == 0, result.stderr
    assert "now closed" in result.stdout
    assert _runs("incident-close") == closes + 1
    with db.session_scope() as s:
        assert s.get_one(Incident, incident_id).status is IncidentStatus.CLOSED
        closed = s.scalars(select(Event).where(Event.action == "incident.closed")).one()
        assert closed.actor == "sun.li"

    result = run_cli(
        "incident", "close", str(incident_id), "--summary", "again", "--as", "sun.li", env=env
    )
    assert result.returncode == 2
    assert f"incident: incident {incident_id} is already closed" in result.stderr
    assert _runs("incident-close") == closes + 1
