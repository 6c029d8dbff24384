"""`officeflow assignment …`. Each command imports what it uses: `assignment sweep` through the
running stack loads neither SQLAlchemy nor the delivery layer."""

from __future__ import annotations

import typer

from officeflow import supervision
from officeflow.cli.common import (
    actor_option,
    cell,
    check_first,
    console,
    fail,
    parse_date,
    plain,
    run_flow,
    send_notices,
    warn,
)

app = typer.Typer(
    help=(
        "An assignment's life: progress, completion and verification (销号), extensions; the "
        "supervision sweep and the weekly bulletin."
    ),
    no_args_is_help=True,
)


@app.command()
def report(
    assignment_id: int = typer.Argument(..., help="Assignment id"),
    progress: int = typer.Option(..., "--progress", help="Percent done, 0–100"),
    note: str = typer.Option("", "--note", help="What was done"),
    reporter: str | None = actor_option("Who reports (default: the owner)", None),
) -> None:
    """进展反馈: record progress on an open assignment."""
    from officeflow import db

    with db.session_scope() as session:
        supervision.report_progress(
            session, assignment_id=assignment_id, progress=progress, note=note, reporter=reporter
        )
    console.print(f"assignment {assignment_id}: progress {progress}% recorded")


@app.command()
def complete(
    assignment_id: int = typer.Argument(...),
    evidence: str = typer.Option(..., "--evidence", help="What shows the standard is met"),
    requested_by: str | None = actor_option("Who asks (default: the owner)", None),
) -> None:
    """办结申请: ask the supervising office to verify and close."""
    from officeflow import db

    with db.session_scope() as session:
        _, key = supervision.request_completion(
            session, assignment_id=assignment_id, evidence=evidence, requested_by=requested_by
        )
    console.print(f"assignment {assignment_id}: completion requested")
    send_notices([key])


@app.command()
def verify(
    assignment_id: int = typer.Argument(...),
    accept: bool = typer.Option(..., "--accept/--reject", help="Close it, or send it back"),
    comment: str = typer.Option("", "--comment"),
    verifier: str = actor_option("A person of the supervising office"),
) -> None:
    """核验: --accept closes the assignment (销号); --reject returns it to the owner."""
    from officeflow import db

    with db.session_scope() as session:
        key = supervision.verify_completion(
            session, assignment_id=assignment_id, accept=accept, comment=comment, verifier=verifier
        )
    console.print(f"assignment {assignment_id}: {'closed (销号)' if accept else 'sent back'}")
    send_notices([key])


@app.command("request-extension")
def request_extension(
    assignment_id: int = typer.Argument(...),
    to: str = typer.Option(..., "--to", help="New deadline date (ISO), a working day"),
    reason: str = typer.Option(..., "--reason"),
    requested_by: str = actor_option("A person of the lead department"),
) -> None:
    """延期申请: ask the issuing leader to move the deadline."""
    from officeflow import db

    with db.session_scope() as session:
        request, key = supervision.request_extension(
            session,
            assignment_id=assignment_id,
            new_due_date=parse_date(to, "--to"),
            reason=reason,
            requested_by=requested_by,
        )
        request_id = request.id
    console.print(f"extension request {request_id} recorded; the issuing leader is asked")
    send_notices([key])


@app.command("decide-extension")
def decide_extension(
    request_id: int = typer.Argument(..., help="Extension request id"),
    approve: bool = typer.Option(..., "--approve/--refuse"),
    decided_by: str = actor_option("The issuing leader"),
    comment: str = typer.Option("", "--comment"),
) -> None:
    """The issuing leader approves (the deadline moves, history kept) or refuses. A run paused
    for this decision in Prefect is resumed with the same answer."""
    from officeflow import db

    with db.session_scope() as session:
        request, key = supervision.decide_extension(
            session,
            request_id=request_id,
            approve=approve,
            decided_by=decided_by,
            comment=comment,
        )
        waiting = request.waiting_run_id
    console.print(f"extension request {request_id}: {'approved' if approve else 'refused'}")
    send_notices([key] if key else [])
    if waiting:
        _resume(waiting, approve=approve, decided_by=decided_by, comment=comment)


def _resume(run_id: str, **answer: object) -> None:
    try:
        from prefect import resume_flow_run

        resume_flow_run(run_id, run_input=answer)
        console.print(f"resumed the paused Prefect run {run_id}")
    except Exception as exc:  # the ledger already holds the decision; the run will time out
        warn(f"could not resume Prefect run {run_id}: {exc}")


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
        dry = supervision.run_sweep(
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
