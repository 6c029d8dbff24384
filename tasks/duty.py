"""值班 side effects as Prefect tasks: publishing a roster (one transaction), the sweep's
planning and the "who is on duty" artifacts. The actions on a shift (换班申请, 换班审批, 交接班)
go through `tasks.actions.take_action` (declared)."""

from __future__ import annotations

import datetime as dt

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.logging import get_run_logger

from models.common import SweepResult
from models.duty_input import BoardResult, RosterResult, RosterSpec
from officeflow import clock, db, duty


@task(name="publish-roster")
def publish_roster(roster: RosterSpec, actor: str) -> RosterResult:
    """Check the roster against the org and write its shifts, in one transaction."""
    with db.session_scope() as session:
        result = duty.publish_roster(session, roster, actor=actor)
    get_run_logger().info(
        "roster %d %r: %d shifts (%s)",
        result.roster_id,
        result.name,
        result.shifts,
        "published" if result.newly_published else "already published",
    )
    return result


@task(name="plan-duty-sweep")
def plan_duty_sweep(now: dt.datetime | None) -> SweepResult:
    """Set-based: reserve every due shift reminder once, with its deliveries."""
    with db.session_scope() as session:
        result = duty.plan_sweep(session, now=now)
    get_run_logger().info("new reminders %s", result.tally("reminder"))
    return result


@task(name="publish-duty-board")
def publish_duty_board(
    at: dt.datetime | None = None, week_of: dt.date | None = None
) -> BoardResult:
    """Two Markdown artifacts: who is on duty at ``at`` (now) and the roster of the week."""
    at = at or clock.now()
    day = week_of or clock.to_local(at).date()
    with db.read_scope() as session:
        who = duty.on_duty(session, at)
        now_md = duty.now_markdown(session, at)
        week_md = duty.week_markdown(session, day)
    create_markdown_artifact(key="duty-now", markdown=now_md, description="当前值班 on duty now")
    create_markdown_artifact(key="duty-week", markdown=week_md, description="值班表 of the week")
    return BoardResult(
        officer_id=who.officer_id, leader_id=who.leader_id, artifacts=["duty-now", "duty-week"]
    )
