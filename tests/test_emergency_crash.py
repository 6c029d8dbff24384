"""Kill the process running an emergency with SIGKILL after its first fan-out; the sweep
sends the due escalation exactly once and nothing is sent twice. And SIGKILL before the first
fan-out is sent (deliveries reserved, the first mail held by the SMTP server): the sweep sends
each pending alert once."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pendulum
from prefect.settings import PREFECT_API_URL
from sqlalchemy import func, select

from flows.emergency import emergency_sweep
from models.ledger import Delivery, DeliveryStatus
from officeflow import clock, db
from officeflow.delivery import retry_failed
from officeflow.mailcatcher import MailCatcher
from tests.cli_helpers import OFFICEFLOW
from tests.conftest import both_backends, write_yaml
from tests.emergency_support import T0, hook_counts, incident_data, load_emergency_org, mail_counts

backend = both_backends  # these tests run on SQLite and on PostgreSQL

RUNG0 = Counter({"duty": 1, "director": 1, "p0-0": 1})
RUNG1 = Counter({"duty": 1, "director": 1, "p0-0": 1, "boss": 1})


def _sent(key: str) -> int:
    with db.session_scope() as s:
        return (
            s.scalar(
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.notice_key == key, Delivery.status == DeliveryStatus.SENT)
            )
            or 0
        )


def test_sigkill_after_first_fanout_then_sweep_escalates_once(
    prefect_api: None,
    ledger: Any,
    office_env: Any,
    mail_office: MailCatcher,
    webhook_server: Any,
    tmp_path: Path,
) -> None:
    office_env.set(webhook_url=webhook_server.url, locale="en")
    load_emergency_org(tmp_path)
    file = write_yaml(tmp_path / "incident.yaml", incident_data())
    env = {**os.environ, "OFFICEFLOW_NOW": T0, "PREFECT_API_URL": PREFECT_API_URL.value()}
    proc = subprocess.Popen(
        [str(OFFICEFLOW), "incident", "report", str(file), "--watch", "30", "--poll", "0.5"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 90
        # The first fan-out is done when all 6 deliveries are marked sent.
        while _sent("incident:1:initial") < 6:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "the first fan-out did not happen"
            time.sleep(0.2)
        time.sleep(1.0)  # the run is now in its own loop, waiting for acknowledgements
        assert proc.poll() is None
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert mail_counts(mail_office) == RUNG0 and hook_counts(webhook_server) == RUNG0

    # Recovery: the sweep, after the acknowledgement deadline (5 minutes for grade II).
    clock.set_now(pendulum.parse(T0).add(minutes=5, seconds=30))  # type: ignore[union-attr]
    report = emergency_sweep()
    assert (report.sent, report.failed) == (8, 0)
    emergency_sweep()  # and again: nothing new
    assert mail_counts(mail_office) == RUNG0 + RUNG1
    assert hook_counts(webhook_server) == RUNG0 + RUNG1
    with db.session_scope() as s:
        statuses = Counter(s.scalars(select(Delivery.status)))
    assert statuses == {DeliveryStatus.SENT: 14}


def _statuses(key: str) -> Counter[DeliveryStatus]:
    with db.session_scope() as s:
        return Counter(s.scalars(select(Delivery.status).where(Delivery.notice_key == key)))


def test_sigkill_before_the_first_fanout_is_sent_then_sweep_sends_each_once(
    prefect_api: None, ledger: Any, office_env: Any, tmp_path: Path
) -> None:
    """The kill lands after the incident is recorded and its deliveries reserved, while the
    first mail is held by the SMTP server (no answer yet) and the others wait their turn."""
    load_emergency_org(tmp_path)
    file = write_yaml(tmp_path / "incident.yaml", incident_data())
    catcher = MailCatcher(hold_after=0).start()  # holds every message until release()
    try:
        office_env.set(smtp_host=catcher.host, smtp_port=catcher.port, locale="en")
        env = {
            **os.environ,
            "OFFICEFLOW_NOW": T0,
            "OFFICEFLOW_DELIVERY_CONCURRENCY": "1",  # one send in flight, the rest pending
            "PREFECT_API_URL": PREFECT_API_URL.value(),
        }
        proc = subprocess.Popen(
            [str(OFFICEFLOW), "incident", "report", str(file), "--watch", "30", "--poll", "0.5"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 90
            while catcher.held < 1 or sum(_statuses("incident:1:initial").values()) < 3:
                assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
                assert time.monotonic() < deadline, "the first fan-out never started"
                time.sleep(0.1)
            at_kill = _statuses("incident:1:initial")
            os.kill(proc.pid, signal.SIGKILL)
            assert proc.wait(timeout=10) == -signal.SIGKILL
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        # Recorded and reserved, nothing sent: the one sender claimed a batch of two rows (the
        # first one's mail held, the second waiting its turn), one pending.
        assert at_kill == {DeliveryStatus.SENDING: 2, DeliveryStatus.PENDING: 1}
        deadline = time.monotonic() + 10
        while catcher.dropped < 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert (catcher.held, catcher.dropped, catcher.messages) == (1, 1, [])
        catcher.release()

        # Recovery: the sweep, after the acknowledgement deadline (5 minutes for grade II),
        # sends the pending alert and the escalation, each once…
        clock.set_now(pendulum.parse(T0).add(minutes=5, seconds=30))  # type: ignore[union-attr]
        report = emergency_sweep()
        assert (report.sent, report.failed) == (1 + 4, 0)
        assert emergency_sweep().sent == 0  # and again: nothing new
        # …and the two rows the dead process had claimed (stuck in `sending`, no mail accepted)
        # go out once each when stale sends are retried.
        assert retry_failed(stale_after=dt.timedelta(minutes=1)).sent == 2
        assert emergency_sweep().sent == 0 and retry_failed().sent == 0
        assert mail_counts(catcher) == RUNG0 + RUNG1
        with db.session_scope() as s:
            statuses = Counter(s.scalars(select(Delivery.status)))
        assert statuses == {DeliveryStatus.SENT: 7}
    finally:
        catcher.stop()
