"""One-time sign-in links (登录链接): one row per link asked for. The link itself (a signed
token) is never stored; the row is what makes it single-use (``used_at``), what bounds its life
(``expires_at``) and what the rate limits count (per person and per client address)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

import models.org  # noqa: F401  (the people table its foreign key names)
from models.base import Base


class SigninLink(Base):
    __tablename__ = "signin_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None when the address asked for belongs to nobody (still counted per client address).
    person_id: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    requested_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    client_ip: Mapped[str | None] = mapped_column(String(64))
    notice_key: Mapped[str | None] = mapped_column(String(255))

    __table_args__ = (
        Index(None, "person_id", "requested_at"),
        Index(None, "client_ip", "requested_at"),
    )


class SessionGeneration(Base):
    """A person's web-session generation. Every session cookie carries the generation it was
    started in and is honoured only while it is still the person's; signing out bumps it, so
    every session of that person ends at once, wherever its cookie was copied to. A person
    without a row is at generation 0."""

    __tablename__ = "session_generations"

    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), primary_key=True)
    generation: Mapped[int]
    changed_at: Mapped[dt.datetime]
