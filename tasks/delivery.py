"""Delivery as Prefect tasks: one task per batch of notices, concurrency inside it."""

from __future__ import annotations

from prefect import task
from prefect.concurrency.sync import rate_limit
from prefect.logging import get_run_logger

from models.org import Channel
from officeflow.delivery import DeliveryReport, retry_failed, send_pending

SMTP_LIMIT = "smtp"  # created by deployments/register.py; see docs/deploy.md


def smtp_rate_limit(channel: Channel) -> None:
    """Take a slot of the global `smtp` rate limit before each email, so that all workers
    together stay under what the relay accepts. Without the limit on the server, no wait."""
    if channel is Channel.EMAIL:
        rate_limit(SMTP_LIMIT, occupy=1, timeout_seconds=120, strict=False)


@task(name="deliver-notices", retries=0)
def deliver_notices(keys: list[str]) -> DeliveryReport:
    """Send every pending delivery of these notices; rows already sent are skipped."""
    report = send_pending(keys, throttle=smtp_rate_limit)
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


@task(name="retry-failed-deliveries")
def retry_failed_deliveries() -> DeliveryReport:
    """Resend failed deliveries whose backoff has passed."""
    report = retry_failed(due_only=True, throttle=smtp_rate_limit)
    get_run_logger().info("retried: sent %d, still failing %d", report.sent, report.failed)
    return report
