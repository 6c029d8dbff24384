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


def assignment_sheet(session: Session, decision_id: int) -> str:
    """交办单: the Markdown sheet of a decision's assignments."""
    d = get_decision(session, decision_id)
    issuer = session.get(Person, d.issued_by)
    lines = [
        f"# 交办单 · {md(d.title)}",
        "",
        f"- 编号 No.: {d.id}" + (f" ({md(d.source_ref)})" if d.source_ref else ""),
        f"- 来源 Source: {d.source.value}",
        f"- 交办领导 Issued by: {md(issuer.name if issuer else d.issued_by)}",
        f"- 交办日期 Issued on: {d.issued_on}",
        f"- 紧急程度 Priority: {d.priority.value}",
        f"- 报送周期 Report cycle: {d.report_cycle.value}",
        "",
        "| # | 牵头单位 Lead | 协办 Co | 责任人 Owner | 任务 Task | 办结标准 Standard"
        " | 时限 Due | 状态 Status |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for a in d.assignments:
        dept = session.get(Department, a.lead_department_id)
        owner = session.get(Person, a.owner_id)
        lines.append(
            f"| {a.id} | {md(dept.name if dept else a.lead_department_id)} | "
            f"{md(', '.join(a.co_departments)) or '—'} | "
            f"{md(owner.name if owner else a.owner_id)} | "
            f"{md(a.task)} | {md(a.acceptance_standard)} | "
            f"{clock.format_local(a.due_at)} | {a.status.value} |"
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
