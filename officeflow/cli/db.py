from __future__ import annotations

import typer

from officeflow import db
from officeflow.cli.common import console
from officeflow.settings import get_settings

app = typer.Typer(help="Create, migrate and inspect the ledger.", no_args_is_help=True)


@app.command()
def upgrade() -> None:
    """Create the ledger or migrate it to the newest schema. Safe to run again."""
    url = get_settings().database_url
    db.upgrade(url)
    console.print(
        f"ledger at [bold]{_display(url)}[/] is at {', '.join(sorted(db.current_revisions(url)))}"
    )


@app.command()
def current() -> None:
    """Print the ledger's schema revision."""
    url = get_settings().database_url
    revs = db.current_revisions(url)
    console.print(", ".join(sorted(revs)) or "empty: run `officeflow db upgrade`")


def _display(url: str) -> str:
    from sqlalchemy import make_url

    return make_url(url).render_as_string(hide_password=True)
