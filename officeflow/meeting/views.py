"""What the office sees: the meeting with its steps and topics (`meeting show`, the steps
artifact), the compiled agenda (议程) and the list of meetings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.meeting import AgendaStatus, Meeting, MeetingMinutes, MeetingStep, StepKind, StepStatus
from models.org import Person
from officeflow import clock
from officeflow.meeting.attendance import attendance_counts, attendance_rows
from officeflow.meeting.common import get_meeting, steps, topics
from officeflow.meeting.notices import meeting_context, topic_context
from officeflow.text import md


def agenda_markdown(session: Session, meeting_id: int) -> str:
    """议程: the compiled agenda, as published in the Prefect UI."""
    meeting = get_meeting(session, meeting_id)
    ctx = meeting_context(session, meeting)["meeting"]
    approver = (
        session.get(Person, meeting.agenda_approved_by) if meeting.agenda_approved_by else None
    )
    start, end = clock.format_local(meeting.start_at), clock.format_local(meeting.end_at, "HH:mm")
    lines = [
        f"# 会议议程 Agenda · {md(meeting.title)}",
        "",
        f"- 会议类型 Kind: {md(ctx['kind'])}",
        f"- 时间 Time: {start} – {end}",
        f"- 地点 Venue: {md(meeting.venue)}",
        f"- 主持 Chair: {md(ctx['chair'])}",
        f"- 审定 Approved by: {md(approver.name) if approver else '—'}"
        + (
            f" ({clock.format_local(meeting.agenda_approved_at)})"
            if meeting.agenda_approved_at
            else ""
        ),
        "",
        "| # | 议题 Topic | 汇报单位 Department | 汇报人 Presenter | 材料 Materials |",
        "|---|---|---|---|---|",
    ]
    for i, t in enumerate(meeting_context(session, meeting)["agenda"], 1):
        title = md(t["title"]) + (" (补报 late)" if t["late"] else "")
        lines.append(
            f"| {i} | {title} | {md(t['department'])} | {md(t['presenter'])} | "
            f"{'✓' if t['materials'] else '—'} |"
        )
    return "\n".join(lines) + "\n"


def meeting_view(session: Session, meeting_id: int) -> dict[str, Any]:
    meeting = get_meeting(session, meeting_id)
    now = clock.now()
    minutes = session.get(MeetingMinutes, meeting.id)
    attendance = attendance_rows(session, meeting.id)
    return {
        "id": meeting.id,
        "title": meeting.title,
        "status": meeting.status.value,
        "agenda": meeting.agenda_status.value,
        "sequence": meeting.sequence,
        "start": clock.format_local(meeting.start_at),
        "venue": meeting.venue,
        "topic_deadline": clock.format_local(meeting.topic_deadline),
        "materials_deadline": clock.format_local(meeting.materials_deadline),
        "decision_id": minutes.decision_id if minutes else None,
        "steps": [
            {
                "label": s.label,
                "due": clock.format_local(s.due_at),
                "status": s.status.value,
                "note": _step_note(meeting, s, now),
            }
            for s in steps(session, meeting.id)
        ],
        "topics": [
            {
                **topic_context(session, t),
                "materials_late": t.materials_at is None and now > meeting.materials_deadline,
            }
            for t in topics(session, meeting.id)
        ],
        "attendance": attendance,
        "attendance_counts": attendance_counts(attendance),
    }


def _step_note(meeting: Meeting, step: MeetingStep, now: dt.datetime) -> str:
    if step.status is StepStatus.DONE:
        return step.outcome.get("skipped") or step.outcome.get("key", "")
    if (
        step.status is StepStatus.PENDING
        and step.kind is StepKind.NOTICE
        and meeting.agenda_status is not AgendaStatus.APPROVED
    ):
        return "waits for the agenda approval"
    if step.status is StepStatus.PENDING and step.due_at <= now:
        return "due"
    return ""


def list_meetings(session: Session) -> list[Meeting]:
    return list(session.scalars(select(Meeting).order_by(Meeting.start_at.desc())))
