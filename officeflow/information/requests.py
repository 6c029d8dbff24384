"""约稿 (commissioned reports): a supervision decision with one assignment per department, so the
supervision sweep's reminders and red lights apply unchanged. A department's item against the
request completes its assignment (`items.submit_item`)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from models.information import InfoRequest
from models.information_input import RequestResult, RequestSpec
from models.org import Department
from models.supervision import DecisionSource
from models.supervision_input import AssignmentSpec, DecisionSpec
from officeflow import clock, events, supervision
from officeflow.inputs import InputError, Problem, input_error
from officeflow.org import general_office
from officeflow.policy import require
from officeflow.workdays import get_calendar


def _issuer(session: Session) -> str:
    office = general_office(session)
    if office is None or not office.leader_id:
        raise input_error(
            "requested_by", "the general office has no leader in the org file to issue 约稿"
        )
    return office.leader_id


def request_decision(session: Session, request_id: int, spec: RequestSpec) -> DecisionSpec:
    ref = f"info-request:{request_id}"
    task = f"约稿：{spec.topic}" + (f"。{spec.detail}" if spec.detail else "")
    return DecisionSpec(
        title=f"约稿：{spec.topic}"[:300],
        source=DecisionSource.INFORMATION,
        source_ref=ref,
        issued_by=_issuer(session),
        issued_on=get_calendar().local_date(clock.now()),
        assignments=[
            AssignmentSpec(
                lead_department=dept,
                task=task[:4000],
                acceptance_standard="按时报送约稿信息（officeflow info submit --request）",
                due_in_workdays=spec.due_in_workdays,
                source_ref=ref,
            )
            for dept in spec.departments
        ],
    )


def check_request(session: Session, spec: RequestSpec) -> None:
    """The general office commissions (`declarations.OFFICE`, else `NotAllowed`); every
    department exists, once; the decision it becomes passes the supervision checks."""
    from officeflow.information.declarations import OFFICE

    require(
        session, spec.requested_by, OFFICE, spec, en="commission a report (约稿)", zh="发起约稿"
    )
    for i, dept in enumerate(spec.departments):
        if session.get(Department, dept) is None:
            raise input_error(("departments", i), f"unknown department {dept!r}")
    if len(set(spec.departments)) != len(spec.departments):
        raise input_error("departments", "a department is named twice")
    try:
        supervision.check_decision(session, request_decision(session, 0, spec))
    except InputError as exc:
        raise InputError(
            [
                Problem(
                    ("departments", *pr.loc[1:2]) if pr.loc[0] == "assignments" else pr.loc,
                    pr.message,
                )
                for pr in exc.problems
            ]
        ) from exc


def record_request(session: Session, spec: RequestSpec) -> RequestResult:
    """Write the request and its decision; plan the 交办通知 to each department's head."""
    check_request(session, spec)
    request = InfoRequest(
        topic=spec.topic,
        detail=spec.detail,
        departments=list(spec.departments),
        requested_by=spec.requested_by,
        requested_at=clock.now(),
        due_in_workdays=spec.due_in_workdays,
    )
    session.add(request)
    session.flush()
    record = supervision.record_decision(
        session, request_decision(session, request.id, spec), actor=spec.requested_by
    )
    request.decision_id = record.decision_id
    events.record(
        session,
        action="info_request.issued",
        object_type="info_request",
        object_id=request.id,
        actor=spec.requested_by,
        data={"decision": record.decision_id, "departments": list(spec.departments)},
    )
    keys = supervision.plan_issue_notices(session, record)
    return RequestResult(
        request_id=request.id,
        decision_id=record.decision_id,
        assignment_ids=record.assignment_ids,
        notice_keys=keys,
    )
