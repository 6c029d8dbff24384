"""Exactly-once delivery, as near as the world allows.

1. plan: a `Notice` row named by its business key, and one `Delivery` row per recipient and
   channel, inserted with ``ON CONFLICT DO NOTHING`` on (notice_key, person_id, channel).
2. send: each sender thread claims one row at a time with a conditional UPDATE (pending →
   sending), so two workers never send the same row; then sends, then marks it sent or failed.
3. failed rows are retried later with backoff, by `retry_failed` or the next sweep.

The only window left is a crash between a successful send and its mark: such a row stays
``sending``. `retry_failed(stale_after=...)` treats rows stuck in ``sending`` as not sent and
sends them again; that is the one case that can repeat a message, and it is bounded by the
number of sender threads in flight when the process died.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, and_, func, or_, select, update
from sqlalchemy.orm import Session

from models.ledger import Delivery, DeliveryStatus, Notice
from models.org import Channel, ContactPoint, Person
from officeflow import channels, clock, events, links, ratelimit
from officeflow.db import get_engine, insert_ignore
from officeflow.org import office_name
from officeflow.settings import Settings, get_settings
from rules import templates

RETRY_CAP = dt.timedelta(hours=1)


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    claimed_elsewhere: int = 0
    errors: list[str] = field(default_factory=list)
    remaining: int = 0  # due rows left for a later run (over ``limit``)

    def __add__(self, other: DeliveryReport) -> DeliveryReport:
        return DeliveryReport(
            self.sent + other.sent,
            self.failed + other.failed,
            self.claimed_elsewhere + other.claimed_elsewhere,
            self.errors + other.errors,
            self.remaining + other.remaining,
        )


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
    most that many rows (oldest first); the report counts the rest in ``remaining``."""
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
        condition = or_(condition, failed)
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
    return report


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
    claimable = [Delivery.id == delivery_id, Delivery.status == expected]
    if expected is DeliveryStatus.SENDING:
        claimable.append(Delivery.claimed_at < stale_before)
    with engine.begin() as conn:
        row = conn.execute(
            update(Delivery)
            .where(*claimable)
            .values(status=DeliveryStatus.SENDING, claim_token=token, claimed_at=now)
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
        attempts += 1
        if row.channel == Channel.EMAIL:
            ratelimit.take_slot(limit)  # waits for the `smtp` rate limit, when there is one
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
        if outcome.ok:
            break
        if i + 1 < settings.delivery_attempts:
            time.sleep(settings.delivery_backoff_s * 2**i)

    done = clock.now()
    values: dict[str, Any] = {"attempts": attempts, "claim_token": None}
    if outcome.ok:
        values |= {
            "status": DeliveryStatus.SENT,
            "sent_at": done,
            "last_error": None,
            "next_attempt_at": None,
        }
    else:
        wait = min(dt.timedelta(seconds=30 * 2 ** max(attempts - 1, 0)), RETRY_CAP)
        values |= {
            "status": DeliveryStatus.FAILED,
            "last_error": outcome.error,
            "next_attempt_at": done + wait,
        }
    with Session(engine) as session, session.begin():
        session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id, Delivery.claim_token == token)
            .values(**values)
        )
        events.record(
            session,
            action="delivery.sent" if outcome.ok else "delivery.failed",
            object_type="delivery",
            object_id=delivery_id,
            at=done,
            data={
                "notice": row.notice_key,
                "person": row.person_id,
                "channel": row.channel,
                "attempts": attempts,
            },
        )
    if outcome.ok:
        return DeliveryReport(sent=1)
    return DeliveryReport(failed=1, errors=[outcome.error or ""])


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
    """Send failed deliveries again (and pending ones nobody sent), at most ``limit``."""
    return send_pending(
        None,
        engine=engine,
        settings=settings,
        include_failed=True,
        due_only=due_only,
        stale_after=stale_after,
        limit=limit,
    )
