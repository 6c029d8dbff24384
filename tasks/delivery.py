"""Delivery as Prefect tasks: one task per batch of notices, concurrency inside it."""

from __future__ import annotations

from prefect import task
from prefect.logging import get_run_logger

from officeflow.delivery import DeliveryReport, send_pending


@task(name="deliver-notices", retries=0)
def deliver_notices(keys: list[str]) -> DeliveryReport:
    """Send every pending delivery of these notices; rows already sent are skipped. Each email
    first takes a slot of the global `smtp` rate limit when the Prefect server has one
    (officeflow/ratelimit.py)."""
    report = send_pending(keys)
    logger = get_run_logger()
    logger.info(
        "delivered %d, failed %d, claimed elsewhere %d",
        report.sent,
        report.failed,
        report.claimed_elsewhere,
    )
    for error in report.errors[:5]:
        logger.warning("delivery failed: %s", error)
    return report
