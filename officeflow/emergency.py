"""Emergency response (突发事件) services, shared by the tasks, the CLI and the tests.

Every function takes an explicit session (keyword-only arguments) and ``now``; none of them
sends anything. Sending is `officeflow.delivery.send_pending` on the notice keys they return,
which is what makes every path (the flow, its own loop, the watchdog, a re-run) exactly-once:

- ``incident:{id}:initial``                    the first alert (rung 0)
- ``incident:{id}:rung:{k}``                   the k-th escalation
- ``incident:{id}:report:{kind}:{n}:reminder`` a reporting-clock reminder to the duty officers
- ``incident:{id}:final:request``              the request for the final report on closure
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from models.emergency import (
    Acknowledgement,
    EscalationRung,
    Incident,
    IncidentStatus,
    SituationReport,
)
from models.emergency_input import IncidentReport
from models.ledger import Delivery, DeliveryStatus, Event
from models.org import Channel, Department, Person, Role
from officeflow import clock, events
from officeflow.db import get_engine, insert_ignore, session_scope
from officeflow.delivery import DeliveryReport, plan_notice, send_pending
from officeflow.inputs import InputError, Problem, is_ledger_id, load_yaml_model
from officeflow.org import department_heads, general_office, people_with_role
from officeflow.settings import Settings, get_settings
from officeflow.workdays import get_calendar
from rules.grading import Grade, GradingMatrix, grade_incident
from rules.response_plan import (
    Audience,
    Deadline,
    GradePlan,
    ReportingClock,
    ReportKind,
    ResponsePlan,
    RungSpec,
    final_deadline,
    follow_ups_to_schedule,
    is_late,
    ladder,
    opening_deadlines,
    report_label,
)

OBJECT = "incident"
REVIEW_WORKDAYS = 5
_CONFIG = resources.files("officeflow") / "config"


# --- configuration ------------------------------------------------------------------------


def load_grading_matrix(settings: Settings | None = None) -> GradingMatrix:
    settings = settings or get_settings()
    path = settings.grading_matrix or Path(str(_CONFIG / "grading_matrix.yaml"))
    return load_yaml_model(path, GradingMatrix)[0]


def load_response_plan(settings: Settings | None = None) -> ResponsePlan:
    settings = settings or get_settings()
    path = settings.response_plan or Path(str(_CONFIG / "response_plan.yaml"))
    return load_yaml_model(path, ResponsePlan)[0]


# --- grading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Assessment:
    computed: Grade
    grade: Grade
    reasons: tuple[str, ...]
    overridden: bool  # a manual grade that differs from the computed one


def assess(report: IncidentReport, matrix: GradingMatrix) -> Assessment:
    grading = grade_incident(
        matrix,
        report.category,
        deaths=report.deaths,
        serious_injuries=report.serious_injuries,
        direct_loss_cny=report.direct_loss_cny,
    )
    grade = report.manual_grade or grading.grade
    return Assessment(grading.grade, grade, grading.reasons, grade != grading.grade)


# --- recording ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    incident_id: int
    grade: Grade
    keys: list[str]
    recipients: list[str]


def _seconds(value: dt.timedelta | None) -> float | None:
    return value.total_seconds() if value is not None else None


def _clock_from(snapshot: dict[str, Any]) -> ReportingClock:
    return ReportingClock.model_validate(
        {k: dt.timedelta(seconds=v) for k, v in snapshot.items() if v is not None}
    )


def check_references(session: Session, report: IncidentReport, plan: GradePlan) -> None:
    """Departments and people named by the report and the plan must exist."""
    problems = []
    known = set(session.scalars(select(Department.id)))
    if report.department not in known:
        problems.append(Problem(("department",), f"unknown department {report.department!r}"))
    for i, dept in enumerate(report.affected_departments):
        if dept not in known:
            problems.append(Problem(("affected_departments", i), f"unknown department {dept!r}"))
    named = {p for rung in plan.ladder for p in rung.people} | set(plan.people)
    people = set(session.scalars(select(Person.id).where(Person.id.in_(named))))
    for person in sorted(named - people):
        problems.append(Problem(("response plan",), f"unknown person {person!r}"))
    if general_office(session) is None:
        problems.append(Problem(("org",), "no general office: load the org file first"))
    if problems:
        raise InputError(problems)


def duty_officers(session: Session) -> list[str]:
    office = general_office(session)
    people = people_with_role(session, Role.DUTY_OFFICER, office.id if office else None)
    return people or people_with_role(session, Role.DUTY_OFFICER)


def resolve(session: Session, spec: RungSpec, departments: Sequence[str]) -> list[str]:
    """The people a rung's roles name, in a stable order."""
    out: list[str] = []
    for audience in spec.audiences:
        if audience is Audience.DUTY_OFFICER:
            out += duty_officers(session)
        elif audience is Audience.OFFICE_DIRECTOR:
            out += people_with_role(session, Role.OFFICE_DIRECTOR)
        elif audience is Audience.LEADER_IN_CHARGE:
            leaders = session.scalars(
                select(Department.leader_id).where(Department.id.in_(list(departments)))
            )
            out += sorted({leader for leader in leaders if leader})
        elif audience is Audience.AFFECTED_DEPARTMENTS:
            for dept in departments:
                out += department_heads(session, dept)
        elif audience is Audience.ALL_LEADERS:
            out += people_with_role(session, Role.LEADER)
    out += list(spec.people)
    return list(dict.fromkeys(out))


