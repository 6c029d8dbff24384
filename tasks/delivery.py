"""Delivery as Prefect tasks: one task per batch of notices, concurrency inside it."""

from __future__ import annotations

from prefect import task
from prefect.logging import get_run_logger

from officeflow import db, delivered, sent
from officeflow.delivery import DeliveryReport, send_pending
from officeflow.retry import RetryResult, run_retry
from officeflow.text import md

# The artifact a flow run gets when some of its notices did not arrive (yet): scripts and the
# Prefect UI tell a run that told nobody from one that told everyone by it (docs/reliability.md).
UNDELIVERED_ARTIFACT = "undelivered-notices"


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
    sent.note(keys)
    if keys and (report.failed or report.claimed_elsewhere or report.remaining):
        with db.read_scope() as session:
            outcome = delivered.outcome(session, keys)
        if outcome.exit_code:
            logger.warning("%s", outcome.summary())
            _undelivered_artifact(outcome)
    return report


def _undelivered_artifact(outcome: delivered.Outcome) -> None:
    """A Markdown artifact naming who was not reached (names and channels, never addresses or
    the notices' text)."""
    from prefect.artifacts import create_markdown_artifact

    rows = [
        f"| {md(r.name)} | {delivered.STATE_ZH[r.state]} | "
        f"{'、'.join(delivered.CHANNEL_ZH.get(c, c) for c in r.channels)} |"
        for r in outcome.recipients
        if r.state is not delivered.State.DELIVERED
    ]
    create_markdown_artifact(
        key=UNDELIVERED_ARTIFACT,
        markdown="\n".join(
            [
                "# 未送达的通知",
                "",
                md(outcome.summary("zh")),
                "",
                "| 收件人 | 状态 | 渠道 |",
                "|---|---|---|",
                *rows,
            ]
        ),
        description=outcome.summary(),
    )


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
