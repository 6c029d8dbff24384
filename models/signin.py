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
