"""The `officeflow` command. Each office process adds its own sub-command group here."""

from __future__ import annotations

import atexit
import contextlib
import gc
import sys
from importlib import import_module
from typing import TYPE_CHECKING, Any

from officeflow import sent

if TYPE_CHECKING:  # imported by `build_app`, once the collector is off (`main`)
    import typer

# Each group or command: its name, and the module attribute that holds it. A command imports only
# its own module (and what that imports): `officeflow calendar …` never loads SQLAlchemy models,
# Apprise or Prefect. Each office process adds its group here.
GROUPS: dict[str, str] = {
    "db": "officeflow.cli.db:app",
    "org": "officeflow.cli.org:app",
    "calendar": "officeflow.cli.calendar:app",
    "notify": "officeflow.cli.notify:app",
    "deliveries": "officeflow.cli.deliveries:app",
    "decision": "officeflow.cli.decision:app",
    "assignment": "officeflow.cli.assignment:app",
    "incident": "officeflow.cli.incident:app",
    "meeting": "officeflow.cli.meeting:app",
    "duty": "officeflow.cli.duty:app",
    "info": "officeflow.cli.info:app",
    "doc": "officeflow.cli.doc:app",
    "outbox": "officeflow.cli.outbox:outbox",
    "deployments": "officeflow.cli.deployments:app",
    "actions": "officeflow.cli.actions_list:app",
    "up": "officeflow.cli.stack:up",
    "demo": "officeflow.cli.stack:demo",
    "web": "officeflow.cli.web:web",
}

HELP = (
    "Run the general office's work (督查督办, 突发事件, 办会, 值班, 信息报送, 办文) as Prefect "
    "workflows over a SQL ledger.\n\nSettings come from OFFICEFLOW_* environment variables or "
    "a .env file; see README.md."
)


def _load(target: str) -> Any:
    module, attr = target.split(":")
    return getattr(import_module(module), attr)


def _root(ctx: typer.Context) -> None:
    """Every command is an operator's action: events recorded inside say ``via=cli`` and the
    operating-system user (`officeflow.actors`). Set once here, for every command."""
    from officeflow import actors

    if actors.current().via != actors.CLI:
        ctx.with_resource(actors.acting(actors.CLI, operator=actors.os_user()))


def build_app(only: str | None = None) -> typer.Typer:
    """The `officeflow` Typer app: every group, or only the group ``only`` (what `main` runs, so
    a command imports its own module and not every process's services)."""
    import typer

    _root.__annotations__["ctx"] = typer.Context  # for Typer: this module has no `typer`
    app = typer.Typer(
        name="officeflow",
        help=HELP,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        rich_markup_mode="rich",
    )
    app.callback()(_root)  # a group even when it holds one command (`up` alone)
    from officeflow.cli import actions as declared

    for name, target in GROUPS.items():
        if only is not None and name != only:
            continue
        member = _load(target)
        if isinstance(member, typer.Typer):
            if name not in INFRASTRUCTURE and _may_name_declared(member, only):
                declared.add_commands(member, name)
            app.add_typer(member, name=name)
        else:
            app.command(name)(member)
    # A process's group with no hand-written commands: its declared actions alone.
    for name in _declared_groups() if only is None or only not in GROUPS else ():
        if name not in GROUPS and (only is None or name == only):
            member = declared.group_app(name)
            declared.add_commands(member, name)
            app.add_typer(member, name=name)
    return app


# Groups that are not an office object's: no declared action lives in them (and `calendar` must
# not pay for loading the declarations).
INFRASTRUCTURE = frozenset(
    {
        "db",
        "org",
        "calendar",
        "notify",
        "deliveries",
        "outbox",
        "deployments",
        "actions",
        "up",
        "demo",
        "web",
    }
)


def _may_name_declared(group: typer.Typer, only: str | None) -> bool:
    """Whether the command line may name one of the group's declared actions: not when it names
    one of its hand-written commands (`assignment sweep` through the stack must not load the
    declarations, their input models and so SQLAlchemy)."""
    if only is None:
        return True
    argv = sys.argv[2:3]
    if not argv or argv[0].startswith("-"):
        return True
    own = {
        c.name or (c.callback.__name__.replace("_", "-") if c.callback else "")
        for c in group.registered_commands
    }
    return argv[0] not in own


