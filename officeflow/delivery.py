"""Exactly-once delivery, as near as the world allows.

1. plan: a `Notice` row named by its business key, and one `Delivery` row per recipient and
   channel, inserted with ``ON CONFLICT DO NOTHING`` on (notice_key, person_id, channel).
2. send: each sender thread claims a small batch of rows with one conditional UPDATE (pending →
   sending), so two workers never send the same row; then sends each message over its own
   kept-open connections (`channels.Sender`) and marks it sent or failed at once. Rows of one
   person, channel and digest group go out as one message and are marked together. Rows held
   by quiet hours (a future ``next_attempt_at``) wait.
   A claim sets a lease (``lease_until``, `delivery_lease_s`), renewed while the sender works.
   A failure is transient (``failed``: retried with backoff) or permanent (``undeliverable``:
   an SMTP 5xx for the mailbox; reported at once to the duty officer and the office directors,
   `report_undeliverable`, never retried). An urgent notice (``Notice.urgent``: an emergency's,
   as its process planned it) that fails on one channel is reserved on the person's next
   channel of its fallback order (``Notice.fallback``) and sent at once.
3. the scheduled `delivery-retry` flow (`officeflow.retry`) resends due failed rows, rows held
   by quiet hours, and rows whose lease lapsed (their sender died); it gives routine notices up
   after the retry horizon, urgent ones when their process settles them (`settle`), and tells
   the duty officer when a channel has been failing too long.

The only window left is a crash between a successful send and its mark: such a row stays
``sending`` until its lease lapses, and the retry sends it again. That is the one case that
can repeat a message, bounded by the number of sender threads in flight when the process died
(measured in docs/reliability.md). A live sender is never doubled: its lease does not lapse.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from models.ledger import Delivery, DeliveryStatus, Notice
from models.org import Channel, ContactPoint, Organisation, Person, Role
from officeflow import channels, clock, events, links, ratelimit
from officeflow.db import get_engine, insert_ignore
from officeflow.duty.officers import duty_officers
from officeflow.org import office_name, people_with_role
from officeflow.settings import Settings, get_settings
from officeflow.signing import public_url
from officeflow.workdays import get_calendar
from rules import templates

RETRY_CAP = dt.timedelta(hours=1)
URGENT_RETRY_CAP = dt.timedelta(minutes=5)
# The fallback order of an urgent notice that names none: every channel, most personal first.
DEFAULT_FALLBACK = (
    Channel.EMAIL,
    Channel.SMS,
    Channel.DINGTALK_DM,
    Channel.WECOM_DM,
    Channel.FEISHU_DM,
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
    fallbacks: int = 0  # urgent rows reserved on a next channel after a failure

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
    # Rows with the same digest group, person and channel go out as one message (a sweep's
    # reminders), where the office and the person want digests. None: a message of its own.
    digest: str | None = None
    # Urgent notices (an emergency's) ignore quiet hours; routine ones planned outside office
    # hours wait for the next working morning, where the office and the person want that.
    urgent: bool = False


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
    digest: str | None = None,
    urgent: bool = False,
    fallback: Sequence[Channel] | None = None,
    settled: str | None = None,
) -> PlanResult:
    """Reserve the notice and its deliveries. Re-planning the same key adds only what is missing.

    ``invite`` is an iCalendar text (METHOD:REQUEST or CANCEL): email deliveries carry it as a
    real invitation, chat deliveries send the text alone. ``digest`` names a digest group (see
    `PlannedNotice`). An ``urgent`` notice (an emergency's) ignores quiet hours, is retried
    within minutes, falls back at once to the person's next channel of ``fallback`` (default
    `DEFAULT_FALLBACK`) when one fails, and is retried past the retry horizon until its process
    settles it (`settle`; ``settled`` when it is already: its failures are not retried)."""
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
            urgent=urgent,
            fallback=[Channel(c).value for c in fallback] if fallback else None,
            settled=settled,
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
                notice_id,
                key,
                template,
                object_type,
                str(object_id),
                list(recipients),
                context,
                digest=digest,
                urgent=urgent,
            )
        ],
        channels_wanted=channels_wanted,
        settings=settings,
    )
    reserved = (session.scalar(count) or 0) - before
    return PlanResult(key, max(reserved, 0), unreachable.get(key, []))


@dataclass(frozen=True)
class NoticeSpec:
    """One notice for `plan_notices`: `plan_notice`'s arguments."""

    key: str
    template: str
    object_type: str
    object_id: str | int
    recipients: Sequence[str]
    context: dict[str, Any] = field(default_factory=dict)
    urgent: bool = False