def _incident_context(incident: Incident) -> dict[str, Any]:
    return {
        "incident": {
            "id": incident.id,
            "title": incident.title,
            "category": incident.category.value,
            "category_zh": incident.category.label_zh,
            "grade": incident.grade.value,
            "grade_zh": incident.grade.label_zh,
            "occurred_at": incident.occurred_at,
            "location": incident.location,
            "reported_by": incident.reported_by,
            "description": incident.description,
            "deaths": incident.deaths,
            "serious_injuries": incident.serious_injuries,
            "direct_loss_cny": str(incident.direct_loss_cny),
        }
    }


def _channels(incident: Incident) -> list[Channel] | None:
    wanted = incident.response.get("channels")
    return [Channel(c) for c in wanted] if wanted is not None else None


def _plan_alert(
    session: Session, incident: Incident, rung: EscalationRung, now: dt.datetime
) -> str:
    ack_within = dt.timedelta(seconds=incident.response["ack_within_s"])
    plan_notice(
        session,
        key=rung.notice_key,
        template="incident_alert",
        object_type=OBJECT,
        object_id=incident.id,
        recipients=rung.recipients,
        channels_wanted=_channels(incident),
        context={
            **_incident_context(incident),
            "rung": rung.rung,
            "ack_by": now + ack_within,
        },
    )
    events.record(
        session,
        action="incident.notified" if rung.rung == 0 else "incident.escalated",
        object_type=OBJECT,
        object_id=incident.id,
        at=now,
        data={"rung": rung.rung, "key": rung.notice_key, "recipients": rung.recipients},
    )
    return rung.notice_key


