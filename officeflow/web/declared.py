"""The action pages of the declared actions (`officeflow.actions`), generated: for every action
offered on the web that its process did not write a page for by hand, a page whose form is
built from the action's input model, as Prefect's UI builds a run form from a flow's parameters:
a field's ``title`` is its Chinese label, its ``description`` its English one; a yes/no field is
two buttons (同意/不同意 for ``--approve/--refuse``), a number, a date, a choice of an enum, a
list one item a line, long text a text area.

The POST goes through the app's one handler (CSRF, the signed form state, a replay refused)
and then `officeflow.actions.perform` as the link's person: the policy refuses with 403, a bad
field with 400 and the field named, and nothing is written either way."""

from __future__ import annotations

import datetime as dt
import enum
import json
import types
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from officeflow import actions
from officeflow.web.pages import REGISTRY, ActionPage, Outcome, form_text, register
from officeflow.web.tokens import Claim
from officeflow.web.views import person_name, timeline

TEMPLATE = "action_form.html"

# The words of a yes/no field's two buttons, by the flag's spelling.
FLAG_WORDS = {
    "approve": ("同意", "Approve"),
    "refuse": ("不同意", "Refuse"),
    "yes": ("是", "Yes"),
    "no": ("否", "No"),
    "parallel": ("同时", "At once"),
    "in-turn": ("依次", "In turn"),
    "accept-late": ("补报", "Accept late"),
    "on-time": ("按期", "On time"),
}


@dataclass(frozen=True)
class FormField:
    name: str
    kind: str  # text, textarea, number, date, datetime, choice, toggle, select, lines
    zh: str
    en: str
    required: bool
    default: Any = None
    options: tuple[tuple[str, str, str], ...] = ()  # (value, 中文, English)
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    json: bool = False  # a nested model, given as JSON text

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh-CN" else self.en


