"""Reading a document: where it stands (its steps, its assignments and their lights, its
revisions and files) and its history, as rows for the CLI and as a Markdown page for Prefect."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.documents import Document, DocumentRevision, DocumentStep
from models.org import Department, Person
from models.supervision import Assignment, Decision
from officeflow import clock, events
from officeflow.documents.common import OBJECT, get_document
from officeflow.files import files_of
from officeflow.text import md
from rules.documents import STEP_LABELS, URGENCY_LABELS


def _name(session: Session, model: type, key: str | None) -> str:
    if key is None:
        return ""
    row = session.get(model, key)
    return row.name if row is not None else key  # type: ignore[attr-defined]


def document_state(session: Session, document_id: int) -> dict[str, Any]:
    doc = get_document(session, document_id)
    steps = list(
        session.scalars(
            select(DocumentStep).where(DocumentStep.document_id == doc.id).order_by(DocumentStep.id)
        )
    )
    assignments = list(
        session.scalars(
            select(Assignment)
            .join(Decision, Decision.id == Assignment.decision_id)
            .where(Decision.source_ref == f"doc:{doc.id}")
            .order_by(Assignment.id)
        )
    )
    revisions = list(
        session.scalars(
            select(DocumentRevision)
            .where(DocumentRevision.document_id == doc.id)
            .order_by(DocumentRevision.revision)
        )
    )
    return {
        "document": doc,
        "urgency": URGENCY_LABELS[doc.urgency],
        "steps": [
            {
                "id": s.id,
                "step": f"{STEP_LABELS[s.kind]} {s.kind.value}",
                "who": _name(session, Person, s.person_id)
                or _name(session, Department, s.department_id)
                or "办公室",
                "status": s.status.value,
                "due": clock.format_local(s.due_at) if s.due_at else "",
                "done": clock.format_local(s.done_at) if s.done_at else "",
                "by": _name(session, Person, s.done_by),
                "comment": s.comment or "",
            }
            for s in steps
        ],
        "assignments": [
            {
                "id": a.id,
                "decision": a.decision_id,
                "department": _name(session, Department, a.lead_department_id),
                "task": a.task,
                "due": clock.format_local(a.due_at),
                "status": a.status.value,
                "light": a.light.value,
                "escalations": a.red_count,
            }
            for a in assignments
        ],
        "revisions": [
            {
                "revision": r.revision,
                "author": _name(session, Person, r.author_id),
                "at": clock.format_local(r.created_at),
                "note": r.note,
            }
            for r in revisions
        ],
        "files": [
            {"name": f.filename, "size": f.size, "sha256": f.sha256, "purpose": f.purpose}
            for f in files_of(session, OBJECT, doc.id)
        ],
        "history": [
            {"at": clock.format_local(e.at), "actor": e.actor, "action": e.action}
            for e in events.history(session, object_type=OBJECT, object_id=doc.id)
        ],
    }


def document_markdown(session: Session, document_id: int) -> str:
    """The document's page: where it stands and its history (the Prefect artifact)."""
    state = document_state(session, document_id)
    doc: Document = state["document"]
    head = "收文" if doc.direction.value == "incoming" else "发文"
    lines = [
        f"# {head} {doc.id}: {md(doc.title)}",
        "",
        f"- 文号 Number: {md(doc.number or '（未编号）')}",
        f"- 来文/拟稿单位 Sender: {md(doc.sender)}",
        f"- 紧急程度 Urgency: {state['urgency']}",
        f"- 密级 Classification: {md(doc.classification or '—')}",
        f"- 状态 Status: {doc.status.value}",
        "",
        "## 流转 Route",
        "",
        "| # | 步骤 Step | 办理人 Who | 状态 | 时限 Due | 办理 Done | 意见 Comment |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in state["steps"]:
        lines.append(
            f"| {s['id']} | {s['step']} | {md(s['who'])} | {s['status']} | {s['due']} | "
            f"{s['done']} {md(s['by'])} | {md(s['comment'])} |"
        )
    if state["assignments"]:
        lines += [
            "",
            "## 承办 Assignments",
            "",
            "| # | 承办单位 | 任务 | 时限 | 状态 | 灯 | 催办 |",
            "|---|---|---|---|---|---|---|",
        ]
        for a in state["assignments"]:
            lines.append(
                f"| {a['id']} | {md(a['department'])} | {md(a['task'])} | {a['due']} | "
                f"{a['status']} | {a['light']} | {a['escalations']} |"
            )
    lines += ["", "## 历史 History", ""]
    lines += [f"- {h['at']} {md(h['actor'])} {h['action']}" for h in state["history"]]
    return "\n".join(lines) + "\n"
