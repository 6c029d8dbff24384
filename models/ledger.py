"""The ledger's own records: notices, their per-recipient deliveries, and the event log."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from models.org import Channel, _values


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # reserved, not yet tried
    SENDING = "sending"  # claimed by a sender; if it stays here the sender died mid-send
    SENT = "sent"
    FAILED = "failed"  # tried and failed (transient); retried later with backoff
    # Never retried: refused for good (an SMTP 5xx for the mailbox), or out of retry horizon.
    UNDELIVERABLE = "undeliverable"


class Notice(Base):
    """One message the office decided to send, named by its business key.

    The key names the domain event (``assignment:42:red:2026-10-12``), never a run id,
    so a re-triggered run finds the notice it already planned.
    """

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    template: Mapped[str] = mapped_column(String(120))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(64))
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # An iCalendar invitation (METHOD:REQUEST or CANCEL) sent with the notice: by email as a
    # real iTIP invitation, on chat channels the text alone.
    invite: Mapped[str | None] = mapped_column(Text)
    # A stored file (`officeflow.files`) emailed with the notice as an attachment, e.g. an
    # issued document's .docx; chat deliveries send the text alone.
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"))
    created_at: Mapped[dt.datetime]
    # How hard to try, as the process that planned the notice decided (an emergency's alerts):
    # an urgent notice ignores quiet hours, is retried within minutes, falls back at once to
    # the person's next channel of ``fallback`` (None: every channel, most personal first)
    # when one fails, and is not given up after the retry horizon but retried until settled.
    urgent: Mapped[bool] = mapped_column(default=False, server_default=false())
    fallback: Mapped[list[str] | None]
    # Why the notice's failed deliveries are not retried any more (``incident 7 acknowledged``),
    # set by the process that owns its object (`officeflow.delivery.settle`); None: retried.
    settled: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (Index(None, "object_type", "object_id"),)


class Delivery(Base):
    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), index=True)
    notice_key: Mapped[str] = mapped_column(String(255))
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"))
    channel: Mapped[Channel] = mapped_column(
        Enum(Channel, native_enum=False, length=32, values_callable=_values)
    )
    address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[DeliveryStatus] = mapped_column(
        Enum(DeliveryStatus, native_enum=False, length=16, values_callable=_values),
        default=DeliveryStatus.PENDING,
    )
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[dt.datetime | None]
    claim_token: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[dt.datetime | None]
    # The claim's lease: a sender extends it before each attempt; only a row in ``sending``
    # whose lease has lapsed is taken over by the retry (the sender died).
    lease_until: Mapped[dt.datetime | None]
    first_failed_at: Mapped[dt.datetime | None]  # the first failure since the row was planned
    sent_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]
    # Rows of one person and channel with the same digest group go out as one message
    # (a sweep's reminders); each row keeps its own key, status and mark.
    digest: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        UniqueConstraint("notice_key", "person_id", "channel"),
        Index(None, "status", "next_attempt_at"),
    )


class Event(Base):
    """Append-only: who did what, when, to which object. Triggers refuse UPDATE and DELETE."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The door the action came through (`officeflow.actors`): web, cli, prefect-ui or system;
    # for the CLI, the operating-system user who ran the command.
    via: Mapped[str] = mapped_column(String(16), default="system", server_default="system")
    operator: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index(None, "object_type", "object_id", "at"),)


class StoredFile(Base):
    """A file kept under the officeflow home folder by its SHA-256 (`officeflow.files`), owned
    by one office object: a registered or issued document's .docx, a 每日要情 issue, a chart.
    Any process may keep files here; a notice may carry one as an email attachment."""

    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int]
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(40), default="attachment")
    created_at: Mapped[dt.datetime]
    created_by: Mapped[str] = mapped_column(String(64))

    __table_args__ = (Index(None, "object_type", "object_id"),)