def plan_notices(session: Session, specs: Sequence[NoticeSpec]) -> list[str]:
    """`plan_notice` for many notices at once (a decision's assignments): the notices in one
    INSERT, their deliveries rendered and reserved in one pass. Re-planning adds only what is
    missing. Returns the keys."""
    if not specs:
        return []
    now = clock.now()
    contexts = {s.key: _jsonable(dict(s.context)) for s in specs}
    session.flush()
    session.connection().execute(
        insert_ignore(session, Notice.__table__),
        [
            {
                "key": s.key,
                "template": s.template,
                "object_type": s.object_type,
                "object_id": str(s.object_id),
                "context": contexts[s.key],
                "created_at": now,
                "urgent": s.urgent,
            }
            for s in specs
        ],
    )
    ids: dict[str, int] = {
        key: id_
        for key, id_ in session.execute(
            select(Notice.key, Notice.id).where(Notice.key.in_(list(contexts)))
        )
    }
    reserve_deliveries(
        session,
        [
            PlannedNotice(
                ids[s.key],
                s.key,
                s.template,
                s.object_type,
                str(s.object_id),
                list(s.recipients),
                dict(s.context),
                urgent=s.urgent,
            )
            for s in specs
        ],
    )
    return [s.key for s in specs]


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
    policy = notification_policy(session, settings)
    opening = (
        get_calendar(settings).next_opening(now) if any(not n.urgent for n in notices) else None
    )
    override = str(settings.templates_dir) if settings.templates_dir else None
    rows: list[dict[str, Any]] = []
    unreachable: dict[str, list[str]] = {}

    def row(
        notice: PlannedNotice,
        person: Person,
        channel: Channel,
        address: str,
        name: str,
        digest: str | None,
        not_before: dt.datetime | None,
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
            "digest": digest,
            "next_attempt_at": not_before,  # quiet hours: not before this
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
            wants = {**policy, **(person.preferences or {})}
            digest = notice.digest if notice.digest and wants["digest"] else None
            not_before = opening if not notice.urgent and wants["quiet_hours"] else None
            reach = channels.choose_reach(by_person.get(person_id, []), notice.template)
            if not reach:
                unreachable.setdefault(notice.key, []).append(person_id)
            for channel, address in sorted(reach):
                if broadcast and channel in channels.ROBOTS:
                    groups.setdefault(channel, []).append((person_id, address))
                else:
                    rows.append(
                        row(notice, person, channel, address, person.name, digest, not_before)
                    )
        for channel, members in groups.items():
            for ids, addresses in channels.mention_groups(members):
                names = "、".join(people[p].name for p in ids)
                first = people[ids[0]]
                rows.append(row(notice, first, channel, addresses, names, None, None))
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


def notification_policy(session: Session, settings: Settings) -> dict[str, bool]:
    """The office's digest and quiet-hours choices: the org file's ``notifications:``, else the
    settings. A person's ``preferences:`` (same names) override them per person."""
    meta = session.get(Organisation, 1)
    chosen = (meta.notifications if meta is not None else None) or {}
    return {
        "digest": bool(chosen.get("digests", settings.digests)),
        "quiet_hours": bool(chosen.get("quiet_hours", settings.quiet_hours)),
    }


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

    A pending row held by quiet hours (``next_attempt_at`` in the future) waits. Rows of one
    person and channel in the same digest group go out as one message. Each sender thread keeps
    its connections (`channels.Sender`: one SMTP session, one HTTP session) for all its
    messages, and gives them back for the process's next run (`Sender.pooled`); it claims and
    marks its rows a batch at a time.

    ``include_failed`` (the retry) also takes failed rows (due ones with ``due_only``) and rows
    left in ``sending`` whose lease has lapsed. ``stale_after`` is the operator's override for
    a sender known to be dead: rows claimed longer ago than that are taken even if their lease
    still runs (such a row may have gone out just before the crash)."""
    settings = settings or get_settings()
    engine = engine or get_engine()
    now = clock.now()
    due = or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now)
    condition = and_(Delivery.status == DeliveryStatus.PENDING, due)
    if include_failed:
        failed = Delivery.status == DeliveryStatus.FAILED
        if due_only:
            failed = and_(failed, due)
        condition = or_(condition, failed, lease_lapsed(now, settings))
    if stale_after is not None:
        condition = or_(
            condition,
            and_(
                Delivery.status == DeliveryStatus.SENDING, Delivery.claimed_at < now - stale_after
            ),
        )
    stmt = (
        select(Delivery.id, Delivery.person_id, Delivery.channel, Delivery.digest)
        .where(condition)
        .order_by(Delivery.id)
    )
    if keys is not None:
        if not keys:
            return DeliveryReport()
        stmt = stmt.where(Delivery.notice_key.in_(list(keys)))
    with engine.connect() as conn:
        todo = conn.execute(stmt).all()
    remaining = 0
    if limit is not None and len(todo) > limit:
        todo, remaining = todo[:limit], len(todo) - limit
    if not todo:
        return DeliveryReport(remaining=remaining)

    smtp_limit = ratelimit.smtp_limit(settings)  # here: a flow run's context is not in threads
    linker = links.Linker(settings)  # the key and the public URL, read once for the run
    units = _units(todo)
    workers = min(settings.delivery_concurrency, len(units))
    batches = queue.SimpleQueue[list[list[int]]]()
    for batch in _batches(units, workers):
        batches.put(batch)

    def work() -> DeliveryReport:
        report = DeliveryReport()
        sender = channels.Sender.pooled(settings)  # its sessions kept from the last run
        try:
            while True:
                try:
                    batch = batches.get_nowait()
                except queue.Empty:
                    sender.release()
                    return report
                report = report + _deliver_batch(
                    engine, settings, sender, writer, batch, condition, smtp_limit, linker
                )
        except BaseException:
            sender.close()
            raise

    report = DeliveryReport(remaining=remaining)
    if workers == 1:  # one sender: it claims and marks in its own transactions, here
        writer: _Writer | _DirectWriter = _DirectWriter(engine, settings.delivery_lease_s)
        try:
            report = report + work()
        finally:
            writer.close()
    else:
        writer = _Writer(engine, settings.delivery_lease_s)
        try:
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="deliver") as pool:
                for outcome in [pool.submit(work) for _ in range(workers)]:
                    report = report + outcome.result()
        finally:
            writer.close()
    if report.undeliverable_ids:  # the report is a notice: planned and sent like any
        report = report + report_undeliverable(report.undeliverable_ids, engine, settings)
    return report


def _units(todo: Sequence[Any]) -> list[list[int]]:
    """Rows that go out as one message: a digest group's rows of one person and channel
    together, every other row alone; in the order of their first row."""
    units: list[list[int]] = []
    groups: dict[tuple[str, str, str], list[int]] = {}
    for row in todo:
        if row.digest is None:
            units.append([row.id])
            continue
        group = (row.person_id, str(row.channel), row.digest)
        if group not in groups:
            groups[group] = []
            units.append(groups[group])
        groups[group].append(row.id)
    return units


def _batches(units: list[list[int]], workers: int) -> Iterable[list[list[int]]]:
    """Units in batches of about BATCH rows, small enough that every worker gets some."""
    rows = sum(len(u) for u in units)
    size = max(1, min(BATCH, -(-rows // (2 * workers))))
    batch: list[list[int]] = []
    count = 0
    for unit in units:
        batch.append(unit)
        count += len(unit)
        if count >= size:
            yield batch
            batch, count = [], 0
    if batch:
        yield batch


BATCH = 16  # rows claimed by one UPDATE (each message is marked as soon as it is sent)


@dataclass
class _Sent:
    """What became of one claimed row."""

    row: Any
    attempts: int
    outcome: channels.Outcome
    digest: str | None = None
    urgent: bool = False  # an urgent notice's row: shorter backoff, and a fallback channel


def _claim(
    conn: Connection, ids: list[int], condition: Any, token: str, lease_s: float
) -> tuple[list[Any], dict[int, Any], dict[str, str]]:
    """Claim the still-claimable rows of ``ids`` (pending → sending) in one UPDATE, with a
    lease of ``lease_s``; return them, their notices' extras, and the names of people with a
    digest among them."""
    now = clock.now()
    # Lock the still-claimable rows first, in id order, skipping rows another sender's claim
    # holds (PostgreSQL): two claims over overlapping rows then never wait on each other, nor
    # deadlock. SQLite has one writer, whose transaction holds the whole ledger: nothing to lock.
    if conn.dialect.name != "sqlite":
        ids = list(
            conn.scalars(
                select(Delivery.id)
                .where(Delivery.id.in_(ids), condition)
                .order_by(Delivery.id)
                .with_for_update(skip_locked=True)
            )
        )
        if not ids:
            return [], {}, {}
    rows = conn.execute(
        update(Delivery)
        .where(Delivery.id.in_(ids), condition)
        .values(
            status=DeliveryStatus.SENDING,
            claim_token=token,
            claimed_at=now,
            lease_until=now + dt.timedelta(seconds=lease_s),
        )
        .returning(
            Delivery.id,
            Delivery.channel,
            Delivery.address,
            Delivery.subject,
            Delivery.body,
            Delivery.attempts,
            Delivery.notice_key,
            Delivery.person_id,
            Delivery.notice_id,
            Delivery.digest,
        )
    ).all()
    if not rows:
        return [], {}, {}
    extras = {
        n.id: n
        for n in conn.execute(
            select(
                Notice.id,
                Notice.invite,
                Notice.attachment_id,
                Notice.object_type,
                Notice.object_id,
                Notice.urgent,
            ).where(Notice.id.in_({r.notice_id for r in rows}))
        )
    }
    digest_people = {r.person_id for r in rows if r.digest is not None}
    names = (
        dict(conn.execute(select(Person.id, Person.name).where(Person.id.in_(digest_people))).all())
        if digest_people
        else {}
    )
    return rows, extras, names


def _status(d: _Sent) -> DeliveryStatus:
    if d.outcome.ok:
        return DeliveryStatus.SENT
    return DeliveryStatus.UNDELIVERABLE if d.outcome.permanent else DeliveryStatus.FAILED


def _mark_values(token: str, d: _Sent, at: dt.datetime) -> dict[str, Any]:
    status = _status(d)
    values = {
        "b_id": d.row.id,
        "b_token": token,
        "b_status": status,
        "b_attempts": d.attempts,
        "b_sent": None,
        "b_error": d.outcome.error,
        "b_next": None,
        "b_failed": None,  # first_failed_at: kept when set, else this
    }
    if status is DeliveryStatus.SENT:
        values |= {"b_sent": at, "b_error": None}
    elif status is DeliveryStatus.FAILED:  # transient: due again after the backoff
        values |= {"b_next": at + backoff(d.attempts, urgent=d.urgent), "b_failed": at}
    else:  # undeliverable: never retried, reported at once
        values |= {"b_failed": at}
    return values


def _mark(conn: Connection, marks: list[tuple[str, list[_Sent]]]) -> None:
    """Mark sent or failed the rows of the given messages, each under its claim token (rows
    whose claim was taken over meanwhile are left alone), and record one event per row: one
    transaction for all of them."""
    at = clock.now()
    params = [_mark_values(token, d, at) for token, done in marks for d in done]
    conn.execute(_MARK, params)
    events.record_many(
        conn,
        [
            {
                "action": f"delivery.{_status(d).value}",
                "object_type": "delivery",
                "object_id": d.row.id,
                "at": at,
                "data": {
                    "notice": d.row.notice_key,
                    "person": d.row.person_id,
                    "channel": d.row.channel,
                    "attempts": d.attempts,
                    **({"digest": d.digest} if d.digest else {}),
                    **({"error": (d.outcome.error or "")[:500]} if not d.outcome.ok else {}),
                },
            }
            for _token, done in marks
            for d in done
        ],
    )


_TABLE = Delivery.__table__
# One prepared statement for every mark (its compiled form is cached).
_MARK = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("b_id"), _TABLE.c.claim_token == bindparam("b_token"))
    .values(
        status=bindparam("b_status"),
        attempts=bindparam("b_attempts"),
        sent_at=bindparam("b_sent"),
        last_error=bindparam("b_error"),
        next_attempt_at=bindparam("b_next"),
        first_failed_at=func.coalesce(
            _TABLE.c.first_failed_at,
            bindparam("b_failed", type_=_TABLE.c.first_failed_at.type),
        ),
        claim_token=None,
        lease_until=None,
    )
)


class _Writer:
    """Every claim and mark of one `send_pending` run goes through one thread, which commits
    whatever is waiting in one transaction (group commit). Each sender waits for its own
    request: a message is marked before its sender claims or sends anything else, so at most
    one message per sender is ever sent and unmarked. Dozens of senders then share a few
    transactions instead of each waiting for the ledger's write lock in turn."""

    def __init__(self, engine: Engine, lease_s: float) -> None:
        self.engine = engine
        self.lease_s = lease_s
        self.waiting: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, name="deliver-ledger", daemon=True)
        self.thread.start()

    def claim(
        self, ids: list[int], condition: Any, token: str
    ) -> tuple[list[Any], dict[int, Any], dict[str, str]]:
        return self._ask(("claim", ids, condition, token, self.lease_s))  # type: ignore[no-any-return]

    def mark(self, token: str, done: list[_Sent]) -> None:
        self._ask(("mark", token, done))

    def _ask(self, request: tuple[Any, ...]) -> Any:
        slot: dict[str, Any] = {"done": threading.Event()}
        self.waiting.put((request, slot))
        slot["done"].wait()
        if "error" in slot:
            raise slot["error"]
        return slot.get("result")

    def close(self) -> None:
        self.waiting.put(None)
        self.thread.join()

    def _run(self) -> None:
        stop = False
        while not stop:
            first = self.waiting.get()
            if first is None:
                return
            group = [first]
            while True:
                try:
                    item = self.waiting.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                group.append(item)
            try:
                with self.engine.begin() as conn:
                    marks = [(r[1], r[2]) for r, _ in group if r[0] == "mark"]
                    if marks:
                        _mark(conn, marks)
                    for request, slot in group:
                        if request[0] == "claim":
                            slot["result"] = _claim(conn, *request[1:])
            except BaseException as exc:  # every waiting sender sees the ledger's error
                for _, slot in group:
                    slot["error"] = exc
            for _, slot in group:
                slot["done"].set()


