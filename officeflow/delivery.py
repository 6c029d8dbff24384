"""Exactly-once delivery, as near as the world allows.

1. plan: a `Notice` row named by its business key, and one `Delivery` row per recipient and
   channel, inserted with ``ON CONFLICT DO NOTHING`` on (notice_key, person_id, channel).
2. send: each sender thread claims one row at a time with a conditional UPDATE (pending →
   sending) that also sets a lease (``lease_until``, `delivery_lease_s`); it renews the lease
   before an attempt when a quarter of it has passed, sends, then marks the row sent, failed
   (transient: retried with backoff) or undeliverable (permanent: an SMTP 5xx for the
   mailbox; reported at once, never retried). An emergency notice that fails on one channel is
   reserved on the person's next channel of the plan's fallback order and sent at once.
3. the scheduled `delivery-retry` flow (`officeflow.retry`) resends due failed rows and rows
   whose lease lapsed (their sender died), gives routine notices up after the retry horizon,
   and tells the duty officer when a channel has been failing for too long.

The only window left is a crash between a successful send and its mark: such a row stays
``sending`` until its lease lapses, and the retry sends it again. That is the one case that
can repeat a message, bounded by the number of sender threads in flight when the process died
(measured in docs/reliability.md). A live sender is never doubled: its lease does not lapse.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, and_, func, literal, or_, select, update
from sqlalchemy.orm import Session

from models.ledger import Delivery, DeliveryStatus, Notice
from models.org import Channel, ContactPoint, Person
from officeflow import channels, clock, events, links, ratelimit
from officeflow.db import get_engine, insert_ignore
from officeflow.org import office_name
from officeflow.settings import Settings, get_settings
from rules import templates

RETRY_CAP = dt.timedelta(hours=1)
EMERGENCY_RETRY_CAP = dt.timedelta(minutes=5)
EMERGENCY = "incident"  # the object type of emergency notices (officeflow.emergency.config)
# The fallback order when the incident's plan names none: every channel, most personal first.
DEFAULT_FALLBACK = (
    Channel.EMAIL,
    Channel.SMS,
    Channel.DINGTALK,
    Channel.WECOM,
    Channel.FEISHU,
    Channel.SLACK,
    Channel.WEBHOOK,
)


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    claimed_elsewhere: int = 0
    errors: list[str] = field(default_factory=list)
    remaining: int = 0  # due rows left for a later run (over ``limit``)
    undeliverable: int = 0  # of ``failed``: refused for good, not retried
    undeliverable_ids: list[int] = field(default_factory=list)
    fallbacks: int = 0  # emergency rows reserved on a next channel after a failure

    def __add__(self, other: DeliveryReport) -> DeliveryReport:
        return DeliveryReport(
            self.sent + other.sent,
            self.failed + other.failed,
            self.claimed_elsewhere + other.claimed_elsewhere,
            self.errors + other.errors,
            self.remaining + other.remaining,
            self.undeliverable + other.undeliverable,
            self.undeliverable_ids + other.undeliverable_ids,
            self.fallbacks + other.fallbacks,
        )

    def cause(self) -> str:
        """The most frequent error of this batch (the cause a person is shown)."""
        if not self.errors:
            return ""
        return Counter(self.errors).most_common(1)[0][0]


@dataclass(frozen=True)
class PlanResult:
    key: str
    reserved: int  # new delivery rows
    unreachable: list[str]  # recipients with no configured channel


@dataclass
class PlannedNotice:
    """A notice row that exists, and whom it is for."""

    notice_id: int
    key: str
    template: str
    object_type: str
    object_id: str
    recipients: list[str]
    context: dict[str, Any] = field(default_factory=dict)


def plan_notice(
    session: Session,
    *,
    key: str,
    template: str,
    object_type: str,
    object_id: str | int,
    recipients: Iterable[str],
    context: dict[str, Any] | None = None,
    channels_wanted: Sequence[Channel] | None = None,
    settings: Settings | None = None,
    invite: str | None = None,
    attachment_id: int | None = None,
) -> PlanResult:
    """Reserve the notice and its deliveries. Re-planning the same key adds only what is missing.

    ``invite`` is an iCalendar text (METHOD:REQUEST or CANCEL): email deliveries carry it as a
    real invitation, chat deliveries send the text alone."""
    context = dict(context or {})
    session.execute(
        insert_ignore(session, Notice).values(
            key=key,
            template=template,
            object_type=object_type,
            object_id=str(object_id),
            context=_jsonable(context),
            invite=invite,
            attachment_id=attachment_id,
            created_at=clock.now(),
        )
    )
    notice_id = session.scalar(select(Notice.id).where(Notice.key == key))
    assert notice_id is not None
    count = select(func.count()).select_from(Delivery).where(Delivery.notice_key == key)
    before = session.scalar(count) or 0
    unreachable = reserve_deliveries(
        session,
        [
            PlannedNotice(
                notice_id, key, template, object_type, str(object_id), list(recipients), context
            )
        ],
        channels_wanted=channels_wanted,
        settings=settings,
    )
    reserved = (session.scalar(count) or 0) - before
    return PlanResult(key, max(reserved, 0), unreachable.get(key, []))


def reserve_deliveries(
    session: Session,
    notices: Sequence[PlannedNotice],
    *,
    channels_wanted: Sequence[Channel] | None = None,
    settings: Settings | None = None,
) -> dict[str, list[str]]:
    """Render and reserve one delivery row per recipient and configured channel, for many
    notices at once (a sweep's reminders). Returns, per notice key, who could not be reached."""
    settings = settings or get_settings()
    now = clock.now()
    everyone = list({p for n in notices for p in n.recipients})
    usable = channels.configured_channels(settings)
    if channels_wanted is not None:
        usable &= set(channels_wanted)
    people: dict[str, Person] = {}
    by_person: dict[str, list[tuple[Channel, str]]] = {}
    for chunk in _chunks(everyone, 500):
        people.update(
            {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(chunk)))}
        )
        for person_id, channel, address in session.execute(
            select(ContactPoint.person_id, ContactPoint.channel, ContactPoint.address).where(
                ContactPoint.person_id.in_(chunk)
            )
        ):
            if channel in usable:
                by_person.setdefault(person_id, []).append((channel, address))

    office = office_name(session)
    override = str(settings.templates_dir) if settings.templates_dir else None
    rows: list[dict[str, Any]] = []
    unreachable: dict[str, list[str]] = {}

    def row(
        notice: PlannedNotice, person: Person, channel: Channel, address: str, name: str
    ) -> dict[str, Any]:
        rendered = templates.render(
            notice.template,
            {
                **notice.context,
                "recipient": {"id": person.id, "name": name, "title": person.title},
                "channel": channel.value,
                "office": office,
                "tz": settings.timezone,
                "sent_at": now,
            },
            locale=settings.locale,
            override_dir=override,
        )
        return {
            "notice_id": notice.notice_id,
            "notice_key": notice.key,
            "person_id": person.id,
            "channel": channel,
            "address": address,
            "subject": rendered.subject[:500],
            "body": rendered.body,
            "status": DeliveryStatus.PENDING,
            "attempts": 0,
            "created_at": now,
        }

    for notice in notices:
        # A broadcast (a bulletin) goes to each group robot once, @-mentioning everyone it
        # concerns; a personal notice by direct message where the person has one.
        broadcast = notice.template in channels.BROADCAST_TEMPLATES
        groups: dict[Channel, list[tuple[str, str]]] = {}
        for person_id in dict.fromkeys(notice.recipients):
            person = people.get(person_id)
            if person is None:
                raise ValueError(f"unknown recipient {person_id!r}")
            reach = channels.choose_reach(by_person.get(person_id, []), notice.template)
            if not reach:
                unreachable.setdefault(notice.key, []).append(person_id)
            for channel, address in sorted(reach):
                if broadcast and channel in channels.ROBOTS:
                    groups.setdefault(channel, []).append((person_id, address))
                else:
                    rows.append(row(notice, person, channel, address, person.name))
        for channel, members in groups.items():
            for ids, addresses in channels.mention_groups(members):
                names = "、".join(people[p].name for p in ids)
                rows.append(row(notice, people[ids[0]], channel, addresses, names))
    for chunk in _chunks(rows, 2000):
        session.connection().execute(insert_ignore(session, Delivery.__table__), chunk)
    for notice in notices:
        if notice.key in unreachable:
            events.record(
                session,
                action="notice.unreachable",
                object_type=notice.object_type,
                object_id=notice.object_id,
                data={"key": notice.key, "people": unreachable[notice.key]},
            )
    return unreachable


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def lease_lapsed(now: dt.datetime, settings: Settings) -> Any:
    """SQL: a row in ``sending`` whose sender's lease has lapsed (the sender died or hung).
    A row claimed before leases existed has none: its claim time plus one lease counts."""
    lease = dt.timedelta(seconds=settings.delivery_lease_s)
    return and_(
        Delivery.status == DeliveryStatus.SENDING,
        or_(
            Delivery.lease_until < now,
            and_(Delivery.lease_until.is_(None), Delivery.claimed_at < now - lease),
        ),
    )


