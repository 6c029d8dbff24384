"""`officeflow up`: the whole embedded stack in one command; `officeflow demo`: one decision, one
incident and one meeting through the deployments of a running stack."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from types import FrameType
from typing import Any

import typer
import yaml

from officeflow import actors
from officeflow.cli.common import console, fail, warn
from officeflow.settings import get_settings
from officeflow.stack import (
    AUTH_FILE,
    DEFAULT_PORT,
    DEFAULT_SMTP_PORT,
    DEFAULT_WEB_PORT,
    EXAMPLE_ORG,
    LocalStack,
    StackError,
    StackInfo,
    client_settings,
)

PROJECT_DIR = Path(__file__).resolve().parents[2]


def demo_runs() -> list[tuple[str, str]]:
    """What `demo` runs: deployment name and the example file that holds its parameter, as each
    process declares it (`officeflow.actions.Process.demo`)."""
    from officeflow import actions

    return actions.demo_runs()


class _Stop(Exception):
    pass


def _raise_stop(signum: int, _frame: FrameType | None) -> None:
    raise _Stop(signal.Signals(signum).name)


def up(
    port: int | None = typer.Option(
        None,
        show_default=False,
        help=f"Port of the Prefect server and UI (default {DEFAULT_PORT}, or a free one if it "
        "is taken); a port given here must be free, else `up` fails (0: any free port)",
    ),
    smtp_port: int | None = typer.Option(
        None,
        show_default=False,
        help=f"Port of the local mail catcher (default {DEFAULT_SMTP_PORT}, or a free one if "
        "it is taken); a port given here must be free (0: any free port)",
    ),
    web_port: int | None = typer.Option(
        None,
        show_default=False,
        help=f"Port of the office's web pages, the links in notices (default {DEFAULT_WEB_PORT},"
        " or a free one if it is taken); a port given here must be free (0: any free port)",
    ),
    org_file: Path = typer.Option(EXAMPLE_ORG, help="Org file to load into the ledger"),
    workers: int = typer.Option(1, min=1, max=8, help="Workers to start for the `office` pool"),
) -> None:
    """Start everything on this machine: a Prefect server (SQLite) on 127.0.0.1, the ledger with
    the example org, every deployment with its schedule, a worker for the `office` pool and a
    local mail catcher, and the office's web pages (the links in notices). Ctrl-C stops it all.

    The server and the ledger follow the environment: set PREFECT_SERVER_DATABASE_CONNECTION_URL
    (postgresql+asyncpg://…) and OFFICEFLOW_DATABASE_URL (postgresql://…) to run both on
    PostgreSQL."""
    home = get_settings().home
    given = {"port": port, "smtp_port": smtp_port, "web_port": web_port}
    stack = LocalStack(
        home=home,
        port=DEFAULT_PORT if port is None else port,
        smtp_port=DEFAULT_SMTP_PORT if smtp_port is None else smtp_port,
        web_port=DEFAULT_WEB_PORT if web_port is None else web_port,
        fixed_ports=frozenset(name for name, value in given.items() if value is not None),
        org_file=org_file,
        workers=workers,
        say=lambda text: console.print(text, highlight=False, soft_wrap=True),
    )
    signal.signal(signal.SIGTERM, _raise_stop)
    failed: StackError | None = None
    try:
        info = stack.start()
        _print_ready(info, stack)
        while (dead := stack.check()) is None:
            time.sleep(1)
        warn(f"the {dead} process exited on its own; see {stack.logs / (dead + '.log')}")
        raise typer.Exit(1)
    except StackError as error:
        failed = error  # a part did not start: `start()` stopped the parts it had started
    except (KeyboardInterrupt, _Stop):
        pass  # a clean stop, below
    finally:
        # A second Ctrl-C must not cut the shutdown short and leave children behind; the
        # process ends right after, so the signals stay ignored.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)
        if failed is None:
            console.print("stopping …")
            stack.stop()
            console.print("stopped: worker, Prefect server and mail catcher (and the web pages)")
    if failed is not None:
        fail(f"officeflow is not up: {failed}", code=1)


def _print_ready(info: StackInfo, stack: LocalStack) -> None:
    console.rule("officeflow is up")
    console.print(
        f"Prefect UI      [bold]{info.ui_url}[/]  (Deployments → a process → Run → Custom run)\n"
        f"Prefect UI sign-in  the auth string in {stack.home / AUTH_FILE} (the UI asks once)\n"
        f"Prefect API     export PREFECT_API_URL={info.api_url}\n"
        f'                export PREFECT_API_AUTH_STRING="$(cat {stack.home / AUTH_FILE})"\n'
        f"office pages    [bold]{info.web_url}[/]  (the links in notices open here)\n"
        f"mail catcher    {info.smtp_host}:{info.smtp_port}, messages in {info.outbox}\n"
        f"outbox          officeflow outbox   (officeflow outbox 1 shows a message)\n"
        f"demo            officeflow demo     (in another terminal)\n"
        f"logs            {stack.logs}\n"
        "Ctrl-C stops everything.",
        highlight=False,
    )


def demo(
    timeout: float = typer.Option(180, help="Seconds to wait for each run"),
) -> None:
    """Run one decision, one incident, one meeting and two documents (incoming, outgoing) through
    the deployments of the stack that `officeflow up` started, wait for each run and print what
    happened and the new mail."""
    home = get_settings().home
    info = StackInfo.read(home)
    api_url = os.environ.get("PREFECT_API_URL") or (info.api_url if info else None)
    if api_url is None:
        fail(f"no running stack under {home}: start it with `officeflow up` (or `make run`)")
    outbox_dir = Path(info.outbox) if info else home / "outbox"

    from prefect.settings import temporary_settings

    with temporary_settings(updates=client_settings(get_settings().home, api_url)):
        results = _run_demo(outbox_dir, timeout)
    failed = [name for name, state, _ in results if state != "COMPLETED"]
    if failed:
        fail(f"not completed: {', '.join(failed)}", code=1)


def _run_demo(outbox_dir: Path, timeout: float) -> list[tuple[str, str, int]]:
    from prefect import get_client
    from prefect.deployments import run_deployment

    from officeflow.mailcatcher import read_outbox

    with get_client(sync_client=True) as client:
        deployments = {d.name: d for d in client.read_deployments()}
    results: list[tuple[str, str, int]] = []
    links: list[str | None] = []
    for name, example in demo_runs():
        console.rule(name)
        deployment = deployments.get(name)
        path = PROJECT_DIR / example
        if deployment is None:
            console.print(f"skipped: the {name} deployment is not registered (flow not written?)")
            continue
        if not path.is_file():
            console.print(f"skipped: {example} does not exist")
            continue
        parameters = _parameters_for(deployment.parameter_openapi_schema or {}, path)
        before = len(read_outbox(outbox_dir))
        console.print(f"running {name} with {example} …")
        run: Any = run_deployment(
            deployment.id, parameters=parameters, timeout=timeout, tags=actors.run_tags()
        )
        state = run.state.type.value if run.state else "UNKNOWN"
        new = read_outbox(outbox_dir)[before:]
        console.print(
            f"flow run [bold]{run.name}[/]: {state} ({run.state.message or ''})"
            if run.state
            else f"flow run {run.name}: no state"
        )
        console.print(f"{len(new)} new message(s) in the outbox")
        for _, msg in new[:10]:
            console.print(f"  → {msg['To']}: {msg['Subject']}", highlight=False)
        results.append((name, state, len(new)))
        if name == "emergency-response" and state == "COMPLETED":
            links.append(_incident_link())
    console.rule("summary")
    for name, state, mails in results:
        console.print(f"{name}: {state}, {mails} message(s)")
    console.print("see them with: officeflow outbox")
    for link in filter(None, links):
        console.print(
            f"open the incident as its duty officer (acknowledge it, file the reports):\n  {link}",
            highlight=False,
            soft_wrap=True,
        )
    return results


def _incident_link() -> str | None:
    """The signed acknowledgement link of the newest incident, for the duty officer its first
    alert went to (the same link that officer's email carries)."""
    from sqlalchemy import select

    from models.emergency import Incident
    from models.ledger import Delivery
    from officeflow import db, duty, emergency, links
    from officeflow.settings import get_settings

    with db.read_scope() as session:
        incident = session.scalars(select(Incident).order_by(Incident.id.desc())).first()
        if incident is None:
            return None
        key = f"incident:{incident.id}:initial"
        alerted = set(session.scalars(select(Delivery.person_id).where(Delivery.notice_key == key)))
        officers = [p for p in duty.duty_officers(session) if p in alerted] or sorted(alerted)
        if not officers:
            return None
        target = links.LinkTarget(officers[0], key, emergency.OBJECT, str(incident.id))
    return links.url_for(target, "acknowledge", get_settings())


def _in_the_future(data: Any) -> Any:
    """The example meeting is dated; a demo run today moves it five working days ahead (its
    deadlines then default to working days before it)."""
    import pendulum

    from officeflow import clock
    from officeflow.workdays import get_calendar

    if not (isinstance(data, dict) and "start" in data):
        return data
    start = pendulum.parse(str(data["start"]))
    if start > clock.now():
        return data
    calendar = get_calendar()
    day = calendar.add_workdays(calendar.local_date(clock.now()), 5)
    moved = pendulum.datetime(day.year, day.month, day.day, 9, 30, tz=calendar.timezone)
    data = {k: v for k, v in data.items() if k not in ("topic_deadline", "materials_deadline")}
    data["start"] = moved.isoformat()
    return data


def _parameters_for(schema: dict[str, Any], path: Path) -> dict[str, Any]:
    """The example file is the flow's one required parameter (e.g. `decision`), unless it already
    names the parameters."""
    data = _in_the_future(yaml.safe_load(path.read_text(encoding="utf-8")))
    properties = list((schema.get("properties") or {}).keys())
    required = schema.get("required") or properties
    if isinstance(data, dict) and set(data) <= set(properties):
        return data
    if len(required) == 1:
        return {required[0]: data}
    raise typer.BadParameter(f"cannot map {path} onto parameters {properties}")