def _unwrap(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return _unwrap(args[0])
    return annotation


def _metadata(annotation: Any) -> list[Any]:
    """Constraints nested in the type (``Annotated[str, Field(max_length=64)] | None``)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        inner, *meta = typing.get_args(annotation)
        found = []
        for m in meta:
            found += [m, *getattr(m, "metadata", [])]
        return found + _metadata(inner)
    if origin in (typing.Union, types.UnionType):
        return [m for a in typing.get_args(annotation) for m in _metadata(a)]
    return []


def _bounds(info: FieldInfo) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for m in [*info.metadata, *_metadata(info.annotation)]:
        for attr, key in (("ge", "minimum"), ("le", "maximum"), ("max_length", "max_length")):
            if getattr(m, attr, None) is not None:
                out[key] = getattr(m, attr)
    return out


def form_field(name: str, info: FieldInfo) -> FormField:
    """How one field of an input model is asked for on a page."""
    kind_of = _unwrap(info.annotation)
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    zh = info.title or name
    en = str(extra.get("en") or info.description or name.replace("_", " ").capitalize())
    default = None if info.is_required() else info.default
    common = {"zh": zh, "en": en, "required": info.is_required(), "default": default}
    bounds = _bounds(info)
    origin = typing.get_origin(kind_of)
    if kind_of is bool:
        flags = str(extra.get("flags") or "--yes/--no")
        yes, no = (f.lstrip("-") for f in flags.split("/", 1))
        options = tuple(
            (value, *FLAG_WORDS.get(word, (word, word)))
            for value, word in (("true", yes), ("false", no))
        )
        # A decision (同意/不同意) is the form's two buttons: one tap answers. Any other yes/no
        # is a pair of radio buttons above the one submit button.
        kind = "choice" if yes == "approve" else "toggle"
        return FormField(name, kind, options=options, **common)
    if origin in (list, tuple, set, frozenset):
        (item,) = typing.get_args(kind_of)[:1] or (str,)
        item = _unwrap(item)
        is_model = isinstance(item, type) and issubclass(item, BaseModel)
        return FormField(name, "lines", json=is_model, **common)
    if isinstance(kind_of, type) and issubclass(kind_of, enum.Enum):
        labels = extra.get("labels") or {}  # value -> [中文, English]
        options = tuple(
            (str(m.value), *(labels.get(str(m.value)) or (str(m.value), str(m.value))))
            for m in kind_of
        )
        return FormField(name, "select", options=options, **common)
    if kind_of in (int, float):
        return FormField(name, "number", **common, **bounds)
    if kind_of is dt.date:
        return FormField(name, "date", **common)
    if kind_of is dt.datetime:
        return FormField(name, "datetime", **common)
    if isinstance(kind_of, type) and issubclass(kind_of, BaseModel):
        return FormField(name, "textarea", json=True, **common)
    long = bounds.get("max_length") is None or bounds["max_length"] > 300
    return FormField(name, "textarea" if long else "text", **common, **bounds)


def form_fields(model: type[BaseModel]) -> list[FormField]:
    return [form_field(name, info) for name, info in model.model_fields.items()]


def field_labels(object_type: str, verb: str) -> dict[str, tuple[str, str]]:
    """The labels (中文, English) of the fields of the action a page takes, by field name: what
    an error names instead of the field (`officeflow.inputs.say`)."""
    for action in actions.all_actions():
        if action.obj.name == object_type and verb in (action.verb, *action.aliases):
            return {f.name: (f.zh, f.en) for f in form_fields(action.input)}
    return {}


def typed_values(form: FormData) -> dict[str, str]:
    """What the person typed, by field, to put back in the form shown with an error."""
    skip = {"csrf_token", "state"}
    return {k: v for k, v in form.multi_items() if isinstance(v, str) and k not in skip}


def parse_form(action: actions.Action, form: FormData) -> dict[str, Any]:
    """The posted form as the input model's data: empty optional fields left to the model's
    defaults; the model then checks every value and names the field it refuses."""
    data: dict[str, Any] = {}
    for f in form_fields(action.input):
        raw = form_text(form, f.name).strip()
        if f.kind == "lines":
            items: list[Any] = [line.strip() for line in raw.splitlines() if line.strip()]
            if f.json:  # one record a line, as JSON; a line that is not is the model's to refuse
                items = [_json_or_text(item) for item in items]
            if items or f.required:
                data[f.name] = items
            continue
        if not raw:
            if f.required:
                data[f.name] = None  # the model names the missing field
            continue
        if f.kind in ("choice", "toggle"):
            data[f.name] = raw == "true"
        elif f.json:
            data[f.name] = _json_or_text(raw)
        else:
            data[f.name] = raw
    return data


def _json_or_text(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw  # the model says what it expected


def _object_id(claim: Claim) -> int:
    from officeflow.web.views import object_id

    return object_id(claim)


def _load(action: actions.Action) -> Any:
    def load(session: Session, claim: Claim) -> dict[str, Any]:
        obj = action.obj.get(session, _object_id(claim))
        return {
            "action": action,
            "object_label": action.obj.label(obj),
            "object_zh": action.obj.zh,
            "object_en": action.obj.en,
            "object_number": obj.id,
            "fields": form_fields(action.input),
            "timeline": timeline(session, claim.object_type, claim.object_id),
            "person_name": person_name(session, claim.person_id),
        }

    return load


def _perform(action: actions.Action) -> Any:
    def perform(session: Session, claim: Claim, form: FormData) -> Outcome:
        data = parse_form(action, form)
        params = actions.parse(action, data)
        result = actions.perform(session, action, _object_id(claim), params, claim.person_id)
        after = None
        if action.after:
            hook = actions.resolve(action.after)
            after = lambda: hook(result, params, claim.person_id)  # noqa: E731
        return Outcome(
            "declared.done",
            {"zh": action.zh, "en": action.en},
            notice_keys=action.notices(result),
            after=after,
        )

    return perform


def _already(action: actions.Action) -> Any:
    def already(session: Session, claim: Claim) -> str | None:
        if action.already is None:
            return None
        obj = action.obj.get(session, _object_id(claim))
        return action.already(session, obj, claim.person_id)

    return already


def page(action: actions.Action) -> ActionPage:
    return ActionPage(
        object_type=action.obj.name,
        action=action.verb,
        template=TEMPLATE,
        load=_load(action),
        perform=_perform(action),
        already=_already(action),
        siblings=tuple(
            a.verb
            for a in actions.all_actions()
            if a.obj is action.obj and a.offers(actions.PAGE) and a is not action
        ),
    )


def register_declared() -> None:
    """A page for every declared action offered on the web that has none yet (a hand-made
    page of its process wins), under its verb and its old names."""
    for action in actions.all_actions():
        if not action.offers(actions.PAGE):
            continue
        if (action.obj.name, action.verb) in REGISTRY:
            for alias in action.aliases:  # links already sent with the old name
                own = REGISTRY[(action.obj.name, action.verb)]
                REGISTRY.setdefault((action.obj.name, alias), own)
            continue
        register(page(action), aliases=action.aliases)