def send_pending(
    keys: Sequence[str] | None = None,
    *,
    engine: Engine | None = None,
    settings: Settings | None = None,
    include_failed: bool = False,
    due_only: bool = True,
    stale_after: dt.timedelta | None = None,
    limit: int | None = None,
) -> DeliveryReport:
    """Send every pending delivery (of ``keys``, or all), concurrently. Safe to run anywhere,
    any number of times at once: a row is sent by whoever claims it first. With ``limit``, at
    most that many rows (oldest first); the report counts the rest in ``remaining``.

    ``include_failed`` (the retry) also takes failed rows (due ones with ``due_only``) and rows
    left in ``sending`` whose lease has lapsed. ``stale_after`` is the operator's override for
    a sender known to be dead: rows claimed longer ago than that are taken even if their lease
    still runs (such a row may have gone out just before the crash)."""
    settings = settings or get_settings()
    engine = engine or get_engine()
    now = clock.now()
    condition = Delivery.status == DeliveryStatus.PENDING
    if include_failed:
        failed = Delivery.status == DeliveryStatus.FAILED
        if due_only:
            failed = and_(
                failed, or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now)
            )
        condition = or_(condition, failed, lease_lapsed(now, settings))
    if stale_after is not None:
        condition = or_(
            condition,
            and_(
                Delivery.status == DeliveryStatus.SENDING, Delivery.claimed_at < now - stale_after
            ),
        )
    stmt = select(Delivery.id, Delivery.status).where(condition).order_by(Delivery.id)
    if keys is not None:
        if not keys:
            return DeliveryReport()
        stmt = stmt.where(Delivery.notice_key.in_(list(keys)))
    with engine.connect() as conn:
        todo = [(row.id, row.status) for row in conn.execute(stmt)]
    remaining = 0
    if limit is not None and len(todo) > limit:
        todo, remaining = todo[:limit], len(todo) - limit
    if not todo:
        return DeliveryReport(remaining=remaining)

    stale_before = now - stale_after if stale_after is not None else None
    smtp_limit = ratelimit.smtp_limit(settings)  # here: a flow run's context is not in threads
    workers = min(settings.delivery_concurrency, len(todo))
    report = DeliveryReport(remaining=remaining)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="deliver") as pool:
        jobs = [(d_id, status, stale_before, smtp_limit) for d_id, status in todo]
        for outcome in pool.map(lambda job: _deliver_one(engine, settings, *job), jobs):
            report = report + outcome
    if report.undeliverable_ids:
        from officeflow import retry  # the report is a notice: planned and sent like any

        report = report + retry.report_undeliverable(report.undeliverable_ids, engine, settings)
    return report


