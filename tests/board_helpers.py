"""A small, known ledger for the board and "my work" tests: two departments' assignments in
every state, three days of supervision sweeps, an open incident with its clocks, a meeting."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pendulum

from models.emergency import EscalationRung, Incident, SituationReport
from models.meeting import Meeting, MeetingAttendee, MeetingDepartment, MeetingKind
from models.supervision import (
    Assignment,
    AssignmentStatus,
    CompletionRequest,
    Decision,
    DecisionSource,
    ExtensionRequest,
    Light,
    ProgressReport,
)
from officeflow import clock, db, events
from rules.grading import Category, Grade
from rules.response_plan import ReportKind

TZ = "Asia/Shanghai"
NOW = "2026-11-18T09:00:00+08:00"  # a Wednesday


def local(text: str) -> pendulum.DateTime:
    return pendulum.parse(text, tz=TZ)


def build(make_org: Any) -> dict[str, Any]:
    """Load a 2-department org (office: boss, duty; dept-0: p0-0 head, p0-1; dept-1: p1-0 head,
    p1-1) and write the ledger; the clock is left at NOW."""
    make_org(departments=2)
    clock.set_now(local(NOW))
    now = clock.now()
    with db.session_scope() as s:
        d = Decision(
            fingerprint="f1",
            title="关于冬季安全=生产的批示",
            source=DecisionSource.LEADER_INSTRUCTION,
            source_ref="领导批示〔2026〕30号",
            issued_by="boss",
            issued_on=dt.date(2026, 11, 2),
            created_at=now,
        )
        s.add(d)
        s.flush()

        def assignment(dept: str, owner: str, due: str, **kw: Any) -> Assignment:
            due_at = local(due)
            a = Assignment(
                decision_id=d.id,
                lead_department_id=dept,
                owner_id=owner,
                task=kw.pop("task", f"task of {owner}"),
                acceptance_standard="报告",
                issued_at=local("2026-11-02T10:00:00"),
                due_at=due_at,
                original_due_at=kw.pop("original", due_at),
                issued_on=dt.date(2026, 11, 2),
                due_on=due_at.date(),
                **kw,
            )
            s.add(a)
            s.flush()
            return a

        on_time = assignment(
            "dept-0",
            "p0-0",
            "2026-11-13T18:00:00",
            status=AssignmentStatus.CLOSED,
            closed_at=local("2026-11-12T15:00:00"),
            progress=100,
        )
        late = assignment(
            "dept-0",
            "p0-1",
            "2026-11-13T18:00:00",
            status=AssignmentStatus.CLOSED,
            closed_at=local("2026-11-16T11:00:00"),
            progress=100,
        )
        overdue = assignment(
            "dept-1", "p1-0", "2026-11-16T18:00:00", light=Light.RED, progress=40, red_count=2
        )
        green = assignment(
            "dept-1",
            "p1-1",
            "2026-11-30T18:00:00",
            light=Light.GREEN,
            progress=60,
            task="\x07=cmd|' /C calc'!A0",  # a control character and a formula-like start
            last_feedback_at=local("2026-11-17T16:00:00"),
        )
        verifying = assignment(
            "dept-0",
            "p0-1",
            "2026-11-20T18:00:00",
            light=Light.BLUE,
            status=AssignmentStatus.COMPLETION_REQUESTED,
        )
        s.add(
            ProgressReport(
                assignment_id=green.id,
                at=local("2026-11-10T10:00:00"),
                reporter_id="p1-1",
                progress=30,
                note="first",
            )
        )
        s.add(
            ProgressReport(
                assignment_id=green.id,
                at=local("2026-11-17T16:00:00"),
                reporter_id="p1-1",
                progress=60,
                note="排查完成过半",
            )
        )
        s.add(
            CompletionRequest(
                assignment_id=verifying.id,
                requested_by="p0-1",
                requested_at=local("2026-11-17T09:00:00"),
                evidence="检查报告已报送",
            )
        )
        s.add(
            ExtensionRequest(
                assignment_id=overdue.id,
                requested_by="p1-0",
                requested_at=local("2026-11-17T09:00:00"),
                old_due_at=overdue.due_at,
                new_due_at=local("2026-11-27T18:00:00"),
                reason="设备未到",
            )
        )
        for day, lights in [
            ("2026-11-16", {"green": 2, "blue": 1, "red": 0}),
            ("2026-11-17", {"green": 1, "blue": 1, "red": 1}),
            ("2026-11-18", {"green": 1, "blue": 1, "red": 1, "yellow": 0}),
        ]:
            events.record(
                s,
                action="sweep.ran",
                object_type="sweep",
                object_id=day,
                data={"changed": 1, "reminders": {}, "lights": lights},
                at=local(f"{day}T08:30:00"),
            )

        incident = Incident(
            title="化工厂泄漏",
            category=Category.ACCIDENT,
            occurred_at=local("2026-11-18T07:30:00"),
            location="开发区",
            reported_by="值班电话",
            description="泄漏",
            deaths=0,
            serious_injuries=12,
            direct_loss_cny=Decimal("0"),
            computed_grade=Grade.II,
            grade=Grade.II,
            department_id="dept-0",
            response={"ack_within_s": 900},
            recorded_at=local("2026-11-18T07:40:00"),
        )
        s.add(incident)
        s.flush()
        s.add(
            EscalationRung(
                incident_id=incident.id,
                rung=0,
                recipients=["p0-0", "duty"],
                notice_key=f"incident:{incident.id}:alert:0",
                fired_at=local("2026-11-18T07:40:00"),
            )
        )
        s.add(
            EscalationRung(
                incident_id=incident.id,
                rung=1,
                recipients=["boss"],
                notice_key=f"incident:{incident.id}:alert:1",
                due_at=local("2026-11-18T07:55:00"),
            )
        )
        s.add(
            SituationReport(
                incident_id=incident.id,
                kind=ReportKind.INITIAL,
                due_at=local("2026-11-18T09:40:00"),
            )
        )
        meeting = Meeting(
            fingerprint="m1",
            title="冬季安全生产调度会",
            kind=MeetingKind.COORDINATION,
            chair_id="boss",
            start_at=local("2026-11-25T09:30:00"),
            end_at=local("2026-11-25T11:00:00"),
            venue="三楼会议室",
            topic_deadline=local("2026-11-20T18:00:00"),
            materials_deadline=local("2026-11-24T18:00:00"),
            created_by="duty",
            created_at=now,
        )
        s.add(meeting)
        s.flush()
        s.add(MeetingDepartment(meeting_id=meeting.id, department_id="dept-1"))
        for p in ("boss", "p1-0", "p0-0"):
            s.add(MeetingAttendee(meeting_id=meeting.id, person_id=p))
    return {
        "decision": d.id,
        "on_time": on_time.id,
        "late": late.id,
        "overdue": overdue.id,
        "green": green.id,
        "verifying": verifying.id,
        "incident": incident.id,
        "meeting": meeting.id,
    }
