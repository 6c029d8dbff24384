from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from officeflow.cli.common import cell, console, fail, plain
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
        console.print(f"the outbox at {plain(folder)} is empty")
        return
    if number is not None:
        if not 1 <= number <= len(messages):
            fail(f"there are {len(messages)} messages; pick 1–{len(messages)}")
        path, msg = messages[number - 1]
        console.print(
            f"[bold]{plain(msg['Subject'])}[/]\nFrom: {plain(msg['From'])}\n"
            f"To: {plain(msg['To'])}\nDate: {plain(msg['Date'])}\nFile: {plain(path)}\n",
            highlight=False,
        )
        body = msg.get_body(preferencelist=("plain", "html"))
        console.print(plain(body.get_content() if body else ""), highlight=False)
        for part in msg.iter_attachments():
            name, kind = plain(part.get_filename()), plain(part.get_content_type())
            console.print(f"[dim]attachment: {name} ({kind})[/]")
        return
    table = Table(title=plain(f"Outbox ({folder})"))
    for col in ("#", "date", "to", "subject"):
        table.add_column(col)
    for i, (_, msg) in enumerate(messages, 1):
        table.add_row(
            str(i),
            cell(msg["Date"] or ""),
            cell(msg["To"] or ""),
            cell(msg["Subject"] or ""),
        )
    console.print(table)
