"""发文: a department drafts; the office checks (核稿: type, format, number series) and may return
the draft to its author with a comment; the departments concerned co-sign (会签, in parallel);
a leader signs off (签发) and the number is allocated; the office prints and issues it (印发)
as a GB/T 9704 .docx emailed to the recipients, who confirm receipt (签收).

Who may take each action is declared beside it (officeflow/documents/declarations.py) and
checked at the door (`officeflow.actions.perform`), before these run."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.documents import (
    Direction,
    Document,
    DocumentRevision,
    DocumentStatus,
    StepKind,
    StepStatus,
)
from models.documents_input import OutgoingDocumentSpec, StepResult
from models.org import Department, Role
from officeflow import clock, events
from officeflow.documents import files as doc_files
from officeflow.documents import numbering
from officeflow.documents.common import (
    OBJECT,
    finish,
    get_document,
    open_step,
    pending_step,
    steps,
)
from officeflow.documents.incoming import _check_step
from officeflow.documents.notices import notify, notify_step, office_staff
from officeflow.files import FileContent
from officeflow.inputs import InputError, Problem, input_error
from officeflow.org import department_heads, office_name, roles_of
from officeflow.policy import require
from officeflow.workdays import get_calendar
from rules.documents import series_problem

# 党政机关公文处理工作条例, 第八条: the fifteen kinds of official document (文种).
DOCUMENT_TYPES = (
    "决议", "决定", "命令", "令", "公报", "公告", "通告", "意见", "通知", "通报", "报告", "请示",
    "批复", "议案", "函", "纪要",
)  # fmt: skip


def _department(session: Session, department_id: str, field: str) -> Department:
    dept = session.get(Department, department_id)
    if dept is None:
        raise input_error(field, f"unknown department {department_id!r}")
    return dept


def check_outgoing(session: Session, spec: OutgoingDocumentSpec) -> Department:
    """The department exists and the author is one of its people (`declarations.DRAFTERS`,
    else `NotAllowed`)."""
    from officeflow.documents.declarations import DRAFTERS

    dept = _department(session, spec.department, "department")
    require(session, spec.author, DRAFTERS, spec, en="draft an outgoing document", zh="拟稿发文")
    for i, copy in enumerate(spec.copy_to):
        if not copy.strip():
            raise input_error(("copy_to", i), "must not be empty")
    return dept


def draft(session: Session, spec: OutgoingDocumentSpec) -> StepResult:
    """拟稿: the draft (revision 1) and the 核稿 step for the office."""
    dept = check_outgoing(session, spec)
    now = clock.now()
    doc = Document(
        direction=Direction.OUTGOING,
        status=DocumentStatus.DRAFTED,
        title=spec.title,
        sender=dept.name,
        urgency=spec.urgency,
        classification=spec.classification,
        doc_type=spec.doc_type,
        department_id=spec.department,
        author_id=spec.author,
        series=spec.series,
        main_recipients=spec.main_recipients,
        copy_to=list(spec.copy_to),
        body=spec.body,
        search_text=f"{spec.title}\n{spec.body}",
        created_by=spec.author,
        created_at=now,
        created_on=get_calendar().local_date(now),
    )
    session.add(doc)
    session.flush()
    _revision(session, doc, spec.author, "拟稿")
    step = open_step(session, doc, StepKind.REVIEW)
    events.record(
        session,
        action="document.drafted",
        object_type=OBJECT,
        object_id=doc.id,
        actor=spec.author,
        data={"series": spec.series, "doc_type": spec.doc_type},
    )
    key = notify_step(session, doc, step)
    return StepResult(
        document_id=doc.id, action="drafted", status=doc.status.value, notice_keys=[key]
    )


def _revision(session: Session, doc: Document, author: str, note: str) -> int:
    last = session.scalar(
        select(func.max(DocumentRevision.revision)).where(DocumentRevision.document_id == doc.id)
    )
    n = (last or 0) + 1
    session.add(
        DocumentRevision(
            document_id=doc.id,
            revision=n,
            title=doc.title,
            body=doc.body,
            author_id=author,
            created_at=clock.now(),
            note=note,
        )
    )
    return n


def review(
    session: Session,
    *,
    document_id: int,
    approve: bool,
    comment: str = "",
    cosigners: list[str] | None = None,
    signer: str | None = None,
    actor: str,
) -> StepResult:
    """核稿: approved, it goes to the co-signing departments (in parallel) or straight to the
    signing leader; refused, it goes back to its author with the comment."""
    accept = approve
    doc = get_document(session, document_id)
    _check_step(doc, StepKind.REVIEW, Direction.OUTGOING)
    cosigners = list(dict.fromkeys(cosigners or []))
    step = pending_step(session, doc, StepKind.REVIEW)
    assert step is not None
    keys: list[str] = []
    if not accept:
        if not comment.strip():
            raise input_error("comment", "say why the draft is returned")
        step.status, step.done_at, step.done_by, step.comment = (
            StepStatus.RETURNED,
            clock.now(),
            actor,
            comment,
        )
        doc.status = DocumentStatus.RETURNED
        assert doc.author_id is not None
        keys.append(
            notify(
                session,
                doc,
                f"step:{step.id}:returned",
                "document_returned",
                [doc.author_id],
                step=step,
            )
        )
        action = "returned"
    else:
        problems = []
        if doc.doc_type not in DOCUMENT_TYPES:
            problems.append(
                Problem(
                    ("doc_type",),
                    f"{doc.doc_type!r} is not a document type ({'、'.join(DOCUMENT_TYPES)})",
                )
            )
        problem = series_problem(doc.series or "")
        if problem:
            problems.append(Problem(("series",), problem))
        for i, dept_id in enumerate(cosigners):
            if session.get(Department, dept_id) is None:
                problems.append(Problem(("cosigners", i), f"unknown department {dept_id!r}"))
            elif not department_heads(session, dept_id):
                problems.append(Problem(("cosigners", i), f"{dept_id!r} has no head to co-sign"))
        if signer is None:
            problems.append(Problem(("signer",), "name the leader who signs it off"))
        elif Role.LEADER not in roles_of(session, signer):
            problems.append(Problem(("signer",), f"{signer!r} is not a leader"))
        if problems:
            raise InputError(problems)
        finish(step, actor, comment or None)
        for dept_id in cosigners:
            s = open_step(session, doc, StepKind.COSIGN, department_id=dept_id)
            keys.append(notify_step(session, doc, s))
        if cosigners:
            doc.status = DocumentStatus.COSIGNING
            open_step(session, doc, StepKind.SIGNOFF, person_id=signer, waiting=True)
        else:
            doc.status = DocumentStatus.AWAITING_SIGNOFF
            s = open_step(session, doc, StepKind.SIGNOFF, person_id=signer)
            keys.append(notify_step(session, doc, s))
        action = "reviewed"
    events.record(
        session,
        action=f"document.{action}",
        object_type=OBJECT,
        object_id=doc.id,
        actor=actor,
        data={"comment": comment, "cosigners": cosigners, "signer": signer},
    )
    return StepResult(document_id=doc.id, action=action, status=doc.status.value, notice_keys=keys)


def redraft(
    session: Session, *, document_id: int, body: str, title: str | None = None, actor: str
) -> StepResult:
    """修改稿: the author answers a return with a new revision; the office checks again."""
    doc = get_document(session, document_id)
    if doc.direction is not Direction.OUTGOING or doc.status is not DocumentStatus.RETURNED:
        raise input_error("document", f"document {doc.id} was not returned to its author")
    if not body.strip():
        raise input_error("body", "the new draft is empty")
    doc.body = body
    if title:
        doc.title = title
    doc.search_text = f"{doc.title}\n{doc.body}"
    n = _revision(session, doc, actor, "修改稿")
    doc.status = DocumentStatus.DRAFTED
    step = open_step(session, doc, StepKind.REVIEW)
    events.record(
        session,
        action="document.redrafted",
        object_type=OBJECT,
        object_id=doc.id,
        actor=actor,
        data={"revision": n},
    )
    key = notify_step(session, doc, step)
    return StepResult(
        document_id=doc.id, action="redrafted", status=doc.status.value, notice_keys=[key]
    )


def _acting_department(session: Session, department: str | None, actor: str) -> str:
    """The department named, or the actor's own (a person acts for their department)."""
    if department is None:
        from officeflow.org import active_person

        person = active_person(session, actor)
        if person is None or person.department_id is None:
            raise input_error("department", "name the department")
        department = person.department_id
    _department(session, department, "department")
    return department


