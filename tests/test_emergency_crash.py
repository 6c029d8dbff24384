"""Kill the process running an emergency with SIGKILL after its first fan-out; the sweep
sends the due escalation exactly once and nothing is sent twice."""

from __future__ import annotations

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