class _DirectWriter:
    """`_Writer`'s claims and marks for a run with a single sender: each in its own
    transaction, in the sender's thread (nothing to group, no thread to hand over to), on one
    connection held for the run."""

    def __init__(self, engine: Engine, lease_s: float) -> None:
        self.conn = engine.connect()
        self.lease_s = lease_s

    def claim(
        self, ids: list[int], condition: Any, token: str
    ) -> tuple[list[Any], dict[int, Any], dict[str, str]]:
        with self.conn.begin():
            return _claim(self.conn, ids, condition, token, self.lease_s)

    def mark(self, token: str, done: list[_Sent]) -> None:
        with self.conn.begin():
            _mark(self.conn, [(token, done)])

    def close(self) -> None:
        self.conn.close()


def _deliver_batch(
    engine: Engine,
    settings: Settings,
    sender: channels.Sender,
    writer: _Writer | _DirectWriter,
    units: list[list[int]],
    condition: Any,
    limit: str | None,
    linker: links.Linker,
) -> DeliveryReport:
    token = uuid.uuid4().hex
    ids = [i for unit in units for i in unit]
    rows, extras, names = writer.claim(ids, condition, token)
    report = DeliveryReport(claimed_elsewhere=len(ids) - len(rows))
    if not rows:
        return report
    by_id = {r.id: r for r in rows}
    renewed_at = time.monotonic()
    for unit in units:
        claimed = [by_id[i] for i in unit if i in by_id]
        if not claimed:
            continue
        # Keep the lease ahead of each message (after slow sends, a backoff or a rate-limit
        # wait). Rows whose lease lapsed and were taken over are someone else's now: skipped.
        if time.monotonic() - renewed_at > settings.delivery_lease_s / 4:
            kept = _renew(engine, settings, [r.id for r in claimed], token)
            renewed_at = time.monotonic()
            report.claimed_elsewhere += len(claimed) - len(kept)
            claimed = [r for r in claimed if r.id in kept]
            if not claimed:
                continue
        if len(claimed) > 1:  # a digest: one message for all of them
            done = _send_digest(engine, settings, sender, claimed, extras, names, limit, linker)
        else:
            done = [_send_row(engine, settings, sender, claimed[0], extras, limit, linker)]
        # Marked at once, message by message (group-committed with other senders' marks): a
        # crash between a server's 250 and this mark can repeat at most the messages in
        # flight, one per sender thread, never a batch.
        writer.mark(token, done)
        for d in done:
            if d.outcome.ok:
                report.sent += 1
                continue
            report.failed += 1
            report.errors.append(d.outcome.error or "")
            if d.outcome.permanent:
                report.undeliverable += 1
                report.undeliverable_ids.append(d.row.id)
            if d.urgent:
                # An urgent notice does not wait for the backoff: the person's next channel, now.
                fallback_id = fall_back(engine, settings, d.row.notice_id, d.row.person_id)
                if fallback_id is not None:
                    report.fallbacks += 1
                    report = report + _deliver_batch(
                        engine,
                        settings,
                        sender,
                        writer,
                        [[fallback_id]],
                        Delivery.status == DeliveryStatus.PENDING,
                        limit,
                        linker,
                    )
    return report


