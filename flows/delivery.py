"""Delivery retry (送达重试): nothing the office sends fails silently. See docs/reliability.md."""

from __future__ import annotations

from prefect import flow

from models.common import SweepResult
from tasks.delivery import retry_deliveries


@flow(name="delivery-retry")
def delivery_retry() -> SweepResult:
    """送达重试: resend failed notices with backoff and those a dead sender left (lapsed
    leases), give routine notices up after the retry horizon, tell the duty officer about
    undeliverable notices and channels that are down. Idempotent; scheduled every minute."""
    result = retry_deliveries()
    counts = {
        "undeliverable": result.undeliverable,
        "taken_over": result.taken_over,
        "stopped": result.stopped,
    }
    counts |= {f"channel_down:{c}": 1 for c in result.channels_down}
    return SweepResult(
        process="delivery",
        counts=counts,
        notice_keys=result.alert_keys,
        sent=result.sent,
        failed=result.failed,
    )
