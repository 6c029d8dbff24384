"""Faults survived, with exact counts: nothing lost, nothing doubled.

1. the SMTP server is down for the first attempts, then comes back;
2. the webhook answers 500, then 200;
3. a sender process is SIGKILLed in the middle of a 200-recipient fan-out;
4. the database connection drops in the middle of a supervision sweep;
5. the ``smtp`` rate limit (a Prefect global concurrency limit with slot decay).

Every server here is real (aiosmtpd, an HTTP server, PostgreSQL, the Prefect API). The one
stand-in is fault 4 on SQLite, which has no connection to drop: there a real SQLite error
("database or disk is full", from a page-count cap set on the sweep's own connection) breaks
the sweep's transaction at the same point.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import event, exc, func, select

from models.ledger import Delivery, DeliveryStatus, Event, Notice
from models.supervision import Assignment
from models.supervision_input import DecisionSpec
from officeflow import clock, db, ratelimit, supervision
from officeflow.delivery import retry_failed, send_pending
from officeflow.mailcatcher import MailCatcher
from officeflow.supervision import plan_sweep
from tests.cli_helpers import run_cli
from tests.conftest import ROOT, both_backends
from tests.notice_helpers import plan_demo

backend = both_backends  # these tests run on SQLite and on PostgreSQL (unless they say)

PASSWORD = "S3cret-pw!"


def _people(departments: int, per_department: int) -> list[str]:
    return [f"p{d}-{p}" for d in range(departments) for p in range(per_department)]


def _plan(key: str, recipients: list[str], channels: list[str] | None = None) -> None:
    result = plan_demo(key, recipients, title="Fault drill", channels=channels)
    assert result.reserved == len(recipients) and result.unreachable == []


def _statuses(key: str | None = None) -> Counter[str]:
    stmt = select(Delivery.status)
    if key is not None:
        stmt = stmt.where(Delivery.notice_key == key)
    with db.session_scope() as s:
        return Counter(str(status) for status in s.scalars(stmt))


def _rows(key: str) -> list[Delivery]:
    with db.session_scope() as s:
        return list(
            s.scalars(select(Delivery).where(Delivery.notice_key == key).order_by(Delivery.id))
        )


def _actions() -> Counter[str]:
    with db.session_scope() as s:
        return Counter(s.scalars(select(Event.action)))


# --- 1. SMTP down, then back -----------------------------------------------------------------


def test_smtp_down_then_back_each_recipient_gets_exactly_one(
    make_org: Any, ledger: Any, office_env: Any
) -> None:
    make_org(departments=4, people_per_department=5)
    people = _people(4, 5)
    # The port is reserved (chosen free) but nothing listens on it: connections are refused.
    catcher = MailCatcher(auth=("office", PASSWORD))
    office_env.set(
        smtp_host=catcher.host,
        smtp_port=catcher.port,
        smtp_user="office",
        smtp_password=PASSWORD,
        smtp_allow_plain_auth=True,  # the catcher is on loopback, without TLS
        delivery_attempts=2,
    )
    clock.set_now("2026-09-21T10:00:00+08:00")
    _plan("drill:smtp-down", people)

    report = send_pending(["drill:smtp-down"])
    assert (report.sent, report.failed) == (0, 20)
    rows = _rows("drill:smtp-down")
    assert {(r.status, r.attempts) for r in rows} == {(DeliveryStatus.FAILED, 2)}
    for row in rows:
        assert row.last_error is not None and row.last_error.startswith("email: ")
        assert PASSWORD not in row.last_error  # masked
        assert str(catcher.port) in row.last_error  # but still says where it failed
        # Backoff for a row with 2 attempts: 60 s.
        assert row.next_attempt_at == clock.parse_instant("2026-09-21T10:01:00+08:00")

    catcher.start()
    try:
        # Back, but the backoff has not passed: the scheduled retry sends nothing yet.
        clock.set_now("2026-09-21T10:00:30+08:00")
        assert retry_failed(due_only=True).sent == 0
        assert catcher.messages == []
        clock.set_now("2026-09-21T10:01:00+08:00")
        report = retry_failed(due_only=True)
        assert (report.sent, report.failed) == (20, 0)
        assert retry_failed().sent == 0  # and again: nothing
        assert send_pending().sent == 0
        per_recipient = Counter(m.rcpt_tos[0] for m in catcher.messages)
    finally:
        catcher.stop()
    assert per_recipient == Counter({f"{p}@example.org": 1 for p in people})
    assert all(m.notice == "drill:smtp-down" for m in catcher.messages)
    assert _statuses() == {"sent": 20}
    rows = _rows("drill:smtp-down")
    assert {(r.attempts, r.last_error) for r in rows} == {(3, None)}
    actions = _actions()
    assert (actions["delivery.failed"], actions["delivery.sent"]) == (20, 20)


# --- 2. Webhook 500, then 200 ----------------------------------------------------------------


def test_webhook_500_then_200_each_recipient_gets_exactly_one(
    make_org: Any, ledger: Any, office_env: Any, webhook_server: Any
) -> None:
    make_org(departments=2, people_per_department=5)
    people = _people(2, 5)
    office_env.set(webhook_url=webhook_server.url, delivery_attempts=2)
    chat_ids = Counter({f"chat-{p}": 1 for p in people})

    # Every attempt of the first run is answered 500: 10 rows x 2 attempts.
    webhook_server.statuses = [500] * 20
    _plan("drill:hook-500", people, ["webhook"])
    report = send_pending(["drill:hook-500"])
    assert (report.sent, report.failed) == (0, 10)
    assert webhook_server.statuses == [] and webhook_server.posts == []  # 20 answered 500
    rows = _rows("drill:hook-500")
    assert {(r.status, r.attempts) for r in rows} == {(DeliveryStatus.FAILED, 2)}
    assert all(r.last_error and r.last_error.startswith("webhook: ") for r in rows)
    assert all("500" in (r.last_error or "") for r in rows)

    # Now 200: the retry sends each row once more, and only once.
    report = retry_failed()
    assert (report.sent, report.failed) == (10, 0)
    assert retry_failed().sent == 0
    assert Counter(b["recipient"] for b in webhook_server.bodies()) == chat_ids
    assert {(r.status, r.attempts) for r in _rows("drill:hook-500")} == {(DeliveryStatus.SENT, 3)}

    # Transient 500s inside one run: retried with backoff in the run. Four 500s cannot exhaust
    # five attempts of any row, so every row ends sent and exactly 14 requests were made.
    office_env.set(delivery_attempts=5)
    webhook_server.statuses = [500] * 4
    _plan("drill:hook-blip", people, ["webhook"])
    report = send_pending(["drill:hook-blip"])
    assert (report.sent, report.failed) == (10, 0)
    assert webhook_server.statuses == []
    assert sum(r.attempts for r in _rows("drill:hook-blip")) == 14
    blip = [b for b in webhook_server.bodies() if b["notice"] == "drill:hook-blip"]
    assert Counter(b["recipient"] for b in blip) == chat_ids
    assert len(webhook_server.posts) == 20
    assert _statuses() == {"sent": 20}


# --- 3. SIGKILL in the middle of a 200-recipient fan-out -----------------------------------

FANOUT_KEY = "drill:fanout-200"
ACCEPTED_BEFORE_HOLD = 80
THREADS = 16


@pytest.fixture
def holding_smtp(ledger: Any, office_env: Any) -> Iterator[MailCatcher]:
    catcher = MailCatcher(hold_after=ACCEPTED_BEFORE_HOLD).start()
    office_env.set(smtp_host=catcher.host, smtp_port=catcher.port)
    try:
        yield catcher
    finally:
        catcher.release()
        catcher.stop()


def _sent_count(key: str) -> int:
    return _statuses(key)["sent"]


def test_sigkill_mid_fanout_then_recovery_sends_each_of_200_exactly_once(
    make_org: Any, holding_smtp: MailCatcher, office_env: Any
) -> None:
    make_org(departments=20, people_per_department=10)
    people = _people(20, 10)
    office_env.set(delivery_concurrency=THREADS, delivery_timeout_s=60)
    _plan(FANOUT_KEY, people)
    assert _statuses(FANOUT_KEY) == {"pending": 200}

    started = time.monotonic()
    code = f"from officeflow.delivery import send_pending; send_pending([{FANOUT_KEY!r}])"
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        # The server accepts 80 messages, then holds every further one without answering.
        # Wait until the ledger shows exactly those 80 sent and every sender thread is held.
        deadline = time.monotonic() + 90
        while not (
            _sent_count(FANOUT_KEY) == ACCEPTED_BEFORE_HOLD and holding_smtp.held == THREADS
        ):
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, (_statuses(FANOUT_KEY), holding_smtp.held)
            time.sleep(0.05)
        time.sleep(0.3)  # still exactly so: nothing moves while the server holds
        # Each sender claims a few rows at once (one UPDATE) and marks each as it is sent:
        # 80 sent, one message in flight per thread, the rest claimed or pending.
        at_kill = _statuses(FANOUT_KEY)
        assert at_kill["sent"] == 80 and at_kill["sending"] >= THREADS
        assert at_kill["sending"] + at_kill.get("pending", 0) == 120
        assert holding_smtp.held == THREADS and len(holding_smtp.messages) == 80
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    killed_after = time.monotonic() - started

    # The kernel closed the dead client's sockets; the server saw each held session go away
    # before it had answered 250, so none of the 16 held messages counts as delivered.
    deadline = time.monotonic() + 10
    while holding_smtp.dropped < THREADS:
        assert time.monotonic() < deadline, holding_smtp.dropped
        time.sleep(0.05)
    holding_smtp.release()
    assert len(holding_smtp.messages) == 80 and holding_smtp.dropped == THREADS

    # Recovery, as an operator would run it: rows stuck in 'sending' are treated as not sent.
    recovered = run_cli("deliveries", "retry", "--stale-after", "0")
    assert recovered.returncode == 0, recovered.stderr
    assert "sent 120, failed 0" in recovered.stdout
    assert run_cli("deliveries", "retry", "--stale-after", "0").stdout.strip() == (
        "sent 0, failed 0"
    )

    per_recipient = Counter(m.rcpt_tos[0] for m in holding_smtp.messages)
    assert len(per_recipient) == 200 and set(per_recipient.values()) == {1}
    assert set(per_recipient) == {f"{p}@example.org" for p in people}
    assert _statuses(FANOUT_KEY) == {"sent": 200}
    # The attempt cut by the crash was never recorded: every row shows one attempt.
    assert {r.attempts for r in _rows(FANOUT_KEY)} == {1}
    print(f"fan-out killed after {killed_after:.1f} s; recovery sent 120")


# --- 4. The database connection drops during a sweep ---------------------------------------

DEPARTMENTS = ["finance", "health", "education", "development-reform", "housing-construction"]
SWEEP_DAY = "2026-09-29T09:00:00+08:00"


def _issue_assignments(n_per_department: int = 3) -> None:
    clock.set_now("2026-09-21T10:00:00+08:00")
    spec = DecisionSpec.model_validate(
        {
            "title": "年度重点工作",
            "issued_by": "li.jianguo",
            "issued_on": "2026-09-21",
            "report_cycle": "weekly",
            "assignments": [
                {
                    "lead_department": d,
                    "task": f"任务{i}",
                    "acceptance_standard": "报送材料",
                    "due_in_workdays": 1 + (i * 3) % 12,
                }
                for d in DEPARTMENTS
                for i in range(n_per_department)
            ],
        }
    )
    with db.session_scope() as s:
        supervision.check_decision(s, spec)
        supervision.record_decision(s, spec, actor="system")


def _snapshot() -> dict[str, Any]:
    with db.session_scope() as s:
        return {
            "assignments": sorted(
                s.execute(select(Assignment.id, Assignment.light, Assignment.red_count)).all()
            ),
            "notices": s.scalar(select(func.count()).select_from(Notice)),
            "deliveries": s.scalar(select(func.count()).select_from(Delivery)),
            "sweeps": s.scalar(
                select(func.count()).select_from(Event).where(Event.action == "sweep.ran")
            ),
        }


def _fail_sweep_at(prefix: str, break_connection: Any) -> tuple[BaseException, list[str]]:
    """Run a sweep that breaks its own connection just before the first statement starting
    with ``prefix``; returns the error and the statements seen."""
    engine = db.get_engine()
    fired: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not fired and statement.lstrip().startswith(prefix):
            fired.append(statement)
            break_connection(cursor)

    event.listen(engine, "before_cursor_execute", before)
    try:
        with pytest.raises(exc.OperationalError) as failure:
            plan_sweep()
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return failure.value, fired


# Expected after the sweep of 2026-09-29 over 15 assignments (3 per department).
EXPECTED_REMINDERS = {"red": 10, "yellow": 5}
EXPECTED_MAILS = 25


def _sweep_completes_with_exact_counts(mail: MailCatcher, before: dict[str, Any]) -> None:
    assert _snapshot() == before, "the failed sweep left a partial write"
    assert mail.messages == []
    result = plan_sweep()
    assert result.tally("reminder") == EXPECTED_REMINDERS
    report = send_pending(result.notice_keys)
    assert (report.sent, report.failed) == (EXPECTED_MAILS, 0)
    assert plan_sweep().notice_keys == []  # the next sweep finds nothing new
    seen = Counter((m.rcpt_tos[0], m.notice) for m in mail.messages)
    assert len(mail.messages) == EXPECTED_MAILS and set(seen.values()) == {1}
    assert {k for _, k in seen} == set(result.notice_keys)
    after = _snapshot()
    assert (after["notices"], after["deliveries"], after["sweeps"]) == (15, EXPECTED_MAILS, 2)
    assert after["assignments"] != before["assignments"]  # the lights did move this time
    assert _statuses() == {"sent": EXPECTED_MAILS}


@pytest.mark.parametrize(
    "backend", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=False
)
@pytest.mark.parametrize("kill_before", ["UPDATE assignments SET light", "INSERT INTO deliveries"])
def test_sweep_survives_its_postgres_connection_being_terminated(
    org: Any, mail_office: MailCatcher, pg_cluster: Any, kill_before: str
) -> None:
    _issue_assignments()
    clock.set_now(SWEEP_DAY)
    before = _snapshot()
    killed: list[int] = []

    def terminate(cursor: Any) -> None:
        pid = cursor.connection.info.backend_pid  # the sweep's own backend
        with psycopg.connect(
            f"host=127.0.0.1 port={pg_cluster.port} user=postgres dbname=postgres",
            autocommit=True,
        ) as admin:
            # With a timeout, pg_terminate_backend waits until the backend has exited.
            row = admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,)).fetchone()
        assert row == (True,)
        killed.append(pid)

    error, fired = _fail_sweep_at(kill_before, terminate)
    assert len(fired) == 1 and len(killed) == 1
    text = str(error)
    assert "terminating connection due to administrator command" in text or (
        "server closed the connection unexpectedly" in text
    ), text
    assert error.connection_invalidated
    _sweep_completes_with_exact_counts(mail_office, before)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_sweep_survives_a_sqlite_write_failure_mid_transaction(
    org: Any, mail_office: MailCatcher
) -> None:
    # SQLite has no connection to drop. A real SQLite failure stands in for it: the sweep's
    # own connection is capped at its current size, so the bulk INSERT of deliveries (after
    # the lights were updated and the notices reserved in the same transaction) fails.
    _issue_assignments()
    clock.set_now(SWEEP_DAY)
    before = _snapshot()

    def cap_the_file(cursor: Any) -> None:
        raw = cursor.connection
        pages = raw.execute("PRAGMA page_count").fetchone()[0]
        raw.execute(f"PRAGMA max_page_count = {pages}")

    error, fired = _fail_sweep_at("INSERT INTO deliveries", cap_the_file)
    assert len(fired) == 1
    assert "database or disk is full" in str(error)
    db.dispose_engines()  # the capped connection must not be reused
    _sweep_completes_with_exact_counts(mail_office, before)


# --- 5. The smtp rate limit ------------------------------------------------------------------

LIMIT, DECAY = 5, 5.0


def _max_in_window(times: list[float], window: float = 1.0) -> int:
    times = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - window:
            j += 1
        best = max(best, i - j + 1)
    return best


@pytest.fixture
def slot_requests(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, float]]:
    """Every answer the Prefect API gives to a request for an ``smtp`` slot, as it arrives at
    the client: ("granted" | "denied", time.monotonic()). The requests themselves go through
    unchanged to the real API; this only watches them."""
    import httpx
    from prefect.client.orchestration import PrefectClient

    seen: list[tuple[str, float]] = []
    real = PrefectClient.increment_concurrency_slots

    async def watched(self: Any, names: list[str], slots: int, mode: Any) -> Any:
        try:
            response = await real(self, names=names, slots=slots, mode=mode)
        except httpx.HTTPStatusError as error:
            if names == ["smtp"] and error.response.status_code == 423:
                seen.append(("denied", time.monotonic()))
            raise
        if names == ["smtp"]:
            seen.append(("granted", time.monotonic()))
        return response

    monkeypatch.setattr(PrefectClient, "increment_concurrency_slots", watched)
    return seen


@pytest.mark.parametrize("backend", ["sqlite"])  # the limit lives in Prefect, not the ledger
def test_smtp_rate_limit_paces_email_and_a_missing_limit_does_not(
    prefect_api: None,
    make_org: Any,
    mail_office: MailCatcher,
    office_env: Any,
    slot_requests: list[tuple[str, float]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectNotFound

    make_org(departments=3, people_per_department=10)
    people = _people(3, 10)
    office_env.set(delivery_concurrency=16)
    _plan("drill:paced", people)
    _plan("drill:unpaced", people)
    with get_client(sync_client=True) as client:
        # The session's Prefect API may already hold the project's own `smtp` limit (the
        # deployment tests register it): replace it with this drill's.
        with contextlib.suppress(ObjectNotFound):
            client.delete_global_concurrency_limit_by_name("smtp")
        client.create_global_concurrency_limit(
            GlobalConcurrencyLimitCreate(name="smtp", limit=LIMIT, slot_decay_per_second=DECAY)
        )
        try:
            ratelimit.forget()  # an earlier test may have found no limit in the last 30 s
            started = time.monotonic()
            report = send_pending(["drill:paced"])
            paced_s = time.monotonic() - started
        finally:
            client.delete_global_concurrency_limit_by_name("smtp")
    assert (report.sent, report.failed) == (30, 0)
    assert Counter(m.rcpt_tos[0] for m in mail_office.messages) == Counter(
        {f"{p}@example.org": 1 for p in people}
    )
    # The pacing itself is Prefect's token bucket (LIMIT slots, refilled at DECAY a second).
    # What the office must do is take one slot of it for each email, before sending it, and
    # wait while the API refuses one. Counted and ordered, not timed: exactly 30 slots were
    # granted, and the k-th message reached the relay after the k-th grant (each message after
    # its own slot), so no message went out on a refusal or without a slot.
    granted = sorted(t for outcome, t in slot_requests if outcome == "granted")
    denied = sum(1 for outcome, _ in slot_requests if outcome == "denied")
    arrivals = sorted(m.received_at for m in mail_office.messages)
    assert len(granted) == len(arrivals) == 30
    assert all(g < a for g, a in zip(granted, arrivals, strict=True)), (granted, arrivals)

    # The limit is gone: sending is not throttled, not one slot is asked for, and the fact is
    # logged once.
    mail_office.clear()
    slot_requests.clear()
    with caplog.at_level(logging.WARNING, logger="officeflow.ratelimit"):
        report = send_pending(["drill:unpaced"])
    assert (report.sent, report.failed) == (30, 0)
    assert len({m.rcpt_tos[0] for m in mail_office.messages}) == 30
    assert slot_requests == []
    warnings = [r.getMessage() for r in caplog.records if r.name == "officeflow.ratelimit"]
    assert len(warnings) == 1 and "'smtp' does not exist" in warnings[0]
    assert _statuses() == {"sent": 60}
    print(
        f"paced: 30 in {paced_s:.1f} s, {denied} slot requests refused and retried, "
        f"max {_max_in_window(arrivals)} arrivals per 1 s window"
    )


@pytest.mark.parametrize("backend", ["sqlite"])
def test_rate_limit_costs_nothing_without_a_prefect_api(ledger: Any) -> None:
    # A plain process (the CLI, a script) with no PREFECT_API_URL: the limit is not looked up
    # and Prefect is not even imported by a send batch.
    code = (
        "import sys; from officeflow import ratelimit; from officeflow.settings import Settings;"
        "assert ratelimit.smtp_limit(Settings()) is None; assert 'prefect' not in sys.modules;"
        "print('ok')"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