def _renew(engine: Engine, settings: Settings, ids: list[int], token: str) -> set[int]:
    """Extend this sender's lease on ``ids``; return the rows it still holds (a row whose
    lease lapsed may have been taken over by the retry: this sender must not send it)."""
    until = clock.now() + dt.timedelta(seconds=settings.delivery_lease_s)
    with engine.begin() as conn:
        conn.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids), Delivery.claim_token == token)
            .values(lease_until=until)
        )
        return set(
            conn.scalars(
                select(Delivery.id).where(Delivery.id.in_(ids), Delivery.claim_token == token)
            )
        )


def _target(row: Any, extras: dict[int, Any]) -> links.LinkTarget:
    extra = extras.get(row.notice_id)
    return links.LinkTarget(
        row.person_id,
        row.notice_key,
        extra.object_type if extra is not None else "",
        extra.object_id if extra is not None else "",
    )


def _attempt(
    settings: Settings,
    sender: channels.Sender,
    channel: Channel,
    address: str,
    subject: str,
    body: str,
    *,
    key: str,
    limit: str | None,
    items: Sequence[str] = (),
    invite: str | None = None,
    attachment: channels.Attachment | None = None,
    links: Sequence[str] = (),
) -> tuple[int, channels.Outcome]:
    """Up to ``delivery_attempts`` tries of one message, with backoff; (tries, last outcome)."""
    outcome = channels.Outcome(False, "not tried")
    tries = 0
    for i in range(settings.delivery_attempts):
        tries += 1
        if channel == Channel.EMAIL:
            ratelimit.take_slot(limit)  # waits for the `smtp` rate limit, when there is one
        outcome = sender.send(
            channel,
            address,
            subject,
            body,
            key=key,
            items=items,
            invite=invite,
            attachment=attachment,
            links=links,
        )
        if outcome.ok or outcome.permanent:
            break
        if i + 1 < settings.delivery_attempts:
            time.sleep(settings.delivery_backoff_s * 2**i)
    return tries, outcome


