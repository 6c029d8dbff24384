"""The CLI commands of the declared actions (`officeflow.actions`), generated: one command per
action, in its object's group (``officeflow <group> <verb> ID [options] --as PERSON``). Its
options are the input model's fields (a yes/no field is ``--<yes>/--<no>`` from its
``json_schema_extra={"flags": ...}``, a list is a repeated option), its help the field's
description; ``--as`` names the actor. Old spellings of a command are hidden aliases that say
the new one.

A command takes the action in this process, in one transaction (`actions.perform`: the input
checked, then the policy, then the service), and sends its notices after the commit; an action
declared ``cli_runs_flow`` is checked the same way first and then runs its flow (in the running
stack when there is one)."""

from __future__ import annotations

import datetime as dt
import enum
import inspect
import json
import types
import typing
from pathlib import Path
from typing import Any

import typer
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from officeflow import actions
from officeflow.cli.common import (
    _actor_id,
    check_first,
    console,
    plain,
    run_flow,
    send_notices,
    warn,
)

_SCALARS = (int, float, str)


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """(the type without ``None``, whether ``None`` is allowed)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            inner, _ = _unwrap(args[0])
            return inner, True
    return annotation, False


def _extra(info: FieldInfo) -> dict[str, Any]:
    extra = info.json_schema_extra
    return extra if isinstance(extra, dict) else {}


def option_name(name: str) -> str:
    return "--" + name.replace("_", "-")


def _cli_type(annotation: Any) -> tuple[Any, bool]:
    """The type Typer parses, and whether the value is JSON text for the model to read."""
    inner, _ = _unwrap(annotation)
    origin = typing.get_origin(inner)
    if origin in (list, tuple, set, frozenset):
        (item,) = typing.get_args(inner)[:1] or (str,)
        item, _ = _unwrap(item)
        if item in _SCALARS:
            return list[item], False  # type: ignore[valid-type]
        return list[str], True
    if inner is bool:
        return bool, False
    if inner in _SCALARS:
        return inner, False
    if isinstance(inner, type) and issubclass(inner, enum.Enum):
        return str, False
    if inner in (dt.date, dt.datetime, dt.time):
        return str, False
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        return str, True
    return str, False


def _help(info: FieldInfo) -> str:
    extra = _extra(info)
    parts = [extra.get("zh") or info.title or "", info.description or ""]
    return " — ".join(p for p in parts if p)


def parameters(action: actions.Action) -> list[inspect.Parameter]:
    """The command's parameters: the object id, one option per input field, ``--as``."""
    params = [
        inspect.Parameter(
            action.obj.id_param,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            default=typer.Argument(..., metavar="ID", help=f"{action.obj.zh} id"),
            annotation=int,
        )
    ]
    for name, info in action.input.model_fields.items():
        # Every option is optional to click: a field may come from --from FILE, and a missing
        # one is refused by the model, naming it (exit 2), as a wrong value is.
        cli_type, _ = _cli_type(info.annotation)
        helptext = _help(info) + (" (required)" if info.is_required() else "")
        if cli_type is bool:
            decls = [_extra(info).get("flags") or f"--{name.replace('_', '-')}/--no-{name}"]
        else:
            decls = [option_name(name)]
        params.append(
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                default=typer.Option(None, *decls, help=helptext, show_default=False),
                annotation=cli_type | None,  # type: ignore[operator]
            )
        )
        # Old spellings, hidden, for one release: a yes/no pair or another option's name.
        olds = [(o, bool) for o in _extra(info).get("old_flags", ())]
        olds += [(o, cli_type) for o in _extra(info).get("old_options", ())]
        for n, (old, old_type) in enumerate(olds):
            params.append(
                inspect.Parameter(
                    f"_old_{name}_{n}",
                    inspect.Parameter.KEYWORD_ONLY,
                    default=typer.Option(None, old, hidden=True),
                    annotation=old_type | None,  # type: ignore[operator]
                )
            )
    params.append(
        inspect.Parameter(
            "from_file",
            inspect.Parameter.KEYWORD_ONLY,
            default=typer.Option(
                None,
                "--from",
                metavar="FILE",
                help="A YAML (or JSON) file of the fields; options given as well win",
            ),
            annotation=Path | None,
        )
    )
    params.append(
        inspect.Parameter(
            "actor",
            inspect.Parameter.KEYWORD_ONLY,
            default=typer.Option(
                ..., "--as", metavar="PERSON", help="经办人 (your person id)", callback=_actor_id
            ),
            annotation=str,
        )
    )
    return params


