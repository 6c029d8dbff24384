"""The org file (组织架构): what `officeflow org load` accepts."""

from __future__ import annotations

from pydantic import EmailStr, Field

from models.common import ID_PATTERN, StrictInput
from models.org import Role


class ChatIds(StrictInput):
    """Chat user ids: the id a bot @-mentions, or the target of a direct message."""

    # Lengths match the ledger's columns (contact_points.address is 320 characters).
    dingtalk: str | None = Field(
        None, max_length=320, description="Mobile number the DingTalk group robot @-mentions"
    )
    wecom: str | None = Field(
        None, max_length=320, description="userid the WeCom group robot @-mentions"
    )
    feishu: str | None = Field(
        None, max_length=320, description="open_id the Feishu group robot @-mentions"
    )
    # Direct messages (工作通知 / 应用消息 / 单聊), sent through the platform's app.
    dingtalk_dm: str | None = Field(
        None, max_length=64, pattern=r"^[^\s,|]+$", description="DingTalk userid (工作通知)"
    )
    wecom_dm: str | None = Field(
        None, max_length=64, pattern=r"^[^\s,|]+$", description="WeCom userid (应用消息)"
    )
    feishu_dm: str | None = Field(
        None, max_length=64, pattern=r"^[^\s,|]+$", description="Feishu open_id (ou_…)"
    )
    slack: str | None = Field(None, max_length=320, description="Slack member id or @name")
    webhook: str | None = Field(
        None, max_length=320, description="Id sent as `recipient` to the JSON webhook"
    )


class Preferences(StrictInput):
    """How a person wants routine notices; unset: as the office decides (`notifications:`)."""

    digest: bool | None = Field(
        None, description="One message per sweep listing every reminder (false: one each)"
    )
    quiet_hours: bool | None = Field(
        None,
        description="Hold routine notices outside office hours until the next working morning "
        "(false: send at any hour)",
    )


class Notifications(StrictInput):
    """The organisation's delivery choices; unset: the settings (OFFICEFLOW_DIGESTS,
    OFFICEFLOW_QUIET_HOURS, OFFICEFLOW_OFFICE_HOURS_START/END)."""

    digests: bool | None = Field(None, description="Send a sweep's reminders as one message")
    quiet_hours: bool | None = Field(
        None, description="Hold routine notices until the next working morning"
    )


class DepartmentEntry(StrictInput):
    id: str = Field(pattern=ID_PATTERN, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    general_office: bool = Field(False, description="The supervising office (办公室/督查室)")
    leader: str | None = Field(None, description="Person id of the leader in charge (分管领导)")


class PersonEntry(StrictInput):
    id: str = Field(pattern=ID_PATTERN, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    department: str
    title: str | None = Field(None, max_length=200)
    roles: list[Role] = Field(default_factory=lambda: [Role.STAFF])
    email: EmailStr | None = None
    mobile: str | None = Field(None, pattern=r"^\+?[0-9][0-9 -]{4,20}$")
    chat: ChatIds = Field(default_factory=ChatIds)
    preferences: Preferences = Field(default_factory=Preferences)


class OrgFile(StrictInput):
    organisation: str = Field(min_length=1, max_length=200, description="The organisation's name")
    office_name: str | None = Field(
        None, max_length=200, description="How the office signs its messages"
    )
    notifications: Notifications = Field(default_factory=Notifications)
    departments: list[DepartmentEntry] = Field(min_length=1)
    people: list[PersonEntry] = Field(min_length=1)
