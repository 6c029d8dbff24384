"""收文: register an incoming document, then its route: 拟办 (the office proposes), 批示 (leaders
comment, in sequence or in parallel), 分办 (distribution to the handling departments, who
handle it as supervised assignments: 承办, 办结), 归档 (filed).

A leader's comment with concrete tasks, and a distribution, become a supervision decision
(source ``document``, ``source_ref`` ``doc:<id>``) with one assignment per department: the
supervision sweep lights them and sends their reminders and red escalations."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models.documents import (
    Direction,
    Document,
    DocumentStatus,
    DocumentStep,
    StepKind,
    StepStatus,
)
from models.documents_input import IncomingDocumentSpec, StepResult, TaskSpec, task_specs
from models.org import Role
from models.supervision import DecisionSource
from models.supervision_input import AssignmentSpec, DecisionSpec
from officeflow import clock, events, supervision
from officeflow.documents import files as doc_files
from officeflow.documents.common import (
    OBJECT,
    finish,
    get_document,
    open_step,
    pending_step,
    start_waiting,
    steps,
)
from officeflow.documents.notices import WITHHELD_TITLE, notify_step
from officeflow.files import FileContent
from officeflow.inputs import InputError, Problem, input_error
from officeflow.org import active_person, roles_of
from officeflow.policy import require
from officeflow.settings import get_settings
from officeflow.workdays import get_calendar
from rules.documents import assignment_workdays, step_refusal

# Who may take each action on a document is declared beside it (officeflow/documents/
# declarations.py) and checked at the door (`officeflow.actions.perform`), before these run.


def check_incoming(
    session: Session, spec: IncomingDocumentSpec, contents: list[FileContent] | None = None
) -> list[FileContent]:
    """Every check of a registration, before anything is written; returns the files read. The
    general office registers (`declarations.OFFICE`, else `NotAllowed`)."""
    from officeflow.documents.declarations import OFFICE

    require(
        session,
        spec.registered_by,
        OFFICE,
        spec,
        en="register an incoming document (收文)",
        zh="登记收文",
    )
    if contents is None:
        contents = doc_files.check_files(spec.files)
    return contents


def register_incoming(
    session: Session,
    spec: IncomingDocumentSpec,
    *,
    contents: list[FileContent] | None = None,
) -> StepResult:
    """收文登记: the document, its files (checksums, .docx text) and the 拟办 step for the
    office. The same registration again finds the document already registered."""
    contents = check_incoming(session, spec, contents)
    fingerprint = spec.fingerprint()
    existing = session.scalar(select(Document).where(Document.fingerprint == fingerprint))
    if existing is not None:
        return StepResult(
            document_id=existing.id, action="registered", status=existing.status.value
        )
    now = clock.now()
    today = get_calendar().local_date(now)
    doc = Document(
        direction=Direction.INCOMING,
        status=DocumentStatus.REGISTERED,
        number=spec.number,
        title=spec.title,
        sender=spec.sender,
        urgency=spec.urgency,
        classification=spec.classification,
        received_on=spec.received_on or today,
        search_text="\n".join([spec.number, spec.title, spec.sender]),
        fingerprint=fingerprint,
        created_by=spec.registered_by,
        created_at=now,
        created_on=today,
    )
    session.add(doc)
    session.flush()
    stored = doc_files.keep(session, doc, contents, actor=spec.registered_by)
    step = open_step(session, doc, StepKind.PROPOSE)
    events.record(
        session,
        action="document.registered",
        object_type=OBJECT,
        object_id=doc.id,
        actor=spec.registered_by,
        data={
            "number": spec.number,
            "urgency": spec.urgency.value,
            "files": [f"{f.filename} sha256:{f.sha256}" for f in stored],
        },
    )
    key = notify_step(session, doc, step)
    return StepResult(
        document_id=doc.id, action="registered", status=doc.status.value, notice_keys=[key]
    )


def _check_step(doc: Document, kind: StepKind, direction: Direction = Direction.INCOMING) -> None:
    if doc.direction is not direction:
        raise input_error("document", f"document {doc.id} is {doc.direction.value}")
    refusal = step_refusal(kind, doc.status)
    if refusal:
        raise input_error("document", f"document {doc.id}: {refusal}")


def propose(
    session: Session,
    *,
    document_id: int,
    proposal: str,
    leaders: list[str] | None = None,
    parallel: bool = False,
    actor: str,
) -> StepResult:
    """拟办: the office's proposal and the leaders who comment (in sequence unless parallel)."""
    leaders = list(leaders or [])
    doc = get_document(session, document_id)
    _check_step(doc, StepKind.PROPOSE)
    problems = []
    for i, leader in enumerate(leaders):
        if active_person(session, leader) is None:
            problems.append(Problem(("leaders", i), f"unknown person {leader!r}"))
        elif Role.LEADER not in roles_of(session, leader):
            problems.append(Problem(("leaders", i), f"{leader!r} is not a leader"))
    if problems:
        raise InputError(problems)
    step = pending_step(session, doc, StepKind.PROPOSE)
    assert step is not None
    finish(step, actor, proposal)
    keys = []
    if leaders:
        doc.status = DocumentStatus.PROPOSED
        for n, leader in enumerate(leaders, 1):
            waiting = not parallel and n > 1
            s = open_step(
                session, doc, StepKind.COMMENT, person_id=leader, position=n, waiting=waiting
            )
            if not waiting:
                keys.append(notify_step(session, doc, s, proposal=proposal))
    else:
        doc.status = DocumentStatus.COMMENTED
        keys.append(notify_step(session, doc, open_step(session, doc, StepKind.DISTRIBUTE)))
    events.record(
        session,
        action="document.proposed",
        object_type=OBJECT,
        object_id=doc.id,
        actor=actor,
        data={"proposal": proposal, "leaders": leaders, "parallel": parallel},
    )
    return StepResult(
        document_id=doc.id, action="proposed", status=doc.status.value, notice_keys=keys
    )


