"""值班 side effects as Prefect tasks: one task per action, each one transaction, plus the
sweep's planning and the "who is on duty" artifacts."""

from __future__ import annotations

import datetime as dt

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.logging import get_run_logger

from models.common import SweepResult
from models.duty_input import BoardResult, HandoverResult, RosterResult, RosterSpec, SwapResult
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


@task(name="record-swap-request")
def record_swap_request(
    shift_id: int, with_person: str, requested_by: str, their_shift_id: int | None, reason: str
) -> SwapResult:
    with db.session_scope() as session:
        return duty.request_swap(
            session,
            shift_id=shift_id,
            with_person=with_person,
            requested_by=requested_by,
            their_shift_id=their_shift_id,
            reason=reason,
        )


@task(name="record-swap-decision")
def record_swap_decision(swap_id: int, approve: bool, decided_by: str, comment: str) -> SwapResult:
    with db.session_scope() as session:
        return duty.decide_swap(
            session, swap_id=swap_id, approve=approve, decided_by=decided_by, comment=comment
        )


@task(name="record-handover")
def record_handover(person: str, note: str) -> HandoverResult:
    with db.session_scope() as session:
        return duty.handover(session, person=person, note=note)


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
