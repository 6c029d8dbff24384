"""`officeflow info …`: 信息报送 — submit, commission (约稿), the daily issue (每日要情), the
monthly scores (信息考核), show and list. The actions on an item (edit, adopt, reject, comment:
批示) are declared in `officeflow.information.declarations` and their commands generated
(`officeflow.cli.actions`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from models.information import ItemStatus, Publication
from models.information_input import InfoItemSpec, RequestSpec
from officeflow import db, information
from officeflow.cli.common import actor_option, cell, check_first, console, plain, run_flow
from officeflow.inputs import input_error, read_yaml, validate_model

app = typer.Typer(
    help=(
        "信息报送: departments submit information items; the office edits, adopts them into "
        "issues (每日要情, 专报) or rejects them; leaders comment (批示); 约稿 and 信息考核."
    ),
    no_args_is_help=True,
)


@app.command()
def submit(
    file: Path | None = typer.Argument(None, help="Item YAML, e.g. examples/info_item.yaml"),
    title: str | None = typer.Option(None, "--title"),
    body: str | None = typer.Option(None, "--body"),
    kind: str | None = typer.Option(
        None, "--kind", help="news 动态, problem 问题, suggestion 建议, practice 经验, urgent 紧急"
    ),
    department: str | None = typer.Option(None, "--department", help="Submitting department id"),
    people: list[str] = typer.Option([], "--person", help="A person concerned (repeatable)"),
    places: list[str] = typer.Option([], "--place", help="A place concerned (repeatable)"),
    request: int | None = typer.Option(None, "--request", help="The 约稿 this answers"),
    actor: str = actor_option("The submitter, in the department (or the office)"),
) -> None:
    """信息报送: run the information-submission flow on FILE or the options (options override
    the file). An urgent item alerts the duty officer at once."""
    data: dict[str, Any] = {}
    source = None
    if file is not None:
        loaded, _ = read_yaml(file)
        if not isinstance(loaded, dict):
            raise input_error("item", f"{file} must hold a mapping of the item's fields")
        data, source = dict(loaded), str(file)
    options = {
        "title": title,
        "body": body,
        "kind": kind,
        "department": department,
        "people": people or None,
        "places": places or None,
        "request_id": request,
    }
    data |= {k: v for k, v in options.items() if v is not None}
    data["submitted_by"] = actor
    spec = validate_model(InfoItemSpec, data, source)
    check_first(lambda session: information.check_item(session, spec), source)
    result = run_flow("flows.information:information_submission", item=spec)
    verb = "submitted as" if result.created else "already submitted as"
    console.print(f"item {verb} [bold]{result.item_id}[/]; {result.notices_sent} notices sent")


@app.command("request")
def request_(
    topic: str = typer.Option(..., "--topic", help="约稿 topic"),
    departments: list[str] = typer.Option(..., "--department", help="Department id (repeatable)"),
    due_in_workdays: int = typer.Option(..., "--due-in-workdays", min=1, max=60),
    detail: str = typer.Option("", "--detail", help="What the office needs"),
    actor: str = actor_option("A person of the general office"),
) -> None:
    """约稿: run the information-request flow: each department gets a supervised assignment
    due in N working days, answered by `info submit --request ID`."""
    spec = validate_model(
        RequestSpec,
        {
            "topic": topic,
            "detail": detail,
            "departments": departments,
            "due_in_workdays": due_in_workdays,
            "requested_by": actor,
        },
    )
    check_first(lambda session: information.check_request(session, spec))
    result = run_flow("flows.information:information_request", request=spec)
    console.print(
        f"request [bold]{result.request_id}[/] as decision {result.decision_id} with assignments "
        f"{', '.join(map(str, result.assignment_ids))}; {result.notices_sent} notices sent"
    )


@app.command()
def digest(
    publication: Publication = typer.Option(Publication.DAILY, "--publication"),
    issue: int | None = typer.Option(None, "--issue", min=1, help="Publish this issue (专报)"),
) -> None:
    """每日要情: run the information-digest flow: compile, render (.docx), send and publish the
    current issue (skipped on days off for the daily issue)."""
    result = run_flow("flows.information:information_digest", publication=publication, number=issue)
    if result.skipped:
        console.print(f"digest skipped: {plain(result.reason)}", highlight=False)
        return
    console.print(
        f"published 第{result.number}期 with items {', '.join(map(str, result.items))}: "
        f"{plain(result.document)}; sent {result.sent}, failed {result.failed}"
    )


@app.command()
def scores(
    month: str | None = typer.Option(None, "--month", help="YYYY-MM; default: last month"),
) -> None:
    """信息考核: run the information-scores flow for the month: points, chart, bulletin."""
    result = run_flow("flows.information:information_scores", month=month)
    if result.skipped:
        console.print(f"scores skipped: {plain(result.reason)}", highlight=False)
        return
    table = Table(title=f"信息考核 {result.month}")
    for col in ("department", "submitted", "adopted", "commented", "overdue", "points"):
        table.add_column(col)
    for r in result.rows:
        table.add_row(
            cell(r.name),
            str(r.submitted),
            str(r.adopted),
            str(r.commented),
            str(r.overdue),
            f"{r.points:g}",
        )
    console.print(table)
    console.print(f"chart: {plain(result.chart)}; sent {result.sent}, failed {result.failed}")


@app.command()
def show(item_id: int = typer.Argument(..., help="Item id")) -> None:
    """An item with its revisions and the leaders' comments."""
    with db.read_scope() as session:
        v = information.item_view(session, item_id)
    console.print(f"[bold]{v['id']}. {plain(v['title'])}[/] ({v['kind']}, {plain(v['status'])})")
    console.print(f"{plain(v['department'])} · {plain(v['submitted_by'])} · {v['submitted_at']}")
    if v["issue"]:
        console.print(f"in {plain(v['issue'])}")
    if v["reject_reason"]:
        console.print(f"rejected: {plain(v['reject_reason'])}")
    console.print(plain(v["body"]))
    for r in v["revisions"]:
        console.print(
            f"  revision {r['revision']} by {plain(r['by'])} at {r['at']}: {plain(r['note'])}"
        )
    for c in v["comments"]:
        extra = f" → decision {c['decision']}" if c["decision"] else ""
        console.print(f"  批示 {plain(c['leader'])}: {plain(c['text'])}{extra}")


@app.command("list")
def list_(
    status: ItemStatus | None = typer.Option(None, "--status"),
) -> None:
    """The latest items (500 at most)."""
    with db.read_scope() as session:
        rows = information.items_table(session, status)
    table = Table(title="Information items")
    for col in ("id", "kind", "title", "department", "submitted", "status", "issue"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["kind"],
            cell(r["title"]),
            cell(r["department"]),
            r["submitted"],
            r["status"],
            cell(r["issue"]),
        )
    console.print(table)
