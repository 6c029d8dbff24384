"""One declaration per office action, and the one door every action goes through.

A process declares, once and beside its services (``officeflow/<p>/declarations.py``), each of
its office objects (`OfficeObject`: what it is called, how it is looked up and named) and each
action people take on them (`Action`): the verb (one word of `VOCABULARY`), the typed input
(a Pydantic model), the object, who may (a `officeflow.policy.Rule`), the service function, and
the surfaces that offer it (a CLI command, a Prefect action deployment, a web action page). The
process's other flows (its main procedure, its sweep) are declared there too (`ProcessFlow`).

Everything else is derived from these declarations and from nowhere else:

- the CLI commands (`officeflow.cli.actions`): options from the input model's fields, ``--as``;
- the flows a CLI command may run in the stack (`officeflow.flowcalls.FLOWS`);
- the deployments table and prefect.yaml (`deployments.definitions`);
- the web action pages, their forms generated from the input model (`officeflow.web.declared`);
- the policy table (`officeflow.policy.POLICY`);
- the permission tests (`tests/test_declarations.py`).

`perform` is the service door: it looks the object up, asks `officeflow.policy.authorize`, and
only then calls the service, so a refused person writes nothing anywhere.

This module imports no Prefect, no FastAPI, no delivery: the CLI loads it for every command that
takes an action. The registry imports each process's declarations module, which imports only
its input models; services are named as ``"module:function"`` and imported when called.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import import_module
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from officeflow.policy import Rule

# One word per concept (docs/adding-a-process.md has the table with the old spellings). A verb
# is the CLI command, the second half of the deployment name (``<object>-<verb>``) and of the
# policy key (``<object>.<verb>``).
VOCABULARY: dict[str, tuple[str, str]] = {
    # verb: (中文, English)
    "acknowledge": ("确认收到", "acknowledge"),
    "confirm-receipt": ("签收", "confirm receipt"),
    "report-progress": ("进展反馈", "report progress"),
    "request-completion": ("办结申请", "request completion"),
    "verify": ("核验", "verify"),
    "request-extension": ("延期申请", "request an extension"),
    "decide-extension": ("延期审批", "decide an extension"),
    "close": ("结束", "close"),
    "file-report": ("报送续报", "file a report"),
    "submit-topic": ("报送议题", "submit a topic"),
    "approve-agenda": ("审定议程", "approve the agenda"),
    "reschedule": ("改期", "reschedule"),
    "cancel": ("取消", "cancel"),
    "record-minutes": ("录入纪要", "record the minutes"),
    "submit-materials": ("报送材料", "submit materials"),
    "register-attendance": ("报名参会", "register attendance"),
    "request-swap": ("换班申请", "request a swap"),
    "decide-swap": ("换班审批", "decide a swap"),
    "hand-over": ("交接班", "hand over"),
    "edit": ("修改", "edit"),
    "adopt": ("采用", "adopt"),
    "reject": ("退回", "reject"),
    "comment": ("批示", "comment"),
    "propose": ("拟办", "propose"),
    "distribute": ("分办", "distribute"),
    "file": ("归档", "file"),
    "review": ("核稿", "review"),
    "redraft": ("修改稿", "redraft"),
    "cosign": ("会签", "co-sign"),
    "sign-off": ("签发", "sign off"),
    "issue": ("印发", "issue"),
    "note": ("备注", "note"),  # a remark on an object (the scratch process of the tests)
}

# Surfaces an action may be offered on.
CLI = "cli"
DEPLOYMENT = "deployment"
PAGE = "page"
SURFACES = (CLI, DEPLOYMENT, PAGE)


class DeclarationError(Exception):
    """A declaration is inconsistent (an unknown verb, a service whose parameters do not match
    its input model, two actions with one key): raised when the registry is built."""


@dataclass(frozen=True)
class OfficeObject:
    """An office object people act on (an assignment, an incident, a document).

    ``load`` is ``"module:function"``, called as ``load(session, object_id)``: it returns the row
    or refuses an unknown id with an input error naming the object. ``label`` names the row the
    way a person reads it (its title), for refusals and pages; ``group`` is its CLI group."""

    name: str
    zh: str
    en: str
    load: str
    id_param: str
    label: Callable[[Any], str] = lambda obj: ""
    group: str = ""

    @property
    def cli_group(self) -> str:
        return self.group or self.name

    def get(self, session: Session, object_id: int) -> Any:
        return resolve(self.load)(session, object_id)


@dataclass(frozen=True)
class Action:
    """One office action, declared once.

    The service is ``"module:function"``, called with keyword arguments: the object's id (under
    ``obj.id_param``), each field of ``input`` by name, and ``actor``. It returns a result whose
    ``notice_keys`` are sent after the transaction commits.
    ``flow`` names the action's Prefect flow (``"flows.<p>:<object>_<verb>"``) when it is offered
    as a deployment; it takes ``(<id_param>, params: <input>, actor)``."""

    obj: OfficeObject
    verb: str
    input: type[BaseModel]
    service: str
    policy: Rule
    summary: str  # 中文 first: what the Prefect UI, `--help` and the page show
    surfaces: tuple[str, ...] = SURFACES
    flow: str | None = None
    aliases: tuple[str, ...] = ()  # old CLI spellings, hidden, for one release
    already: Callable[[Session, Any, str], str | None] | None = None  # "nothing left to do"
    cli_runs_flow: bool = False  # the CLI command runs the flow (in the stack) instead
    # "module:function", called as after(result, params, actor) once the action committed, by
    # the CLI and the pages (a flow does it itself): resume a Prefect run paused for it, say.
    # Returns a sentence to show, or None.
    after: str | None = None

    @property
    def key(self) -> str:
        return f"{self.obj.name}.{self.verb}"

    @property
    def deployment_name(self) -> str:
        """``<object>-<verb>``, kebab-case throughout (the flow's name, the UI's)."""
        return f"{self.obj.name.replace('_', '-')}-{self.verb}"

    @property
    def zh(self) -> str:
        return VOCABULARY[self.verb][0]

    @property
    def en(self) -> str:
        return VOCABULARY[self.verb][1]

    @staticmethod
    def notices(result: Any) -> list[str]:
        """The notices the action planned: its result's ``notice_keys``."""
        return list(getattr(result, "notice_keys", None) or [])

    def offers(self, surface: str) -> bool:
        return surface in self.surfaces

    def input_fields(self) -> list[str]:
        return list(self.input.model_fields)


