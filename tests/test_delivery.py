"""One notice to 3 people by email and webhook: delivered once, re-runs send nothing, an SMTP
outage is recorded (masked) and retried without duplicates."""

import threading
from collections import Counter
from typing import Any

from sqlalchemy import select

from models.ledger import Delivery, DeliveryStatus, Event
from officeflow import db
from officeflow.delivery import PlanResult, plan_notice, retry_failed, send_pending
from officeflow.mailcatcher import MailCatcher
from tests.conftest import both_backends
from tests.notice_helpers import plan_demo

backend = both_backends  # these tests run on SQLite and on PostgreSQL

PEOPLE = ["p0-0", "p0-1", "p1-0"]


def _plan(key: str = "demo:1:kickoff") -> PlanResult:
    return plan_demo(key, PEOPLE, title="Kick-off", message="Please report progress by Friday.")


def _rows() -> list[Delivery]:
    with db.session_scope() as s:
        return list(s.scalars(select(Delivery).order_by(Delivery.id)))


def test_notice_reaches_each_person_once_by_email_and_webhook(
    make_org: Any, mail_office: MailCatcher, webhook_server: Any, office_env: Any
) -> None:
    make_org(departments=2)
    office_env.set(webhook_url=webhook_server.url, locale="en")
    planned = _plan()
    assert planned.reserved == 6 and planned.unreachable == []

    report = send_pending([planned.key])
    assert (report.sent, report.failed) == (6, 0)
    assert sorted(m.rcpt_tos[0] for m in mail_office.messages) == [
        "p0-0@example.org",
        "p0-1@example.org",
        "p1-0@example.org",
    ]
    first = mail_office.to("p0-1@example.org")[0]
    assert first.subject == "[General Office] Kick-off"
    assert "Dear Person 0-1," in first.text()
    assert "Please report progress by Friday." in first.text()
    hooks = webhook_server.bodies()
    assert sorted(b["recipient"] for b in hooks) == ["chat-p0-0", "chat-p0-1", "chat-p1-0"]
    assert all(b["notice"] == "demo:1:kickoff" for b in hooks)
    assert any("Dear Person 1-0," in b["message"] for b in hooks)

    # A second run (and a re-plan of the same business key) sends nothing.
    assert _plan().reserved == 0
    again = send_pending([planned.key])
    assert again.sent == 0
    assert len(mail_office.messages) == 3 and len(webhook_server.posts) == 3
    assert all(r.status == DeliveryStatus.SENT and r.attempts == 1 for r in _rows())


def test_smtp_outage_is_recorded_masked_and_retried_exactly_once(
    make_org: Any, ledger: Any, office_env: Any, webhook_server: Any
) -> None:
    make_org(departments=2)
    catcher = MailCatcher()  # not started: the SMTP server is down
    office_env.set(
        smtp_host=catcher.host,
        smtp_port=catcher.port,
        smtp_user="office",
        smtp_password="S3cret-pw!",
        webhook_url=webhook_server.url,
    )
    planned = _plan()
    report = send_pending([planned.key])
    assert (report.sent, report.failed) == (3, 3)  # the webhooks went out
    failed = [r for r in _rows() if r.status == DeliveryStatus.FAILED]
    assert len(failed) == 3
    for row in failed:
        assert row.channel == "email" and row.attempts == 2
        assert row.last_error and "email" in row.last_error
        assert "S3cret-pw!" not in row.last_error
        assert row.next_attempt_at is not None

    # Still down: a retry fails again and counts the attempt.
    assert retry_failed().failed == 3
    assert {r.attempts for r in _rows() if r.channel == "email"} == {4}

    catcher.start()
    try:
        # The server accepts no AUTH, so drop the credentials now that it is back.
        office_env.set(smtp_user=None, smtp_password=None)
        report = retry_failed()
        assert (report.sent, report.failed) == (3, 0)
        assert retry_failed().sent == 0
        assert Counter(m.rcpt_tos[0] for m in catcher.messages) == {
            "p0-0@example.org": 1,
            "p0-1@example.org": 1,
            "p1-0@example.org": 1,
        }
        assert len(webhook_server.posts) == 3
    finally:
        catcher.stop()
    with db.session_scope() as s:
        actions = Counter(s.scalars(select(Event.action)))
    assert actions["delivery.sent"] == 6 and actions["delivery.failed"] == 6


def test_webhook_500_then_200_is_retried(
    make_org: Any, ledger: Any, office_env: Any, webhook_server: Any
) -> None:
    make_org(departments=2)
    # One sender, so the rows go out in id order (p0-0, p0-1, p1-0), each try after the last:
    # p0-0 gets 500 twice (failed after 2 attempts), p0-1 gets 500 then 200, p1-0 gets 200.
    office_env.set(webhook_url=webhook_server.url, delivery_attempts=2, delivery_concurrency=1)
    webhook_server.statuses = [500, 500, 500]
    planned = _plan()
    report = send_pending([planned.key])
    assert (report.sent, report.failed) == (2, 1)
    assert [(r.address, r.status, r.attempts) for r in _rows()] == [
        ("chat-p0-0", DeliveryStatus.FAILED, 2),
        ("chat-p0-1", DeliveryStatus.SENT, 2),
        ("chat-p1-0", DeliveryStatus.SENT, 1),
    ]
    report2 = retry_failed()
    assert (report2.sent, report2.failed) == (1, 0)
    assert [(r.address, r.status, r.attempts) for r in _rows()] == [
        ("chat-p0-0", DeliveryStatus.SENT, 3),
        ("chat-p0-1", DeliveryStatus.SENT, 2),
        ("chat-p1-0", DeliveryStatus.SENT, 1),
    ]
    assert Counter(b["recipient"] for b in webhook_server.bodies()) == {
        "chat-p0-0": 1,
        "chat-p0-1": 1,
        "chat-p1-0": 1,
    }


def test_concurrent_senders_never_send_a_row_twice(
    make_org: Any, mail_office: MailCatcher, office_env: Any
) -> None:
    make_org(departments=5, people_per_department=8)
    recipients = [f"p{d}-{p}" for d in range(5) for p in range(8)]
    with db.session_scope() as s:
        plan_notice(
            s,
            key="fanout:1",
            template="notice",
            object_type="demo",
            object_id=1,
            recipients=recipients,
            context={"title": "t", "message": "m"},
        )
    reports: list[Any] = []
    threads = [
        threading.Thread(target=lambda: reports.append(send_pending(["fanout:1"])))
        for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.sent for r in reports) == 40
    assert Counter(Counter(m.rcpt_tos[0] for m in mail_office.messages).values()) == {1: 40}


def test_recipient_without_a_configured_channel_is_recorded(
    make_org: Any, mail_office: MailCatcher
) -> None:
    make_org(departments=1)
    with db.session_scope() as s:
        # "duty" has only email; without a webhook configured, chat ids are unreachable.
        result = plan_notice(
            s,
            key="k",
            template="notice",
            object_type="demo",
            object_id=1,
            recipients=["duty"],
            context={"title": "t", "message": "m"},
            channels_wanted=["webhook"],
        )
        assert result.unreachable == ["duty"]
        assert s.scalar(select(Event.action).where(Event.action == "notice.unreachable"))
