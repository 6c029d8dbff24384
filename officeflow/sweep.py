"""The supervision sweep (督查): classify every open assignment and pick due reminders, in a
handful of set-based statements, not one task or query per row.

1. A temporary calendar table maps each day of the span to its working-day index, so working
   days elapsed and remaining are plain integer arithmetic in SQL.
2. One UPDATE sets each open assignment's light (only where it changed).
3. One INSERT … SELECT … ON CONFLICT DO NOTHING reserves a notice per assignment, light and
   period; the unique notice key is the guard that two concurrent sweeps send each reminder
   once. Red notices newly reserved bump the assignment's escalation count.
4. Deliveries for the newly reserved notices are rendered and reserved in bulk.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

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
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from models.common import FIRST_YEAR, LAST_YEAR
from models.ledger import Notice
from models.org import Department
from models.supervision import Assignment, AssignmentStatus, Decision, Light
from officeflow import clock, events
from officeflow.db import get_engine, insert_ignore
from officeflow.delivery import PlannedNotice, reserve_deliveries
from officeflow.inputs import InputError, Problem
from officeflow.org import department_heads
from officeflow.supervision import assignment_context
from officeflow.workdays import get_calendar
from rules.calendar import WorkCalendar
from rules.supervision import FEEDBACK_WINDOW_DAYS, PACE_GAP_POINTS

_meta = MetaData()
# Per-connection temporary table; created on demand by each sweep.
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


@dataclass
class SweepResult:
    skipped: bool = False
    reason: str = ""
    lights: dict[str, int] = field(default_factory=dict)
    changed: int = 0
    new_reminders: dict[str, int] = field(default_factory=dict)
    notice_keys: list[str] = field(default_factory=list)


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


def _idx(date_column: Any) -> Any:
    return select(sweep_calendar.c.idx).where(sweep_calendar.c.day == date_column).scalar_subquery()


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

    ci, cd = sweep_calendar.alias("ci"), sweep_calendar.alias("cd")
    span_days = cd.c.idx - ci.c.idx
    # Planned pace: full working days completed since the issue day, as a share of the span.
    elapsed = literal(today_idx) - ci.c.idx - 1
    planned = (100 * case((elapsed < 0, 0), else_=elapsed)) // case(
        (span_days < 1, 1), else_=span_days
    )
    last_heard = func.coalesce(Assignment.last_feedback_at, Assignment.issued_at)
    feedback_late = or_(
        *(
            and_(Assignment.report_cycle == cycle, last_heard < now - dt.timedelta(days=days))
            for cycle, days in FEEDBACK_WINDOW_DAYS.items()
        )
    )
    light = case(
        (Assignment.due_at < now, Light.RED.value),
        (or_(planned - Assignment.progress >= PACE_GAP_POINTS, feedback_late), Light.YELLOW.value),
        (Assignment.due_on <= blue_until, Light.BLUE.value),
        else_=Light.GREEN.value,
    )
    # One pass computes every light (joins against the small calendar table) into a temporary
    # table; the UPDATE then touches only rows whose light changed.
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

    # One reminder per assignment, light and period.
    red_period = cast(
        (literal(today_idx) - sl.c.due_idx - 1) // max(red_repeat_workdays, 1), String
    )
    iso_year, iso_week, _ = today.isocalendar()
    prefix = literal("assignment:") + cast(sl.c.id, String) + literal(":")
    key = case(
        (
            sl.c.light == Light.RED.value,
            prefix + literal("red:") + cast(Assignment.due_on, String) + literal(":") + red_period,
        ),
        (
            sl.c.light == Light.YELLOW.value,
            prefix + literal(f"yellow:{iso_year}-W{iso_week:02d}"),
        ),
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
    reserved = [(int(oid), k.split(":")[2], k) for oid, k in inserted]
    red_ids = [{"id": aid} for aid, light_, _ in reserved if light_ == Light.RED.value]
    if red_ids:
        sweep_red.create(conn, checkfirst=True)
        conn.execute(sweep_red.delete())
        conn.execute(sweep_red.insert(), red_ids)
        conn.execute(
            update(Assignment)
            .where(Assignment.id.in_(select(sweep_red.c.id)))
            .values(red_count=Assignment.red_count + 1)
            .execution_options(synchronize_session=False)
        )
    return changed or 0, reserved


def recipients_for(session: Session, assignment: Assignment, light: str) -> list[str]:
    people = [assignment.owner_id]
    if light in (Light.YELLOW.value, Light.RED.value):
        people += department_heads(session, assignment.lead_department_id)
    if light == Light.RED.value:
        people.append(assignment.decision.issued_by)
    return people


def run_sweep(
    *,
    now: dt.datetime | None = None,
    remind_before_workdays: int = 3,
    red_repeat_workdays: int = 1,
    plan_deliveries: bool = True,
) -> SweepResult:
    """Classify, reserve reminders and their deliveries, in one transaction. Sending is left to
    the caller (`send_pending(result.notice_keys)`)."""
    now = now or clock.now()
    if now.tzinfo is None:  # a naive `now` (the flow's parameter) is the office's time
        now = now.replace(tzinfo=clock.local_zone())
    calendar = get_calendar()
    today = calendar.local_date(now)
    if not FIRST_YEAR <= today.year <= LAST_YEAR:
        # The calendar table spans the assignments' dates and today: refuse a typo'd year
        # before it fills centuries of days while holding the ledger's write lock.
        raise InputError([Problem(("now",), f"{today} is outside the years 2000–2099")])
    engine = get_engine()
    if not calendar.is_workday(today):
        reason = f"{today} is not a working day ({calendar.holiday_name(today) or 'weekend'})"
        with Session(engine) as session, session.begin():
            events.record(
                session,
                action="sweep.skipped",
                object_type="sweep",
                object_id=today.isoformat(),
                data={"reason": reason},
            )
        return SweepResult(skipped=True, reason=reason)

    with Session(engine) as session, session.begin():
        conn = session.connection()
        changed, reserved = classify_and_select(
            conn,
            now=now,
            calendar=calendar,
            remind_before_workdays=remind_before_workdays,
            red_repeat_workdays=red_repeat_workdays,
        )
        result = SweepResult(changed=changed)
        if reserved and plan_deliveries:
            planned = []
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
            for aid, light, key in reserved:
                a = by_id[aid]
                planned.append(
                    PlannedNotice(
                        notice_ids[key],
                        key,
                        "assignment_reminder",
                        "assignment",
                        str(aid),
                        recipients_for(session, a, light),
                        {**assignment_context(session, a), "light": light},
                    )
                )
            reserve_deliveries(session, planned)
        for _, light, key in reserved:
            result.new_reminders[light] = result.new_reminders.get(light, 0) + 1
            result.notice_keys.append(key)
        result.lights = light_counts(session)
        events.record(
            session,
            action="sweep.ran",
            object_type="sweep",
            object_id=today.isoformat(),
            data={"changed": changed, "reminders": result.new_reminders, "lights": result.lights},
        )
    return result


def light_counts(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(Assignment.light, func.count())
        .where(Assignment.status != AssignmentStatus.CLOSED)
        .group_by(Assignment.light)
    ).all()
    return {str(light): n for light, n in rows}


def open_assignments_table(session: Session, limit: int = 500) -> list[dict[str, Any]]:
    """The artifact's rows: most urgent first."""
    order = case(
        (Assignment.light == Light.RED.value, 0),
        (Assignment.light == Light.YELLOW.value, 1),
        (Assignment.light == Light.BLUE.value, 2),
        else_=3,
    )
    rows = session.execute(
        select(
            Assignment.id,
            Decision.title,
            Assignment.lead_department_id,
            Assignment.owner_id,
            Assignment.due_at,
            Assignment.progress,
            Assignment.light,
            Assignment.red_count,
            Assignment.status,
        )
        .join(Decision, Decision.id == Assignment.decision_id)
        .where(Assignment.status != AssignmentStatus.CLOSED)
        .order_by(order, Assignment.due_at)
        .limit(limit)
    ).all()
    return [
        {
            "id": r.id,
            "decision": r.title,
            "department": r.lead_department_id,
            "owner": r.owner_id,
            "due": clock.to_local(r.due_at).format("YYYY-MM-DD HH:mm"),
            "progress": r.progress,
            "light": str(r.light),
            "escalations": r.red_count,
            "status": str(r.status),
        }
        for r in rows
    ]


