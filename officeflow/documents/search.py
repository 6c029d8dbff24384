"""Finding documents by number, title, sender, date range and text (the drafts and the text of
registered and issued .docx files, kept in `documents.search_text`).

Chinese has no spaces between words, so PostgreSQL's ``to_tsvector('simple', …)`` makes one
token of a whole run of Chinese characters and a query for a word inside it finds nothing.
On PostgreSQL the text condition is therefore full-text search (for words written with spaces,
ASCII and the like) OR a case-insensitive substring match (``ILIKE``, which finds a Chinese
word anywhere); on SQLite it is the substring match alone (``LIKE``)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from models.documents import Direction, Document


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _contains(session: Session, column: object, text: str) -> object:
    pattern = _like(text)
    if session.get_bind().dialect.name == "postgresql":
        return column.ilike(pattern, escape="\\")  # type: ignore[attr-defined]
    return column.like(pattern, escape="\\")  # type: ignore[attr-defined]


def search(
    session: Session,
    *,
    number: str | None = None,
    title: str | None = None,
    sender: str | None = None,
    text: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    direction: Direction | None = None,
    limit: int = 200,
) -> list[Document]:
    """Documents matching every condition given, newest first."""
    stmt = select(Document)
    if number:
        stmt = stmt.where(_contains(session, Document.number, number))
    if title:
        stmt = stmt.where(_contains(session, Document.title, title))
    if sender:
        stmt = stmt.where(_contains(session, Document.sender, sender))
    if since:
        stmt = stmt.where(func.coalesce(Document.received_on, Document.created_on) >= since)
    if until:
        stmt = stmt.where(func.coalesce(Document.received_on, Document.created_on) <= until)
    if direction:
        stmt = stmt.where(Document.direction == direction)
    if text:
        condition = _contains(session, Document.search_text, text)
        if session.get_bind().dialect.name == "postgresql":
            condition = or_(
                func.to_tsvector("simple", Document.search_text).op("@@")(
                    func.plainto_tsquery("simple", text)
                ),
                condition,
            )
        stmt = stmt.where(condition)
    return list(session.scalars(stmt.order_by(Document.id.desc()).limit(limit)))
