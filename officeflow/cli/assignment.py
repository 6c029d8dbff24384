"""`officeflow assignment …`: reading an assignment, the sweep and the bulletin. The actions on an
assignment (report-progress, request-completion, verify, request-extension, decide-extension) are
declared in `officeflow.supervision.declarations` and their commands generated
(`officeflow.cli.actions`). Each command imports what it uses: `assignment sweep` through the
running stack loads neither SQLAlchemy nor the delivery layer."""

from __future__ import annotations

import typer

from officeflow import supervision
from officeflow.cli.common import (
    cell,
    check_first,
    console,
    fail,
    parse_date,
    plain,
    run_flow,
)

app = typer.Typer(
    help=(
        "An assignment's life: progress, completion and verification (销号), extensions; the "
        "supervision sweep and the weekly bulletin."
    ),
    no_args_is_help=True,
)


@app.command()
def show(assignment_id: int = typer.Argument(...)) -> None:
    """An assignment with its deadline history and event log."""
    from rich.table import Table

    from officeflow import clock, db, events

    with db.read_scope() as session:
        a = supervision.get_assignment(session, assignment_id)
        console.print(
            f"[bold]Assignment {a.id}[/] of decision {a.decision_id} ({plain(a.decision.title)})\n"
            f"task: {plain(a.task)}\nstandard: {plain(a.acceptance_standard)}\n"
            f"department: {plain(a.lead_department_id)}  owner: {plain(a.owner_id)}\n"
            f"due: {clock.format_local(a.due_at)}  status: "
            f"{a.status.value}  progress: {a.progress}%  light: {a.light.value}  "
            f"escalations: {a.red_count}"
            + (f"\nsource: {plain(a.source_ref)}" if a.source_ref else ""),
            highlight=False,
        )
        history = supervision.deadline_history(session, assignment_id)
        if history:
            t = Table(title="Deadline history")
            for col in ("request", "from", "to", "status", "by", "reason"):
                t.add_column(col)
            for r in history:
                t.add_row(
                    str(r.id),
                    clock.format_local(r.old_due_at, clock.DAY),
                    clock.format_local(r.new_due_at, clock.DAY),
                    r.status.value,
                    cell(r.decided_by or ""),
                    cell(r.reason),
                )
            console.print(t)
        log = Table(title="Events")
        for col in ("at", "actor", "action"):
            log.add_column(col)
        for e in events.history(session, object_type="assignment", object_id=assignment_id):
            log.add_row(clock.format_local(e.at), cell(e.actor), e.action)
        console.print(log)


@app.command()
def sweep(
    now: str | None = typer.Option(
        None,
        "--now",
        help="Replay as of this time (ISO) instead of the clock: a dry run unless --send",
    ),
    send: bool = typer.Option(
        False, "--send", help="With --now: really light and send as of that time"
    ),
    remind_before_workdays: int = typer.Option(
        3, min=0, max=30, help="Blue when due within N workdays"
    ),
    red_repeat_workdays: int = typer.Option(1, min=1, max=30, help="Repeat red every N workdays"),
) -> None:
    """督查: run the supervision-sweep flow: light every open assignment and send the due
    reminders once. Does nothing on non-working days. With --now, a replay of another moment
    only says what it would do (nothing written, nothing sent) unless --send is given."""
    from officeflow import clock
    from officeflow.settings import get_settings

    at = None
    if now:
        try:
            at = clock.parse_instant(now)
        except ValueError:
            fail(f"--now must be a date and time like 2026-09-21T09:00, not {now!r}")
    elif send:
        fail("--send goes with --now (a sweep as of the clock always sends)")
    if at is not None or get_settings().now is not None:
        # A set time (--now, OFFICEFLOW_NOW) is checked before a run exists; the real clock's
        # year is within the calendar's years, and this check needs no ledger.
        check_first(lambda _session: supervision.sweep_time(at))
    if at is not None and not send:
        dry = supervision.plan_sweep(
            now=at,
            remind_before_workdays=remind_before_workdays,
            red_repeat_workdays=red_repeat_workdays,
            dry_run=True,
        )
        if dry.skipped:
            console.print(f"dry run: the sweep would skip: {dry.reason}", highlight=False)
            return
        console.print(
            f"dry run as of {clock.format_local(at)}: lights {dry.tally('light')}; reminders "
            f"it would send {dry.tally('reminder')}; nothing written or sent (add --send to "
            "run it)",
            highlight=False,
        )
        return
    if at is not None:
        clock.set_now(at)  # the flow runs as of the process's clock (never a run parameter)
    result = run_flow(
        "flows.supervision:supervision_sweep",
        remind_before_workdays=remind_before_workdays,
        red_repeat_workdays=red_repeat_workdays,
    )
    if result.skipped:
        console.print(f"sweep skipped: {result.reason}", highlight=False)
        return
    console.print(
        f"lights {result.tally('light')}; new reminders {result.tally('reminder')}; "
        f"sent {result.sent}" + (f", failed {result.failed}" if result.failed else ""),
        highlight=False,
    )


@app.command()
def bulletin(
    week: str | None = typer.Option(None, "--week", help="A date in the week (default: now)"),
) -> None:
    """督办通报: send this week's bulletin to the leaders (once per week)."""
    result = run_flow(
        "flows.supervision:supervision_bulletin",
        week_containing=parse_date(week, "--week") if week else None,
    )
    if result.skipped:
        console.print(f"bulletin skipped: {result.reason}", highlight=False)
    else:
        console.print(f"bulletin {result.notice}: sent {result.sent}", highlight=False)