def _declared_groups() -> list[str]:
    from officeflow import actions

    return actions.groups()


def _group_named(argv: list[str]) -> str | None:
    """The group the command line names (its first word), if it is one; else None (help, an
    unknown word: then the whole app is built, so click lists every group)."""
    if not argv or argv[0].startswith("-"):
        return None
    if argv[0] in GROUPS:
        return argv[0]
    return argv[0] if argv[0] in _declared_groups() else None


def __getattr__(name: str) -> Any:
    if name == "app":  # `from officeflow.cli import app`: the whole app (tests, docs)
        app = build_app()
        globals()["app"] = app
        return app
    raise AttributeError(name)


def _plain_error(message: str) -> None:
    from rich.text import Text

    from officeflow.cli.common import err_console

    err_console.print(
        Text.assemble(("error:", "bold red"), " ", message), highlight=False, soft_wrap=True
    )


# Commands that serve for hours: the cyclic garbage collector runs for them as usual.
SERVERS = ("up", "web", "demo")
# Commands that may work through thousands of rows without importing Prefect (a retry of every
# failed delivery, a large org file, migrations): the collector runs for them too.
LONG = (("deliveries", "retry"), ("org", "load"), ("db", "upgrade"))


def main() -> None:
    # A short command makes hundreds of thousands of objects while it imports its modules
    # (SQLAlchemy, the models, Pydantic, Rich) and little garbage: the cyclic collector would
    # run hundreds of times for nothing, about a quarter of the command's time. So it is off for
    # a short command, and what the imports made is frozen out of its way. It comes back on
    # for a server, and the moment a command imports Prefect (a flow run, which may be long:
    # `_StackBeforePrefect`).
    collecting = gc.isenabled()
    gc.disable()
    try:
        group = _group_named(sys.argv[1:])
        if group not in ("up", "calendar"):
            _StackBeforePrefect.install()
        app = build_app(group)
        gc.freeze()
        if group in SERVERS or tuple(sys.argv[1:3]) in LONG:
            gc.enable()
        else:
            _leave_quickly()
        try:
            # The notices the command's flows send are gathered, so that it ends by saying what
            # became of them (and exits 3 or 4 when not all arrived: `_said_delivery`).
            with sent.collecting() as notices:
                try:
                    app()
                except SystemExit as ended:
                    if ended.code in (0, None) and notices:
                        _said_delivery(notices)
                    raise
        except Exception as exc:
            _exit_for(exc)
        except KeyboardInterrupt:
            from officeflow.cli.common import console

            console.print("interrupted")
            sys.exit(130)
    finally:
        if collecting:  # as it was (a caller in the same process)
            gc.enable()


def _said_delivery(keys: list[str]) -> None:
    """After a command whose flows sent notices: one line saying how many arrived, how many wait
    for a retry (and when) and who cannot be reached; exit 3 or 4 when not all arrived."""
    from officeflow import db, delivered
    from officeflow.cli.common import console, plain, warn

    with db.read_scope() as session:
        outcome = delivered.outcome(session, keys)
    if outcome.total == 0:
        return
    console.print(plain(outcome.summary()), highlight=False, soft_wrap=True)
    if outcome.exit_code:
        warn(
            "the action is recorded, but not everyone was told yet; "
            "see `officeflow deliveries problems`"
        )
        sys.exit(outcome.exit_code)


def _leave_quickly() -> None:
    """At the exit of a short command's interpreter, close the ledger's connections and freeze
    what the command made since `main`'s freeze (the modules it imported itself, e.g. SQLAlchemy
    and the models for `assignment report`: about 50,000 objects). Otherwise the interpreter's
    last collections take them apart one by one as it exits: 0.15–0.3 s of a 1 s command, for
    memory the operating system takes back anyway. The connections are closed first, as the exit
    closed them before (SQLite checkpoints its WAL then). Not after a flow ran in the process
    (Prefect imported): its objects are left to the interpreter as usual."""
    global _leaving_quickly
    if not _leaving_quickly:  # once per interpreter (an in-process caller may call `main` again)
        _leaving_quickly = True
        atexit.register(_freeze_at_exit)