@dataclass
class BulletinRow:
    department: str
    name: str
    open: int
    due_soon: int
    overdue: int
    closed: int
    closed_on_time: int

    @property
    def on_time_rate(self) -> float | None:
        return self.closed_on_time / self.closed if self.closed else None


def bulletin_rows(session: Session, *, start: dt.datetime, end: dt.datetime) -> list[BulletinRow]:
    """Per department: open, due soon (blue), overdue (red) now; closed and closed on time
    within [start, end)."""
    is_open = Assignment.status != AssignmentStatus.CLOSED
    closed_in = and_(
        Assignment.status == AssignmentStatus.CLOSED,
        Assignment.closed_at >= start,
        Assignment.closed_at < end,
    )
    rows = session.execute(
        select(
            Department.id,
            Department.name,
            func.count().filter(is_open),
            func.count().filter(and_(is_open, Assignment.light == Light.BLUE.value)),
            func.count().filter(and_(is_open, Assignment.light == Light.RED.value)),
            func.count().filter(closed_in),
            func.count().filter(and_(closed_in, not_(Assignment.closed_at > Assignment.due_at))),
        )
        .join(Assignment, Assignment.lead_department_id == Department.id)
        .group_by(Department.id, Department.name)
        .order_by(Department.id)
    ).all()
    return [BulletinRow(*r) for r in rows]


def bulletin_markdown(
    rows: list[BulletinRow], *, title: str, start: dt.datetime, end: dt.datetime
) -> str:
    fmt = "YYYY-MM-DD"
    lines = [
        f"# {title}",
        "",
        f"统计区间 Period: {clock.to_local(start).format(fmt)} – "
        f"{clock.to_local(end).subtract(seconds=1).format(fmt)}",
        "",
        "| 单位 Department | 在办 Open | 临期 Due soon | 逾期 Overdue | 办结 Closed "
        "| 按期办结 On time | 按期率 On-time rate |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    totals = BulletinRow("all", "合计 Total", 0, 0, 0, 0, 0)
    for r in rows:
        for f in ("open", "due_soon", "overdue", "closed", "closed_on_time"):
            setattr(totals, f, getattr(totals, f) + getattr(r, f))
    for r in [*rows, totals]:
        rate = f"{r.on_time_rate:.0%}" if r.on_time_rate is not None else "—"
        lines.append(
            f"| {r.name} | {r.open} | {r.due_soon} | {r.overdue} | {r.closed} "
            f"| {r.closed_on_time} | {rate} |"
        )
    return "\n".join(lines) + "\n"
