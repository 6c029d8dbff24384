"""Reading the supervision ledger: lookups that refuse unknown ids, the assignment sheet
(交办单), a decision's state, the open-assignment table and an assignment's deadline history."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from models.org import Department, Person
from models.supervision import (
    Assignment,
    AssignmentStatus,
    Decision,
    ExtensionRequest,
    Light,
)
from officeflow import clock
from officeflow.inputs import input_error, is_ledger_id
from officeflow.sources import locale_or_default, source_name, source_ref_text
from officeflow.text import md


def get_decision(session: Session, decision_id: int) -> Decision:
    decision = session.get(Decision, decision_id) if is_ledger_id(decision_id) else None
    if decision is None:
        raise input_error("decision", f"no decision {decision_id}")
    return decision


def get_assignment(session: Session, assignment_id: int) -> Assignment:
    assignment = session.get(Assignment, assignment_id) if is_ledger_id(assignment_id) else None
    if assignment is None:
        raise input_error("assignment", f"no assignment {assignment_id}")
    return assignment


SHEET_WORDS = {
    "zh-CN": {
        "title": "交办单",
        "no": "编号",
        "source": "来源",
        "issued_by": "交办领导",
        "issued_on": "交办日期",
        "priority": "紧急程度",
        "cycle": "报送周期",
        "columns": "| 序号 | 牵头单位 | 协办单位 | 责任人 | 任务 | 办结标准 | 办理时限 | 状态 |",
        "colon": "：",
        "list": "、",
        "priority.normal": "一般",
        "priority.important": "重要",
        "priority.urgent": "紧急",
        "cycle.none": "不定期",
        "cycle.weekly": "每周",
        "cycle.monthly": "每月",
        "status.open": "在办",
        "status.completion_requested": "申请办结",
        "status.closed": "已销号",
    },
    "en": {
        "title": "Assignment sheet",
        "no": "No.",
        "source": "Source",
        "issued_by": "Issued by",
        "issued_on": "Issued on",
        "priority": "Priority",
        "cycle": "Report cycle",
        "columns": "| # | Lead | Co-departments | Owner | Task | Standard | Due | Status |",
        "colon": ": ",
        "list": ", ",
        "priority.normal": "normal",
        "priority.important": "important",
        "priority.urgent": "urgent",
        "cycle.none": "none",
        "cycle.weekly": "weekly",
        "cycle.monthly": "monthly",
        "status.open": "open",
        "status.completion_requested": "completion requested",
        "status.closed": "closed",
    },
}


def assignment_sheet(session: Session, decision_id: int, *, locale: str | None = None) -> str:
    """交办单: the Markdown sheet of a decision's assignments, in ``locale`` (default: the
    office's): labels, the source kind, priority, cycle and status in words, departments and
    people by name, a ledger reference (``doc:5``) as the thing it names."""
    w = SHEET_WORDS.get(locale_or_default(locale), SHEET_WORDS["en"])
    c = w["colon"]
    d = get_decision(session, decision_id)
    issuer = session.get(Person, d.issued_by)
    source = source_name(d.source, locale)
    if d.source_ref:
        source += f"（{source_ref_text(session, d.source_ref, locale)}）"

    def dept_name(dept_id: str) -> str:
        dept = session.get(Department, dept_id)
        return dept.name if dept else dept_id

    def word(key: str, value: object) -> str:
        raw = str(getattr(value, "value", value))
        return w.get(f"{key}.{raw}", raw)

    lines = [
        f"# {w['title']} · {md(d.title)}",
        "",
        f"- {w['no']}{c}{d.id}",
        f"- {w['source']}{c}{md(source)}",
        f"- {w['issued_by']}{c}{md(issuer.name if issuer else d.issued_by)}",
        f"- {w['issued_on']}{c}{d.issued_on}",
        f"- {w['priority']}{c}{word('priority', d.priority)}",
        f"- {w['cycle']}{c}{word('cycle', d.report_cycle)}",
        "",
        w["columns"],
        "|---|---|---|---|---|---|---|---|",
    ]
    for a in d.assignments:
        owner = session.get(Person, a.owner_id)
        co = w["list"].join(dept_name(x) for x in a.co_departments)
        lines.append(
            f"| {a.id} | {md(dept_name(a.lead_department_id))} | "
            f"{md(co) or '—'} | "
            f"{md(owner.name if owner else a.owner_id)} | "
            f"{md(a.task)} | {md(a.acceptance_standard)} | "
            f"{clock.format_local(a.due_at)} | {word('status', a.status)} |"
        )
    return "\n".join(lines) + "\n"


def decision_state(session: Session, decision_id: int) -> list[dict[str, Any]]:
    d = get_decision(session, decision_id)
    return [
        {
            "id": a.id,
            "department": a.lead_department_id,
            "owner": a.owner_id,
            "task": a.task,
            "due_at": clock.format_local(a.due_at),
            "status": a.status.value,
            "progress": a.progress,
            "light": a.light.value,
            "red_count": a.red_count,
            "source": a.source_ref or d.source_ref or d.source.value,
        }
        for a in d.assignments
    ]


def deadline_history(session: Session, assignment_id: int) -> list[ExtensionRequest]:
    return list(
        session.scalars(
            select(ExtensionRequest)
            .where(ExtensionRequest.assignment_id == assignment_id)
            .order_by(ExtensionRequest.id)
        )
    )


def open_assignments_table(session: Session, limit: int = 500) -> list[dict[str, Any]]:
    """The sweep artifact's rows: most urgent first."""
    order = case(
        (Assignment.light == Light.RED.value, 0),
        (Assignment.light == Light.YELLOW.value, 1),
        (Assignment.light == Light.BLUE.value, 2),
        else_=3,
    )
    rows = session.execute(
        select(
            Assignment.id,
            Decision.title,
            Assignment.lead_department_id,
            Assignment.owner_id,
            Assignment.due_at,
            Assignment.progress,
            Assignment.light,
            Assignment.red_count,
            Assignment.status,
        )
        .join(Decision, Decision.id == Assignment.decision_id)
        .where(Assignment.status != AssignmentStatus.CLOSED)
        .order_by(order, Assignment.due_at)
        .limit(limit)
    ).all()
    return [
        {
            "id": r.id,
            "decision": r.title,
            "department": r.lead_department_id,
            "owner": r.owner_id,
            "due": clock.format_local(r.due_at),
            "progress": r.progress,
            "light": str(r.light),
            "escalations": r.red_count,
            "status": str(r.status),
        }
        for r in rows
    ]
