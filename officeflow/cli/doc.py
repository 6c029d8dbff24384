"""`officeflow doc …`: official documents (办文), incoming and outgoing."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from officeflow.cli.common import (
    actor_option,
    cell,
    check_first,
    console,
    parse_date,
    plain,
    run_flow,
    send_notices,
)

app = typer.Typer(
    help="Official documents (办文): 收文 registration and route, 发文 drafting to issue, search.",
    no_args_is_help=True,
)


def _act(fn_name: str, **kwargs: object) -> None:
    """One action on an existing document: one transaction, then its notices are sent."""
    from officeflow import db, documents

    with db.session_scope() as session:
        result = getattr(documents, fn_name)(session, **kwargs)
    console.print(
        f"document {result.document_id}: {result.action}, now {result.status}"
        + (f", number {plain(result.number)}" if result.number else "")
        + (f", decision {result.decision_id}" if result.decision_id else "")
    )
    send_notices(result.notice_keys)


@app.command()
def receive(
    file: Path = typer.Argument(
        ..., help="Incoming document YAML, e.g. examples/incoming_document.yaml"
    ),
) -> None:
    """收文登记: run the document-incoming flow on FILE (files checked and kept with checksums;
    the office is asked to propose, 拟办)."""
    from models.documents_input import IncomingDocumentSpec
    from officeflow import documents
    from officeflow.inputs import load_yaml_model

    spec, _ = load_yaml_model(file, IncomingDocumentSpec)
    check_first(lambda session: documents.check_incoming(session, spec), str(file))
    result = run_flow("flows.documents:document_incoming", document=spec)
    console.print(f"document {result.document_id} registered; {result.notices_sent} notices sent")


@app.command()
def draft(
    file: Path = typer.Argument(
        ..., help="Outgoing draft YAML, e.g. examples/outgoing_document.yaml"
    ),
) -> None:
    """拟稿: run the document-outgoing flow on FILE (revision 1; the office is asked to check)."""
    from models.documents_input import OutgoingDocumentSpec
    from officeflow import documents
    from officeflow.inputs import load_yaml_model

    spec, _ = load_yaml_model(file, OutgoingDocumentSpec)
    check_first(lambda session: documents.check_outgoing(session, spec), str(file))
    result = run_flow("flows.documents:document_outgoing", draft=spec)
    console.print(f"document {result.document_id} drafted; {result.notices_sent} notices sent")


@app.command()
def propose(
    document_id: int = typer.Argument(...),
    proposal: str = typer.Option(..., "--proposal", help="拟办意见"),
    leaders: list[str] = typer.Option([], "--leader", help="Leader to comment (repeat)"),
    parallel: bool = typer.Option(False, "--parallel", help="Leaders comment at once"),
    actor: str = actor_option("Office staff"),
) -> None:
    """拟办: the office proposes how to handle it and which leaders comment."""
    from models.documents_input import RouteSpec

    route = RouteSpec(proposal=proposal, leaders=leaders, parallel=parallel)
    _act("propose", document_id=document_id, route=route, actor=actor)


def _tasks(tasks: list[str], days: int | None) -> list:
    from models.documents_input import TaskSpec

    out = []
    for t in tasks:
        dept, sep, text = t.partition(":")
        if not sep:
            from officeflow.inputs import input_error

            raise input_error("task", f"{t!r}: write DEPARTMENT:TASK")
        out.append(TaskSpec(department=dept, task=text, due_in_workdays=days))
    return out


@app.command()
def comment(
    document_id: int = typer.Argument(...),
    text: str = typer.Option(..., "--text", help="批示"),
    tasks: list[str] = typer.Option([], "--task", help="DEPARTMENT:TASK, a supervised task"),
    days: int | None = typer.Option(None, "--days", help="Working days for the tasks"),
    actor: str = actor_option("The leader"),
) -> None:
    """批示: a leader comments; each --task becomes a supervised assignment."""
    from models.documents_input import CommentSpec

    spec = CommentSpec(text=text, tasks=_tasks(tasks, days))
    _act("comment", document_id=document_id, spec=spec, actor=actor)


@app.command()
def distribute(
    document_id: int = typer.Argument(...),
    tasks: list[str] = typer.Option(..., "--task", help="DEPARTMENT:TASK (repeat)"),
    days: int | None = typer.Option(None, "--days"),
    leader: str | None = typer.Option(None, "--leader", help="Issuing leader"),
    actor: str = actor_option("Office staff"),
) -> None:
    """分办: hand the document to the handling departments as supervised assignments."""
    _act(
        "distribute",
        document_id=document_id,
        tasks=_tasks(tasks, days),
        actor=actor,
        leader=leader,
    )


@app.command("file")
def file_(
    document_id: int = typer.Argument(...), actor: str = actor_option("Office staff")
) -> None:
    """归档: file the document."""
    _act("file_document", document_id=document_id, actor=actor)


@app.command()
def review(
    document_id: int = typer.Argument(...),
    accept: bool = typer.Option(..., "--accept/--return", help="Pass it on, or return it"),
    comment: str = typer.Option("", "--comment"),
    cosigners: list[str] = typer.Option([], "--cosign", help="Department to co-sign (repeat)"),
    signer: str | None = typer.Option(None, "--signer", help="Leader who signs it off"),
    actor: str = actor_option("Office staff"),
) -> None:
    """核稿: the office checks type, format and series, then passes or returns the draft."""
    _act(
        "review",
        document_id=document_id,
        accept=accept,
        comment=comment,
        cosigners=cosigners,
        signer=signer,
        actor=actor,
    )


@app.command()
def redraft(
    document_id: int = typer.Argument(...),
    body_file: Path = typer.Option(..., "--body-file", help="Text file with the new draft"),
    actor: str = actor_option("The author"),
) -> None:
    """修改稿: the author answers a return with a new revision."""
    body = body_file.read_text(encoding="utf-8")
    _act("redraft", document_id=document_id, body=body, actor=actor)


@app.command()
def cosign(
    document_id: int = typer.Argument(...),
    department: str = typer.Option(..., "--department"),
    comment: str = typer.Option("", "--comment"),
    actor: str = actor_option("Someone of the department"),
) -> None:
    """会签: a department that was asked co-signs."""
    _act("cosign", document_id=document_id, department=department, comment=comment, actor=actor)


@app.command("sign-off")
def sign_off(
    document_id: int = typer.Argument(...), actor: str = actor_option("The leader")
) -> None:
    """签发: a leader signs off; the next number of the series is allocated."""
    _act("sign_off", document_id=document_id, actor=actor)


@app.command()
def issue(
    document_id: int = typer.Argument(...),
    recipients: list[str] = typer.Option(..., "--to", help="Recipient department (repeat)"),
    actor: str = actor_option("Office staff"),
) -> None:
    """印发: lay out the .docx, keep it, email it to the recipients, await their 签收."""
    _act("issue", document_id=document_id, recipients=recipients, actor=actor)


@app.command("confirm")
def confirm(
    document_id: int = typer.Argument(...),
    department: str = typer.Option(..., "--department"),
    actor: str = actor_option("Someone of the department"),
) -> None:
    """签收: a recipient department confirms receipt."""
    _act("confirm_receipt", document_id=document_id, department=department, actor=actor)


@app.command()
def show(document_id: int = typer.Argument(..., help="Document id")) -> None:
    """Where a document stands: its route, its assignments and their lights, its history."""
    from officeflow import db, documents

    with db.read_scope() as session:
        state = documents.document_state(session, document_id)
        doc = state["document"]
        console.print(
            f"[bold]{plain(doc.number or '（未编号）')}[/] {plain(doc.title)}\n"
            f"{plain(doc.sender)} · {state['urgency']} · "
            f"{plain(doc.classification or '—')} · {doc.status.value}",
            highlight=False,
        )
    for name, rows in (
        ("Route", state["steps"]),
        ("Assignments", state["assignments"]),
        ("Revisions", state["revisions"]),
        ("Files", state["files"]),
        ("History", state["history"]),
    ):
        if not rows:
            continue
        table = Table(title=name)
        for col in rows[0]:
            table.add_column(col)
        for r in rows:
            table.add_row(*(cell(v) for v in r.values()))
        console.print(table)


@app.command()
def search(
    number: str | None = typer.Option(None, "--number"),
    title: str | None = typer.Option(None, "--title"),
    sender: str | None = typer.Option(None, "--sender"),
    text: str | None = typer.Option(None, "--text", help="Words in the draft or the .docx text"),
    since: str | None = typer.Option(None, "--since", help="YYYY-MM-DD"),
    until: str | None = typer.Option(None, "--until", help="YYYY-MM-DD"),
) -> None:
    """Find documents by number, title, sender, date range and text."""
    from officeflow import db, documents

    with db.read_scope() as session:
        rows = documents.search(
            session,
            number=number,
            title=title,
            sender=sender,
            text=text,
            since=parse_date(since, "--since") if since else None,
            until=parse_date(until, "--until") if until else None,
        )
        table = Table(title=f"Documents ({len(rows)})")
        for col in ("id", "direction", "number", "title", "sender", "status"):
            table.add_column(col)
        for d in rows:
            table.add_row(
                str(d.id),
                d.direction.value,
                cell(d.number or ""),
                cell(d.title),
                cell(d.sender),
                d.status.value,
            )
    console.print(table)


@app.command()
def sweep() -> None:
    """Run the documents-sweep flow: remind every overdue route step once per period."""
    result = run_flow("flows.documents:documents_sweep")
    if result.skipped:
        console.print(f"skipped: {result.reason}")
    else:
        console.print(f"reminders: {result.tally('reminder')}; sent {result.sent}")
