"""What an incident and an action on it must satisfy before anything is written: the grade,
the references of a report and its plan, the incident itself, and a closure."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.emergency import Incident, IncidentStatus
from models.emergency_input import IncidentReport
from models.org import Department, Person
from officeflow.inputs import InputError, Problem, input_error, is_ledger_id
from officeflow.org import general_office
from rules.grading import Grade, GradingMatrix, grade_incident
from rules.response_plan import GradePlan


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


def get_incident(session: Session, incident_id: int) -> Incident:
    incident = session.get(Incident, incident_id) if is_ledger_id(incident_id) else None
    if incident is None:
        raise input_error("incident", f"no incident {incident_id}")
    return incident


def check_close(session: Session, *, incident_id: int, summary: str) -> Incident:
    """An incident can be closed once, with a summary. (Who may close it, the duty officers,
    the office director and the leaders, is the policy's: `officeflow/emergency/declarations.py`.)
    """
    incident = get_incident(session, incident_id)
    if incident.status is IncidentStatus.CLOSED:
        raise input_error("incident", f"incident {incident_id} is already closed")
    if not summary.strip():
        raise input_error("summary", "closing needs a summary")
    return incident