def record_incident(
    session: Session,
    *,
    report: IncidentReport,
    assessment: Assessment,
    plan: ResponsePlan,
    actor: str = events.SYSTEM,
    now: dt.datetime | None = None,
) -> Recorded:
    """Write the incident, its ladder and its reporting clock, and plan the first alert.
    One transaction: a bad reference leaves nothing behind."""
    now = now or clock.now()
    grade_plan = plan.for_grade(assessment.grade)
    check_references(session, report, grade_plan)
    reporting = plan.clock(assessment.grade, report.jurisdiction)
    incident = Incident(
        title=report.title,
        category=report.category,
        occurred_at=report.occurred_at,
        location=report.location,
        reported_by=report.reported_by,
        description=report.description,
        deaths=report.deaths,
        serious_injuries=report.serious_injuries,
        direct_loss_cny=report.direct_loss_cny,
        computed_grade=assessment.computed,
        grade=assessment.grade,
        manual_grade_reason=report.manual_grade_reason if report.manual_grade else None,
        department_id=report.department,
        affected_departments=report.departments(),
        jurisdiction=report.jurisdiction,
        status=IncidentStatus.OPEN,
        response={
            "ack_within_s": grade_plan.ack_within.total_seconds(),
            "channels": [c.value for c in grade_plan.channels]
            if grade_plan.channels is not None
            else None,
            "clock": {
                name: _seconds(getattr(reporting, name)) for name in ReportingClock.model_fields
            },
        },
        recorded_at=now,
    )
    session.add(incident)
    session.flush()
    events.record(
        session,
        action="incident.reported",
        object_type=OBJECT,
        object_id=incident.id,
        at=now,
        data={
            "title": report.title,
            "grade": assessment.grade.value,
            "computed_grade": assessment.computed.value,
            "reasons": list(assessment.reasons),
            "reported_by": report.reported_by,
        },
    )
    if assessment.overridden:
        events.record(
            session,
            action="incident.grade_set_by_hand",
            object_type=OBJECT,
            object_id=incident.id,
            at=now,
            data={
                "computed": assessment.computed.value,
                "grade": assessment.grade.value,
                "reason": report.manual_grade_reason,
            },
        )

    rungs = []
    for spec in ladder(grade_plan):
        key = (
            f"incident:{incident.id}:initial"
            if spec.rung == 0
            else (f"incident:{incident.id}:rung:{spec.rung}")
        )
        rung = EscalationRung(
            incident_id=incident.id,
            rung=spec.rung,
            recipients=resolve(session, spec, incident.affected_departments),
            notice_key=key,
            due_at=now if spec.rung == 0 else None,
            fired_at=now if spec.rung == 0 else None,
        )
        rungs.append(rung)
    if len(rungs) > 1:
        rungs[1].due_at = now + grade_plan.ack_within
    session.add_all(rungs)
    session.flush()
    for deadline in opening_deadlines(reporting, now):
        session.add(_report_row(incident.id, deadline))
    key = _plan_alert(session, incident, rungs[0], now)
    return Recorded(incident.id, assessment.grade, [key], list(rungs[0].recipients))


def _report_row(incident_id: int, deadline: Deadline) -> SituationReport:
    return SituationReport(
        incident_id=incident_id,
        kind=deadline.kind,
        number=deadline.number,
        due_at=deadline.due_at,
        remind_at=deadline.remind_at,
        late=False,
    )


# --- what is due --------------------------------------------------------------------------


@dataclass
class Sweep:
    keys: list[str] = field(default_factory=list)
    escalations: int = 0
    reminders: int = 0
    overdue: int = 0


