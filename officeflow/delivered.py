"""What was delivered: the outcome of a set of notices, per recipient, read from the ledger.

A rung that fired, a command that recorded an action, a page that was submitted: each planned
notices, and each tells its person what became of them, not only the logs.

- **delivered**: a row of the recipient's for that notice was sent (on any channel: an urgent
  notice that failed by email and went by SMS is delivered);
- **retrying**: nothing sent yet, and a row is still to be tried (pending, being sent, or failed
  and due again at ``next_attempt_at``);
- **undeliverable**: every row was refused for good or given up, naming the person and channels.

`officeflow.sent` gathers the notice keys a flow run sent, so a CLI command that ran a flow can
say the outcome of what that flow sent. The exit codes are the CLI's (README, "Exit codes").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.ledger import Delivery, DeliveryStatus
from models.org import Person
from officeflow.clock import format_local

# The CLI's exit codes for an action that was recorded but whose notices did not all arrive.
DELIVERY_PENDING = 3  # some wait for a retry (the scheduled delivery-retry sends them)
UNDELIVERABLE = 4  # some can never arrive on the channels the person has: a human must tell them

CHUNK = 500

CHANNEL_ZH = {
    "email": "邮件",
    "sms": "短信",
    "dingtalk": "钉钉群",
    "wecom": "企业微信群",
    "feishu": "飞书群",
    "slack": "Slack",
    "webhook": "Webhook",
    "dingtalk_dm": "钉钉",
    "wecom_dm": "企业微信",
    "feishu_dm": "飞书",
}


class State(StrEnum):
    DELIVERED = "delivered"
    RETRYING = "retrying"
    UNDELIVERABLE = "undeliverable"


STATE_ZH = {State.DELIVERED: "已送达", State.RETRYING: "待重试", State.UNDELIVERABLE: "无法送达"}


class Recipient(BaseModel):
    notice_key: str
    person_id: str
    name: str
    state: State
    channels: list[str]  # the channels tried (an undeliverable person's: every one refused)
    next_attempt_at: dt.datetime | None = None  # retrying: when; None = at once

    def said(self, lang: str = "en") -> str:
        """``张三 retrying at 2026-03-03 10:06`` / ``张三（待重试，10:06）``."""
        if lang == "zh":
            extra = ""
            if self.state is State.RETRYING:
                extra = f"，{format_local(self.next_attempt_at) or '即将重试'}"
            elif self.state is State.UNDELIVERABLE:
                extra = "，" + "、".join(CHANNEL_ZH.get(c, c) for c in self.channels)
            return f"{self.name}（{STATE_ZH[self.state]}{extra}）"
        if self.state is State.RETRYING:
            return f"{self.name} retrying " + (
                f"at {format_local(self.next_attempt_at)}" if self.next_attempt_at else "now"
            )
        if self.state is State.UNDELIVERABLE:
            return f"{self.name} undeliverable ({', '.join(self.channels)})"
        return f"{self.name} delivered"


class Outcome(BaseModel):
    """The outcome of some notices: one entry per (notice, person)."""

    recipients: list[Recipient] = []

    def _count(self, state: State) -> int:
        return sum(1 for r in self.recipients if r.state is state)

    @property
    def total(self) -> int:
        return len(self.recipients)

    @property
    def delivered(self) -> int:
        return self._count(State.DELIVERED)

    @property
    def retrying(self) -> int:
        return self._count(State.RETRYING)

    @property
    def undeliverable(self) -> list[Recipient]:
        return [r for r in self.recipients if r.state is State.UNDELIVERABLE]

    @property
    def next_attempt_at(self) -> dt.datetime | None:
        times = [
            r.next_attempt_at
            for r in self.recipients
            if r.state is State.RETRYING and r.next_attempt_at is not None
        ]
        return min(times) if times else None

    @property
    def exit_code(self) -> int:
        """0 when every notice arrived (or there were none); else the CLI's documented code:
        `UNDELIVERABLE` when any can never arrive, else `DELIVERY_PENDING`."""
        if self.undeliverable:
            return UNDELIVERABLE
        return DELIVERY_PENDING if self.retrying else 0

    def of(self, notice_key: str) -> list[Recipient]:
        return [r for r in self.recipients if r.notice_key == notice_key]

    def summary(self, lang: str = "en") -> str:
        """One line: ``notices: 0 of 3 delivered, 3 retrying at 2026-03-03 10:06`` (then
        ``, 1 undeliverable: 张三 (email)``), or in Chinese with ``lang="zh"``."""
        nxt = self.next_attempt_at
        lost = self.undeliverable
        if lang == "zh":
            said = f"通知：{self.total} 人次中 {self.delivered} 人次已送达"
            if self.retrying:
                when = f"将于 {format_local(nxt)} 重试" if nxt else "正在重试"
                said += f"，{self.retrying} 人次{when}"
            if lost:
                said += f"，{len(lost)} 人次无法送达：" + "、".join(
                    f"{r.name}（{'、'.join(CHANNEL_ZH.get(c, c) for c in r.channels)}）"
                    for r in lost
                )
            return said + "。"
        said = f"notices: {self.delivered} of {self.total} delivered"
        if self.retrying:
            when = f"at {format_local(nxt)}" if nxt else "now"
            said += f", {self.retrying} retrying {when}"
        if lost:
            said += f", {len(lost)} undeliverable: " + ", ".join(
                f"{r.name} ({', '.join(r.channels)})" for r in lost
            )
        return said


def outcome(session: Session, keys: Iterable[str]) -> Outcome:
    """The outcome of the notices ``keys``, from their delivery rows (one query per 500 keys)."""
    wanted = sorted(set(keys))
    if not wanted:
        return Outcome()
    query = (
        select(
            Delivery.notice_key,
            Delivery.person_id,
            Person.name,
            Delivery.channel,
            Delivery.status,
            Delivery.next_attempt_at,
        )
        .join(Person, Person.id == Delivery.person_id)
        .order_by(Delivery.notice_key, Delivery.id)
    )
    grouped: dict[tuple[str, str], list[Any]] = {}
    # A sweep may send thousands of notices: the keys go in chunks a bound list always takes.
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        for row in session.execute(query.where(Delivery.notice_key.in_(chunk))):
            grouped.setdefault((row.notice_key, row.person_id), []).append(row)
    recipients = []
    for (key, person_id), group in grouped.items():
        statuses = [DeliveryStatus(r.status) for r in group]
        channels = [str(getattr(r.channel, "value", r.channel)) for r in group]
        name = group[0].name
        if DeliveryStatus.SENT in statuses:
            state, nxt = State.DELIVERED, None
        elif all(s is DeliveryStatus.UNDELIVERABLE for s in statuses):
            state, nxt = State.UNDELIVERABLE, None
        else:
            state = State.RETRYING
            waiting = [
                r.next_attempt_at
                for r, s in zip(group, statuses, strict=True)
                if s is not DeliveryStatus.UNDELIVERABLE
            ]
            # A row without a time (pending, being sent) is tried at once.
            nxt = None if any(w is None for w in waiting) else min(waiting)
        recipients.append(
            Recipient(
                notice_key=key,
                person_id=person_id,
                name=name,
                state=state,
                channels=list(dict.fromkeys(channels)),
                next_attempt_at=nxt,
            )
        )
    return Outcome(recipients=recipients)
