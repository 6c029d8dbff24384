"""信息报送: information items, their revisions, the issues they are adopted into, leaders'
comments (批示) and commissioned reports (约稿)."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

import models.supervision  # noqa: F401  (the decisions table its foreign keys name)
from models.base import Base
from models.org import _values


def _enum(e: type[enum.Enum], length: int = 16) -> Enum:
    return Enum(e, native_enum=False, length=length, values_callable=_values)


class InfoKind(enum.StrEnum):
    """The kind of an item; `rules.information.KIND_LABELS` holds the Chinese names."""

    NEWS = "news"  # 动态
    PROBLEM = "problem"  # 问题
    SUGGESTION = "suggestion"  # 建议
    PRACTICE = "practice"  # 经验
    URGENT = "urgent"  # 紧急


class ItemStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    ADOPTED = "adopted"  # 采用
    REJECTED = "rejected"  # 退回


class Publication(enum.StrEnum):
    DAILY = "daily"  # 每日要情
    SPECIAL = "special"  # 专报


class IssueStatus(enum.StrEnum):
    OPEN = "open"  # items may still be adopted into it
    PUBLISHED = "published"  # closed: rendered and sent


class InfoIssue(Base):
    """One issue (第N期) of a publication. Numbers never repeat within a publication."""

    __tablename__ = "info_issues"

    id: Mapped[int] = mapped_column(primary_key=True)
    publication: Mapped[Publication] = mapped_column(_enum(Publication))
    number: Mapped[int]
    status: Mapped[IssueStatus] = mapped_column(_enum(IssueStatus), default=IssueStatus.OPEN)
    opened_at: Mapped[dt.datetime]
    # The local date printed on the issue, set when it is published.
    issue_date: Mapped[dt.date | None]
    published_at: Mapped[dt.datetime | None]
    # The rendered .docx, relative to the officeflow home, and its SHA-256.
    document_path: Mapped[str | None] = mapped_column(String(500))
    document_sha256: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        UniqueConstraint("publication", "number"),
        Index(None, "publication", "status"),
    )


class InfoRequest(Base):
    """约稿: the office asks departments for information on a topic by a deadline. Carried out
    as a supervision decision with one assignment per department."""

    __tablename__ = "info_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(300))
    detail: Mapped[str] = mapped_column(Text, default="")
    departments: Mapped[list[str]] = mapped_column(default=list)
    requested_by: Mapped[str] = mapped_column(ForeignKey("people.id"))
    requested_at: Mapped[dt.datetime]
    due_in_workdays: Mapped[int]
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))


class InfoItem(Base):
    """信息: what a department reports to the office."""

    __tablename__ = "info_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Hash of the submission: the same submission again finds this row.
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    kind: Mapped[InfoKind] = mapped_column(_enum(InfoKind))
    people: Mapped[list[str]] = mapped_column(default=list)  # the people concerned
    places: Mapped[list[str]] = mapped_column(default=list)  # the places concerned
    department_id: Mapped[str] = mapped_column(ForeignKey("departments.id"), index=True)
    submitted_by: Mapped[str] = mapped_column(ForeignKey("people.id"))
    submitted_at: Mapped[dt.datetime]
    request_id: Mapped[int | None] = mapped_column(ForeignKey("info_requests.id"))
    status: Mapped[ItemStatus] = mapped_column(_enum(ItemStatus), default=ItemStatus.SUBMITTED)
    revision: Mapped[int] = mapped_column(default=1)
    issue_id: Mapped[int | None] = mapped_column(ForeignKey("info_issues.id"), index=True)
    decided_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    decided_at: Mapped[dt.datetime | None]
    reject_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index(None, "status", "submitted_at"),)


class InfoRevision(Base):
    """Every version of an item's text: revision 1 as submitted, then each edit."""

    __tablename__ = "info_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("info_items.id"), index=True)
    revision: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    kind: Mapped[InfoKind] = mapped_column(_enum(InfoKind))
    edited_by: Mapped[str] = mapped_column(ForeignKey("people.id"))
    edited_at: Mapped[dt.datetime]
    note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (UniqueConstraint("item_id", "revision"),)


class InfoComment(Base):
    """批示: a leader's comment on an adopted item, optionally turned into a decision."""

    __tablename__ = "info_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("info_items.id"), index=True)
    leader_id: Mapped[str] = mapped_column(ForeignKey("people.id"))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime]
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
