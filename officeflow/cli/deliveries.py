from __future__ import annotations

import datetime as dt

import typer
from rich.table import Table
from sqlalchemy import select

from models.ledger import Delivery, DeliveryStatus
from officeflow import db
from officeflow.cli.common import cell, console
from officeflow.clock import to_local

app = typer.Typer(
    help="The delivery ledger: what was sent, what failed, and retries.", no_args_is_help=True
)


@app.command("list")
def list_(
    status: DeliveryStatus | None = typer.Option(None, help="Only this status"),
    notice: str | None = typer.Option(None, help="Only this notice key"),
    limit: int = typer.Option(50, min=1),
) -> None:
    """List deliveries, newest first."""
    stmt = select(Delivery).order_by(Delivery.id.desc()).limit(limit)
    if status:
        stmt = stmt.where(Delivery.status == status)
    if notice:
        stmt = stmt.where(Delivery.notice_key == notice)
    table = Table()
    for col in ("id", "notice", "person", "channel", "status", "attempts", "sent at", "last error"):
        table.add_column(col)
    with db.read_scope() as session:
        for d in session.scalars(stmt):
            table.add_row(
                str(d.id),
                cell(d.notice_key),
                cell(d.person_id),
                d.channel.value,
                d.status.value,
                str(d.attempts),
                to_local(d.sent_at).format("YYYY-MM-DD HH:mm:ss") if d.sent_at else "",
                cell((d.last_error or "")[:160]),
            )
    console.print(table)


@app.command()
def problems(limit: int = typer.Option(100, min=1, help="Show at most this many rows")) -> None:
    """What did not go out: undeliverable rows (never retried), failed rows (retried
    automatically by delivery-retry), and rows whose sender died (lapsed lease). Exits 1 when
    there are any."""
    from sqlalchemy import func, or_

    from officeflow import clock
    from officeflow.delivery import lease_lapsed
    from officeflow.settings import get_settings

    problem = or_(
        Delivery.status.in_([DeliveryStatus.UNDELIVERABLE, DeliveryStatus.FAILED]),
        lease_lapsed(clock.now(), get_settings()),
    )
    table = Table()
    for col in ("id", "notice", "person", "channel", "status", "attempts", "next try", "cause"):
        table.add_column(col)
    with db.read_scope() as session:
        counts = dict(
            session.execute(
                select(Delivery.status, func.count()).where(problem).group_by(Delivery.status)
            ).all()
        )
        stmt = select(Delivery).where(problem).order_by(Delivery.id.desc()).limit(limit)
        for d in session.scalars(stmt):
            table.add_row(
                str(d.id),
                cell(d.notice_key),
                cell(d.person_id),
                d.channel.value,
                d.status.value if d.status is not DeliveryStatus.SENDING else "sending (lapsed)",
                str(d.attempts),
                to_local(d.next_attempt_at).format("YYYY-MM-DD HH:mm")
                if d.next_attempt_at and d.status is DeliveryStatus.FAILED
                else "",
                cell(d.last_error or ""),
            )
    if not counts:
        console.print("no problems: every delivery was sent or is on its way")
        return
    console.print(table)
    console.print(
        ", ".join(f"{cell(str(getattr(k, 'value', k)))}: {v}" for k, v in sorted(counts.items()))
    )
    raise typer.Exit(1)


@app.command()
def retry(
    due_only: bool = typer.Option(False, "--due-only", help="Only rows whose backoff has passed"),
    stale_after: int | None = typer.Option(
        None,
        help="Rows in 'sending' whose lease lapsed are always resent. This also resends rows "
        "claimed more than this many seconds ago whose lease still runs: only when you know "
        "their sender is dead (such a row may have gone out just before the crash).",
    ),
    limit: int = typer.Option(
        500, min=1, max=100_000, help="Send at most this many rows (oldest first) in this run"
    ),
) -> None:
    """Send failed deliveries again. Rows already sent are never sent twice."""
    stale = dt.timedelta(seconds=stale_after) if stale_after is not None else None
    from officeflow.delivery import retry_failed  # (Apprise, Jinja2: only to send)

    report = retry_failed(due_only=due_only, stale_after=stale, limit=limit)
    console.print(
        f"sent {report.sent}, failed {report.failed}"
        + (f" ({report.undeliverable} undeliverable)" if report.undeliverable else "")
    )
    if report.failed:
        console.print(f"cause: {cell(report.cause())}")
    if report.remaining:
        console.print(
            f"{report.remaining} more to retry (over --limit {limit}); run the command again"
        )
    if report.failed:
        raise typer.Exit(1)
