"""办文: official documents, incoming (收文) and outgoing (发文), their route steps, draft
revisions and number series; and the file store every process may use."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

import models.supervision  # noqa: F401  (the decisions table its foreign keys name)
from models.base import Base
from models.org import _values


def _enum(e: type[enum.Enum], length: int = 32) -> Enum:
    return Enum(e, native_enum=False, length=length, values_callable=_values)


class Direction(enum.StrEnum):
    INCOMING = "incoming"  # 收文
    OUTGOING = "outgoing"  # 发文


class Urgency(enum.StrEnum):
    """Stored in ASCII, shown in Chinese (`rules.documents.URGENCY_LABELS`)."""

    EXTRA_URGENT = "extra_urgent"  # 特急
    URGENT = "urgent"  # 加急
    NORMAL = "normal"  # 平件


class DocumentStatus(enum.StrEnum):
    # incoming
    REGISTERED = "registered"  # 登记, awaiting 拟办
    PROPOSED = "proposed"  # 拟办 done, awaiting 批示
    COMMENTED = "commented"  # every leader commented, awaiting 分办
    DISTRIBUTED = "distributed"  # 分办 done: departments handle (承办)
    # outgoing
    DRAFTED = "drafted"  # awaiting 核稿
    RETURNED = "returned"  # 退回 to the author
    COSIGNING = "cosigning"  # 会签
    AWAITING_SIGNOFF = "awaiting_signoff"  # 签发
    SIGNED = "signed"  # number allocated, awaiting 印发
    ISSUED = "issued"  # 印发, recipients confirm receipt (签收)
    # both
    FILED = "filed"  # 归档


class StepKind(enum.StrEnum):
    PROPOSE = "propose"  # 拟办
    COMMENT = "comment"  # 批示
    DISTRIBUTE = "distribute"  # 分办
    REVIEW = "review"  # 核稿
    COSIGN = "cosign"  # 会签
    SIGNOFF = "signoff"  # 签发
    RECEIPT = "receipt"  # 签收
    FILE = "file"  # 归档


class StepStatus(enum.StrEnum):
    WAITING = "waiting"  # in sequence, not yet its turn
    PENDING = "pending"  # someone must act by due_at
    DONE = "done"
    RETURNED = "returned"  # 核稿 sent it back
    CANCELLED = "cancelled"


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[Direction] = mapped_column(_enum(Direction, 16))
    status: Mapped[DocumentStatus] = mapped_column(_enum(DocumentStatus))
    # Incoming: the sender's number (文号); outgoing: the number allocated at sign-off.
    number: Mapped[str | None] = mapped_column(String(80), index=True)
    title: Mapped[str] = mapped_column(String(300))
    # Incoming: the sending authority; outgoing: the drafting department's name.
    sender: Mapped[str] = mapped_column(String(200))
    urgency: Mapped[Urgency] = mapped_column(_enum(Urgency, 16), default=Urgency.NORMAL)
    classification: Mapped[str | None] = mapped_column(String(40))  # 密级, never sent by chat
    received_on: Mapped[dt.date | None]  # incoming
    # Outgoing
    doc_type: Mapped[str | None] = mapped_column(String(40))  # 文种: 通知, 请示, 函 …
    department_id: Mapped[str | None] = mapped_column(ForeignKey("departments.id"))
    author_id: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    series: Mapped[str | None] = mapped_column(String(40))  # 发文字号, e.g. X府办发
    year: Mapped[int | None]
    seq: Mapped[int | None]
    main_recipients: Mapped[str] = mapped_column(Text, default="")
    copy_to: Mapped[list[str]] = mapped_column(default=list)
    body: Mapped[str] = mapped_column(Text, default="")  # the current draft
    signed_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    signed_at: Mapped[dt.datetime | None]
    issued_at: Mapped[dt.datetime | None]
    # Both: what search reads (title, number, sender, draft, text of the .docx files).
    search_text: Mapped[str] = mapped_column(Text, default="")
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    fingerprint: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[dt.datetime]
    created_on: Mapped[dt.date]

    __table_args__ = (
        UniqueConstraint("series", "year", "seq"),
        Index(None, "direction", "status"),
    )


class DocumentStep(Base):
    """One step of a document's route, done by one person or department by a deadline."""

    __tablename__ = "document_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    kind: Mapped[StepKind] = mapped_column(_enum(StepKind, 16))
    position: Mapped[int] = mapped_column(default=1)  # order within the kind (批示 in sequence)
    person_id: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    department_id: Mapped[str | None] = mapped_column(ForeignKey("departments.id"))
    status: Mapped[StepStatus] = mapped_column(_enum(StepStatus, 16))
    due_at: Mapped[dt.datetime | None]
    due_on: Mapped[dt.date | None]
    done_at: Mapped[dt.datetime | None]
    done_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime]

    __table_args__ = (Index(None, "status", "due_on"),)


class DocumentRevision(Base):
    """A draft as written: every (re)draft of an outgoing document is kept."""

    __tablename__ = "document_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    revision: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[str] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[dt.datetime]
    note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (UniqueConstraint("document_id", "revision"),)


class NumberCounter(Base):
    """The last number given in a series and year; bumped in the sign-off transaction."""

    __tablename__ = "document_number_counters"

    series: Mapped[str] = mapped_column(String(40), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last: Mapped[int] = mapped_column(default=0)