def _send_row(
    engine: Engine,
    settings: Settings,
    sender: channels.Sender,
    row: Any,
    extras: dict[int, Any],
    limit: str | None,
    linker: links.Linker,
) -> _Sent:
    extra = extras.get(row.notice_id)
    urgent = extra is not None and bool(extra.urgent)
    invite = extra.invite if extra is not None else None
    attachment = None
    if extra is not None and extra.attachment_id is not None and row.channel == Channel.EMAIL:
        try:
            attachment = _attachment(engine, extra.attachment_id)
        except (OSError, ValueError) as exc:  # lost or altered on disk: a failed delivery
            # never a mail without its file; retried like any failure
            error = f"email: attachment unavailable: {type(exc).__name__}: {exc}"
            return _Sent(row, row.attempts + 1, channels.Outcome(False, error), urgent=urgent)

    # Each recipient's own signed action links, minted now: never stored in the ledger.
    target = _target(row, extras)
    tries, outcome = _attempt(
        settings,
        sender,
        Channel(row.channel),
        row.address,
        linker.expand(row.subject, target),
        linker.expand(row.body, target),
        key=row.notice_key,
        limit=limit,
        invite=invite,
        attachment=attachment,
        # A chat card's button comes from the notice's own markers, never from its text.
        links=linker.urls(row.body, target),
    )
    return _Sent(row, row.attempts + tries, outcome, urgent=urgent)


