"""What people read: who is on duty now, the roster of a week, as rows and as Markdown."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.duty import DutyRoster, DutyShift
from officeflow import clock
from officeflow.duty.common import on_duty
from officeflow.duty.notices import person_name
from officeflow.text import md


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def week_rows(session: Session, day: dt.date) -> list[dict[str, str]]:
    """Every shift in force of the week (Monday to Sunday) holding ``day``, in order."""
    start = week_start(day)
    rows = session.execute(
        select(DutyShift, DutyRoster.name)
        .join(DutyRoster, DutyRoster.id == DutyShift.roster_id)
        .where(
            DutyShift.in_force.is_(True),
            DutyShift.day >= start,
            DutyShift.day < start + dt.timedelta(days=7),
        )
        .order_by(DutyShift.starts_at, DutyShift.id)
    ).all()
    return [
        {
            "shift": str(s.id),
            "day": s.day.isoformat(),
            "name": s.name,
            "from": clock.format_local(s.starts_at),
            "to": clock.format_local(s.ends_at),
            "officer": f"{person_name(session, s.officer_id)} ({s.officer_id})",
            "leader": f"{person_name(session, s.leader_id)} ({s.leader_id})",
            "swapped": "yes"
            if (s.officer_id, s.leader_id) != (s.rostered_officer_id, s.rostered_leader_id)
            else "",
            "roster": name,
        }
        for s, name in rows
    ]


def now_markdown(session: Session, at: dt.datetime) -> str:
    who = on_duty(session, at)
    head = f"# 当前值班 On duty now — {clock.format_local(at)}\n\n"
    if who.shift_id is None:
        return head + "No roster covers this moment (every duty officer is alerted).\n"
    return head + (
        f"- 值班员 officer: **{md(person_name(session, who.officer_id))}** ({md(who.officer_id)})\n"
        f"- 带班领导 leader: **{md(person_name(session, who.leader_id))}** ({md(who.leader_id)})\n"
        f"- shift {who.shift_id} ({md(who.shift)}), {clock.format_local(who.starts_at)} – "
        f"{clock.format_local(who.ends_at)}\n"
        f"- roster: {md(who.roster)}\n"
    )


def week_markdown(session: Session, day: dt.date) -> str:
    start = week_start(day)
    lines = [
        f"# 值班表 Duty roster, week of {start.isoformat()}",
        "",
        "| shift | day | name | from | to | 值班员 officer | 带班领导 leader | swapped | roster |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    rows = week_rows(session, day)
    for r in rows:
        lines.append("| " + " | ".join(md(v) for v in r.values()) + " |")
    if not rows:
        lines.append("| — | no shifts this week | | | | | | | |")
    return "\n".join(lines) + "\n"