def _done_step(session: Session, doc: Document, kind: StepKind, department: str) -> bool:
    return any(
        s.department_id == department and s.status is StepStatus.DONE
        for s in steps(session, doc, kind)
    )


def cosign(
    session: Session,
    *,
    document_id: int,
    department: str | None = None,
    comment: str = "",
    actor: str,
) -> StepResult:
    """会签: a department that was asked signs (``department``: the actor's own by default);
    the last one passes it to the signing leader."""
    doc = get_document(session, document_id)
    department = _acting_department(session, department, actor)
    step = pending_step(session, doc, StepKind.COSIGN, department_id=department)
    if step is None:
        if _done_step(session, doc, StepKind.COSIGN, department):
            raise input_error("department", f"{department!r} already co-signed document {doc.id}")
        raise input_error(
            "department", f"{department!r} was not asked to co-sign document {doc.id}"
        )
    _check_step(doc, StepKind.COSIGN, Direction.OUTGOING)
    finish(step, actor, comment or None)
    keys = []
    if not any(s.status is StepStatus.PENDING for s in steps(session, doc, StepKind.COSIGN)):
        doc.status = DocumentStatus.AWAITING_SIGNOFF
        signoff = next(
            s for s in steps(session, doc, StepKind.SIGNOFF) if s.status is StepStatus.WAITING
        )
        from officeflow.documents.common import start_waiting

        start_waiting(session, doc, signoff)
        keys.append(notify_step(session, doc, signoff))
    events.record(
        session,
        action="document.cosigned",
        object_type=OBJECT,
        object_id=doc.id,
        actor=actor,
        data={"department": department, "comment": comment},
    )
    return StepResult(
        document_id=doc.id, action="cosigned", status=doc.status.value, notice_keys=keys
    )