def _claimable(
    delivery_id: int,
    expected: DeliveryStatus,
    stale_before: dt.datetime | None,
    now: dt.datetime,
    settings: Settings,
) -> list[Any]:
    if expected is not DeliveryStatus.SENDING:
        return [Delivery.id == delivery_id, Delivery.status == expected]
    taken_over = lease_lapsed(now, settings)
    if stale_before is not None:
        taken_over = or_(
            taken_over,
            and_(Delivery.status == DeliveryStatus.SENDING, Delivery.claimed_at < stale_before),
        )
    return [Delivery.id == delivery_id, taken_over]


def _renew(engine: Engine, settings: Settings, delivery_id: int, token: str) -> bool:
    """Extend this sender's lease; False when it was lost (another sender took the row over
    after the lease lapsed): this sender must not send it then."""
    until = clock.now() + dt.timedelta(seconds=settings.delivery_lease_s)
    with engine.begin() as conn:
        renewed = conn.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id, Delivery.claim_token == token)
            .values(lease_until=until)
        ).rowcount
    return bool(renewed)


def _deliver_one(
    engine: Engine,
    settings: Settings,
    delivery_id: int,
    expected: DeliveryStatus,
    stale_before: dt.datetime | None,
    limit: str | None = None,
) -> DeliveryReport:
    token = uuid.uuid4().hex
    now = clock.now()
    lease = dt.timedelta(seconds=settings.delivery_lease_s)
    with engine.begin() as conn:
        row = conn.execute(
            update(Delivery)
            .where(*_claimable(delivery_id, expected, stale_before, now, settings))
            .values(
                status=DeliveryStatus.SENDING,
                claim_token=token,
                claimed_at=now,
                lease_until=now + lease,
            )
            .returning(
                Delivery.channel,
                Delivery.address,
                Delivery.subject,
                Delivery.body,
                Delivery.attempts,
                Delivery.notice_key,
                Delivery.person_id,
                Delivery.notice_id,
            )
        ).first()
        extra = (
            conn.execute(
                select(
                    Notice.invite, Notice.attachment_id, Notice.object_type, Notice.object_id
                ).where(Notice.id == row.notice_id)
            ).first()
            if row is not None
            else None
        )
    if row is None:
        return DeliveryReport(claimed_elsewhere=1)
    renewed_at = time.monotonic()
    invite = extra.invite if extra is not None else None
    attachment, missing = None, None
    if extra is not None and extra.attachment_id is not None and row.channel == Channel.EMAIL:
        try:
            attachment = _attachment(engine, extra.attachment_id)
        except (OSError, ValueError) as exc:  # lost or altered on disk: a failed delivery
            missing = f"email: attachment unavailable: {type(exc).__name__}: {exc}"

    # Each recipient's own signed action links, minted now: never stored in the ledger.
    target = links.LinkTarget(
        row.person_id,
        row.notice_key,
        extra.object_type if extra is not None else "",
        extra.object_id if extra is not None else "",
    )
    subject = links.expand(row.subject, target, settings)
    body = links.expand(row.body, target, settings)

    attempts, outcome = row.attempts, channels.Outcome(False, missing or "not tried")
    if missing:
        attempts += 1  # never a mail without its file; retried like any failure
    for i in range(0 if missing else settings.delivery_attempts):
        if row.channel == Channel.EMAIL:
            ratelimit.take_slot(limit)  # waits for the `smtp` rate limit, when there is one
        # Keep the lease ahead of the attempt (after a backoff or a rate-limit wait). A sender
        # whose lease lapsed and was taken over stops here: the row is someone else's now.
        if time.monotonic() - renewed_at > settings.delivery_lease_s / 4:
            if not _renew(engine, settings, delivery_id, token):
                return DeliveryReport(claimed_elsewhere=1)
            renewed_at = time.monotonic()
        attempts += 1
        outcome = channels.send(
            settings,
            Channel(row.channel),
            row.address,
            subject,
            body,
            key=row.notice_key,
            invite=invite,
            attachment=attachment,
        )
        if outcome.ok or outcome.permanent:
            break
        if i + 1 < settings.delivery_attempts:
            time.sleep(settings.delivery_backoff_s * 2**i)

    emergency = extra is not None and extra.object_type == EMERGENCY
    done = clock.now()
    values: dict[str, Any] = {"attempts": attempts, "claim_token": None, "lease_until": None}
    if outcome.ok:
        status, action = DeliveryStatus.SENT, "delivery.sent"
        values |= {"sent_at": done, "last_error": None, "next_attempt_at": None}
    elif outcome.permanent:
        status, action = DeliveryStatus.UNDELIVERABLE, "delivery.undeliverable"
        values |= {"last_error": outcome.error, "next_attempt_at": None}
    else:
        status, action = DeliveryStatus.FAILED, "delivery.failed"
        values |= {
            "last_error": outcome.error,
            "next_attempt_at": done + backoff(attempts, emergency=emergency),
            "first_failed_at": func.coalesce(
                Delivery.first_failed_at, literal(done, Delivery.__table__.c.first_failed_at.type)
            ),
        }
    with Session(engine) as session, session.begin():
        marked = session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id, Delivery.claim_token == token)
            .values(status=status, **values)
        ).rowcount
        data: dict[str, Any] = {
            "notice": row.notice_key,
            "person": row.person_id,
            "channel": row.channel,
            "attempts": attempts,
        }
        if not outcome.ok:
            data["error"] = (outcome.error or "")[:500]
        if not marked:
            data["lease_lost"] = True  # taken over meanwhile: the other sender's mark stands
        events.record(
            session,
            action=action,
            object_type="delivery",
            object_id=delivery_id,
            at=done,
            data=data,
        )
    if outcome.ok:
        return DeliveryReport(sent=1)
    report = DeliveryReport(failed=1, errors=[outcome.error or ""])
    if outcome.permanent:
        report = DeliveryReport(
            failed=1, undeliverable=1, undeliverable_ids=[delivery_id], errors=[outcome.error or ""]
        )
    if emergency and marked:
        # An emergency does not wait for the backoff: the person's next channel, at once.
        fallback_id = fall_back(engine, settings, row.notice_id, row.person_id)
        if fallback_id is not None:
            report = report + DeliveryReport(fallbacks=1)
            report = report + _deliver_one(
                engine, settings, fallback_id, DeliveryStatus.PENDING, None, limit
            )
    return report