@dataclass(frozen=True)
class ProcessFlow:
    """A flow of the process that is not an action on one object: its main procedure (a
    decision, an incident report), its sweep (sweep = plan and send), a bulletin. ``entrypoint``
    is ``"flows.<p>:<function>"``; ``cli`` says a CLI command runs it (allowed in the stack)."""

    name: str
    entrypoint: str
    description: str
    schedules: tuple[str, ...] = ()  # cron expressions, in the office's time zone
    tags: tuple[str, ...] = ()
    concurrency_limit: int | None = None
    cli: bool = True
    deployment: bool = True


@dataclass(frozen=True)
class Process:
    """A process's declarations: its name, objects, actions and flows, and its demo input."""

    name: str
    zh: str
    objects: tuple[OfficeObject, ...] = ()
    actions: tuple[Action, ...] = ()
    flows: tuple[ProcessFlow, ...] = ()
    # The pages' words for this process, by locale ("zh-CN", "en"): its events' labels
    # ("ev.<object>.<event>"), its pages' own keys. Objects and verbs need none.
    words: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)
    # What `officeflow demo` runs: (deployment name, example file of its parameter), in order.
    demo: tuple[tuple[str, str], ...] = ()


# --- the registry -------------------------------------------------------------------------------

_extra: list[Process] = []  # processes registered at run time (a test's scratch process)


def register(process: Process) -> Process:
    """Add a process declared outside `officeflow.processes.PROCESSES` (tests)."""
    check(process)
    _extra.append(process)
    registry.cache_clear()
    registry()
    return process


def unregister(name: str) -> None:
    _extra[:] = [p for p in _extra if p.name != name]
    registry.cache_clear()
    registry()


