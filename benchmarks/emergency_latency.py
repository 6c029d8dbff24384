"""Median time from starting an in-process `emergency-response` run to the first email at the
local SMTP server, over 20 runs (a temporary Prefect server, a private ledger).

Prints one JSON object on its last line and writes it to benchmarks/results/."""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _support

RUNS = int(os.environ.get("LATENCY_RUNS", "20"))


def main() -> None:
    _support.private_home()
    from officeflow.mailcatcher import MailCatcher

    smtp = MailCatcher().start()
    os.environ.update(OFFICEFLOW_SMTP_HOST=smtp.host, OFFICEFLOW_SMTP_PORT=str(smtp.port))
    from prefect.testing.utilities import prefect_test_harness

    from flows.emergency import emergency_response
    from models.emergency_input import IncidentReport
    from officeflow import clock
    from officeflow.settings import reload_settings

    reload_settings()
    _support.load(_support.org(5, webhook=False))
    report = IncidentReport(
        title="Bench",
        category="accident",
        occurred_at=clock.now(),
        location="here",
        reported_by="bench",
        description="latency",
        deaths=12,
        department="dept",
    )
    samples = []
    try:
        with prefect_test_harness(server_startup_timeout=240):
            emergency_response(report)  # warm-up: imports, first API calls
            for _ in range(RUNS):
                smtp.clear()
                start = time.perf_counter()
                emergency_response(report)
                while not smtp.messages:
                    time.sleep(0.001)
                samples.append(time.perf_counter() - start)
    finally:
        smtp.stop()
    _support.report(
        "emergency_latency",
        {
            "runs": RUNS,
            "median_s": round(statistics.median(samples), 3),
            "min_s": round(min(samples), 3),
            "max_s": round(max(samples), 3),
        },
    )


if __name__ == "__main__":
    main()