def _send_digest(
    engine: Engine,
    settings: Settings,
    sender: channels.Sender,
    rows: list[Any],
    extras: dict[int, Any],
    names: dict[str, str],
    limit: str | None,
    linker: links.Linker,
) -> list[_Sent]:
    """One message listing every row's item, each with its own links expanded for the person
    (templates/<locale>/digest.j2); the outcome is every row's outcome."""
    first = rows[0]
    items, signed = [], []
    for row in rows:
        target = _target(row, extras)
        signed += linker.urls(row.body, target)
        items.append(
            {
                "subject": linker.expand(row.subject, target),
                "body": linker.expand(row.body, target),
                "key": row.notice_key,
            }
        )
    try:
        with Session(engine) as session:
            office = office_name(session)
        rendered = templates.render(
            "digest",
            {
                "items": items,
                "recipient": {"id": first.person_id, "name": names.get(first.person_id, "")},
                "channel": str(first.channel),
                "office": office,
                "tz": settings.timezone,
                "sent_at": clock.now(),
            },
            locale=settings.locale,
            override_dir=str(settings.templates_dir) if settings.templates_dir else None,
        )
    except Exception as exc:  # a broken template override: the rows fail, with the cause
        error = channels.scrub(f"digest: {type(exc).__name__}: {exc}", settings)[:2000]
        return [
            _Sent(r, r.attempts + 1, channels.Outcome(False, error), first.digest) for r in rows
        ]
    tries, outcome = _attempt(
        settings,
        sender,
        Channel(first.channel),
        first.address,
        rendered.subject[:500],
        rendered.body,
        key=first.digest,
        limit=limit,
        items=[r.notice_key for r in rows],
        links=signed,
    )
    return [_Sent(r, r.attempts + tries, outcome, first.digest) for r in rows]


