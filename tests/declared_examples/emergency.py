"""突发事件's actions, as examples for tests/test_declarations.py.

The example incident (examples/incident.yaml) is grade II: its first alert went to the duty
officers 徐磊 (xu.lei) and 何芳 (he.fang), the office director 孙丽 (sun.li) and the heads of
the departments concerned; 郑慧 (zheng.hui, finance staff) was not alerted and holds no role that
closes an incident."""

from __future__ import annotations

from pathlib import Path

from models.emergency_input import IncidentReport
from officeflow import db
from officeflow import emergency as service
from officeflow.inputs import load_yaml_model
from tests.declared_examples import Example

ROOT = Path(__file__).resolve().parents[2]


def _incident() -> int:
    """The example incident, recorded as the office (its first alert planned, not sent)."""
    report, _ = load_yaml_model(ROOT / "examples" / "incident.yaml", IncidentReport)
    matrix, plan = service.load_grading_matrix(), service.load_response_plan()
    with db.session_scope() as s:
        return service.record_incident(
            s, report=report, assessment=service.assess(report, matrix), plan=plan
        ).incident_id


EXAMPLES = {
    "incident.acknowledge": lambda: Example(_incident(), {}, "xu.lei", "zheng.hui"),
    # Anyone of the organisation records a report made upward (the policy is `policy.ANYONE`):
    # only a person who is not (or no longer) of it is refused.
    "incident.file-report": lambda: Example(
        _incident(),
        {"kind": "phone", "summary": "已电话报告市委总值班室"},
        "xu.lei",
        "nobody-at-all",
    ),
    "incident.close": lambda: Example(
        _incident(), {"summary": "明火已扑灭"}, "sun.li", "zheng.hui"
    ),
}