_leaving_quickly = False


def _freeze_at_exit() -> None:
    if "prefect" in sys.modules:
        return
    db = sys.modules.get("officeflow.db")
    if db is not None:
        with contextlib.suppress(Exception):  # the exit goes on, as it did when they were freed
            db.dispose_engines()
    gc.freeze()


class _StackBeforePrefect:
    """Finds the running stack the moment a command first imports Prefect (to run a flow, to
    register deployments), and only then: a command that runs no flow never imports Prefect,
    so it pays neither for reading the settings here nor for the stack's health request. The
    Prefect client reads ``PREFECT_API_URL`` and ``PREFECT_HOME`` when it is imported, so they
    are set just before. (A meta path finder that finds nothing: the import itself is Python's
    ordinary one.)"""

    @classmethod
    def install(cls) -> None:
        if "prefect" in sys.modules:  # already imported (in-process callers): too late to hook
            _use_running_stack()
            gc.enable()
        elif not any(isinstance(f, cls) for f in sys.meta_path):
            sys.meta_path.insert(0, cls())

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name == "prefect":
            with contextlib.suppress(ValueError):  # removed once, before anything else runs
                sys.meta_path.remove(self)
            _use_running_stack()
            gc.enable()  # a flow run: the collector runs as usual (`main`)
        return None


def _use_running_stack() -> None:
    """With `officeflow up` running (and no PREFECT_API_URL), flows report to its server."""
    from officeflow.settings import get_settings
    from officeflow.stack import use_running_stack

    try:
        home = get_settings().home
    except Exception:  # bad settings: the command itself reports them
        return
    use_running_stack(home)


# The exit code of a refused action (`officeflow.actors.NotAllowed`): EX_NOPERM from sysexits.h.
NOT_ALLOWED_EXIT = 77


def _exit_for(exc: Exception) -> None:
    """Bad input, a refused template, a missing env file or a locked ledger: a one-line error and
    its exit code; anything else is re-raised. (Imported here, so a command that succeeds never
    pays for the imports.)"""
    from pydantic import ValidationError
    from sqlalchemy.exc import OperationalError

    from officeflow.actors import NotAllowed
    from officeflow.cli.common import err_console, plain
    from officeflow.db import is_lock_timeout, lock_timeout_message
    from officeflow.flowcalls import FlowFailed
    from officeflow.inputs import InputError, problems_from
    from officeflow.settings import EnvFileMissing
    from rules.templates import TemplateRefused

    if isinstance(exc, (InputError, ValidationError)):
        if isinstance(exc, ValidationError):  # a model built from options (e.g. --title "")
            exc = InputError(problems_from(exc))
        err_console.print(f"[bold red]error:[/] {plain(exc)}", highlight=False, soft_wrap=True)
        sys.exit(2)
    # A template that tried to reach Python internals; an OFFICEFLOW_ENV_FILE that is missing.
    if isinstance(exc, (TemplateRefused, EnvFileMissing)):
        _plain_error(str(exc))
        sys.exit(2)
    if isinstance(exc, NotAllowed):  # who, what and who may; nothing was written
        from officeflow.text import strip_controls

        _plain_error(strip_controls(str(exc)))
        sys.exit(NOT_ALLOWED_EXIT)
    if isinstance(exc, FlowFailed):  # a flow that failed in the running stack
        from officeflow.text import strip_controls

        _plain_error(strip_controls(str(exc)))
        sys.exit(exc.code)
    if isinstance(exc, OperationalError) and is_lock_timeout(exc):
        _plain_error(lock_timeout_message())
        sys.exit(75)  # EX_TEMPFAIL: try again later
    raise exc


__all__ = ["app", "main"]