def plan_due(session: Session, *, now: dt.datetime | None = None) -> Sweep:
    """Plan every escalation and reminder that is due at ``now``, once. Idempotent: a row is
    claimed with a conditional UPDATE before its notice is planned, and notice keys are unique,
    so two sweeps at once (the flow's loop and the watchdog) plan each notice once."""
    now = now or clock.now()
    sweep = Sweep()

    due_rungs = session.execute(
        select(EscalationRung.id, EscalationRung.incident_id, EscalationRung.rung)
        .join(Incident, Incident.id == EscalationRung.incident_id)
        .where(
            EscalationRung.fired_at.is_(None),
            EscalationRung.cancelled_at.is_(None),
            EscalationRung.due_at <= now,
            Incident.status == IncidentStatus.OPEN,
            Incident.acknowledged_at.is_(None),
        )
        .order_by(EscalationRung.incident_id, EscalationRung.rung)
    ).all()
    for rung_id, incident_id, number in due_rungs:
        claimed = session.execute(
            update(EscalationRung)
            .where(EscalationRung.id == rung_id, EscalationRung.fired_at.is_(None))
            .values(fired_at=now)
        ).rowcount
        if not claimed:
            continue
        incident = session.get_one(Incident, incident_id)
        rung = session.get_one(EscalationRung, rung_id)
        sweep.keys.append(_plan_alert(session, incident, rung, now))
        sweep.escalations += 1
        ack_within = dt.timedelta(seconds=incident.response["ack_within_s"])
        session.execute(
            update(EscalationRung)
            .where(
                EscalationRung.incident_id == incident_id,
                EscalationRung.rung == number + 1,
                EscalationRung.due_at.is_(None),
            )
            .values(due_at=now + ack_within)
        )

    # Follow-up reports (续报) are scheduled one interval ahead while the incident is open.
    open_incidents = session.execute(
        select(Incident.id, Incident.recorded_at, Incident.response).where(
            Incident.status == IncidentStatus.OPEN
        )
    ).all()
    for incident_id, recorded_at, response in open_incidents:
        deadlines = follow_ups_to_schedule(_clock_from(response["clock"]), recorded_at, now)
        if deadlines:
            session.execute(
                insert_ignore(session, SituationReport),
                [
                    {
                        "incident_id": incident_id,
                        "kind": d.kind,
                        "number": d.number,
                        "due_at": d.due_at,
                        "remind_at": d.remind_at,
                        "late": False,
                    }
                    for d in deadlines
                ],
            )

    owed = (
        SituationReport.filed_at.is_(None),
        SituationReport.cancelled_at.is_(None),
    )
    reminders = session.execute(
        select(SituationReport.id).where(
            *owed, SituationReport.reminded_at.is_(None), SituationReport.remind_at <= now
        )
    ).scalars()
    officers: list[str] | None = None
    for report_id in list(reminders):
        claimed = session.execute(
            update(SituationReport)
            .where(SituationReport.id == report_id, SituationReport.reminded_at.is_(None))
            .values(reminded_at=now)
        ).rowcount
        if not claimed:
            continue
        report = session.get_one(SituationReport, report_id)
        incident = session.get_one(Incident, report.incident_id)
        officers = officers if officers is not None else duty_officers(session)
        key = f"incident:{incident.id}:report:{report.kind.value}:{report.number}:reminder"
        plan_notice(
            session,
            key=key,
            template="incident_report_reminder",
            object_type=OBJECT,
            object_id=incident.id,
            recipients=officers,
            channels_wanted=_channels(incident),
            context={
                **_incident_context(incident),
                "report": {
                    "kind": report.kind.value,
                    "number": report.number,
                    "label": report_label(report.kind, report.number, "zh-CN"),
                    "label_en": report_label(report.kind, report.number, "en"),
                    "due_at": report.due_at,
                },
            },
        )
        events.record(
            session,
            action="incident.report_reminder",
            object_type=OBJECT,
            object_id=incident.id,
            at=now,
            data={"report": report_label(report.kind, report.number), "key": key},
        )
        sweep.keys.append(key)
        sweep.reminders += 1

    overdue = session.execute(
        select(
            SituationReport.id,
            SituationReport.incident_id,
            SituationReport.kind,
            SituationReport.number,
        ).where(*owed, SituationReport.overdue_at.is_(None), SituationReport.due_at <= now)
    ).all()
    for report_id, incident_id, kind, number in overdue:
        claimed = session.execute(
            update(SituationReport)
            .where(SituationReport.id == report_id, SituationReport.overdue_at.is_(None))
            .values(overdue_at=now, late=True)
        ).rowcount
        if claimed:
            events.record(
                session,
                action="incident.report_overdue",
                object_type=OBJECT,
                object_id=incident_id,
                at=now,
                data={"report": report_label(ReportKind(kind), number)},
            )
            sweep.overdue += 1
    return sweep


def unsent_incident_keys(session: Session) -> list[str]:
    """Notice keys of incidents with deliveries still pending: planned by a run that died
    before it sent them."""
    return list(
        session.scalars(
            select(Delivery.notice_key)
            .where(
                Delivery.status == DeliveryStatus.PENDING, Delivery.notice_key.like("incident:%")
            )
            .distinct()
        )
    )


@dataclass
class Escalation:
    sweep: Sweep
    delivery: DeliveryReport


def escalate_due(*, now: dt.datetime | None = None, engine: Engine | None = None) -> Escalation:
    """The recovery path: plan what is due (one transaction), then send every pending incident
    delivery. Run it as often as you like; nothing is sent twice."""
    with session_scope(engine) as session:
        sweep = plan_due(session, now=now)
        keys = list(dict.fromkeys(sweep.keys + unsent_incident_keys(session)))
    return Escalation(sweep, send_pending(keys, engine=engine or get_engine()))


# --- acknowledgement, reports, closure ----------------------------------------------------


def get_incident(session: Session, incident_id: int) -> Incident:
    incident = session.get(Incident, incident_id) if is_ledger_id(incident_id) else None
    if incident is None:
        raise InputError([Problem(("incident",), f"no incident {incident_id}")])
    return incident


def notified_people(session: Session, incident_id: int) -> set[str]:
    rungs = session.scalars(
        select(EscalationRung.recipients).where(
            EscalationRung.incident_id == incident_id, EscalationRung.fired_at.is_not(None)
        )
    )
    return {person for recipients in rungs for person in recipients}


