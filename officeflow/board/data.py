"""The office's board (督办看板): what the general office and the leaders watch, read with a
handful of set-based queries that stay fast at 100,000 open assignments.

- open assignments by department and light (found through the ``ix_assignments_board`` index),
- the most overdue items,
- open incidents with their clocks (when the ladder climbs unless someone acknowledges; when
  the next report is due),
- upcoming meetings with their agenda and attendance state,
- the chart series: the on-time rate per department by week, and the lights over time (from the
  supervision sweep's ``sweep.ran`` events).

`board(session)` assembles them; `cached_board()` keeps the result for ``CACHE_S`` seconds
and computes it once however many pages ask at the same time."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from models.attendance import MeetingAttendance
from models.emergency import EscalationRung, Incident, IncidentStatus, SituationReport
from models.ledger import Event
from models.meeting import Meeting, MeetingAttendee, MeetingStatus
from models.org import Department, Person, Role
from models.supervision import Assignment, AssignmentStatus, Decision, Light
from officeflow import actors, clock, db, delivered
from officeflow.org import active_person, is_office_member, roles_of
from rules.response_plan import report_label
from rules.supervision import iso_week

LIGHTS = [Light.RED.value, Light.YELLOW.value, Light.BLUE.value, Light.GREEN.value]
OPEN = [AssignmentStatus.OPEN, AssignmentStatus.COMPLETION_REQUESTED]
CACHE_S = 15.0
WEEKS = 8
LIGHT_DAYS = 60
LIST_LIMIT = 50


def may_see_board(session: Session, person_id: str) -> bool:
    """The general office and the leaders."""
    if active_person(session, person_id) is None:
        return False
    return is_office_member(session, person_id) or Role.LEADER in roles_of(session, person_id)


def check_board_access(session: Session, person_id: str) -> None:
    if not may_see_board(session, person_id):
        raise actors.NotAllowed(
            f"{person_id!r} may not see the office's board: it is for the general office "
            "and the leaders"
        )


def department_lights(session: Session, now: dt.datetime) -> list[dict[str, Any]]:
    """One row per department with open assignments: counts per light, total, overdue.

    One pass through the ``ix_assignments_board`` index (department, status, due date; the light
    is read from the row, so that the sweep's light changes move no index entry) counts the
    lights and what was due before today; a second, small query adds what fell due earlier
    today."""
    today = clock.to_local(now).date()
    counts = session.execute(
        select(
            Assignment.lead_department_id,
            Assignment.light,
            func.count(),
            func.sum(case((Assignment.due_on < today, 1), else_=0)),
        )
        .where(Assignment.status != AssignmentStatus.CLOSED)
        .group_by(Assignment.lead_department_id, Assignment.light)
    ).all()
    due_today = dict(
        session.execute(
            select(Assignment.lead_department_id, func.count())
            .where(
                Assignment.status.in_(OPEN),
                Assignment.due_on == today,
                Assignment.due_at < now,
            )
            .group_by(Assignment.lead_department_id)
        ).all()
    )
    names = dict(session.execute(select(Department.id, Department.name)).all())
    rows: dict[str, dict[str, Any]] = {}
    for dept, light, n, overdue in counts:
        row = rows.setdefault(
            dept,
            {"department": dept, "name": names.get(dept, dept), "total": 0, "overdue": 0}
            | dict.fromkeys(LIGHTS, 0),
        )
        row[str(light)] += n
        row["total"] += n
        row["overdue"] += int(overdue or 0)
    for dept, n in due_today.items():
        if dept in rows:
            rows[dept]["overdue"] += n
    return sorted(rows.values(), key=lambda r: (-r["red"], -r["yellow"], -r["total"], r["name"]))


def overdue_items(session: Session, now: dt.datetime, limit: int = LIST_LIMIT) -> list[dict]:
    """The most overdue open assignments, oldest deadline first (one index range per status,
    each stopping after ``limit`` rows, merged)."""
    today = clock.to_local(now).date()
    columns = (
        Assignment.id,
        Assignment.task,
        Assignment.lead_department_id,
        Assignment.owner_id,
        Assignment.due_on,
        Assignment.due_at,
        Assignment.progress,
        Assignment.status,
        Assignment.red_count,
        Assignment.decision_id,
    )
    found = []
    for status in OPEN:
        found += session.execute(
            select(*columns)
            .where(Assignment.status == status, Assignment.due_on <= today, Assignment.due_at < now)
            .order_by(Assignment.due_on, Assignment.id)
            .limit(limit)
        ).all()
    rows = sorted(found, key=lambda r: (r.due_on, r.id))[:limit]
    titles = dict(
        session.execute(
            select(Decision.id, Decision.title).where(
                Decision.id.in_({r.decision_id for r in rows})
            )
        ).all()
    )
    names = _names(session, [r.owner_id for r in rows], [r.lead_department_id for r in rows])
    return [
        {
            "id": r.id,
            "decision": titles.get(r.decision_id, ""),
            "task": r.task,
            "department": names.get(("d", r.lead_department_id), r.lead_department_id),
            "owner": names.get(("p", r.owner_id), r.owner_id),
            "due": clock.format_local(r.due_at),
            "days_overdue": (now - r.due_at).days,
            "progress": r.progress,
            "status": str(r.status),
            "escalations": r.red_count,
        }
        for r in rows
    ]


def open_incidents(session: Session, now: dt.datetime, limit: int = LIST_LIMIT) -> list[dict]:
    """Open incidents, most severe and newest first, with their two clocks."""
    grade_rank = case({"I": 1, "II": 2, "III": 3}, value=Incident.grade, else_=4)
    incidents = session.execute(
        select(
            Incident.id,
            Incident.title,
            Incident.grade,
            Incident.location,
            Incident.recorded_at,
            Incident.acknowledged_at,
            Incident.acknowledged_by,
        )
        .where(Incident.status == IncidentStatus.OPEN)
        .order_by(grade_rank, Incident.recorded_at.desc())
        .limit(limit)
    ).all()
    ids = [i.id for i in incidents]
    if not ids:
        return []
    climbs = dict(
        session.execute(
            select(EscalationRung.incident_id, func.min(EscalationRung.due_at))
            .where(
                EscalationRung.incident_id.in_(ids),
                EscalationRung.fired_at.is_(None),
                EscalationRung.cancelled_at.is_(None),
                EscalationRung.due_at.is_not(None),
            )
            .group_by(EscalationRung.incident_id)
        ).all()
    )
    nxt = (
        select(
            SituationReport.incident_id,
            func.min(SituationReport.due_at).label("due_at"),
        )
        .where(
            SituationReport.incident_id.in_(ids),
            SituationReport.filed_at.is_(None),
            SituationReport.cancelled_at.is_(None),
            SituationReport.due_at.is_not(None),
        )
        .group_by(SituationReport.incident_id)
        .subquery()
    )
    reports = {
        r.incident_id: r
        for r in session.execute(
            select(
                SituationReport.incident_id,
                SituationReport.kind,
                SituationReport.number,
                nxt.c.due_at,
            )
            .join(
                nxt,
                and_(
                    nxt.c.incident_id == SituationReport.incident_id,
                    nxt.c.due_at == SituationReport.due_at,
                ),
            )
            .where(SituationReport.filed_at.is_(None), SituationReport.cancelled_at.is_(None))
        ).all()
    }
    # What became of the alerts that fired (delivered, retrying, undeliverable), per incident.
    fired = session.execute(
        select(EscalationRung.incident_id, EscalationRung.notice_key).where(
            EscalationRung.incident_id.in_(ids), EscalationRung.fired_at.is_not(None)
        )
    ).all()
    reached = delivered.outcome(session, [f.notice_key for f in fired])
    incident_of = {f.notice_key: f.incident_id for f in fired}
    tally: dict[int, dict[str, int]] = {}
    for r in reached.recipients:
        counts = tally.setdefault(incident_of[r.notice_key], {"total": 0})
        counts["total"] += 1
        counts[r.state.value] = counts.get(r.state.value, 0) + 1
    out = []
    for i in incidents:
        climb = climbs.get(i.id) if i.acknowledged_at is None else None
        counts = tally.get(i.id, {"total": 0})
        report = reports.get(i.id)
        out.append(
            {
                "id": i.id,
                "title": i.title,
                "grade": str(i.grade),
                "location": i.location,
                "recorded": clock.format_local(i.recorded_at),
                "acknowledged": clock.format_local(i.acknowledged_at),
                "acknowledged_by": i.acknowledged_by or "",
                "ack_due": clock.format_local(climb),
                "ack_late": bool(climb and climb < now),
                "report": report_label(report.kind, report.number) if report else "",
                "report_due": clock.format_local(report.due_at) if report else "",
                "report_late": bool(report and report.due_at < now),
                "reached_total": counts["total"],
                "delivered": counts.get("delivered", 0),
                "retrying": counts.get("retrying", 0),
                "undeliverable": counts.get("undeliverable", 0),
            }
        )
    return out


def upcoming_meetings(session: Session, now: dt.datetime, limit: int = 20) -> list[dict]:
    meetings = session.execute(
        select(Meeting.id, Meeting.title, Meeting.start_at, Meeting.venue, Meeting.agenda_status)
        .where(Meeting.status == MeetingStatus.SCHEDULED, Meeting.end_at >= now)
        .order_by(Meeting.start_at)
        .limit(limit)
    ).all()
    ids = [m.id for m in meetings]
    invited = dict(
        session.execute(
            select(MeetingAttendee.meeting_id, func.count())
            .where(MeetingAttendee.meeting_id.in_(ids))
            .group_by(MeetingAttendee.meeting_id)
        ).all()
    )
    answers: dict[int, dict[str, int]] = {}
    for mid, answer, n in session.execute(
        select(MeetingAttendance.meeting_id, MeetingAttendance.answer, func.count())
        .where(MeetingAttendance.meeting_id.in_(ids))
        .group_by(MeetingAttendance.meeting_id, MeetingAttendance.answer)
    ):
        answers.setdefault(mid, {})[str(answer)] = n
    return [
        {
            "id": m.id,
            "title": m.title,
            "start": clock.format_local(m.start_at),
            "venue": m.venue,
            "agenda": str(m.agenda_status),
            "invited": invited.get(m.id, 0),
            "accepted": answers.get(m.id, {}).get("accept", 0),
            "declined": answers.get(m.id, {}).get("decline", 0),
            "stand_in": answers.get(m.id, {}).get("stand_in", 0),
        }
        for m in meetings
    ]


def on_time_by_week(session: Session, now: dt.datetime, weeks: int = WEEKS) -> dict[str, Any]:
    """Per department and ISO week of the deadline (the last ``weeks`` weeks up to today): the
    share of the assignments due that week that were closed by their deadline. Returns
    ``{"weeks": [...], "series": {department name: [rate or None, ...]}}``."""
    today = clock.to_local(now).date()
    first = today - dt.timedelta(days=today.weekday() + 7 * (weeks - 1))
    week_labels = [iso_week(first + dt.timedelta(days=7 * i)) for i in range(weeks)]
    on_time = case(
        (
            and_(
                Assignment.status == AssignmentStatus.CLOSED,
                Assignment.closed_at <= Assignment.due_at,
            ),
            1,
        ),
        else_=0,
    )
    rows = session.execute(
        select(Assignment.lead_department_id, Assignment.due_on, func.count(), func.sum(on_time))
        # Every status named, so the (status, due_on) index serves the date range.
        .where(
            Assignment.status.in_(list(AssignmentStatus)),
            Assignment.due_on >= first,
            Assignment.due_on <= today,
        )
        .group_by(Assignment.lead_department_id, Assignment.due_on)
    ).all()
    names = dict(session.execute(select(Department.id, Department.name)).all())
    tally: dict[str, dict[str, list[int]]] = {}
    for dept, due_on, n, good in rows:
        cell = tally.setdefault(dept, {}).setdefault(iso_week(due_on), [0, 0])
        cell[0] += int(good or 0)
        cell[1] += n
    series = {
        names.get(dept, dept): [
            round(100 * by_week[w][0] / by_week[w][1]) if w in by_week else None
            for w in week_labels
        ]
        for dept, by_week in sorted(tally.items(), key=lambda kv: names.get(kv[0], kv[0]))
    }
    return {"weeks": week_labels, "series": series}


def lights_over_time(session: Session, now: dt.datetime, days: int = LIGHT_DAYS) -> list[dict]:
    """The open assignments' lights after each day's last supervision sweep (``sweep.ran``)."""
    since = now - dt.timedelta(days=days)
    by_day: dict[str, dict[str, int]] = {}
    for at, data in session.execute(
        select(Event.at, Event.data)
        .where(Event.at >= since, Event.at <= now, Event.action == "sweep.ran")
        .where(Event.object_type == "sweep")
        .order_by(Event.at, Event.id)
    ):
        lights = (data or {}).get("lights")
        if isinstance(lights, dict):
            by_day[clock.format_local(at, clock.DAY)] = {
                light: int(lights.get(light, 0)) for light in LIGHTS
            }
    return [{"day": day, **counts} for day, counts in sorted(by_day.items())]


def delivery_problems(
    session: Session, now: dt.datetime, limit: int = LIST_LIMIT
) -> list[dict[str, Any]]:
    """What did not go out, newest first: undeliverable rows (never retried), failed rows
    (retried by delivery-retry) and rows whose sender died (a lapsed lease) — the same rows as
    `officeflow deliveries problems`."""
    from models.ledger import Delivery, DeliveryStatus
    from officeflow.delivery import lease_lapsed
    from officeflow.settings import get_settings

    problem = or_(
        Delivery.status.in_([DeliveryStatus.UNDELIVERABLE, DeliveryStatus.FAILED]),
        lease_lapsed(now, get_settings()),
    )
    rows = session.execute(
        select(
            Delivery.id,
            Delivery.notice_key,
            Delivery.person_id,
            Delivery.channel,
            Delivery.status,
            Delivery.attempts,
            Delivery.last_error,
        )
        .where(problem)
        .order_by(Delivery.id.desc())
        .limit(limit)
    ).all()
    names = _names(session, [r.person_id for r in rows], [])
    return [
        {
            "id": r.id,
            "notice": r.notice_key,
            "person": names.get(("p", r.person_id), r.person_id),
            "channel": getattr(r.channel, "value", r.channel),
            "status": getattr(r.status, "value", r.status),
            "attempts": r.attempts,
            "cause": (r.last_error or "")[:300],
        }
        for r in rows
    ]


def board(session: Session, now: dt.datetime | None = None) -> dict[str, Any]:
    now = now or clock.now()
    departments = department_lights(session, now)
    return {
        "now": clock.format_local(now),
        "departments": departments,
        "totals": {k: sum(r[k] for r in departments) for k in [*LIGHTS, "total", "overdue"]},
        "overdue": overdue_items(session, now),
        "incidents": open_incidents(session, now),
        "meetings": upcoming_meetings(session, now),
        "on_time": on_time_by_week(session, now),
        "lights_over_time": lights_over_time(session, now),
        "deliveries": delivery_problems(session, now),
    }


_cache_lock = threading.Lock()
_refresh_lock = threading.Lock()
# Per ledger URL: (monotonic time computed, the clock's instant it was computed for, the board).
_cache: dict[str, tuple[float, dt.datetime, dict[str, Any]]] = {}
CLOCK_JUMP = dt.timedelta(minutes=5)


def _compute(key: str, now: dt.datetime) -> dict[str, Any]:
    with db.read_scope() as session:
        value = board(session, now)
    with _cache_lock:
        _cache[key] = (time.monotonic(), now, value)
    return value


def cached_board(max_age_s: float = CACHE_S) -> dict[str, Any]:
    """`board` from a read-only session, recomputed at most every ``max_age_s`` seconds.

    Many pages at once never compute it many times over: one request recomputes a stale board
    while the others are served the previous one (at most ``max_age_s`` old plus one
    computation); with no board yet, the first computes and the rest wait for it. A clock that
    jumped (tests, simulations) or another ledger gets a fresh board at once."""
    now = clock.now()
    key = str(db.get_engine().url)
    with _cache_lock:
        hit = _cache.get(key)
    usable = hit is not None and abs(now - hit[1]) < CLOCK_JUMP
    if usable and time.monotonic() - hit[0] < max_age_s:  # type: ignore[index]
        return hit[2]  # type: ignore[index]
    if usable:
        if not _refresh_lock.acquire(blocking=False):
            return hit[2]  # type: ignore[index]  # another request is refreshing it
        try:
            return _compute(key, now)
        finally:
            _refresh_lock.release()
    with _refresh_lock:
        with _cache_lock:
            hit = _cache.get(key)
        fresh = hit is not None and abs(now - hit[1]) < CLOCK_JUMP
        if fresh and time.monotonic() - hit[0] < max_age_s:  # type: ignore[index]
            return hit[2]  # type: ignore[index]  # computed while this request waited
        return _compute(key, now)


def forget() -> None:
    with _cache_lock:
        _cache.clear()


def _names(session: Session, people: list[str], departments: list[str]) -> dict[tuple, str]:
    out: dict[tuple, str] = {}
    if people:
        for pid, name in session.execute(
            select(Person.id, Person.name).where(Person.id.in_(set(people)))
        ):
            out[("p", pid)] = name
    if departments:
        for did, name in session.execute(
            select(Department.id, Department.name).where(Department.id.in_(set(departments)))
        ):
            out[("d", did)] = name
    return out
