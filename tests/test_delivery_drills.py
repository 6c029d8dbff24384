"""The delivery drills of issue 12, against real servers and the real Prefect API.

- Outage drill: a grade II incident is raised while the SMTP server is down. Its alerts go out
  at once by SMS (the response plan's fallback), email follows once SMTP is back, driven by
  the scheduled `delivery-retry` flow (called as the schedule would, with the clock moved);
  each person gets each alert exactly once per channel, and the duty officer is told that
  email was down.
- Kill drill: an emergency fan-out to 200 people is SIGKILLed at a point the test controls:
  the SMTP server accepts 60 messages, then holds every further one unanswered, and the kill
  comes once every sender thread waits on one (60 sent, the rest claimed or pending).
  `delivery-retry` takes over nothing while the dead sender's leases run, and everything once
  they lapse: each person gets the alert exactly once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pendulum
import pytest
import yaml
from sqlalchemy import func, select

from flows.delivery import delivery_retry
from flows.emergency import emergency_response
from models.emergency_input import IncidentReport
from models.ledger import Delivery, Event
from officeflow import clock, db
from officeflow.delivery import BATCH, plan_notice
from officeflow.mailcatcher import MailCatcher, free_port
from officeflow.org import load_org, parse_org_file
from rules.grading import Grade
from tests.conftest import ROOT, org_data, write_yaml
from tests.emergency_support import T0, emergency_org_data, incident_data
from tests.retry_support import SmsGateway

PLAN = ROOT / "officeflow" / "config" / "response_plan.yaml"


def _at(minutes: float) -> pendulum.DateTime:
    return pendulum.parse(T0).add(minutes=minutes)  # type: ignore[union-attr]


@pytest.fixture
def sms() -> Iterator[SmsGateway]:
    gateway = SmsGateway().start()
    try:
        yield gateway
    finally:
        gateway.stop()


def _phone(person_id: str) -> str:
    return f"+86138{sum(ord(c) * 31**i for i, c in enumerate(person_id)) % 10**8:08d}"


def _statuses(key: str) -> Counter[tuple[str, str]]:
    with db.session_scope() as s:
        rows = s.execute(
            select(Delivery.channel, Delivery.status).where(Delivery.notice_key == key)
        ).all()
    return Counter((c.value, st.value) for c, st in rows)


def test_outage_drill_sms_at_once_email_when_smtp_is_back_duty_officer_told(
    prefect_api: None, ledger: Any, office_env: Any, sms: SmsGateway, tmp_path: Path
) -> None:
    # The office's plan: grade II alerts by email; when a person's email fails, SMS at once.
    plan = yaml.safe_load(PLAN.read_text(encoding="utf-8"))
    plan["grades"]["II"]["channels"] = ["email"]
    plan["fallback"] = ["email", "sms"]
    port = free_port()  # the mail relay is down: nothing listens there
    office_env.set(
        response_plan=write_yaml(tmp_path / "plan.yaml", plan),
        smtp_host="127.0.0.1",
        smtp_port=port,
        sms_gateway=sms.url,
        sms_token=sms.token,
        channel_down_after_minutes=10,
        locale="en",
    )
    data = emergency_org_data()
    for person in data["people"]:
        person["mobile"] = _phone(person["id"])
    with db.session_scope() as session:
        load_org(session, parse_org_file(write_yaml(tmp_path / "org.yaml", data)))

    clock.set_now(T0)
    started = time.monotonic()
    result = emergency_response(IncidentReport.model_validate(incident_data()))
    assert (result.grade, result.alerted) == (Grade.II, ["duty", "director", "p0-0"])
    key = f"incident:{result.incident_id}:initial"
    # Email failed for everyone; SMS went out at once, in the same run.
    assert (result.notices_sent, result.notices_failed) == (3, 3)
    assert _statuses(key) == Counter({("email", "failed"): 3, ("sms", "sent"): 3})
    assert Counter(m["to"] for m in sms.messages) == Counter({_phone(p): 1 for p in result.alerted})
    assert all("Warehouse fire" in m["message"] for m in sms.messages)
    with db.session_scope() as s:
        fallbacks = s.scalars(select(Event).where(Event.action == "delivery.fallback")).all()
        assert sorted(e.data["person"] for e in fallbacks) == sorted(result.alerted)
        assert {e.data["next"] for e in fallbacks} == {"sms"}

    # 5 minutes: the scheduled retry tries email again (still down); not yet "down".
    clock.set_now(_at(5))
    run = delivery_retry()
    assert (run.sent, run.failed, run.tally("channel_down")) == (0, 3, {})
    # 11 minutes: email has failed for over 10 minutes: the duty officer and the office
    # director are told by SMS (the other channel), once.
    clock.set_now(_at(11))
    run = delivery_retry()
    assert run.tally("channel_down") == {"email": 1}
    down = [m for m in sms.messages if "email channel has been failing" in m["message"]]
    assert sorted(m["to"] for m in down) == sorted([_phone("duty"), _phone("director")])

    # The relay is back. The next scheduled run whose backoff has passed sends the email.
    relay = MailCatcher(port=port).start()
    try:
        clock.set_now(_at(12))
        delivery_retry()  # the email rows are not due yet (backoff): nothing, or the due ones
        clock.set_now(_at(20))
        delivery_retry()
        clock.set_now(_at(30))
        last = delivery_retry()
        assert (last.sent, last.failed) == (0, 0)
        assert _statuses(key) == Counter({("email", "sent"): 3, ("sms", "sent"): 3})
        alerts = Counter(m.rcpt_tos[0] for m in relay.messages if m.notice == key)
        assert alerts == Counter({f"{p}@example.org": 1 for p in result.alerted})
        # Exactly once per channel: SMS alerts once each, the outage notice once each.
        incident_sms = [m for m in sms.messages if "Warehouse fire" in m["message"]]
        assert Counter(m["to"] for m in incident_sms) == Counter(
            {_phone(p): 1 for p in result.alerted}
        )
        assert len([m for m in sms.messages if "failing" in m["message"]]) == 2
        assert not [m for m in relay.messages if m.notice.startswith("channel-down:")]
    finally:
        relay.stop()
    print(f"outage drill: {time.monotonic() - started:.1f} s")


KILL_FANOUT = "incident:777:initial"
THREADS = 16
KILL_AFTER = 60  # messages the relay answers before it holds the rest


def test_kill_drill_200_recipients_each_reached_exactly_once(
    prefect_api: None, ledger: Any, office_env: Any, tmp_path: Path
) -> None:
    # The relay answers 60 messages, then holds every further one after its DATA, unanswered,
    # until `release()`; a held message whose client is gone by then is never delivered.
    relay = MailCatcher(hold_after=KILL_AFTER).start()
    try:
        office_env.set(
            smtp_host=relay.host,
            smtp_port=relay.port,
            delivery_concurrency=THREADS,
            delivery_lease_s=120,
        )
        data = org_data(departments=20, people_per_department=10)
        with db.session_scope() as session:
            load_org(session, parse_org_file(write_yaml(tmp_path / "org.yaml", data)))
        people = [f"p{d}-{p}" for d in range(20) for p in range(10)]
        with db.session_scope() as s:
            plan_notice(
                s,
                key=KILL_FANOUT,
                template="notice",
                object_type="incident",
                object_id=777,
                recipients=people,
                context={"title": "Evacuate", "message": "Leave the building now."},
                urgent=True,  # an emergency: at once, retried until acknowledged
            )
        code = f"from officeflow.delivery import send_pending; send_pending([{KILL_FANOUT!r}])"
        proc = subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=dict(os.environ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            # A sender marks each message as soon as it is answered, before it claims or sends
            # anything else. So once every sender thread waits on a held message, nothing moves:
            # the 60 answered are marked sent, each thread's current batch is claimed, and the
            # batches nobody took yet are pending. The kill comes then, however slow the machine.
            deadline = time.monotonic() + 120
            while relay.held < THREADS:
                assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
                assert time.monotonic() < deadline, (relay.held, _statuses(KILL_FANOUT))
                time.sleep(0.05)
            at_kill = _statuses(KILL_FANOUT)
            os.kill(proc.pid, signal.SIGKILL)
            assert proc.wait(timeout=10) == -signal.SIGKILL
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        # The kernel closed the dead sender's connections: the relay drops each held message
        # (never answered 250, never delivered). Only then does it answer again, for the retry.
        deadline = time.monotonic() + 30
        while relay.dropped < THREADS:
            assert time.monotonic() < deadline, (relay.held, relay.dropped)
            time.sleep(0.05)
        relay.release()
        assert (relay.received, relay.held, relay.dropped) == (KILL_AFTER, THREADS, THREADS)

        in_flight = at_kill[("email", "sending")]
        pending = at_kill[("email", "pending")]
        assert at_kill[("email", "sent")] == KILL_AFTER, at_kill
        # Each thread holds at least its held message's row; every claim is one batch
        # (`delivery._batches`: 7 rows here), so 16 batches at most are claimed and unsent and
        # at least 200 - 60 - 16 * 7 = 28 rows are pending.
        batch = min(BATCH, -(-200 // (2 * THREADS)))
        assert THREADS <= in_flight <= THREADS * batch, at_kill
        assert pending == 200 - KILL_AFTER - in_flight and pending > 0, at_kill

        # The scheduled retry right away: the dead sender's leases still run, so its rows are
        # left alone (a live sender would be doing them); the rows nobody claimed are sent.
        first = delivery_retry()
        assert first.counts["taken_over"] == 0 and first.sent == pending
        assert _statuses(KILL_FANOUT)[("email", "sending")] == in_flight
        # Two minutes later the leases have lapsed: taken over and sent.
        clock.set_now(pendulum.now("UTC").add(seconds=121))
        second = delivery_retry()
        assert second.counts["taken_over"] == in_flight and second.sent == in_flight
        assert _statuses(KILL_FANOUT) == Counter({("email", "sent"): 200})
        assert delivery_retry().sent == 0

        # Exactly once: nothing lost, nothing twice (the held messages were never delivered).
        per_person = Counter(m.rcpt_tos[0] for m in relay.messages if m.notice == KILL_FANOUT)
        assert per_person == Counter({f"{p}@example.org": 1 for p in people})
        with db.session_scope() as s:
            assert s.scalar(select(func.count()).select_from(Delivery)) == 200
        print(
            f"kill drill: SIGKILL with {KILL_AFTER} messages answered and {THREADS} held; "
            f"ledger at the kill {dict(at_kill)}; first retry sent {first.sent}, the second "
            f"took over and sent {second.sent}; each of 200 reached once"
        )
    finally:
        relay.release()
        relay.stop()
