"""The weekly supervision bulletin (督办通报): per-department counts, planned once per week."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pendulum
from sqlalchemy import and_, func, not_, select
from sqlalchemy.orm import Session

from models.org import Department, Role
from models.supervision import Assignment, AssignmentStatus, Light
from officeflow import clock
from officeflow.delivery import plan_notice
from officeflow.inputs import InputError, Problem
from officeflow.org import active_person, people_with_role
from officeflow.sources import locale_or_default
from officeflow.text import md

TITLE = "督办通报"
# The bulletin's words in each locale (one language per bulletin; default: settings.locale).
WORDS = {
    "zh-CN": {
        "title": TITLE,
        "period": "统计区间：{start} 至 {end}",
        "header": "| 单位 | 在办 | 临期 | 逾期 | 办结 | 按期办结 | 按期率 |",
        "total": "合计",
    },
    "en": {
        "title": "Supervision bulletin",
        "period": "Period: {start} – {end}",
        "header": "| Department | Open | Due soon | Overdue | Closed | On time | On-time rate |",
        "total": "Total",
    },
}


def words(locale: str | None = None) -> dict[str, str]:
    return WORDS.get(locale_or_default(locale), WORDS["en"])


def week_of(now: dt.datetime) -> tuple[pendulum.DateTime, pendulum.DateTime]:
    """Monday 00:00 to next Monday 00:00, local, of the week containing ``now``."""
    start = clock.to_local(now).start_of("week")
    return start, start.add(weeks=1)


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
    rows: list[BulletinRow],
    *,
    title: str,
    start: dt.datetime,
    end: dt.datetime,
    locale: str | None = None,
) -> str:
    w = words(locale)
    last_day = end - dt.timedelta(seconds=1)
    period = w["period"].format(
        start=clock.format_local(start, clock.DAY), end=clock.format_local(last_day, clock.DAY)
    )
    lines = [
        f"# {md(title)}",
        "",
        period,
        "",
        w["header"],
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    totals = BulletinRow("all", w["total"], 0, 0, 0, 0, 0)
    for r in rows:
        for f in ("open", "due_soon", "overdue", "closed", "closed_on_time"):
            setattr(totals, f, getattr(totals, f) + getattr(r, f))
    for r in [*rows, totals]:
        rate = f"{r.on_time_rate:.0%}" if r.on_time_rate is not None else "—"
        lines.append(
            f"| {md(r.name)} | {r.open} | {r.due_soon} | {r.overdue} | {r.closed} "
            f"| {r.closed_on_time} | {rate} |"
        )
    return "\n".join(lines) + "\n"


def week_markdown(
    session: Session, start: dt.datetime, end: dt.datetime, *, locale: str | None = None
) -> str:
    """The bulletin of [start, end) as Markdown, in ``locale`` (default: the office's)."""
    return bulletin_markdown(
        bulletin_rows(session, start=start, end=end),
        title=words(locale)["title"],
        start=start,
        end=end,
        locale=locale,
    )


def check_recipients(session: Session, recipients: list[str]) -> None:
    """Recipients named by hand (the bulletin's) must be active people of the org."""
    problems = [
        Problem(("recipients", i), f"unknown person {person_id!r}")
        for i, person_id in enumerate(recipients)
        if active_person(session, person_id) is None
    ]
    if problems:
        raise InputError(problems)


def plan_bulletin(
    session: Session, start: dt.datetime, end: dt.datetime, recipients: list[str]
) -> tuple[str, str]:
    """Reserve the bulletin notice of [start, end) for ``recipients`` (default: the leaders),
    once per period. Returns its key and Markdown."""
    check_recipients(session, recipients)
    markdown = week_markdown(session, start, end)
    key = f"bulletin:{clock.to_local(start).date()}:{clock.to_local(end).date()}"
    plan_notice(
        session,
        key=key,
        template="supervision_bulletin",
        object_type="bulletin",
        object_id=key,
        recipients=recipients or people_with_role(session, Role.LEADER),
        context={"bulletin": markdown, "start": start, "end": end - dt.timedelta(seconds=1)},
    )
    return key, markdown
