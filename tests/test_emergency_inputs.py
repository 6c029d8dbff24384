"""Bad input is refused with a clear message before any notice is planned or sent; the CLI
end to end as a user runs it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from prefect.settings import PREFECT_API_URL
from sqlalchemy import func, select

from models.emergency import Incident
from models.emergency_input import IncidentReport
from models.ledger import Event
from officeflow import clock, db
from officeflow import emergency as service
from officeflow.inputs import InputError, validate_model
from officeflow.mailcatcher import MailCatcher
from tests.cli_helpers import run_cli
from tests.conftest import ROOT, write_yaml
from tests.emergency_support import T0, incident_data, ledger_counts, load_emergency_org

EXAMPLE = ROOT / "examples" / "incident.yaml"


def _error(**overrides: Any) -> str:
    with pytest.raises(InputError) as exc:
        validate_model(IncidentReport, incident_data(**overrides))
    return str(exc.value)


def test_field_errors_name_the_field(ledger: Any) -> None:
    clock.set_now(T0)
    assert "deaths: Input should be greater than or equal to 0" in _error(deaths=-1)
    assert "serious_injuries: Input should be greater than or equal to 0" in _error(
        serious_injuries=-3
    )
    assert "category: Input should be 'natural_disaster', 'accident', 'public_health' or " in (
        _error(category="alien_invasion")
    )
    assert _error(occurred_at="2026-09-21T10:30:00+08:00") == (
        "occurred_at: Value error, 2026-09-21 10:30 is in the future (now 2026-09-21 10:00)"
    )
    validate_model(IncidentReport, incident_data(occurred_at="2026-09-21 10:04"))  # tolerance
    assert (
        _error(manual_grade="I")
        == "manual_grade_reason: Value error, a manual grade needs a reason"
    )
    assert _error(manual_grade="I", manual_grade_reason="  ").endswith("needs a reason")


def test_unknown_department_writes_nothing(ledger: Any, tmp_path: Path) -> None:
    load_emergency_org(tmp_path)
    clock.set_now(T0)
    report = validate_model(IncidentReport, incident_data(affected_departments=["nowhere"]))
    plan = service.load_response_plan()
    assessment = service.assess(report, service.load_grading_matrix())
    match = r"affected_departments\[0\]: unknown department"
    with pytest.raises(InputError, match=match), db.session_scope() as s:
        service.record_incident(s, report=report, assessment=assessment, plan=plan)
    assert ledger_counts() == (0, 0)
    with db.session_scope() as s:
        assert s.scalar(select(func.count()).select_from(Incident)) == 0


def test_manual_grade_differing_from_the_computed_one_is_recorded(
    ledger: Any, tmp_path: Path
) -> None:
    load_emergency_org(tmp_path)
    clock.set_now(T0)
    report = validate_model(
        IncidentReport,
        incident_data(deaths=1, manual_grade="II", manual_grade_reason="hazardous chemicals"),
    )
    assessment = service.assess(report, service.load_grading_matrix())
    assert (assessment.computed.value, assessment.grade.value, assessment.overridden) == (
        "IV",
        "II",
        True,
    )
    with db.session_scope() as s:
        rec = service.record_incident(
            s, report=report, assessment=assessment, plan=service.load_response_plan()
        )
        incident = s.get_one(Incident, rec.incident_id)
        assert incident.manual_grade_reason == "hazardous chemicals"
        history = [e.action for e in s.scalars(select(Event))]
    assert "incident.grade_set_by_hand" in history


def test_cli_report_ack_close_and_refusals(
    prefect_api: None, org: Any, mail_office: MailCatcher, office_env: Any, tmp_path: Path
) -> None:
    env = {
        "OFFICEFLOW_NOW": "2026-09-21T10:00:00+08:00",
        "PREFECT_API_URL": PREFECT_API_URL.value(),
    }

    # A bad file: both problems named with their lines, exit 2, no traceback, nothing written.
    bad = write_yaml(
        tmp_path / "bad.yaml", incident_data(deaths=-2, category="meteor", department="finance")
    )
    result = run_cli("incident", "report", str(bad), env=env)
    assert result.returncode == 2, result.stderr
    assert "line 2: category: Input should be" in result.stderr
    assert "line 7: deaths: Input should be greater than or equal to 0" in result.stderr
    assert "Traceback" not in result.stderr
    assert ledger_counts() == (0, 0) and mail_office.messages == []

    result = run_cli("incident", "report", str(EXAMPLE), env=env)
    assert result.returncode == 0, result.stderr
    assert "grade II (重大)" in result.stdout
    # Grade II: duty officers, the office director, heads of the three departments.
    assert Counter(m.rcpt_tos[0].split("@")[0] for m in mail_office.messages) == {
        "xu.lei": 1,
        "he.fang": 1,
        "sun.li": 1,
        "wu.qiang": 1,
        "jiang.tao": 1,
        "han.xue": 1,
    }
    assert "港区危化品仓库火灾" in mail_office.messages[0].subject

    result = run_cli("incident", "acknowledge", "1", "--as", "zhou.guoqiang", env=env)
    assert result.returncode == 77  # NotAllowed
    assert "may not acknowledge (incident 1): only the people its alerts were sent to may" in (
        " ".join(result.stderr.split())
    )
    # `ack` is the old spelling: it still works, and says the new one.
    result = run_cli("incident", "ack", "1", "--as", "he.fang", env=env)
    assert result.returncode == 0, result.stderr
    assert "acknowledged by he.fang" in result.stdout
    assert "`incident ack` is now `incident acknowledge`" in result.stderr
    result = run_cli("incident", "acknowledge", "1", "--as", "he.fang", env=env)
    assert result.returncode == 0 and "he.fang had already acknowledged incident 1" in (
        result.stdout
    )

    result = run_cli(
        "incident",
        "file-report",
        "1",
        "--kind",
        "initial",
        "--as",
        "xu.lei",
        "--summary",
        "初报已报市委总值班室",
        env={**env, "OFFICEFLOW_NOW": "2026-09-21T11:30:00+08:00"},
    )
    assert result.returncode == 0, result.stderr
    assert "初报 recorded LATE" in result.stdout

    result = run_cli("incident", "close", "1", "--summary", "明火已扑灭", "--as", "xu.lei", env=env)
    assert result.returncode == 0, result.stderr
    assert "now closed" in result.stdout
    result = run_cli("incident", "acknowledge", "1", "--as", "xu.lei", env=env)
    assert result.returncode == 2 and "incident: incident 1 is closed" in result.stderr
    # The final report request went to the duty officers and the responsible department head,
    # and the review (复盘) assignment's notice to that head.
    assert len(mail_office.messages) == 6 + 3 + 1
    assert sum("复盘" in m.subject for m in mail_office.messages) == 1