def sign_off(session: Session, *, document_id: int, comment: str = "", actor: str) -> StepResult:
    """签发: a leader signs; the next number of the series for this year is allocated in the
    same transaction."""
    doc = get_document(session, document_id, lock=True)
    _check_step(doc, StepKind.SIGNOFF, Direction.OUTGOING)
    step = pending_step(session, doc, StepKind.SIGNOFF)
    assert step is not None and doc.series is not None
    now = clock.now()
    year = get_calendar().local_date(now).year
    seq, number = numbering.allocate(session, doc.series, year)
    doc.number, doc.year, doc.seq = number, year, seq
    doc.signed_by, doc.signed_at = actor, now
    doc.status = DocumentStatus.SIGNED
    doc.search_text = f"{number}\n{doc.search_text}"
    finish(step, actor, comment or None)
    events.record(
        session,
        action="document.signed",
        object_type=OBJECT,
        object_id=doc.id,
        actor=actor,
        data={"number": number},
    )
    assert doc.author_id is not None
    key = notify(session, doc, "signed", "document_signed", [doc.author_id, *office_staff(session)])
    return StepResult(
        document_id=doc.id,
        action="signed",
        status=doc.status.value,
        number=number,
        notice_keys=[key],
    )


def issue(
    session: Session,
    *,
    document_id: int,
    recipients: list[str],
    actor: str,
    printer: str | None = None,
) -> StepResult:
    """印发: lay the document out (GB/T 9704 .docx), keep it with its checksum, email it to the
    heads of each recipient department, and open their 签收 steps (due by the end of the day;
    the documents sweep reminds whoever has not confirmed on the next working day)."""
    doc = get_document(session, document_id)
    if doc.direction is not Direction.OUTGOING:
        raise input_error("document", f"document {doc.id} is incoming")
    if doc.status is DocumentStatus.ISSUED:
        raise input_error("document", f"document {doc.id} is already issued")
    if doc.status is not DocumentStatus.SIGNED:
        raise input_error(
            "document",
            f"document {doc.id} is {doc.status.value}; it is issued only after its sign-off (签发)",
        )
    recipients = list(dict.fromkeys(recipients))
    if not recipients:
        raise input_error("recipients", "name at least one recipient department")
    problems = []
    for i, dept_id in enumerate(recipients):
        if session.get(Department, dept_id) is None:
            problems.append(Problem(("recipients", i), f"unknown department {dept_id!r}"))
        elif not department_heads(session, dept_id):
            problems.append(Problem(("recipients", i), f"{dept_id!r} has no head to receive it"))
    if problems:
        raise InputError(problems)
    data = render(session, doc, printer=printer)
    content = FileContent(f"{doc.number}.docx", data)
    (stored,) = doc_files.keep(session, doc, [content], actor=actor, purpose="issued")
    now = clock.now()
    doc.status = DocumentStatus.ISSUED
    doc.issued_at = now
    calendar = get_calendar()
    today = calendar.local_date(now)
    due = calendar.end_of_office_hours(
        today if calendar.is_workday(today) else calendar.next_workday(today)
    )
    keys = []
    for dept_id in recipients:
        s = open_step(session, doc, StepKind.RECEIPT, department_id=dept_id, due_at=due)
        keys.append(
            notify(
                session,
                doc,
                f"issued:{dept_id}",
                "document_issued",
                department_heads(session, dept_id),
                step=s,
                attachment_id=stored.id,
                department=dept_id,
            )
        )
    events.record(
        session,
        action="document.issued",
        object_type=OBJECT,
        object_id=doc.id,
        actor=actor,
        data={"recipients": recipients, "file": f"{stored.filename} sha256:{stored.sha256}"},
    )
    return StepResult(
        document_id=doc.id,
        action="issued",
        status=doc.status.value,
        number=doc.number,
        notice_keys=keys,
    )