def _decision_spec(
    doc: Document, tasks: list[TaskSpec], issued_by: str, field: str
) -> DecisionSpec:
    settings = get_settings()
    default_days = assignment_workdays(
        doc.urgency,
        normal_workdays=settings.document_normal_workdays,
        urgent_workdays=settings.document_urgent_workdays,
    )
    title = WITHHELD_TITLE if doc.classification else doc.title
    return DecisionSpec(
        title=f"{title}（{doc.number}）"[:300],
        source=DecisionSource.DOCUMENT,
        source_ref=f"doc:{doc.id}",
        issued_by=issued_by,
        issued_on=get_calendar().local_date(clock.now()),
        assignments=[
            AssignmentSpec(
                lead_department=t.department,
                task=t.task,
                acceptance_standard=t.acceptance_standard,
                due_in_workdays=t.due_in_workdays or default_days,
                source_ref=f"doc:{doc.id}",
            )
            for t in tasks
        ],
    )


def _record_tasks(
    session: Session, doc: Document, tasks: list[TaskSpec], issued_by: str, actor: str, field: str
) -> tuple[int, list[str]]:
    """The tasks as a supervision decision: checked, recorded, its 交办通知 planned."""
    spec = _decision_spec(doc, tasks, issued_by, field)
    try:
        supervision.check_decision(session, spec)
    except InputError as exc:
        raise InputError(
            [
                Problem(tuple(field if p == "assignments" else p for p in pr.loc), pr.message)
                for pr in exc.problems
            ]
        ) from exc
    record = supervision.record_decision(session, spec, actor=actor)
    keys = supervision.plan_issue_notices(session, record)
    if doc.decision_id is None:
        doc.decision_id = record.decision_id
    return record.decision_id, keys


