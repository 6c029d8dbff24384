"""督查督办's actions, as examples for tests/test_declarations.py."""

from __future__ import annotations

from models.supervision_input import DecisionSpec
from officeflow import db, supervision
from officeflow.inputs import validate_model
from tests.declared_examples import Example


def _assignment() -> int:
    """A decision of 王海涛 (wang.haitao) with one assignment of finance, owner 郑慧 (zheng.hui)."""
    spec = validate_model(
        DecisionSpec,
        {
            "title": "预算调整",
            "issued_by": "wang.haitao",
            "issued_on": "2026-09-28",
            "assignments": [
                {
                    "lead_department": "finance",
                    "owner": "zheng.hui",
                    "task": "编制预算调整方案",
                    "acceptance_standard": "报送方案",
                    "due_in_workdays": 5,
                }
            ],
        },
    )
    with db.session_scope() as s:
        supervision.check_decision(s, spec)
        record = supervision.record_decision(s, spec, actor="system")
    return record.assignment_ids[0]


def _completion_requested() -> int:
    a = _assignment()
    with db.session_scope() as s:
        supervision.request_completion(s, assignment_id=a, evidence="方案已报送", actor="zheng.hui")
    return a


def _extension_requested() -> int:
    a = _assignment()
    with db.session_scope() as s:
        supervision.request_extension(
            s, assignment_id=a, new_due_date=_later_workday(), reason="数据未齐", actor="zheng.hui"
        )
    return a


def _later_workday():  # type: ignore[no-untyped-def]
    import datetime as dt

    return dt.date(2026, 10, 16)


EXAMPLES = {
    "assignment.report-progress": lambda: Example(
        _assignment(), {"progress": 40, "note": "完成一半"}, "zheng.hui", "xu.lei"
    ),
    "assignment.request-completion": lambda: Example(
        _assignment(), {"evidence": "方案已报送"}, "zheng.hui", "xu.lei"
    ),
    "assignment.verify": lambda: Example(
        _completion_requested(), {"approve": True, "comment": "符合要求"}, "xu.lei", "zheng.hui"
    ),
    "assignment.request-extension": lambda: Example(
        _assignment(),
        {"new_due_date": "2026-10-16", "reason": "数据未齐"},
        "zheng.hui",
        "xu.lei",
    ),
    "assignment.decide-extension": lambda: Example(
        _extension_requested(), {"approve": True, "comment": "同意"}, "wang.haitao", "zheng.hui"
    ),
}
