"""The scheduled retry (`delivery-retry` flow): nothing fails silently.

One run, every minute:

1. gives up what must not be retried any more: a routine notice failing for longer than the
   retry horizon (`OFFICEFLOW_RETRY_HORIZON_HOURS`, 24 h) becomes ``undeliverable`` and is
   reported; an urgent notice (``Notice.urgent``: an emergency's) keeps trying until the
   process that planned it settles it (`officeflow.delivery.settle`: the emergency acknowledged
   or closed), and then stops (``undeliverable``, recorded, not reported again);
2. tells the duty officer and the office directors, on the other channels, about a channel
   that has failed for longer than `OFFICEFLOW_CHANNEL_DOWN_AFTER_MINUTES` (10) with nothing
   delivered on it since: a notice keyed ``channel-down:<channel>:<local date and hour the
   failures began>``, so each outage is told once;
3. sends every due failed row, every pending row, and every row whose sender's lease lapsed
   (`officeflow.delivery.send_pending(include_failed=True)`).

Undeliverable rows are reported at once by whoever marks them (the sender, or step 1): one
notice per batch (``undeliverable:<first delivery id>``) naming each person, channel and cause
(`officeflow.delivery.report_undeliverable`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from models.ledger import Delivery, DeliveryStatus, Notice
from models.org import Channel
from officeflow import channels, clock, events
from officeflow.db import get_engine
from officeflow.delivery import (
    board_url,
    lease_lapsed,
    officers,
    plan_notice,
    report_undeliverable,
    send_pending,
)
from officeflow.settings import Settings, get_settings


@dataclass
class RetryResult:
    sent: int = 0
    failed: int = 0
    undeliverable: int = 0  # marked in this run: refused for good, or out of horizon
    stopped: int = 0  # urgent rows no longer needed (their process settled the notice)
    taken_over: int = 0  # rows in `sending` whose lease had lapsed, sent again
    channels_down: list[str] = field(default_factory=list)
    alert_keys: list[str] = field(default_factory=list)
    remaining: int = 0
    errors: list[str] = field(default_factory=list)


def run_retry(
    *, engine: Engine | None = None, settings: Settings | None = None, limit: int = 2000
) -> RetryResult:
    """One pass of the scheduled retry (see the module docstring). Idempotent."""
    settings = settings or get_settings()
    engine = engine or get_engine()
    now = clock.now()
    result = RetryResult()
    expired, stopped = give_up(engine, settings, now)
    result.stopped = len(stopped)
    if expired:
        result.undeliverable += len(expired)
        report_undeliverable(expired, engine, settings)
    down = channels_down(engine, settings, now)
    for channel, since, failing, error in down:
        key = alert_channel_down(engine, settings, channel, since, failing, error)
        result.channels_down.append(channel.value)
        if key:
            result.alert_keys.append(key)
    with engine.connect() as conn:
        result.taken_over = (
            conn.scalar(
                select(func.count()).select_from(Delivery).where(lease_lapsed(now, settings))
            )
            or 0
        )
    report = send_pending(
        None, engine=engine, settings=settings, include_failed=True, due_only=True, limit=limit
    )
    result.sent, result.failed = report.sent, report.failed
    result.undeliverable += report.undeliverable
    result.remaining, result.errors = report.remaining, report.errors
    return result


def give_up(engine: Engine, settings: Settings, now: dt.datetime) -> tuple[list[int], list[int]]:
    """Mark what must not be retried any more; returns (expired routine rows, stopped rows of
    settled notices)."""
    horizon = dt.timedelta(hours=settings.retry_horizon_hours)
    with Session(engine) as session, session.begin():
        failing = session.execute(
            select(Delivery.id, Delivery.created_at, Notice.urgent, Notice.settled)
            .join(Notice, Notice.id == Delivery.notice_id)
            .where(Delivery.status == DeliveryStatus.FAILED)
        ).all()
        expired = [
            r.id
            for r in failing
            if r.settled is None and not r.urgent and r.created_at < now - horizon
        ]
        stopped = {r.id: r.settled for r in failing if r.settled is not None}
        hours = f"{settings.retry_horizon_hours:g}"
        for ids, prefix in ((expired, f"gave up after {hours} h of retries"),):
            for chunk in _chunks(ids):
                session.execute(
                    update(Delivery)
                    .where(Delivery.id.in_(chunk), Delivery.status == DeliveryStatus.FAILED)
                    .values(
                        status=DeliveryStatus.UNDELIVERABLE,
                        next_attempt_at=None,
                        last_error=func.substr(
                            prefix + "; last error: " + func.coalesce(Delivery.last_error, ""),
                            1,
                            2000,
                        ),
                    )
                )
        for delivery_id, why in stopped.items():
            session.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id, Delivery.status == DeliveryStatus.FAILED)
                .values(
                    status=DeliveryStatus.UNDELIVERABLE,
                    next_attempt_at=None,
                    last_error=func.substr(
                        f"not retried: {why}; last error: "
                        + func.coalesce(Delivery.last_error, ""),
                        1,
                        2000,
                    ),
                )
            )
        for delivery_id in expired:
            events.record(
                session,
                action="delivery.undeliverable",
                object_type="delivery",
                object_id=delivery_id,
                at=now,
                data={"reason": "retry horizon", "hours": settings.retry_horizon_hours},
            )
        for delivery_id, why in stopped.items():
            events.record(
                session,
                action="delivery.stopped",
                object_type="delivery",
                object_id=delivery_id,
                at=now,
                data={"reason": why},
            )
    return expired, list(stopped)


def _chunks(ids: list[int], size: int = 500) -> list[list[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def channels_down(
    engine: Engine, settings: Settings, now: dt.datetime
) -> list[tuple[Channel, dt.datetime, int, str]]:
    """Channels whose failures began more than the threshold ago with nothing delivered on them
    since: (channel, failing since, rows failing, the latest error)."""
    threshold = dt.timedelta(minutes=settings.channel_down_after_minutes)
    out = []
    with engine.connect() as conn:
        for channel in sorted(channels.configured_channels(settings)):
            last_ok = conn.scalar(
                select(func.max(Delivery.sent_at)).where(Delivery.channel == channel)
            )
            failing = select(Delivery).where(
                Delivery.channel == channel,
                Delivery.status == DeliveryStatus.FAILED,
                Delivery.first_failed_at.is_not(None),
            )
            if last_ok is not None:
                failing = failing.where(Delivery.first_failed_at > last_ok)
            sub = failing.subquery()
            since, count = conn.execute(
                select(func.min(sub.c.first_failed_at), func.count()).select_from(sub)
            ).one()
            if since is None or now - since < threshold:
                continue
            error = conn.scalar(
                select(sub.c.last_error).order_by(sub.c.first_failed_at.desc()).limit(1)
            )
            out.append((channel, since, int(count), error or ""))
    return out


def alert_channel_down(
    engine: Engine,
    settings: Settings,
    channel: Channel,
    since: dt.datetime,
    failing: int,
    error: str,
) -> str | None:
    """Plan the channel-down notice on every other configured channel (once per outage: the
    key names the hour the failures began). None when no other channel is configured."""
    others = sorted(channels.configured_channels(settings) - {channel})
    key = f"channel-down:{channel.value}:{clock.to_local(since).format('YYYY-MM-DDTHH')}"
    with Session(engine) as session, session.begin():
        if not others:
            events.record(
                session,
                action="channel.down",
                object_type="channel",
                object_id=channel.value,
                data={"since": since.isoformat(), "failing": failing, "told": []},
            )
            return None
        recipients = officers(session)
        known = session.scalar(select(Notice.id).where(Notice.key == key))
        plan_notice(
            session,
            key=key,
            template="channel_down",
            object_type="channel",
            object_id=channel.value,
            recipients=recipients,
            channels_wanted=others,
            settings=settings,
            context={
                # not "channel": that is the channel the notice itself goes out on
                "down_channel": channel.value,
                "since": since,
                "failing": failing,
                "error": error[:300],
                "threshold_minutes": settings.channel_down_after_minutes,
                "board_url": board_url(settings),
            },
        )
        if known is None:
            events.record(
                session,
                action="channel.down",
                object_type="channel",
                object_id=channel.value,
                data={"since": since.isoformat(), "failing": failing, "told": recipients},
            )
    return key