def comment(
    session: Session,
    *,
    document_id: int,
    text: str,
    tasks: list[str] | None = None,
    due_in_workdays: int | None = None,
    actor: str,
) -> StepResult:
    """批示: the leader whose turn it is comments; tasks (``DEPARTMENT:TASK`` lines) become
    assignments at once, due in ``due_in_workdays`` or by the urgency. When every leader has
    commented, the document goes to 分办 (or straight to 承办 when the comments carried the
    tasks). A leader who already commented, or whose turn has not come, is refused."""
    specs = task_specs(list(tasks or []), due_in_workdays)
    doc = get_document(session, document_id)
    _check_step(doc, StepKind.COMMENT)
    step = pending_step(session, doc, StepKind.COMMENT, person_id=actor)
    if step is None or step.person_id != actor:
        raise input_error("document", f"document {doc.id} awaits no comment from {actor!r} now")
    decision_id, keys = None, []
    if specs:
        decision_id, keys = _record_tasks(session, doc, specs, actor, actor, "tasks")
    finish(step, actor, text)
    events.record(
        session,
        action="document.commented",
        object_type=OBJECT,
        object_id=doc.id,
        actor=actor,
        data={"comment": text, "tasks": len(specs), "decision": decision_id},
    )
    comments = steps(session, doc, StepKind.COMMENT)
    waiting = [s for s in comments if s.status is StepStatus.WAITING]
    if waiting:
        start_waiting(session, doc, waiting[0])
        keys.append(notify_step(session, doc, waiting[0]))
    elif not any(s.status is StepStatus.PENDING for s in comments):
        if doc.decision_id is not None:
            doc.status = DocumentStatus.DISTRIBUTED
        else:
            doc.status = DocumentStatus.COMMENTED
            keys.append(notify_step(session, doc, open_step(session, doc, StepKind.DISTRIBUTE)))
    return StepResult(
        document_id=doc.id,
        action="commented",
        status=doc.status.value,
        decision_id=decision_id,
        notice_keys=keys,
    )


def distribute(
    session: Session,
    *,
    document_id: int,
    tasks: list[str],
    due_in_workdays: int | None = None,
    leader: str | None = None,
    actor: str,
) -> StepResult:
    """分办: the office hands the document to the handling departments (``DEPARTMENT:TASK``
    lines), one supervised assignment each, issued in the name of the leader who commented
    last (or ``leader``)."""
    specs = task_specs(list(tasks), due_in_workdays)
    doc = get_document(session, document_id)
    _check_step(doc, StepKind.DISTRIBUTE)
    if not specs:
        raise input_error("tasks", "name at least one handling department")
    if leader is None:
        done = [s for s in steps(session, doc, StepKind.COMMENT) if s.status is StepStatus.DONE]
        if not done:
            raise input_error("leader", "no leader commented; name the leader who assigns it")
        leader = max(done, key=lambda s: s.done_at or s.created_at).person_id
    assert leader is not None
    decision_id, keys = _record_tasks(session, doc, specs, leader, actor, "tasks")
    step = pending_step(session, doc, StepKind.DISTRIBUTE)
    if step is not None:
        finish(step, actor)
    doc.status = DocumentStatus.DISTRIBUTED
    events.record(
        session,
        action="document.distributed",
        object_type=OBJECT,
        object_id=doc.id,
        actor=actor,
        data={"departments": [t.department for t in specs], "decision": decision_id},
    )
    return StepResult(
        document_id=doc.id,
        action="distributed",
        status=doc.status.value,
        decision_id=decision_id,
        notice_keys=keys,
    )


def file_document(session: Session, *, document_id: int, note: str = "", actor: str) -> StepResult:
    """归档: the office files the document; open steps are closed."""
    from rules.documents import FILABLE

    doc = get_document(session, document_id)
    if doc.status is DocumentStatus.FILED:
        raise input_error("document", f"document {doc.id} is already filed")
    if doc.status not in FILABLE[doc.direction]:
        raise input_error(
            "document", f"document {doc.id} is {doc.status.value}; it cannot be filed yet"
        )
    now = clock.now()
    session.execute(
        update(DocumentStep)
        .where(
            DocumentStep.document_id == doc.id,
            DocumentStep.status.in_([StepStatus.PENDING, StepStatus.WAITING]),
        )
        .values(status=StepStatus.CANCELLED, done_at=now)
    )
    session.add(
        DocumentStep(
            document_id=doc.id,
            kind=StepKind.FILE,
            status=StepStatus.DONE,
            done_at=now,
            done_by=actor,
            comment=note or None,
            created_at=now,
        )
    )
    doc.status = DocumentStatus.FILED
    events.record(
        session, action="document.filed", object_type=OBJECT, object_id=doc.id, actor=actor
    )
    return StepResult(document_id=doc.id, action="filed", status=doc.status.value)