def backoff(attempts: int, *, urgent: bool = False) -> dt.timedelta:
    """When a failed row is due again: 30 s doubling per attempt, capped at an hour (five
    minutes for an urgent notice, which keeps trying until its process settles it)."""
    cap = URGENT_RETRY_CAP if urgent else RETRY_CAP
    return min(dt.timedelta(seconds=30 * 2 ** max(attempts - 1, 0)), cap)


def fallback_order(notice: Notice) -> list[Channel]:
    """The notice's fallback order (as its process planned it), or the default."""
    return [Channel(c) for c in notice.fallback] if notice.fallback else list(DEFAULT_FALLBACK)


def settle(session: Session, *, object_type: str, object_id: str | int, reason: str) -> int:
    """The notices about an object are no longer needed (``reason``: an emergency acknowledged
    or closed): their failed deliveries are not retried any more. The scheduled retry marks
    them undeliverable (``not retried: <reason>``) and records it, without reporting them.
    Called by the process that owns the object; returns the number of notices settled."""
    return session.execute(
        update(Notice)
        .where(Notice.object_type == object_type, Notice.object_id == str(object_id))
        .values(settled=reason)
    ).rowcount


def fall_back(engine: Engine, settings: Settings, notice_id: int, person_id: str) -> int | None:
    """Reserve the urgent notice for ``person_id`` on the next channel of the fallback
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
        order = fallback_order(notice)
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
                    urgent=notice.urgent,
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


# --- telling the office what could not be delivered ------------------------------------------
#
# Notices about deliveries are not themselves reported when they fail (no report loops).
REPORT_PREFIXES = ("undeliverable:", "channel-down:")


def board_url(settings: Settings) -> str:
    """The office's board, whose 投递问题 table lists these rows (sign-in required)."""
    return public_url(settings) + "/board#deliveries"


