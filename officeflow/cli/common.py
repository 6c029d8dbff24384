"""Shared bits of the CLI: consoles, date parsing, the clean-error exit."""

from __future__ import annotations

import datetime as dt
from typing import NoReturn

import typer
from rich.console import Console

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 2) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def warn(message: str) -> None:
    err_console.print(f"[yellow]warning:[/] {message}", highlight=False, soft_wrap=True)


def parse_date(text: str, what: str = "DATE") -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"{what} must be an ISO date like 2026-09-24, not {text!r}")
