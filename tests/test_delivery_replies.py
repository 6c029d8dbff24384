"""What the SMTP server answers decides what happens to a delivery (issue 12):

- a 5xx for one mailbox is permanent: that row is `undeliverable` at once, never retried, and
  the duty officer is told naming the person and the channel, while the others are delivered;
- a 4xx is transient: retried later by the scheduled retry, with backoff;
- STARTTLS works against a relay with a self-signed certificate the office trusts;
- a live sender's lease is never taken over; a lapsed one is;
- a routine notice gives up after the retry horizon and is reported; a channel that keeps
  failing alerts the duty officer on another channel.

Real servers: aiosmtpd answering per RCPT (and speaking STARTTLS), the webhook server.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pendulum
import pytest
from sqlalchemy import select, update

from models.ledger import Delivery, DeliveryStatus, Event
from officeflow import clock, db
from officeflow.delivery import plan_notice, send_pending
from officeflow.mailcatcher import free_port
from officeflow.org import load_org, parse_org_file
from officeflow.retry import run_retry
from tests.cli_helpers import run_cli
from tests.conftest import org_data, write_yaml
from tests.notice_helpers import plan_demo
from tests.retry_support import ReplyingCatcher, self_signed, server_tls

T0 = "2026-09-21T10:00:00+08:00"
NO_MAILBOX = "550 5.1.1 <p0-1@example.org>: no such mailbox here"
BUSY = "451 4.3.0 mailbox busy, try again later"


def _at(seconds: float) -> pendulum.DateTime:
    return pendulum.parse(T0).add(seconds=seconds)  # type: ignore[union-attr]


@pytest.fixture
def relay() -> Iterator[ReplyingCatcher]:
    catcher = ReplyingCatcher(
        replies={"p0-1@example.org": NO_MAILBOX, "p1-0@example.org": [BUSY, BUSY]}
    ).start()
    try:
        yield catcher
    finally:
        catcher.stop()


def _load_org(tmp_path: Path, **chat: str) -> None:
    data = org_data(departments=2)
    for person in data["people"]:
        if person["id"] in chat:
            person["chat"] = {"webhook": chat[person["id"]]}
    parsed = parse_org_file(write_yaml(tmp_path / "org.yaml", data))
    with db.session_scope() as session:
        load_org(session, parsed)


def _plan(key: str, people: list[str], channels: list[str] | None = None) -> None:
    plan_demo(
        key,
        people,
        title="Quarterly figures",
        message="Please send them by Friday.",
        channels=channels,
    )


def _rows(key: str) -> dict[str, Delivery]:
    with db.session_scope() as s:
        rows = s.scalars(select(Delivery).where(Delivery.notice_key == key)).all()
        s.expunge_all()
        return {r.person_id: r for r in rows}


def test_5xx_for_one_mailbox_is_undeliverable_and_reported_4xx_is_retried_later(
    ledger: Any, office_env: Any, relay: ReplyingCatcher, tmp_path: Path
) -> None:
    office_env.set(smtp_host=relay.host, smtp_port=relay.port, locale="en")
    _load_org(tmp_path)
    clock.set_now(T0)
    people = ["p0-0", "p0-1", "p1-0", "p1-1"]
    _plan("demo:figures", people)

    report = send_pending(["demo:figures"])
    assert (report.sent, report.failed, report.undeliverable) == (2, 2, 1)
    rows = _rows("demo:figures")
    bad, busy = rows["p0-1"], rows["p1-0"]
    assert bad.status is DeliveryStatus.UNDELIVERABLE
    assert bad.attempts == 1 and bad.next_attempt_at is None  # not even retried in the run
    assert "550 5.1.1" in (bad.last_error or "") and "no such mailbox" in (bad.last_error or "")
    assert busy.status is DeliveryStatus.FAILED and busy.attempts == 2
    assert "451 4.3.0 mailbox busy" in (busy.last_error or "")
    assert busy.next_attempt_at == _at(60)
    assert {rows[p].status for p in ("p0-0", "p1-1")} == {DeliveryStatus.SENT}

    # Reported at once to the duty officer (on email, which works for them), naming the
    # person, the channel and the cause.
    told = [m for m in relay.messages if m.notice.startswith("undeliverable:")]
    assert [m.rcpt_tos for m in told] == [("duty@example.org",)]
    text = told[0].text()
    assert "Person 0-1 (p0-1), email p0-1@example.org: demo:figures" in text
    assert "550 5.1.1" in text
    with db.session_scope() as s:
        events = s.scalars(select(Event).where(Event.action == "delivery.undeliverable")).all()
        assert [(e.object_id, e.data["person"], e.data["channel"]) for e in events] == [
            (str(bad.id), "p0-1", "email")
        ]

    # The scheduled retry: before the backoff nothing; after it the 4xx goes, the 5xx never.
    clock.set_now(_at(30))
    assert run_retry().sent == 0
    clock.set_now(_at(61))
    result = run_retry()
    assert (result.sent, result.failed) == (1, 0)
    clock.set_now(_at(3600))
    assert run_retry().sent == 0
    figures = Counter(m.rcpt_tos[0] for m in relay.messages if m.notice == "demo:figures")
    assert figures == Counter({"p0-0@example.org": 1, "p1-1@example.org": 1, "p1-0@example.org": 1})
    assert Counter(a for a, _ in relay.rcpts)["p0-1@example.org"] == 1  # asked once, ever
    assert _rows("demo:figures")["p0-1"].attempts == 1

    # The CLI lists it, and says so with a non-zero exit.
    listed = run_cli("deliveries", "problems")
    assert listed.returncode == 1, listed.stderr
    assert "undeliverable" in listed.stdout and "p0-1" in listed.stdout
    assert "550 5.1.1" in listed.stdout


def test_a_command_whose_notices_failed_says_so_and_exits_non_zero(
    ledger: Any, office_env: Any, tmp_path: Path
) -> None:
    office_env.set(smtp_host="127.0.0.1", smtp_port=free_port(), locale="en")
    _load_org(tmp_path)
    result = run_cli("notify", "test", "p0-0")
    assert result.returncode != 0
    assert "Connection" in result.stdout + result.stderr or "refused" in (
        result.stdout + result.stderr
    )


def test_starttls_with_a_self_signed_certificate_the_office_trusts(
    ledger: Any, office_env: Any, tmp_path: Path
) -> None:
    cert, key = self_signed(tmp_path)
    catcher = ReplyingCatcher(auth=("relay-user", "relay-pw-9"), tls=server_tls(cert, key)).start()
    try:
        office_env.set(
            smtp_host="127.0.0.1",
            smtp_port=catcher.port,
            smtp_starttls=True,
            smtp_user="relay-user",
            smtp_password="relay-pw-9",
        )
        _load_org(tmp_path)
        clock.set_now(T0)
        _plan("demo:untrusted", ["p0-0"])
        report = send_pending(["demo:untrusted"])
        # Without the office's CA the certificate is refused: transient (fix the settings),
        # the error says why, and no password went out.
        assert (report.sent, report.failed, report.undeliverable) == (0, 1, 0)
        assert "CERTIFICATE_VERIFY_FAILED" in report.errors[0]
        assert catcher.auth_attempts == 0 and catcher.messages == []

        office_env.set(smtp_ca_file=cert)
        _plan("demo:trusted", ["p0-0", "p1-1"])
        report = send_pending(["demo:trusted"])
        assert (report.sent, report.failed) == (2, 0)
        assert sorted(m.rcpt_tos[0] for m in catcher.messages) == [
            "p0-0@example.org",
            "p1-1@example.org",
        ]
        assert catcher.auth_attempts == 2
    finally:
        catcher.stop()


def test_a_live_lease_is_never_taken_over_and_a_lapsed_one_is(
    ledger: Any, office_env: Any, relay: ReplyingCatcher, tmp_path: Path
) -> None:
    office_env.set(smtp_host=relay.host, smtp_port=relay.port, delivery_lease_s=120)
    _load_org(tmp_path)
    clock.set_now(T0)
    _plan("demo:lease", ["p0-0"])
    # A sender claimed the row at T0 and is still working (slow relay): its lease runs.
    with db.session_scope() as s:
        s.execute(
            update(Delivery)
            .where(Delivery.notice_key == "demo:lease")
            .values(
                status=DeliveryStatus.SENDING,
                claim_token="live",
                claimed_at=_at(0),
                lease_until=_at(120),
            )
        )
    clock.set_now(_at(119))
    result = run_retry()
    assert (result.sent, result.taken_over) == (0, 0)
    assert _rows("demo:lease")["p0-0"].status is DeliveryStatus.SENDING
    assert relay.messages == []
    # The lease lapsed: the sender died. The retry takes the row over and sends it once.
    clock.set_now(_at(121))
    result = run_retry()
    assert (result.sent, result.taken_over) == (1, 1)
    assert [m.rcpt_tos for m in relay.messages] == [("p0-0@example.org",)]
    row = _rows("demo:lease")["p0-0"]
    assert (row.status, row.lease_until, row.claim_token) == (DeliveryStatus.SENT, None, None)
    assert run_retry().sent == 0


def test_routine_notice_gives_up_after_the_horizon_and_a_down_channel_is_reported(
    ledger: Any, office_env: Any, webhook_server: Any, tmp_path: Path
) -> None:
    office_env.set(
        smtp_host="127.0.0.1",
        smtp_port=free_port(),  # nothing listens: connection refused
        webhook_url=webhook_server.url,
        retry_horizon_hours=2,
        channel_down_after_minutes=10,
        locale="en",
    )
    _load_org(tmp_path, duty="chat-duty")
    clock.set_now(T0)
    _plan("demo:horizon", ["p0-0"], channels=["email"])
    assert send_pending(["demo:horizon"]).failed == 1
    row = _rows("demo:horizon")["p0-0"]
    assert row.status is DeliveryStatus.FAILED and row.first_failed_at == _at(0)
    assert (row.last_error or "").startswith("email: 127.0.0.1:")
    assert "ConnectionRefusedError" in (row.last_error or "")

    # 5 minutes: retried (still down), no alert yet.
    clock.set_now(_at(5 * 60))
    result = run_retry()
    assert (result.failed, result.channels_down) == (1, [])
    # 11 minutes: email has failed for longer than the threshold: the duty officer is told on
    # the webhook (the other channel), once per outage.
    clock.set_now(_at(11 * 60))
    result = run_retry()
    assert result.channels_down == ["email"]
    alerts = [b for b in webhook_server.bodies() if str(b.get("notice", "")).startswith("channel-")]
    assert [(b["recipient"], b["notice"]) for b in alerts] == [
        ("chat-duty", "channel-down:email:2026-09-21T10")
    ]
    assert "email" in alerts[0]["title"] and "ConnectionRefusedError" in alerts[0]["message"]
    clock.set_now(_at(20 * 60))
    run_retry()
    assert len([b for b in webhook_server.bodies() if b["notice"].startswith("channel-")]) == 1

    # Past the horizon: undeliverable, reported with the person and the channel, not retried.
    clock.set_now(_at(2 * 3600 + 1))
    result = run_retry()
    assert result.undeliverable == 1
    row = _rows("demo:horizon")["p0-0"]
    assert row.status is DeliveryStatus.UNDELIVERABLE and row.next_attempt_at is None
    assert (row.last_error or "").startswith("gave up after 2 h of retries; last error: email: ")
    reports = [b for b in webhook_server.bodies() if b["notice"].startswith("undeliverable:")]
    assert len(reports) == 1 and reports[0]["recipient"] == "chat-duty"
    assert "Person 0-0 (p0-0), email p0-0@example.org: demo:horizon" in reports[0]["message"]
    attempts = row.attempts
    clock.set_now(_at(3 * 3600))
    run_retry()
    assert _rows("demo:horizon")["p0-0"].attempts == attempts


def test_send_notices_of_a_command_says_what_became_of_each_and_exits_4(
    ledger: Any, office_env: Any, relay: ReplyingCatcher, tmp_path: Path, capsys: Any
) -> None:
    import typer

    from officeflow.cli.common import UNDELIVERABLE, send_notices

    office_env.set(smtp_host=relay.host, smtp_port=relay.port, locale="en")
    _load_org(tmp_path)
    clock.set_now(T0)
    _plan("demo:action", ["p0-0", "p0-1", "p1-0"])
    with pytest.raises(typer.Exit) as exited:
        send_notices(["demo:action"])
    # One arrived, one waits for a retry, one can never arrive: "undeliverable" wins (exit 4).
    assert exited.value.exit_code == UNDELIVERABLE == 4
    out = capsys.readouterr()
    said = " ".join(out.out.split())
    retry_at = _rows("demo:action")["p1-0"].next_attempt_at
    assert retry_at is not None
    assert (
        f"notices: 1 of 3 delivered, 1 retrying at {clock.format_local(retry_at)}, "
        f"1 undeliverable: Person 0-1 (email)"
    ) in said
    warning = " ".join(out.err.split())
    assert "the action is recorded, but not everyone was told yet" in warning
    assert "cause: email: " in warning and "officeflow deliveries problems" in warning


def test_an_emergency_notice_ignores_the_horizon_and_stops_once_acknowledged(
    ledger: Any, office_env: Any, tmp_path: Path
) -> None:
    from decimal import Decimal

    from models.emergency import Incident, IncidentStatus
    from models.ledger import Notice
    from rules.grading import Category, Grade

    office_env.set(smtp_host="127.0.0.1", smtp_port=free_port(), retry_horizon_hours=0.1)
    _load_org(tmp_path)
    clock.set_now(T0)
    with db.session_scope() as s:
        incident = Incident(
            title="Flood",
            category=Category("accident"),
            occurred_at=_at(-600),
            location="Riverside",
            reported_by="duty room",
            description="Water over the embankment",
            deaths=0,
            serious_injuries=0,
            direct_loss_cny=Decimal(0),
            computed_grade=Grade.IV,
            grade=Grade.IV,
            department_id="dept-0",
            affected_departments=["dept-0"],
            status=IncidentStatus.OPEN,
            response={},
            recorded_at=_at(0),
        )
        s.add(incident)
        s.flush()
        incident_id = incident.id
        plan_notice(
            s,
            key=f"incident:{incident_id}:initial",
            template="notice",
            object_type="incident",
            object_id=incident_id,
            recipients=["p0-0"],
            context={"title": "Flood", "message": "Acknowledge please."},
            urgent=True,  # as the emergency process plans its notices
        )
    key = f"incident:{incident_id}:initial"
    assert send_pending([key]).failed == 1
    # Far past the routine horizon (6 minutes): still retried, it is an emergency.
    clock.set_now(_at(3600))
    result = run_retry()
    assert (result.failed, result.undeliverable, result.stopped) == (1, 0, 0)
    assert _rows(key)["p0-0"].status is DeliveryStatus.FAILED
    # Someone acknowledged: no more tries, recorded, not reported as a problem notice.
    from officeflow.emergency.notices import settle

    with db.session_scope() as s:
        incident = s.get_one(Incident, incident_id)
        incident.acknowledged_at = _at(3601)
        settle(s, incident)  # what `acknowledge` does on the first acknowledgement
    clock.set_now(_at(4000))
    result = run_retry()
    assert (result.sent, result.failed, result.stopped) == (0, 0, 1)
    row = _rows(key)["p0-0"]
    assert row.status is DeliveryStatus.UNDELIVERABLE
    assert (row.last_error or "").startswith(f"not retried: incident {incident_id} acknowledged")
    with db.session_scope() as s:
        assert not s.scalars(select(Notice).where(Notice.key.like("undeliverable:%"))).all()
        stopped = s.scalars(select(Event).where(Event.action == "delivery.stopped")).all()
        assert [e.object_id for e in stopped] == [str(row.id)]