@cache
def registry() -> dict[str, Process]:
    """Every declared process, by name, in the order of `officeflow.processes.PROCESSES`."""
    from officeflow.processes import PROCESSES

    out: dict[str, Process] = {}
    for target in PROCESSES:
        process = import_module(target).PROCESS
        check(process)
        out[process.name] = process
    for process in _extra:
        out[process.name] = process
    keys = [a.key for p in out.values() for a in p.actions]
    dupes = {k for k in keys if keys.count(k) > 1}
    if dupes:
        raise DeclarationError(f"actions declared twice: {sorted(dupes)}")
    from officeflow import policy

    declared = [a for p in out.values() for a in p.actions]
    policy.TABLE.clear()
    policy.TABLE.update({(a.obj.name, a.verb): a.policy for a in declared})
    policy.DECLARED.clear()
    policy.DECLARED.update({a.key: a for a in declared})
    return out


def processes() -> list[Process]:
    return list(registry().values())


def all_actions() -> list[Action]:
    return [a for p in registry().values() for a in p.actions]


def all_flows() -> list[ProcessFlow]:
    return [f for p in registry().values() for f in p.flows]


def demo_runs() -> list[tuple[str, str]]:
    """Every process's demo runs, in the order of the processes."""
    return [run for p in registry().values() for run in p.demo]


def get(key: str | Action) -> Action:
    if isinstance(key, Action):
        return key
    for action in all_actions():
        if action.key == key:
            return action
    raise KeyError(f"no declared action {key!r}")


def for_group(group: str) -> list[Action]:
    return [a for a in all_actions() if a.obj.cli_group == group and a.offers(CLI)]


def groups() -> list[str]:
    return sorted({a.obj.cli_group for a in all_actions() if a.offers(CLI)})


def resolve(target: str) -> Any:
    module, _, name = target.partition(":")
    return getattr(import_module(module), name)


def check(process: Process) -> None:
    """Refuse an inconsistent declaration when the registry is built (and in the tests)."""
    for action in process.actions:
        if action.verb not in VOCABULARY:
            raise DeclarationError(
                f"{action.key}: verb {action.verb!r} is not in the vocabulary "
                "(officeflow.actions.VOCABULARY)"
            )
        unknown = set(action.surfaces) - set(SURFACES)
        if unknown:
            raise DeclarationError(f"{action.key}: unknown surfaces {sorted(unknown)}")
        if action.offers(DEPLOYMENT) and not action.flow:
            raise DeclarationError(f"{action.key}: offered as a deployment but names no flow")
        clash = {"actor", action.obj.id_param} & set(action.input.model_fields)
        if clash:
            raise DeclarationError(f"{action.key}: the input model may not have {sorted(clash)}")


def check_service(action: Action) -> None:
    """The service's keyword parameters are the object id, the input's fields and ``actor``."""
    fn = resolve(action.service)
    params = inspect.signature(fn).parameters
    wanted = {action.obj.id_param, "actor", *action.input_fields()}
    names = {n for n, p in params.items() if n != "session"}
    missing = wanted - names
    required = {n for n, p in params.items() if n != "session" and p.default is p.empty}
    if missing or required - wanted:
        raise DeclarationError(
            f"{action.key}: service {action.service} takes {sorted(names)}; the declaration "
            f"gives {sorted(wanted)}"
        )


# --- the door ----------------------------------------------------------------------------------


def parse(action: Action, params: BaseModel | dict[str, Any] | None) -> BaseModel:
    """The action's input, validated (a model of another class is re-validated from its data);
    a refused field is an `officeflow.inputs.InputError` naming it."""
    from pydantic import ValidationError

    from officeflow.inputs import InputError, problems_from

    if isinstance(params, action.input):
        return params
    if isinstance(params, BaseModel):
        params = params.model_dump()
    try:
        return action.input.model_validate(params or {})
    except ValidationError as exc:
        raise InputError(problems_from(exc)) from None


def perform(
    session: Session,
    key: str | Action,
    object_id: int,
    params: BaseModel | dict[str, Any] | None,
    actor: str,
) -> Any:
    """Take an action: check the input, look the object up, ask the policy, then call the service
    in the caller's transaction. Every surface (CLI, flow task, web page) comes through here."""
    from officeflow import policy

    action = get(key)  # builds the registry, and so the policy table, once
    data = parse(action, params)
    obj = action.obj.get(session, object_id)
    policy.authorize(session, actor, action, obj, data)
    kwargs = {name: getattr(data, name) for name in action.input_fields()}
    return resolve(action.service)(
        session, **{action.obj.id_param: object_id}, **kwargs, actor=actor
    )


__all__ = ["Action", "OfficeObject", "Process", "ProcessFlow", "VOCABULARY", "perform", "registry"]
