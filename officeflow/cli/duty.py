from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from officeflow import clock, db, duty
from officeflow.cli.common import (
    actor_option,
    cell,
    check_first,
    console,
    parse_date,
    plain,
    run_flow,
    warn,
)
from officeflow.inputs import input_error, load_yaml_model

# The actions on a duty shift (request-swap, decide-swap, hand-over) are declared
# (officeflow/duty/declarations.py) and their commands generated into this group
# (`officeflow.cli.actions`). The old spellings (`duty swap request|approve|refuse`,
# `duty handover` without a shift) are hidden here and say the new one.
app = typer.Typer(
    help=(
        "值班: publish duty rosters, who is on duty now and in a week, swaps (换班), the duty "
        "log (值班日志), handover (交接班) and the reminder sweep."
    ),
    no_args_is_help=True,
)
swap_app = typer.Typer(help="换班 (old spellings): now `duty request-swap` / `duty decide-swap`.")
log_app = typer.Typer(help="值班日志: record calls and events; close open items; read the log.")
app.add_typer(swap_app, name="swap", hidden=True)
app.add_typer(log_app, name="log")


@app.command()
def load(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="Roster YAML"),
    actor: str = actor_option("A member of the general office who publishes the roster"),
) -> None:
    """Publish a roster (runs the `duty-roster` flow): every shift of its range must be covered
    by known, active people; a holiday roster takes precedence on its dates."""
    from models.duty_input import RosterSpec

    spec, _ = load_yaml_model(file, RosterSpec)
    check_first(lambda session: duty.check_roster(session, spec, actor=actor), str(file))
    result = run_flow("flows.duty:duty_roster", roster=spec, actor=actor)
    state = "published" if result.newly_published else "already published"
    console.print(
        f"roster {result.roster_id} ({plain(result.name)}, {result.kind}): {result.shifts} "
        f"shifts {state}"
        + (f"; superseded {', '.join(map(str, result.superseded))}" if result.superseded else ""),
        highlight=False,
    )


@app.command()
def now(at: str = typer.Option("", "--at", help="An instant (ISO; default now)")) -> None:
    """Who is on duty now (or --at an instant): the duty officer and the leader on duty."""
    instant = clock.parse_instant(at) if at else clock.now()
    with db.read_scope() as session:
        who = duty.on_duty(session, instant)
        if who.shift_id is None:
            console.print(
                f"{clock.format_local(instant)}: no roster covers this moment; emergencies "
                "alert every duty officer"
            )
            return
        console.print(
            f"{clock.format_local(instant)}: 值班员 {plain(who.officer_id)}, 带班领导 "
            f"{plain(who.leader_id)} (shift {who.shift_id} {plain(who.shift)}, "
            f"{clock.format_local(who.starts_at)} – {clock.format_local(who.ends_at)}; "
            f"{plain(who.roster)})",
            highlight=False,
        )


@app.command()
def week(
    date: str = typer.Argument("", help="A day of the week to show (ISO date; default today)"),
) -> None:
    """The roster of a week (Monday to Sunday), shift by shift, swaps applied."""
    day = parse_date(date, "DATE") if date else clock.to_local(clock.now()).date()
    with db.read_scope() as session:
        rows = duty.week_rows(session, day)
    t = Table(title=f"值班表, week of {duty.week_start(day).isoformat()}")
    columns = ("shift", "day", "name", "from", "to", "officer", "leader", "swapped", "roster")
    for col in columns:
        t.add_column(col)
    for r in rows:
        t.add_row(*(cell(r[c]) for c in columns))
    console.print(t)
    if not rows:
        console.print("no shifts in force this week")


def _take(key: str, shift_id: int, data: dict[str, object], actor: str) -> None:
    from officeflow import actions
    from officeflow.cli.actions import take

    take(actions.get(key), shift_id, data, actor)


@swap_app.command("request", hidden=True)
def swap_request(
    shift_id: int = typer.Argument(..., help="Your shift's id (see `duty week`)"),
    with_person: str = typer.Option(..., "--with", help="Who takes the shift"),
    their_shift: int | None = typer.Option(None, "--their-shift", help="Theirs you take"),
    reason: str = typer.Option("", "--reason"),
    actor: str = actor_option("The person on the shift (officer or leader)"),
) -> None:
    """Old spelling of `duty request-swap SHIFT --with-person P`."""
    warn("`duty swap request` is now `duty request-swap SHIFT --with-person P`")
    data: dict[str, object] = {"with_person": with_person, "reason": reason}
    if their_shift is not None:
        data["their_shift_id"] = their_shift
    _take("shift.request-swap", shift_id, data, actor)


def _shift_of_swap(swap_id: int) -> int:
    from models.duty import DutySwap
    from officeflow.inputs import is_ledger_id

    with db.read_scope() as session:
        swap = session.get(DutySwap, swap_id) if is_ledger_id(swap_id) else None
        if swap is None:
            raise input_error("swap", f"no swap {swap_id}")
        return swap.shift_id