def render(session: Session, doc: Document, *, printer: str | None = None) -> bytes:
    """The GB/T 9704 .docx of a signed document (`officeflow.layout`)."""
    from officeflow.layout import OfficialDocumentLayout, render_official_document

    assert doc.number is not None and doc.signed_at is not None
    calendar = get_calendar()
    office = office_name(session)
    return render_official_document(
        OfficialDocumentLayout(
            authority=office,
            number=doc.number,
            title=doc.title,
            main_recipients=doc.main_recipients,
            body=doc.body,
            signer=office,
            written_on=calendar.local_date(doc.signed_at),
            copy_to=tuple(doc.copy_to),
            printer=printer or office,
            printed_on=calendar.local_date(clock.now()),
            classification=doc.classification,
            urgency=None if doc.urgency.value == "normal" else _urgency_label(doc),
        )
    )


def _urgency_label(doc: Document) -> str:
    from rules.documents import URGENCY_LABELS

    return URGENCY_LABELS[doc.urgency]


def confirm_receipt(
    session: Session, *, document_id: int, department: str | None = None, actor: str
) -> StepResult:
    """签收: a recipient department (the actor's own by default) confirms it received the
    document."""
    doc = get_document(session, document_id)
    department = _acting_department(session, department, actor)
    step = pending_step(session, doc, StepKind.RECEIPT, department_id=department)
    if step is None:
        if _done_step(session, doc, StepKind.RECEIPT, department):
            raise input_error("department", f"{department!r} already confirmed receipt")
        raise input_error("department", f"document {doc.id} awaits no receipt from {department!r}")
    finish(step, actor)
    events.record(
        session,
        action="document.receipt_confirmed",
        object_type=OBJECT,
        object_id=doc.id,
        actor=actor,
        data={"department": department},
    )
    return StepResult(document_id=doc.id, action="receipt_confirmed", status=doc.status.value)