def backoff(attempts: int, *, emergency: bool = False) -> dt.timedelta:
    """When a failed row is due again: 30 s doubling per attempt, capped at an hour (five
    minutes for an emergency notice, which keeps trying until acknowledged)."""
    cap = EMERGENCY_RETRY_CAP if emergency else RETRY_CAP
    return min(dt.timedelta(seconds=30 * 2 ** max(attempts - 1, 0)), cap)


def fallback_order(session: Session, object_id: str) -> list[Channel]:
    """The incident's fallback order (its response plan's ``fallback``), or the default."""
    from models.emergency import Incident

    incident = session.get(Incident, int(object_id)) if object_id.isdigit() else None
    order = (incident.response or {}).get("fallback") if incident is not None else None
    return [Channel(c) for c in order] if order else list(DEFAULT_FALLBACK)


def fall_back(engine: Engine, settings: Settings, notice_id: int, person_id: str) -> int | None:
    """Reserve the emergency notice for ``person_id`` on the next channel of the fallback
    order that the person can be reached on and that has no delivery of this notice yet;
    return the new row's id (None when nothing is left, or the person already has it)."""
    with Session(engine) as session, session.begin():
        notice = session.get(Notice, notice_id)
        if notice is None:
            return None
        rows = session.execute(
            select(Delivery.channel, Delivery.status).where(
                Delivery.notice_key == notice.key, Delivery.person_id == person_id
            )
        ).all()
        if any(status == DeliveryStatus.SENT for _, status in rows):
            return None  # another channel already reached the person
        have = {Channel(channel) for channel, _ in rows}
        reachable = set(
            session.scalars(select(ContactPoint.channel).where(ContactPoint.person_id == person_id))
        ) & channels.configured_channels(settings)
        order = fallback_order(session, notice.object_id)
        following = [c for c in order if c in reachable and c not in have]
        if not following:
            return None
        reserve_deliveries(
            session,
            [
                PlannedNotice(
                    notice.id,
                    notice.key,
                    notice.template,
                    notice.object_type,
                    notice.object_id,
                    [person_id],
                    dict(notice.context or {}),
                )
            ],
            channels_wanted=[following[0]],
            settings=settings,
        )
        new_id = session.scalar(
            select(Delivery.id).where(
                Delivery.notice_key == notice.key,
                Delivery.person_id == person_id,
                Delivery.channel == following[0],
                Delivery.status == DeliveryStatus.PENDING,
            )
        )
        if new_id is not None:
            events.record(
                session,
                action="delivery.fallback",
                object_type=notice.object_type,
                object_id=notice.object_id,
                data={
                    "notice": notice.key,
                    "person": person_id,
                    "failed": sorted(c.value for c in have),
                    "next": following[0].value,
                },
            )
        return new_id


def _attachment(engine: Engine, file_id: int) -> channels.Attachment:
    from models.ledger import StoredFile
    from officeflow import files

    with Session(engine) as session:
        stored = session.get(StoredFile, file_id)
        if stored is None:
            raise ValueError(f"notice attachment {file_id} is not in the file store")
        return channels.Attachment(stored.filename, files.read(stored), stored.content_type)


def retry_failed(
    *,
    engine: Engine | None = None,
    settings: Settings | None = None,
    due_only: bool = False,
    stale_after: dt.timedelta | None = None,
    limit: int | None = None,
) -> DeliveryReport:
    """Send failed deliveries again, pending ones nobody sent, and rows whose sender's lease
    lapsed, at most ``limit``. (The scheduled `delivery-retry` flow is `officeflow.retry`.)"""
    return send_pending(
        None,
        engine=engine,
        settings=settings,
        include_failed=True,
        due_only=due_only,
        stale_after=stale_after,
        limit=limit,
    )
