"""The global `smtp` rate limit: every email a delivery task sends takes a slot first."""

from __future__ import annotations

import time
from typing import Any

from prefect import flow

from deployments.register import ensure_limits
from models.org import Channel
from officeflow import db
from officeflow.delivery import plan_notice, send_pending
from officeflow.mailcatcher import MailCatcher
from tasks.delivery import SMTP_LIMIT, deliver_notices


def _plan(key: str, people: list[str]) -> None:
    with db.session_scope() as s:
        plan_notice(
            s,
            key=key,
            template="notice",
            object_type="demo",
            object_id=1,
            recipients=people,
            context={"title": "t", "message": "m"},
        )


def test_throttle_is_asked_before_each_email(
    make_org: Any, mail_office: MailCatcher, webhook_server: Any, office_env: Any
) -> None:
    make_org(departments=1, people_per_department=3)
    office_env.set(webhook_url=webhook_server.url)
    _plan("limit:1", ["p0-0", "p0-1", "p0-2"])
    asked: list[Channel] = []
    report = send_pending(["limit:1"], throttle=asked.append)
    assert report.sent == 6
    assert sorted(asked) == [Channel.EMAIL] * 3 + [Channel.WEBHOOK] * 3


@flow(name="smtp-limit-check")
def send_all(keys: list[str]) -> int:
    return deliver_notices(keys).sent


def test_delivery_task_keeps_to_the_smtp_rate_limit(
    prefect_api: None, make_org: Any, mail_office: MailCatcher, monkeypatch: Any
) -> None:
    from prefect import get_client

    import tasks.delivery

    taken: list[tuple[str, int]] = []
    real = tasks.delivery.rate_limit

    def counting(name: str, occupy: int = 1, **kwargs: Any) -> None:
        taken.append((name, occupy))
        real(name, occupy=occupy, **kwargs)

    monkeypatch.setattr(tasks.delivery, "rate_limit", counting)

    make_org(departments=1, people_per_department=4)
    _plan("limit:2", ["p0-0", "p0-1", "p0-2", "p0-3"])
    with get_client(sync_client=True) as client:
        # One slot, refilled every 0.5 s: four emails need at least ~1.5 s.
        client.upsert_global_concurrency_limit_by_name(SMTP_LIMIT, 1, slot_decay_per_second=2)
    try:
        started = time.monotonic()
        assert send_all(["limit:2"]) == 4
        elapsed = time.monotonic() - started
    finally:
        ensure_limits()  # back to the real definition
    assert len(mail_office.messages) == 4
    assert taken == [(SMTP_LIMIT, 1)] * 4
    assert elapsed >= 1.4