@swap_app.command("approve", hidden=True)
def swap_approve(
    swap_id: int = typer.Argument(...),
    comment: str = typer.Option("", "--comment"),
    actor: str = actor_option("A member of the general office"),
) -> None:
    """Old spelling of `duty decide-swap SHIFT --approve`."""
    warn("`duty swap approve SWAP` is now `duty decide-swap SHIFT --approve`")
    data = {"approve": True, "comment": comment, "swap_id": swap_id}
    _take("shift.decide-swap", _shift_of_swap(swap_id), data, actor)


@swap_app.command("refuse", hidden=True)
def swap_refuse(
    swap_id: int = typer.Argument(...),
    reason: str = typer.Option(..., "--reason", help="Why (the requester reads it)"),
    actor: str = actor_option("A member of the general office"),
) -> None:
    """Old spelling of `duty decide-swap SHIFT --refuse --comment WHY`."""
    warn("`duty swap refuse SWAP` is now `duty decide-swap SHIFT --refuse --comment WHY`")
    data = {"approve": False, "comment": reason, "swap_id": swap_id}
    _take("shift.decide-swap", _shift_of_swap(swap_id), data, actor)


@log_app.command("add")
def log_add(
    text: str = typer.Option(..., "--text", help="What happened / who called"),
    kind: str = typer.Option("call", "--kind", help="call, event, instruction or other"),
    open_item: bool = typer.Option(False, "--open", help="Needs follow-up: handed over"),
    actor: str = actor_option("The officer on duty"),
) -> None:
    """Record a call or event in the duty log (值班日志)."""
    with db.session_scope() as session:
        entry = duty.add_entry(session, officer=actor, kind=kind, text=text, open_item=open_item)
        entry_id, open_ = entry.id, entry.open
    console.print(f"log entry {entry_id} recorded" + (" (open)" if open_ else ""))


@log_app.command("close")
def log_close(
    entry_id: int = typer.Argument(...),
    actor: str = actor_option("Who closes the item"),
) -> None:
    """Close an open item of the duty log."""
    with db.session_scope() as session:
        duty.close_entry(session, entry_id=entry_id, closed_by=actor)
    console.print(f"log entry {entry_id} closed")


@log_app.command("show")
def log_show(
    start: str = typer.Option("", "--from", help="ISO instant (default: 24 hours ago)"),
    end: str = typer.Option("", "--to", help="ISO instant (default: now)"),
) -> None:
    """The duty log between two instants."""
    to = clock.parse_instant(end) if end else clock.now()
    frm = clock.parse_instant(start) if start else to.subtract(hours=24)
    if frm >= to:
        raise input_error("from", "--from must be before --to")
    with db.read_scope() as session:
        entries = duty.log_entries(session, start=frm, end=to)
    t = Table(title="值班日志")
    for col in ("at", "officer", "kind", "open", "text"):
        t.add_column(col)
    for e in entries:
        t.add_row(
            clock.format_local(e.at), cell(e.officer_id), e.kind, "open" if e.open else "",
            cell(e.text),
        )  # fmt: skip
    console.print(t)


@app.command(hidden=True)
def handover(
    note: str = typer.Option("", "--note", help="A word for the next officer"),
    actor: str = actor_option("The outgoing officer (hands over) or the incoming (takes over)"),
) -> None:
    """Old spelling of `duty hand-over SHIFT`: the shift is the one ``--as`` signs for now (a
    handover awaiting them, else their current or just ended shift)."""
    with db.read_scope() as session:
        shift_id = duty.shift_to_hand_over(session, actor)
    warn(f"`duty handover` is now `duty hand-over {shift_id}`")
    from officeflow import actions
    from officeflow.cli.actions import take

    result = take(actions.get("shift.hand-over"), shift_id, {"note": note}, actor)
    if result.step == "handed_over":
        console.print(
            f"handover {result.handover_id}: {plain(result.outgoing_id)} handed over to "
            f"{plain(result.incoming_id)} with {len(result.open_items)} open item(s)",
            highlight=False,
        )
    else:
        console.print(
            f"handover {result.handover_id}: {plain(result.incoming_id)} took over from "
            f"{plain(result.outgoing_id)}",
            highlight=False,
        )


@app.command()
def sweep() -> None:
    """Send every due shift reminder once (runs the `duty-sweep` flow, which its deployment
    runs every 15 minutes)."""
    result = run_flow("flows.duty:duty_sweep")
    tally = result.tally("reminder")
    console.print(
        f"{tally.get('eve', 0)} evening reminders, {tally.get('soon', 0)} hour-before "
        f"reminders; sent {result.sent}, failed {result.failed}"
    )
