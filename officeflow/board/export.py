"""督办台账: the supervision ledger as an .xlsx workbook (openpyxl, write-only, so 100,000 rows
stream without holding every cell object). One row per assignment, in id order: the decision,
its source and issuing leader, the task, department, owner, deadline (current and original),
status, light, progress, the last progress report and the dates. Labels in one locale (the
office's, ``settings.locale``, or the reader's); dates are the spreadsheet's dates (local time,
with a number format) and the header row has an autofilter."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from models.org import Department, Person
from models.supervision import Assignment, Decision, ProgressReport
from officeflow import clock
from officeflow.exports import row as export_row
from officeflow.sources import locale_or_default, source_name, source_ref_text

DAY_FORMAT = "yyyy-mm-dd"
TIME_FORMAT = "yyyy-mm-dd hh:mm"
# (zh-CN header, en header, width, number format of the column's dates)
COLUMN_NAMES = [
    ("编号", "No.", 8, None),
    ("交办事项", "Decision", 30, None),
    ("来源", "Source", 24, None),
    ("交办领导", "Issued by", 12, None),
    ("任务", "Task", 40, None),
    ("牵头单位", "Department", 20, None),
    ("责任人", "Owner", 12, None),
    ("交办日期", "Issued on", 12, DAY_FORMAT),
    ("办结时限", "Deadline", 17, TIME_FORMAT),
    ("原定时限", "Original deadline", 17, TIME_FORMAT),
    ("状态", "Status", 14, None),
    ("灯色", "Light", 8, None),
    ("进度（%）", "Progress %", 8, None),
    ("最近进展", "Last progress", 40, None),
    ("最近反馈", "Last feedback", 17, TIME_FORMAT),
    ("办结日期", "Closed", 17, TIME_FORMAT),
]
STATUS_NAMES = {
    "zh-CN": {"open": "在办", "completion_requested": "申请办结", "closed": "已销号"},
    "en": {"open": "open", "completion_requested": "completion requested", "closed": "closed"},
}
LIGHT_NAMES = {
    "zh-CN": {"green": "绿", "blue": "蓝", "yellow": "黄", "red": "红"},
    "en": {"green": "green", "blue": "blue", "yellow": "yellow", "red": "red"},
}


def columns(locale: str | None = None) -> list[str]:
    """The header row in ``locale`` (default: the office's, ``settings.locale``)."""
    zh = locale_or_default(locale) == "zh-CN"
    return [zh_name if zh else en_name for zh_name, en_name, _, _ in COLUMN_NAMES]


# The header row in the office's default locale (zh-CN).
COLUMNS = [(zh_name, width) for zh_name, _, width, _ in COLUMN_NAMES]


def _local(value: dt.datetime | None) -> dt.datetime | str:
    """An instant as the office's wall-clock time, naive (a spreadsheet has no time zones); no
    instant is an empty cell."""
    if value is None:
        return ""
    local = clock.to_local(value)
    return dt.datetime(local.year, local.month, local.day, local.hour, local.minute)


def ledger_rows(
    session: Session, *, batch: int = 5000, locale: str | None = None
) -> Iterator[list[Any]]:
    """The ledger's rows as the workbook shows them (the test compares these with the file):
    dates and times as the office's local, naive datetimes, labels in ``locale``."""
    locale = locale_or_default(locale)
    statuses = STATUS_NAMES.get(locale, STATUS_NAMES["en"])
    lights = LIGHT_NAMES.get(locale, LIGHT_NAMES["en"])
    sources: dict[tuple[str, str | None], str] = {}
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
        source = sources.get((str(r.source), r.source_ref))
        if source is None:
            source = sources[(str(r.source), r.source_ref)] = (
                source_ref_text(session, r.source_ref, locale)
                if r.source_ref
                else source_name(r.source, locale)
            )
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
                source,
                r.issuer,
                r.task,
                r.department,
                r.owner,
                dt.datetime.combine(r.issued_on, dt.time()),
                _local(r.due_at),
                _local(r.original_due_at),
                statuses.get(str(r.status), str(r.status)),
                lights.get(str(r.light), str(r.light)),
                r.progress,
                progress_text,
                _local(r.last_feedback_at),
                _local(r.closed_at),
            ]
        )


def ledger_workbook(session: Session, *, locale: str | None = None) -> bytes:
    """The whole supervision ledger as .xlsx bytes, its labels in ``locale`` (default: the
    office's): dates as dates, an autofilter over the header row."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(
        "督办台账" if locale_or_default(locale) == "zh-CN" else "Supervision ledger"
    )
    for i, (_, _, width, _) in enumerate(COLUMN_NAMES):
        ws.column_dimensions[get_column_letter(i + 1)].width = width
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for name in export_row(columns(locale)):
        cell = WriteOnlyCell(ws, value=name)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    formats = [fmt for _, _, _, fmt in COLUMN_NAMES]
    count = 0
    for row in ledger_rows(session, locale=locale):
        cells: list[Any] = []
        for value, fmt in zip(row, formats, strict=True):
            if fmt is not None and isinstance(value, dt.date):
                value = WriteOnlyCell(ws, value=value)
                value.number_format = fmt
            cells.append(value)
        ws.append(cells)
        count += 1
    ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMN_NAMES))}{count + 1}"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def export_filename() -> str:
    return f"supervision-ledger-{clock.format_local(clock.now(), 'YYYYMMDD-HHmm')}.xlsx"
