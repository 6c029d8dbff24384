"""Document numbers (发文字号): each series numbers from 1 each year, with no gaps and no
repeats. The number is taken in the sign-off transaction from a counter row: the UPDATE that
bumps it holds the row's lock (PostgreSQL) or the database's write lock (SQLite, where every
writing session begins IMMEDIATE) until the sign-off commits, so concurrent sign-offs queue
and each gets the next number; a sign-off that fails rolls its number back with it. The unique
constraint on (series, year, seq) of `documents` is the last guard."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from models.documents import NumberCounter
from officeflow.db import insert_ignore
from rules.documents import format_number


def allocate(session: Session, series: str, year: int) -> tuple[int, str]:
    """The next number of ``series`` in ``year``: (sequence, the number as printed)."""
    session.execute(insert_ignore(session, NumberCounter).values(series=series, year=year, last=0))
    seq = session.execute(
        update(NumberCounter)
        .where(NumberCounter.series == series, NumberCounter.year == year)
        .values(last=NumberCounter.last + 1)
        .returning(NumberCounter.last)
    ).scalar_one()
    return seq, format_number(series, year, seq)
