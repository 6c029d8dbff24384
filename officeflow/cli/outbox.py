from __future__ import annotations

import os
import time
from pathlib import Path

import typer
from rich.table import Table

from officeflow.cli.common import console, fail
from officeflow.mailcatcher import read_outbox
from officeflow.settings import get_settings

EXAMPLE_ORG = Path(__file__).resolve().parents[2] / "examples" / "org.yaml"


def outbox(
    number: int | None = typer.Argument(None, help="Show message NUMBER in full"),
    folder: Path | None = typer.Option(None, help="Outbox folder (default: <home>/outbox)"),
) -> None:
    """List the mail the local mail catcher received, or show one message."""
    folder = folder or get_settings().home / "outbox"
    messages = read_outbox(folder)
    if not messages:
        console.print(f"the outbox at {folder} is empty")
        return
    if number is not None:
        if not 1 <= number <= len(messages):
            fail(f"there are {len(messages)} messages; pick 1–{len(messages)}")
        path, msg = messages[number - 1]
        console.print(
            f"[bold]{msg['Subject']}[/]\nFrom: {msg['From']}\nTo: {msg['To']}\n"
            f"Date: {msg['Date']}\nFile: {path}\n",
            highlight=False,
        )
        body = msg.get_body(preferencelist=("plain", "html"))
        console.print(body.get_content() if body else "", highlight=False)
        for part in msg.iter_attachments():
            console.print(f"[dim]attachment: {part.get_filename()} ({part.get_content_type()})[/]")
        return
    table = Table(title=f"Outbox ({folder})")
    for col in ("#", "date", "to", "subject"):
        table.add_column(col)
    for i, (_, msg) in enumerate(messages, 1):
        table.add_row(
            str(i), str(msg["Date"] or ""), str(msg["To"] or ""), str(msg["Subject"] or "")
        )
    console.print(table)


def demo() -> None:
    """A short scripted demo: ledger, example org, working days, and a notice delivered to the
    local mail catcher (nothing leaves this machine)."""
    from officeflow import db
    from officeflow.delivery import plan_notice, send_pending
    from officeflow.mailcatcher import MailCatcher
    from officeflow.org import load_org, parse_org_file
    from officeflow.settings import reload_settings
    from officeflow.workdays import get_calendar

    home = get_settings().home
    catcher = MailCatcher(outbox=home / "outbox").start()
    os.environ["OFFICEFLOW_SMTP_HOST"] = catcher.host
    os.environ["OFFICEFLOW_SMTP_PORT"] = str(catcher.port)
    settings = reload_settings()
    try:
        console.rule("1. ledger")
        db.upgrade(settings.database_url)
        console.print(f"ledger ready at {settings.database_url}")
        console.rule("2. org directory")
        org = parse_org_file(EXAMPLE_ORG)
        with db.session_scope() as session:
            result = load_org(session, org)
        console.print(
            f"{org.organisation}: {result.departments} departments, {result.people} people"
        )
        console.rule("3. working days")
        cal = get_calendar()
        import datetime as dt

        start = dt.date(2026, 9, 24)
        console.print(
            f"5 working days after {start} (across National Day): {cal.add_workdays(start, 5)}"
        )
        makeup = cal.is_workday(dt.date(2026, 10, 10))
        console.print(f"2026-10-10 (调休 make-up Saturday) is a working day: {makeup}")
        due = cal.deadline(dt.date(2026, 9, 21), 5)
        console.print(f"a 5-working-day deadline issued 2026-09-21 ends at {due}")
        console.rule("4. a notice, delivered once")
        key = f"demo:{int(time.time())}"
        with db.session_scope() as session:
            plan_notice(
                session,
                key=key,
                template="notice",
                object_type="demo",
                object_id=key,
                recipients=["sun.li", "zhang.wei", "lin.tao"],
                context={"title": "工作提示", "message": "请于本周五前报送本单位重点工作进展。"},
            )
        first = send_pending([key])
        again = send_pending([key])
        console.print(f"first run sent {first.sent}; a second run sent {again.sent}")
        held = len(catcher.messages)
        console.print(f"the mail catcher on {catcher.host}:{catcher.port} holds {held} messages")
    finally:
        catcher.stop()
    console.rule("outbox")
    outbox(None, home / "outbox")