def officers(session: Session) -> list[str]:
    """Who hears about deliveries that failed: the duty officer (值班's declared service,
    `officeflow.duty.officers`) and the office directors."""
    return list(
        dict.fromkeys(duty_officers(session) + people_with_role(session, Role.OFFICE_DIRECTOR))
    )


def report_undeliverable(
    ids: list[int], engine: Engine | None = None, settings: Settings | None = None
) -> DeliveryReport:
    """Tell the duty officer and the office directors, at once, which deliveries will not be
    made: each person, channel and cause. One notice per batch; reports are not reported."""
    settings = settings or get_settings()
    engine = engine or get_engine()
    with Session(engine) as session, session.begin():
        rows = session.execute(
            select(
                Delivery.id,
                Delivery.notice_key,
                Delivery.channel,
                Delivery.address,
                Delivery.last_error,
                Person.id.label("person_id"),
                Person.name,
            )
            .join(Person, Person.id == Delivery.person_id)
            .where(Delivery.id.in_(sorted(ids)[:500]))
            .order_by(Delivery.id)
        ).all()
        items: list[dict[str, Any]] = [
            {
                "person": r.person_id,
                "name": r.name,
                "channel": Channel(r.channel).value,
                "address": r.address,
                "notice": r.notice_key,
                "error": (r.last_error or "")[:300],
            }
            for r in rows
            if not r.notice_key.startswith(REPORT_PREFIXES)
        ]
        if not items:
            return DeliveryReport()
        key = f"undeliverable:{rows[0].id}"
        plan_notice(
            session,
            key=key,
            template="delivery_undeliverable",
            object_type="delivery",
            object_id=rows[0].id,
            recipients=officers(session),
            settings=settings,
            context={"items": items, "count": len(items), "board_url": board_url(settings)},
        )
    # The report's own outcome is not the caller's (its rows are in the ledger like any).
    send_pending([key], engine=engine, settings=settings)
    return DeliveryReport()


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