@dataclass(frozen=True)
class AckResult:
    incident_id: int
    person_id: str
    at: dt.datetime
    first: bool  # the acknowledgement that stopped the ladder
    already: bool  # this person had acknowledged before
    stopped_rungs: int


def acknowledge(
    session: Session,
    *,
    incident_id: int,
    person_id: str,
    via: str = "cli",
    now: dt.datetime | None = None,
) -> AckResult:
    """One acknowledgement by anyone alerted stops the ladder: unfired rungs are cancelled."""
    now = now or clock.now()
    incident = get_incident(session, incident_id)
    if incident.status is IncidentStatus.CLOSED:
        raise InputError([Problem(("incident",), f"incident {incident_id} is closed")])
    if person_id not in notified_people(session, incident_id):
        raise InputError(
            [Problem(("person",), f"{person_id!r} was never notified of incident {incident_id}")]
        )
    existing = session.scalar(
        select(Acknowledgement).where(
            Acknowledgement.incident_id == incident_id, Acknowledgement.person_id == person_id
        )
    )
    if existing is not None:
        return AckResult(incident_id, person_id, existing.at, False, True, 0)
    latest = session.scalar(
        select(func.max(EscalationRung.rung)).where(
            EscalationRung.incident_id == incident_id, EscalationRung.fired_at.is_not(None)
        )
    )
    session.add(
        Acknowledgement(
            incident_id=incident_id, person_id=person_id, at=now, rung=latest or 0, via=via
        )
    )
    first = incident.acknowledged_at is None
    if first:
        incident.acknowledged_at, incident.acknowledged_by = now, person_id
    stopped = session.execute(
        update(EscalationRung)
        .where(
            EscalationRung.incident_id == incident_id,
            EscalationRung.fired_at.is_(None),
            EscalationRung.cancelled_at.is_(None),
        )
        .values(cancelled_at=now)
    ).rowcount
    events.record(
        session,
        action="incident.acknowledged",
        object_type=OBJECT,
        object_id=incident_id,
        actor=person_id,
        at=now,
        data={"person": person_id, "rung": latest or 0, "via": via, "stopped_rungs": stopped},
    )
    return AckResult(incident_id, person_id, now, first, False, stopped)


@dataclass(frozen=True)
class Filed:
    label: str
    late: bool
    due_at: dt.datetime | None