def _input_of(action: actions.Action, values: dict[str, Any]) -> dict[str, Any]:
    """The option values as the input model's data (options not given left out: the model's
    defaults, or a --from file, fill them; a JSON option parsed)."""
    data: dict[str, Any] = {}
    for name, info in action.input.model_fields.items():
        value = values.get(name)
        olds = [
            v for k, v in values.items() if k.startswith(f"_old_{name}_") and v not in (None, [])
        ]
        if olds and value in (None, []):
            new = _extra(info).get("flags") or option_name(name)
            warn(f"that spelling is old; the option is now {new}")
            value = olds[0]
        if value is None or value == []:
            continue
        _, is_json = _cli_type(info.annotation)
        if is_json:
            try:
                value = (
                    [json.loads(v) for v in value] if isinstance(value, list) else json.loads(value)
                )
            except ValueError as exc:
                from officeflow.inputs import input_error

                raise input_error(name, f"must be JSON: {exc}") from None
        data[name] = value
    return data


def _from_file(action: actions.Action, path: Path | None) -> dict[str, Any]:
    """The fields of a ``--from`` file, checked against the input model (errors name the line)."""
    if path is None:
        return {}
    from officeflow.inputs import load_yaml_model

    model, _ = load_yaml_model(path, action.input)
    return model.model_dump(exclude_unset=True)


def command_for(action: actions.Action, *, old_name: str | None = None) -> Any:
    """The Typer callback of ``action`` (``old_name``: a hidden alias that says the new name)."""

    def run(**values: Any) -> None:
        if old_name:
            warn(
                f"`{action.obj.cli_group} {old_name}` is now `{action.obj.cli_group} {action.verb}`"
            )
        object_id = values.pop(action.obj.id_param)
        actor = values.pop("actor")
        source = values.pop("from_file")
        data = {**_from_file(action, source), **_input_of(action, values)}
        take(action, object_id, data, actor, source=str(source) if source else None)

    run.__name__ = action.verb.replace("-", "_")
    run.__doc__ = action.summary
    params = parameters(action)
    run.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in params}
    return run


def take(
    action: actions.Action,
    object_id: int,
    data: dict[str, Any],
    actor: str,
    source: str | None = None,
) -> Any:
    """The action, from the CLI: in this process (one transaction, then the notices), or its flow
    after the same checks when it is declared ``cli_runs_flow``."""
    from officeflow import db

    params = actions.parse(action, data)
    if action.cli_runs_flow and action.flow:
        check_first(
            lambda session: actions.perform(session, action, object_id, params, actor), source
        )
        result = run_flow(
            action.flow, **{action.obj.id_param: object_id}, params=params, actor=actor
        )
        console.print(_said(action, object_id, result), highlight=False)
        return result
    with db.session_scope() as session:
        result = actions.perform(session, action, object_id, params, actor)
        keys = action.notices(result)
    console.print(_said(action, object_id, result), highlight=False)
    send_notices(keys)
    if action.after:
        said = actions.resolve(action.after)(result, params, actor)
        if said:
            console.print(plain(said), highlight=False)
    return result


# What a result may say beyond its status, in this order (a document's number, the issue an
# item was adopted into, the decision or request an action made).
_FACTS = (
    ("number", "number"),
    ("issue", "issue"),
    ("decision_id", "decision"),
    ("request_id", "request"),
    ("topic_id", "topic"),
)


def _said(action: actions.Action, object_id: int, result: Any) -> str:
    status = getattr(result, "status", None)
    status = getattr(status, "value", status)
    facts = [
        f"{word} {plain(value)}"
        for attr, word in _FACTS
        if (value := getattr(result, attr, None)) not in (None, "")
    ]
    return f"{action.obj.en} {object_id}: {action.zh} ({action.en}) done" + "".join(
        f", {part}" for part in ([f"now {plain(status)}"] if status else []) + facts
    )


def add_commands(app: typer.Typer, group: str) -> None:
    """Add every declared action of ``group`` to its Typer group, with the hidden old names."""
    for action in actions.for_group(group):
        app.command(action.verb, help=action.summary)(command_for(action))
        for old in action.aliases:
            app.command(old, hidden=True, help=action.summary)(command_for(action, old_name=old))


def group_app(group: str) -> typer.Typer:
    """A Typer group holding only declared actions (a process without hand-written commands)."""
    app = typer.Typer(help=f"Declared actions on {group}.", no_args_is_help=True)
    return app
