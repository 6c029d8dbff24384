"""督办台账: the supervision ledger as an .xlsx workbook (openpyxl, write-only, so 100,000 rows
stream without holding every cell object). One row per assignment, in id order: the decision,
its source and issuing leader, the task, department, owner, deadline (current and original),
status, light, progress, the last progress report and the dates."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from models.org import Department, Person
from models.supervision import Assignment, Decision, ProgressReport
from officeflow import clock
from officeflow.exports import row as export_row

COLUMNS = [
    ("编号 No.", 8),
    ("交办事项 Decision", 30),
    ("来源 Source", 16),
    ("交办领导 Issued by", 12),
    ("任务 Task", 40),
    ("牵头单位 Department", 20),
    ("责任人 Owner", 12),
    ("交办日期 Issued on", 12),
    ("办结时限 Deadline", 17),
    ("原定时限 Original deadline", 17),
    ("状态 Status", 14),
    ("灯色 Light", 8),
    ("进度 Progress %", 8),
    ("最近进展 Last progress", 40),
    ("最近反馈 Last feedback", 17),
    ("办结日期 Closed", 17),
]
STATUS_NAMES = {"open": "在办 open", "completion_requested": "申请办结", "closed": "已销号 closed"}
LIGHT_NAMES = {"green": "绿", "blue": "蓝", "yellow": "黄", "red": "红"}


def ledger_rows(session: Session, *, batch: int = 5000) -> Iterator[list[Any]]:
    """The ledger's rows as the workbook shows them (the test compares these with the file)."""
    last = (
        select(ProgressReport.assignment_id, func.max(ProgressReport.id).label("id"))
        .group_by(ProgressReport.assignment_id)
        .subquery()
    )
    report = aliased(ProgressReport)
    issuer, owner = aliased(Person), aliased(Person)
    stmt = (
        select(
            Assignment.id,
            Decision.title,
            Decision.source,
            Decision.source_ref,
            issuer.name.label("issuer"),
            Assignment.task,
            Department.name.label("department"),
            owner.name.label("owner"),
            Assignment.issued_on,
            Assignment.due_at,
            Assignment.original_due_at,
            Assignment.status,
            Assignment.light,
            Assignment.progress,
            report.note,
            report.at.label("report_at"),
            report.progress.label("report_progress"),
            Assignment.last_feedback_at,
            Assignment.closed_at,
        )
        .join(Decision, Decision.id == Assignment.decision_id)
        .join(Department, Department.id == Assignment.lead_department_id)
        .join(owner, owner.id == Assignment.owner_id)
        .join(issuer, issuer.id == Decision.issued_by)
        .outerjoin(last, last.c.assignment_id == Assignment.id)
        .outerjoin(report, report.id == last.c.id)
        .order_by(Assignment.id)
        .execution_options(yield_per=batch)
    )
    for r in session.execute(stmt):
        progress_text = (
            f"{clock.format_local(r.report_at, clock.DAY)} {r.report_progress}% {r.note}".strip()
            if r.report_at is not None
            else ""
        )
        # Every cell through the one export guard (`officeflow.exports`): no stored text, not
        # even a source reference, can become a formula in the workbook.
        yield export_row(
            [
                r.id,
                r.title,
                r.source_ref or str(r.source),
                r.issuer,
                r.task,
                r.department,
                r.owner,
                r.issued_on.isoformat(),
                clock.format_local(r.due_at),
                clock.format_local(r.original_due_at),
                STATUS_NAMES.get(str(r.status), str(r.status)),
                LIGHT_NAMES.get(str(r.light), str(r.light)),
                r.progress,
                progress_text,
                clock.format_local(r.last_feedback_at),
                clock.format_local(r.closed_at),
            ]
        )


def ledger_workbook(session: Session) -> bytes:
    """The whole supervision ledger as .xlsx bytes."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("督办台账")
    for i, (_, width) in enumerate(COLUMNS):
        ws.column_dimensions[chr(ord("A") + i)].width = width
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for name in export_row(name for name, _ in COLUMNS):
        cell = WriteOnlyCell(ws, value=name)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    for row in ledger_rows(session):
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def export_filename() -> str:
    return f"supervision-ledger-{clock.format_local(clock.now(), 'YYYYMMDD-HHmm')}.xlsx"