def file_report(
    session: Session,
    *,
    incident_id: int,
    kind: ReportKind,
    person_id: str,
    summary: str,
    now: dt.datetime | None = None,
) -> Filed:
    """Record a report made to the next level up. Follow-ups are numbered in filing order;
    a report filed after its deadline is flagged late."""
    now = now or clock.now()
    incident = get_incident(session, incident_id)
    if not summary.strip():
        raise InputError([Problem(("summary",), "a report needs its text or a summary")])
    if session.get(Person, person_id) is None:
        raise InputError([Problem(("person",), f"unknown person {person_id!r}")])
    closed = incident.status is IncidentStatus.CLOSED
    if kind is ReportKind.FINAL and not closed:
        raise InputError([Problem(("kind",), "the final report (终报) follows closure")])
    if kind is not ReportKind.FINAL and closed:
        raise InputError([Problem(("incident",), f"incident {incident_id} is closed")])
    open_rows = (
        select(SituationReport)
        .where(
            SituationReport.incident_id == incident_id,
            SituationReport.kind == kind,
            SituationReport.filed_at.is_(None),
            SituationReport.cancelled_at.is_(None),
        )
        .order_by(SituationReport.number)
    )
    row = session.scalars(open_rows).first()
    if row is None:
        last = session.scalar(
            select(func.max(SituationReport.number)).where(
                SituationReport.incident_id == incident_id, SituationReport.kind == kind
            )
        )
        if kind is not ReportKind.FOLLOW_UP and last is not None:
            label = report_label(kind)
            raise InputError([Problem(("kind",), f"the {label} was already filed")])
        number = (last or 0) + 1 if kind is ReportKind.FOLLOW_UP else 0
        row = SituationReport(incident_id=incident_id, kind=kind, number=number, late=False)
        session.add(row)
    row.filed_at, row.filed_by, row.summary = now, person_id, summary
    row.late = is_late(row.due_at, now)
    label = report_label(row.kind, row.number)
    events.record(
        session,
        action="incident.report_filed",
        object_type=OBJECT,
        object_id=incident_id,
        actor=person_id,
        at=now,
        data={"report": label, "late": row.late, "due_at": _iso(row.due_at)},
    )
    return Filed(label, row.late, row.due_at)


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def create_review_assignment(
    session: Session,
    *,
    incident: Incident,
    department_id: str,
    due_at: dt.datetime,
    actor: str,
) -> list[str]:
    """Ask the responsible department for a review (复盘) of the incident: an assignment in the
    supervision process, issued by the department's leader in charge, due in 5 working days.
    Returns the notice keys of the assignment notice."""
    from models.supervision import DecisionSource
    from models.supervision_input import AssignmentSpec, DecisionSpec
    from officeflow import supervision

    calendar = get_calendar()
    department = session.get(Department, department_id)
    issuer = (department.leader_id if department else None) or people_with_role(
        session, Role.LEADER
    )[0]
    spec = DecisionSpec(
        title=f"突发事件复盘：{incident.title}",
        source=DecisionSource.OTHER,
        source_ref=f"incident:{incident.id}",
        issued_by=issuer,
        issued_on=calendar.local_date(clock.now()),
        assignments=[
            AssignmentSpec(
                lead_department=department_id,
                task=f"对“{incident.title}”开展复盘，查明原因，提出整改措施。",
                acceptance_standard="提交复盘报告及整改清单",
                due_date=calendar.local_date(due_at),
                source_ref=f"incident:{incident.id}:review",
            )
        ],
    )
    supervision.check_decision(session, spec)
    record = supervision.record_decision(session, spec, actor=actor)
    events.record(
        session,
        action="incident.review_requested",
        object_type=OBJECT,
        object_id=incident.id,
        actor=actor,
        data={
            "department": department_id,
            "due_at": due_at.isoformat(),
            "title": spec.title,
            "assignment": record.assignment_ids[0],
        },
    )
    return supervision.plan_issue_notices(session, record)


@dataclass(frozen=True)
class Closed:
    incident_id: int
    keys: list[str]
    final_due: dt.datetime | None
    review_due: dt.datetime


def close_incident(
    session: Session,
    *,
    incident_id: int,
    summary: str,
    actor: str = events.SYSTEM,
    now: dt.datetime | None = None,
) -> Closed:
    """Stop the ladder and the clocks, ask for the final report, request the review."""
    now = now or clock.now()
    incident = get_incident(session, incident_id)
    if incident.status is IncidentStatus.CLOSED:
        raise InputError([Problem(("incident",), f"incident {incident_id} is already closed")])
    if not summary.strip():
        raise InputError([Problem(("summary",), "closing needs a summary")])
    incident.status, incident.closed_at, incident.closure_summary = (
        IncidentStatus.CLOSED,
        now,
        summary,
    )
    session.execute(
        update(EscalationRung)
        .where(
            EscalationRung.incident_id == incident_id,
            EscalationRung.fired_at.is_(None),
            EscalationRung.cancelled_at.is_(None),
        )
        .values(cancelled_at=now)
    )
    session.execute(
        update(SituationReport)
        .where(
            SituationReport.incident_id == incident_id,
            SituationReport.filed_at.is_(None),
            SituationReport.cancelled_at.is_(None),
        )
        .values(cancelled_at=now)
    )
    events.record(
        session,
        action="incident.closed",
        object_type=OBJECT,
        object_id=incident_id,
        actor=actor,
        at=now,
        data={"summary": summary},
    )
    keys = []
    final = final_deadline(_clock_from(incident.response["clock"]), now)
    if final is not None:
        session.add(_report_row(incident_id, final))
        key = f"incident:{incident_id}:final:request"
        plan_notice(
            session,
            key=key,
            template="incident_final_request",
            object_type=OBJECT,
            object_id=incident_id,
            recipients=duty_officers(session) + department_heads(session, incident.department_id),
            channels_wanted=_channels(incident),
            context={**_incident_context(incident), "final_due": final.due_at},
        )
        keys.append(key)
    review_due = get_calendar().deadline(get_calendar().local_date(now), REVIEW_WORKDAYS)
    keys += create_review_assignment(
        session,
        incident=incident,
        department_id=incident.department_id,
        due_at=review_due,
        actor=actor,
    )
    return Closed(incident_id, keys, final.due_at if final else None, review_due)


