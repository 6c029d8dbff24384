"""Delivery as Prefect tasks: one task per batch of notices, concurrency inside it."""

from __future__ import annotations

from prefect import task
from prefect.logging import get_run_logger

from officeflow.delivery import DeliveryReport, send_pending
from officeflow.retry import RetryResult, run_retry


@task(name="deliver-notices", retries=0)
def deliver_notices(keys: list[str]) -> DeliveryReport:
    """Send every pending delivery of these notices; rows already sent are skipped. Each email
    first takes a slot of the global `smtp` rate limit when the Prefect server has one
    (officeflow/ratelimit.py)."""
    report = send_pending(keys)
    logger = get_run_logger()
    logger.info(
        "delivered %d, failed %d (undeliverable %d), claimed elsewhere %d",
        report.sent,
        report.failed,
        report.undeliverable,
        report.claimed_elsewhere,
    )
    for error in report.errors[:5]:
        logger.warning("delivery failed: %s", error)
    return report


@task(name="retry-deliveries", retries=0)
def retry_deliveries() -> RetryResult:
    """One pass of the scheduled retry (officeflow/retry.py): give up what is past its
    horizon, alert on channels that are down, resend what is due and what dead senders left."""
    result = run_retry()
    logger = get_run_logger()
    logger.info(
        "resent %d, failed %d, undeliverable %d, lapsed leases taken over %d, stopped %d",
        result.sent,
        result.failed,
        result.undeliverable,
        result.taken_over,
        result.stopped,
    )
    for channel in result.channels_down:
        logger.error(
            "channel %s is down; the duty officer is told (%s)", channel, result.alert_keys
        )
    for error in result.errors[:5]:
        logger.warning("delivery failed: %s", error)
    return result
