"""`officeflow doc …`: official documents (办文), incoming and outgoing: registering (收文),
drafting (拟稿), reading, searching and the sweep. The actions on a document (propose, comment,
distribute, file, review, redraft, cosign, sign-off, issue, confirm-receipt) are declared in
`officeflow.documents.declarations` and their commands generated (`officeflow.cli.actions`)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from officeflow.cli.common import cell, check_first, console, parse_date, plain, run_flow

app = typer.Typer(
    help="Official documents (办文): 收文 registration and route, 发文 drafting to issue, search.",
    no_args_is_help=True,
)


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
