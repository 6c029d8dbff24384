"""The supervision sweep (督查): light every open assignment and reserve the reminders it is
owed, in a handful of set-based statements, not one task or query per row.

The statements compute, for all rows at once, exactly what `rules.supervision.assess` computes
for one (tests/test_supervision_lights.py holds them together):

1. A temporary calendar table maps each day of the span to its working-day index, so working
   days elapsed and remaining are plain integer arithmetic in SQL.
2. One pass computes every light into a temporary table; one UPDATE sets the lights that changed.
3. One INSERT … SELECT … ON CONFLICT DO NOTHING reserves a notice per assignment, light and
   period; the unique notice key is the guard that two concurrent sweeps send each reminder
   once. Red notices newly reserved bump the assignment's escalation count.
4. Deliveries for the newly reserved notices are rendered and reserved in bulk.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import (
    Column,
    Connection,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from models.common import FIRST_YEAR, LAST_YEAR, SweepResult
from models.ledger import Notice
from models.supervision import Assignment, AssignmentStatus, Light
from officeflow import clock, events
from officeflow.db import get_engine, insert_ignore
from officeflow.delivery import PlannedNotice, reserve_deliveries
from officeflow.inputs import input_error
from officeflow.supervision.notices import assignment_context, reminder_recipients
from officeflow.workdays import get_calendar
from rules.calendar import WorkCalendar
from rules.supervision import FEEDBACK_WINDOW_DAYS, PACE_GAP_POINTS, is_sweep_day, iso_week

PROCESS = "supervision"

_meta = MetaData()
# Per-connection temporary tables, created on demand by each sweep.
sweep_calendar = Table(
    "sweep_calendar",
    _meta,
    Column("day", Date, primary_key=True),
    Column("idx", Integer, nullable=False),
    prefixes=["TEMPORARY"],
)
sweep_lights = Table(
    "sweep_lights",
    _meta,
    Column("id", Integer, primary_key=True),
    Column("light", String(16), nullable=False),
    Column("due_idx", Integer, nullable=False),
    prefixes=["TEMPORARY"],
)
sweep_red = Table(
    "sweep_red", _meta, Column("id", Integer, primary_key=True), prefixes=["TEMPORARY"]
)


def _fill_calendar(conn: Connection, calendar: WorkCalendar, start: dt.date, end: dt.date) -> None:
    sweep_calendar.create(conn, checkfirst=True)
    conn.execute(sweep_calendar.delete())
    rows, idx, day = [], 0, start
    while day <= end:
        if calendar.is_workday(day):
            idx += 1
        rows.append({"day": day, "idx": idx})
        day += dt.timedelta(days=1)
    conn.execute(sweep_calendar.insert(), rows)


def _at_least_zero(value: object) -> object:
    return case((value < 0, 0), else_=value)  # type: ignore[operator]


def classify_and_select(
    conn: Connection,
    *,
    now: dt.datetime,
    calendar: WorkCalendar,
    remind_before_workdays: int = 3,
    red_repeat_workdays: int = 1,
) -> tuple[int, list[tuple[int, str, str]]]:
    """Steps 1–3 on one connection (inside the caller's transaction). Returns the number of
    lights changed and the notices newly reserved as (assignment id, light, key)."""
    today = calendar.local_date(now)
    span = conn.execute(
        select(func.min(Assignment.issued_on), func.max(Assignment.due_on)).where(
            Assignment.status != AssignmentStatus.CLOSED
        )
    ).one()
    if span[0] is None:
        return 0, []
    start = min(span[0], today) - dt.timedelta(days=1)
    end = max(span[1], today) + dt.timedelta(days=1)
    _fill_calendar(conn, calendar, start, end)
    today_idx = conn.execute(
        select(sweep_calendar.c.idx).where(sweep_calendar.c.day == today)
    ).scalar_one()
    blue_until = calendar.add_workdays(today, remind_before_workdays)

    # rules.supervision.planned_progress: full working days completed since the issue day, as
    # a share of the working days allowed, at most 100.
    ci, cd = sweep_calendar.alias("ci"), sweep_calendar.alias("cd")
    span_days = cd.c.idx - ci.c.idx
    elapsed = literal(today_idx) - ci.c.idx - 1
    pace = (100 * _at_least_zero(elapsed)) // case((span_days < 1, 1), else_=span_days)
    planned = case((pace > 100, 100), else_=pace)
    # rules.supervision.feedback_overdue
    last_heard = func.coalesce(Assignment.last_feedback_at, Assignment.issued_at)
    feedback_late = or_(
        *(
            and_(Assignment.report_cycle == cycle, last_heard < now - dt.timedelta(days=days))
            for cycle, days in FEEDBACK_WINDOW_DAYS.items()
        )
    )
    # rules.supervision.classify
    light = case(
        (Assignment.due_at < now, Light.RED.value),
        (or_(planned - Assignment.progress >= PACE_GAP_POINTS, feedback_late), Light.YELLOW.value),
        (Assignment.due_on <= blue_until, Light.BLUE.value),
        else_=Light.GREEN.value,
    )
    sweep_lights.create(conn, checkfirst=True)
    conn.execute(sweep_lights.delete())
    conn.execute(
        sweep_lights.insert().from_select(
            ["id", "light", "due_idx"],
            select(Assignment.id, light, cd.c.idx)
            .join(ci, ci.c.day == Assignment.issued_on)
            .join(cd, cd.c.day == Assignment.due_on)
            .where(Assignment.status != AssignmentStatus.CLOSED),
        )
    )
    sl = sweep_lights
    changed = conn.execute(
        update(Assignment)
        .where(Assignment.id == sl.c.id, Assignment.light != sl.c.light)
        .values(light=sl.c.light)
        .execution_options(synchronize_session=False)
    ).rowcount

    # One reminder per assignment, light and period (rules.supervision.assess).
    red_period = cast(
        _at_least_zero(literal(today_idx) - sl.c.due_idx - 1) // max(red_repeat_workdays, 1),
        String,
    )
    prefix = literal("assignment:") + cast(sl.c.id, String) + literal(":")
    key = case(
        (
            sl.c.light == Light.RED.value,
            prefix + literal("red:") + cast(Assignment.due_on, String) + literal(":") + red_period,
        ),
        (sl.c.light == Light.YELLOW.value, prefix + literal(f"yellow:{iso_week(today)}")),
        else_=prefix + literal("blue:") + cast(Assignment.due_on, String),
    )
    due = (
        select(
            key.label("key"),
            literal("assignment_reminder").label("template"),
            literal("assignment").label("object_type"),
            cast(sl.c.id, String).label("object_id"),
            literal({}, type_=Notice.__table__.c.context.type).label("context"),
            literal(now, type_=Notice.__table__.c.created_at.type).label("created_at"),
        )
        .select_from(sl.join(Assignment, Assignment.id == sl.c.id))
        .where(
            Assignment.status == AssignmentStatus.OPEN,
            sl.c.light.in_([Light.BLUE.value, Light.YELLOW.value, Light.RED.value]),
        )
    )
    inserted = conn.execute(
        insert_ignore(conn, Notice.__table__)
        .from_select(["key", "template", "object_type", "object_id", "context", "created_at"], due)
        .returning(Notice.__table__.c.object_id, Notice.__table__.c.key)
    ).all()
    reserved = [(int(oid), k.split(":", 3)[2], k) for oid, k in inserted]
    red_ids = [(aid,) for aid, light_, _ in reserved if light_ == Light.RED.value]
    if red_ids:
        sweep_red.create(conn, checkfirst=True)
        conn.execute(sweep_red.delete())
        # Thousands of plain integers: the driver's executemany, without building a parameter
        # dict per row (a tenth of the sweep's time at 12,000 red assignments).
        marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        conn.exec_driver_sql(f"INSERT INTO sweep_red (id) VALUES ({marker})", red_ids)
        conn.execute(
            update(Assignment)
            .where(Assignment.id.in_(select(sweep_red.c.id)))
            .values(red_count=Assignment.red_count + 1)
            .execution_options(synchronize_session=False)
        )
    return changed or 0, reserved


def _plan_reminder_deliveries(
    session: Session, reserved: list[tuple[int, str, str]], *, digest: str | None = None
) -> None:
    """Render and reserve the deliveries of the reminders just reserved, in bulk. A person's
    reminders of one sweep share the ``digest`` group (one message, where digests are on)."""
    by_id = {
        a.id: a
        for a in session.scalars(
            select(Assignment).where(Assignment.id.in_([r[0] for r in reserved]))
        )
    }
    notice_ids = dict(
        session.execute(
            select(Notice.key, Notice.id).where(Notice.key.in_([r[2] for r in reserved]))
        ).all()
    )
    planned = [
        PlannedNotice(
            notice_ids[key],
            key,
            "assignment_reminder",
            "assignment",
            str(aid),
            reminder_recipients(session, by_id[aid], light),
            {**assignment_context(session, by_id[aid]), "light": light},
            digest=digest,
        )
        for aid, light, key in reserved
    ]
    reserve_deliveries(session, planned)


def sweep_time(now: dt.datetime | None) -> dt.datetime:
    """The sweep's instant: the clock's by default; a naive time is the office's. A year outside
    2000–2099 is refused before the calendar table would fill centuries of days while holding
    the ledger's write lock."""
    now = now or clock.now()
    if now.tzinfo is None:
        now = now.replace(tzinfo=clock.local_zone())
    today = get_calendar().local_date(now)
    if not FIRST_YEAR <= today.year <= LAST_YEAR:
        raise input_error("now", f"{today} is outside the years {FIRST_YEAR}–{LAST_YEAR}")
    return now


def plan_sweep(
    *,
    now: dt.datetime | None = None,
    remind_before_workdays: int = 3,
    red_repeat_workdays: int = 1,
    plan_deliveries: bool = True,
    dry_run: bool = False,
) -> SweepResult:
    """Light every open assignment and reserve each reminder it is owed (and its deliveries), in
    one transaction. Sending is left to the caller (`deliver_notices(result.notice_keys)`).
    Counts: ``light:<light>`` (open assignments now), ``reminder:<light>`` (newly reserved),
    ``changed`` (lights that changed). With ``dry_run`` the same work is done and rolled back:
    the counts say what a sweep at ``now`` would do, and nothing is written or reserved (a
    replay of another day, `officeflow assignment sweep --now …`)."""
    now = sweep_time(now)
    calendar = get_calendar()
    today = calendar.local_date(now)
    if not is_sweep_day(calendar, now):
        reason = f"{today} is not a working day ({calendar.holiday_name(today) or 'weekend'})"
        if dry_run:
            return SweepResult(process=PROCESS, skipped=True, reason=reason)
        with Session(get_engine()) as session, session.begin():
            events.record(
                session,
                action="sweep.skipped",
                object_type="sweep",
                object_id=today.isoformat(),
                data={"reason": reason},
            )
        return SweepResult(process=PROCESS, skipped=True, reason=reason)

    with Session(get_engine()) as session, _transaction(session, dry_run):
        changed, reserved = classify_and_select(
            session.connection(),
            now=now,
            calendar=calendar,
            remind_before_workdays=remind_before_workdays,
            red_repeat_workdays=red_repeat_workdays,
        )
        if reserved and plan_deliveries:
            _plan_reminder_deliveries(
                session, reserved, digest=f"{PROCESS}:reminders:{today.isoformat()}"
            )
        reminders: dict[str, int] = {}
        for _, light, _key in reserved:
            reminders[light] = reminders.get(light, 0) + 1
        lights = light_counts(session)
        events.record(
            session,
            action="sweep.ran",
            object_type="sweep",
            object_id=today.isoformat(),
            data={"changed": changed, "reminders": reminders, "lights": lights},
        )
    counts = {"changed": changed}
    counts |= {f"light:{k}": v for k, v in lights.items()}
    counts |= {f"reminder:{k}": v for k, v in reminders.items()}
    # A dry run reserved nothing (rolled back): there is nothing to send.
    keys = [] if dry_run else [r[2] for r in reserved]
    return SweepResult(process=PROCESS, counts=counts, notice_keys=keys)


@contextmanager
def _transaction(session: Session, dry_run: bool) -> Iterator[None]:
    """Commit, or for a dry run roll everything back."""
    session.begin()
    try:
        yield
    except BaseException:
        session.rollback()
        raise
    if dry_run:
        session.rollback()
    else:
        session.commit()


def light_counts(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(Assignment.light, func.count())
        .where(Assignment.status != AssignmentStatus.CLOSED)
        .group_by(Assignment.light)
    ).all()
    return {str(light): n for light, n in rows}
