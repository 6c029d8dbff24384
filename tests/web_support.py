"""Shared pieces of the web tests: raise an incident or issue an assignment through the services,
take the signed link out of a received email, snapshot the ledger to prove nothing changed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from models.emergency import Acknowledgement, Incident
from models.emergency_input import IncidentReport
from models.ledger import Delivery, Event, Notice, StoredFile
from models.supervision import Assignment, CompletionRequest, ExtensionRequest, ProgressReport
from models.supervision_input import DecisionSpec
from officeflow import clock, db, emergency, supervision
from officeflow.delivery import send_pending
from officeflow.mailcatcher import Caught
from tests.emergency_support import T0, incident_data, load_emergency_org

LINK = re.compile(r"https?://[^\s<>()\[\]]+/a/([A-Za-z0-9._-]+)")


def link_of(message: Caught) -> str:
    """The path (``/a/<token>``) of the one action link in an email."""
    found = LINK.findall(message.text())
    assert found, f"no action link in: {message.text()}"
    return f"/a/{found[0]}"


def links_of(message: Caught) -> list[str]:
    return [f"/a/{t}" for t in LINK.findall(message.text())]


def raise_incident(tmp_path: Path, **overrides: Any) -> int:
    """The emergency org, and a grade II incident at T0 whose first alert has been sent."""
    load_emergency_org(tmp_path)
    clock.set_now(T0)
    report = IncidentReport.model_validate(incident_data(**overrides))
    matrix, plan = emergency.load_grading_matrix(), emergency.load_response_plan()
    with db.session_scope() as s:
        recorded = emergency.record_incident(
            s, report=report, assessment=emergency.assess(report, matrix), plan=plan
        )
    send_pending(recorded.keys)
    return recorded.incident_id


def issue_assignment() -> int:
    """One assignment of the example org: finance (owner lin.tao), issued by li.jianguo, its
    issue notice sent."""
    clock.set_now("2026-09-21T10:00:00+08:00")
    spec = DecisionSpec.model_validate(
        {
            "title": "年度重点工作",
            "issued_by": "li.jianguo",
            "issued_on": "2026-09-21",
            "report_cycle": "weekly",
            "assignments": [
                {
                    "lead_department": "finance",
                    "task": "编制预算调整方案",
                    "acceptance_standard": "报送方案文本",
                    "due_in_workdays": 10,
                }
            ],
        }
    )
    with db.session_scope() as s:
        supervision.check_decision(s, spec)
        record = supervision.record_decision(s, spec, actor="system")
        keys = supervision.plan_issue_notices(s, record)
    send_pending(keys)
    return record.assignment_ids[0]


def snapshot() -> dict[str, Any]:
    """Row counts of everything an action writes, and the objects' states."""
    with db.read_scope() as s:
        counts = {
            model.__tablename__: s.scalar(select(func.count()).select_from(model))
            for model in (
                Event,
                Notice,
                Delivery,
                Acknowledgement,
                ProgressReport,
                CompletionRequest,
                ExtensionRequest,
                StoredFile,
            )
        }
        states = {
            "incidents": [(i.id, i.status, i.acknowledged_by) for i in s.scalars(select(Incident))],
            "assignments": [
                (a.id, a.status, a.progress, a.due_at) for a in s.scalars(select(Assignment))
            ],
        }
    return {**counts, **states}
