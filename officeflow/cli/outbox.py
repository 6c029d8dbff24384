from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from officeflow.cli.common import console, fail
from officeflow.mailcatcher import read_outbox
from officeflow.settings import get_settings


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