# --- reading ------------------------------------------------------------------------------


def _local(value: dt.datetime | None) -> str:
    return clock.to_local(value).format("YYYY-MM-DD HH:mm:ss") if value else ""


def reports_of(session: Session, incident_id: int) -> list[SituationReport]:
    return list(
        session.scalars(
            select(SituationReport)
            .where(SituationReport.incident_id == incident_id)
            .order_by(SituationReport.due_at.is_(None), SituationReport.due_at, SituationReport.id)
        )
    )


def rungs_of(session: Session, incident_id: int) -> list[EscalationRung]:
    return list(
        session.scalars(
            select(EscalationRung)
            .where(EscalationRung.incident_id == incident_id)
            .order_by(EscalationRung.rung)
        )
    )


def timeline_markdown(session: Session, *, incident_id: int) -> str:
    """The whole incident as Markdown: facts, ladder, reports, and every event and notice."""
    incident = get_incident(session, incident_id)
    lines = [
        f"# 突发事件 #{incident.id}: {incident.title}",
        "",
        "| | |",
        "| --- | --- |",
        f"| grade | {incident.grade.value} ({incident.grade.label_zh})"
        + (
            f"; computed {incident.computed_grade.value}, set by hand: "
            f"{incident.manual_grade_reason}"
            if incident.grade != incident.computed_grade
            else ""
        )
        + " |",
        f"| category | {incident.category.label_zh} |",
        f"| occurred | {_local(incident.occurred_at)}, {incident.location} |",
        f"| reported by | {incident.reported_by} |",
        f"| casualties | {incident.deaths} deaths, {incident.serious_injuries} seriously injured |",
        f"| direct loss | CNY {incident.direct_loss_cny:,} |",
        f"| status | {incident.status.value}"
        + (f" since {_local(incident.closed_at)}" if incident.closed_at else "")
        + " |",
        f"| acknowledged | {_local(incident.acknowledged_at)} {incident.acknowledged_by or ''} |",
        "",
        "## Ladder",
        "",
        "| rung | recipients | due | sent | stopped |",
        "| --- | --- | --- | --- | --- |",
    ]
    for rung in rungs_of(session, incident_id):
        lines.append(
            f"| {rung.rung} | {', '.join(rung.recipients)} | {_local(rung.due_at)} | "
            f"{_local(rung.fired_at)} | {_local(rung.cancelled_at)} |"
        )
    lines += [
        "",
        "## Reports",
        "",
        "| report | due | filed | by | late |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in reports_of(session, incident_id):
        state = _local(r.filed_at) or ("cancelled" if r.cancelled_at else "open")
        lines.append(
            f"| {report_label(r.kind, r.number)} | {_local(r.due_at)} | {state} | "
            f"{r.filed_by or ''} | {'yes' if r.late else ''} |"
        )
    rows: list[tuple[dt.datetime, str, str]] = []
    for e in session.scalars(
        select(Event).where(Event.object_type == OBJECT, Event.object_id == str(incident_id))
    ):
        detail = ", ".join(f"{k}={v}" for k, v in e.data.items() if k not in ("recipients",))
        rows.append((e.at, e.action, f"{e.actor}: {detail}"))
    deliveries = session.execute(
        select(
            Delivery.notice_key,
            Delivery.person_id,
            Delivery.channel,
            Delivery.status,
            Delivery.sent_at,
            Delivery.created_at,
        ).where(Delivery.notice_key.like(f"incident:{incident_id}:%"))
    ).all()
    for d in deliveries:
        rows.append(
            (
                d.sent_at or d.created_at,
                f"notice {d.status}",
                f"{d.notice_key} → {d.person_id} ({d.channel})",
            )
        )
    lines += ["", "## Timeline", "", "| time | what | detail |", "| --- | --- | --- |"]
    for at, what, detail in sorted(rows, key=lambda r: r[0]):
        lines.append(f"| {_local(at)} | {what} | {detail.replace('|', '/')} |")
    return "\n".join(lines) + "\n"
