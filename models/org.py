"""The organisation: departments, people, their roles and contact points."""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base


class Role(enum.StrEnum):
    STAFF = "staff"
    DEPARTMENT_HEAD = "department_head"
    LEADER = "leader"
    DUTY_OFFICER = "duty_officer"
    OFFICE_DIRECTOR = "office_director"


class Channel(enum.StrEnum):
    EMAIL = "email"
    DINGTALK = "dingtalk"
    WECOM = "wecom"
    FEISHU = "feishu"
    SLACK = "slack"
    WEBHOOK = "webhook"
    # Direct messages through the platform's app (officeflow.direct_messages), one person each.
    DINGTALK_DM = "dingtalk_dm"
    WECOM_DM = "wecom_dm"
    FEISHU_DM = "feishu_dm"
    SMS = "sms"


def _values(e: type[enum.Enum]) -> list[str]:
    return [m.value for m in e]


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    is_general_office: Mapped[bool] = mapped_column(default=False)
    # The leader in charge (分管领导) of this department.
    leader_id: Mapped[str | None] = mapped_column(
        ForeignKey("people.id", use_alter=True, ondelete="SET NULL")
    )

    members: Mapped[list[Person]] = relationship(
        back_populates="department", foreign_keys="Person.department_id"
    )


class Person(Base):
    __tablename__ = "people"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(200))
    department_id: Mapped[str] = mapped_column(ForeignKey("departments.id"), index=True)
    mobile: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(default=True)
    # The org file's `preferences:` of this person (digest, quiet_hours); None: the office's.
    preferences: Mapped[dict[str, Any] | None] = mapped_column()

    department: Mapped[Department] = relationship(
        back_populates="members", foreign_keys=[department_id]
    )
    # Loaded when read (in the session): the permission checks and notices look a person up
    # thousands of times a day and rarely need either list; a listing asks for them up front
    # (`officeflow.org.list_people`).
    roles: Mapped[list[PersonRole]] = relationship(cascade="all, delete-orphan")
    contacts: Mapped[list[ContactPoint]] = relationship(cascade="all, delete-orphan")


class PersonRole(Base):
    __tablename__ = "person_roles"

    person_id: Mapped[str] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=32, values_callable=_values), primary_key=True
    )


class ContactPoint(Base):
    """Where a person is reached on a channel: an address or a chat user id, never a credential."""

    __tablename__ = "contact_points"

    person_id: Mapped[str] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    channel: Mapped[Channel] = mapped_column(
        Enum(Channel, native_enum=False, length=32, values_callable=_values), primary_key=True
    )
    address: Mapped[str] = mapped_column(String(320))


class Organisation(Base):
    """The one organisation this ledger serves (a single row)."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    office_name: Mapped[str] = mapped_column(String(200))
    # The org file's `notifications:` (digests, quiet hours); None: the settings decide.
    notifications: Mapped[dict[str, Any] | None] = mapped_column()
