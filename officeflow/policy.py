"""Who may do what: one policy, one table, one check.

`authorize(session, actor, action, obj)` is the only permission check. It reads `POLICY`, the
table keyed by (object type, action verb), whose rows are the ``policy`` of each declared action
(`officeflow.actions`). A rule is built from the few questions an office asks (is this person of
the general office? a leader? the chair of this meeting? in the lead department?) combined with
``|``, and it knows how to say itself in Chinese and English, so every refusal is the same
`NotAllowed`: one sentence naming who tried, what, and who may, with names and not ids (CLI exit
77, web 403, a failed flow run).

The actor ``system`` is the office's own scheduled steps: it is not a person and holds no role.
It may take an action only through the ``system`` door (a schedule, or code run in-process
without a door: tests and the simulation); an operator at the CLI, the Prefect UI or the web
pages must name a person who may.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import import_module
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol

from officeflow import actors
from officeflow.inputs import check_actor_id, input_error

if TYPE_CHECKING:  # the ledger loads when a rule is asked, not when a process declares one
    from sqlalchemy.orm import Session

    from models.org import Person, Role

SYSTEM_ACTOR = "system"

# By the value of `models.org.Role`.
ROLE_ZH = {
    "staff": "工作人员",
    "department_head": "部门负责人",
    "leader": "领导",
    "duty_officer": "值班员",
    "office_director": "办公室主任",
}
ROLE_EN = {
    "staff": "staff",
    "department_head": "department heads",
    "leader": "the leaders",
    "duty_officer": "the duty officers",
    "office_director": "the office director",
}


@dataclass(frozen=True)
class Ask:
    """One question to the policy: who (the id, and the active person or None), on what, with
    which input."""

    session: Session
    actor: str
    person: Person | None
    obj: Any
    params: Any


@dataclass(frozen=True)
class Rule:
    """Who may: ``test(ask)`` answers, ``zh(ask)``/``en(ask)`` say who may in a refusal."""

    test: Callable[[Ask], bool]
    zh: Callable[[Ask], str]
    en: Callable[[Ask], str]
    system: bool = True  # the office's own steps (through the system door) may

    def __or__(self, other: Rule) -> Rule:
        return Rule(
            test=lambda a: self.test(a) or other.test(a),
            zh=lambda a: f"{self.zh(a)}或{other.zh(a)}",
            en=lambda a: f"{self.en(a)} or {other.en(a)}",
            system=self.system and other.system,
        )

    def but_not(self, other: Rule, zh: str, en: str) -> Rule:
        """This rule, except where ``other`` holds (a requester may not verify their own)."""
        return Rule(
            test=lambda a: self.test(a) and not other.test(a),
            zh=lambda a: f"{self.zh(a)}（{zh}）",
            en=lambda a: f"{self.en(a)} ({en})",
            system=self.system,
        )


def _text(value: str | Callable[[Ask], str]) -> Callable[[Ask], str]:
    return value if callable(value) else (lambda _a: value)


def rule(
    test: Callable[[Ask], bool], zh: str | Callable[[Ask], str], en: str | Callable[[Ask], str]
) -> Rule:
    """A rule of a process's own (the people an incident's alerts reached)."""
    return Rule(test=lambda a: a.person is not None and test(a), zh=_text(zh), en=_text(en))


# --- the questions an office asks ----------------------------------------------------------------


def _name(session: Session, person_id: str | None) -> str:
    from models.org import Person

    if not person_id:
        return "?"
    person = session.get(Person, person_id)
    return person.name if person is not None else str(person_id)[:64]


def _department_name(session: Session, department_id: str | None) -> str:
    from models.org import Department

    if not department_id:
        return "?"
    dept = session.get(Department, department_id)
    return dept.name if dept is not None else str(department_id)[:64]


ANYONE = Rule(
    test=lambda a: a.person is not None,
    zh=lambda a: "本单位在职人员",
    en=lambda a: "the people of the organisation",
)


def _office_member(a: Ask) -> bool:
    from officeflow.org import is_office_member

    return a.person is not None and is_office_member(a.session, a.actor)


def office() -> Rule:
    """The general office (办公室)."""
    return Rule(
        test=_office_member,
        zh=lambda a: "办公室工作人员",
        en=lambda a: "the general office (办公室)",
    )


def role(*roles: Role | str) -> Rule:
    """Anyone holding one of ``roles``."""
    wanted = {str(r) for r in roles}

    def test(a: Ask) -> bool:
        from officeflow.org import roles_of

        return a.person is not None and bool(
            {str(r) for r in roles_of(a.session, a.actor)} & wanted
        )

    return Rule(
        test=test,
        zh=lambda a: "、".join(ROLE_ZH[str(r)] for r in roles),
        en=lambda a: " and ".join(ROLE_EN[str(r)] for r in roles),
    )


def person(attr: str | Callable[[Any], str | None], zh: str, en: str) -> Rule:
    """The person named by the object (``attr`` of it, or a function of it): its chair, its
    owner, its author. ``zh``/``en`` take ``{name}``."""
    get = attr if callable(attr) else (lambda obj: getattr(obj, attr, None))
    return Rule(
        test=lambda a: a.person is not None and a.actor == get(a.obj),
        zh=lambda a: zh.format(name=_name(a.session, get(a.obj))),
        en=lambda a: en.format(name=_name(a.session, get(a.obj))),
    )


def department(attr: str | Callable[[Any], str | None], zh: str, en: str) -> Rule:
    """The people of the department the object names. ``zh``/``en`` take ``{department}``."""
    get = attr if callable(attr) else (lambda obj: getattr(obj, attr, None))
    return Rule(
        test=lambda a: a.person is not None and a.person.department_id == get(a.obj),
        zh=lambda a: zh.format(department=_department_name(a.session, get(a.obj))),
        en=lambda a: en.format(department=_department_name(a.session, get(a.obj))),
    )


def in_department_of_input(field: str, zh: str, en: str) -> Rule:
    """The people of the department the input names (a 会签 by that department)."""
    return Rule(
        test=lambda a: (
            a.person is not None and a.person.department_id == getattr(a.params, field, None)
        ),
        zh=lambda a: zh.format(department=_department_name(a.session, getattr(a.params, field))),
        en=lambda a: en.format(department=_department_name(a.session, getattr(a.params, field))),
    )


# --- the check -----------------------------------------------------------------------------------


def system_door() -> bool:
    """True when no person's door is open: a schedule, or in-process code (tests, simulation)."""
    return actors.current().via == actors.SYSTEM


def is_system(actor: str) -> bool:
    return actor == SYSTEM_ACTOR and system_door()


def who(session: Session, actor: str, lang: str = "en") -> str:
    """How a refusal names the actor."""
    if actor == SYSTEM_ACTOR:
        if lang == "zh":
            return "系统（不是本单位人员）"
        return f"'system' (not a person; through {actors.current().via})"
    from models.org import Person

    found = session.get(Person, actor) if isinstance(actor, str) and actor else None
    if found is None:
        return "未知人员" if lang == "zh" else f"unknown person {str(actor)[:64]!r}"
    if not found.active:
        return (
            f"{found.name}（已不在本单位）"
            if lang == "zh"
            else (f"{actor!r} (no longer in the organisation)")
        )
    return found.name if lang == "zh" else f"{found.id!r} ({found.name})"


def active(session: Session, actor: str) -> Person | None:
    from officeflow.org import active_person

    return active_person(session, actor) if isinstance(actor, str) else None


class Action(Protocol):
    """What the policy reads of a declared action (`officeflow.actions.Action`)."""

    obj: Any
    verb: str
    zh: str
    en: str


# The one table: (object type, verb) → who may. `officeflow.actions.registry` fills it from every
# declared action's ``policy`` when it builds the registry (this module reads no declaration).
TABLE: dict[tuple[str, str], Rule] = {}
DECLARED: dict[str, Action] = {}  # by key, ``<object>.<verb>`` (filled with the table)


def _declared(action: Action | str) -> Action:
    """The declared action of a key; the first call builds the registry (by name: this module
    imports no declaration, the registry fills the table)."""
    if not isinstance(action, str):
        return action
    if not DECLARED:
        import_module("officeflow.actions").registry()
    try:
        return DECLARED[action]
    except KeyError:
        raise KeyError(f"no declared action {action!r}") from None


def authorize(
    session: Session, actor: str, action: Action | str, obj: Any, params: Any = None
) -> None:
    """Refuse ``actor`` unless the policy row of ``action`` lets them act on ``obj``: raise
    `actors.NotAllowed` with the sentence in English and (``.zh``) in Chinese. An id no person
    can have (too long, a NUL) is an input error naming ``actor``."""
    action = _declared(action)
    row = TABLE[(action.obj.name, action.verb)]
    ask = _refused(session, actor, row, obj, params)
    if ask is not None:
        raise refusal(ask, action, row)


def _refused(session: Session, actor: str, rule: Rule, obj: Any, params: Any) -> Ask | None:
    """None when ``rule`` lets ``actor`` act (``system`` only through the system door); else
    the question, for the refusal's words. An id no person can have is an input error."""
    problem = check_actor_id(actor) if isinstance(actor, str) else "a person id is text"
    if problem:
        raise input_error("actor", problem)
    if actor == SYSTEM_ACTOR:
        return None if rule.system and system_door() else Ask(session, actor, None, obj, params)
    ask = Ask(session, actor, active(session, actor), obj, params)
    return None if ask.person is not None and rule.test(ask) else ask


def refusal(ask: Ask, action: Action, row: Rule) -> actors.NotAllowed:
    """The refusal: in English, "<who> may not <verb> (<object> N): only <who may> may"; in
    Chinese one sentence with names, e.g. 「徐磊无权就督办事项「编制方案」办理进展反馈：只有责任人
    郑慧或牵头单位财政局的人员可以办理。」"""
    label = action.obj.label(ask.obj) if ask.obj is not None else ""
    object_id = getattr(ask.obj, "id", "")
    thing = f"{action.obj.zh}「{label}」" if label else f"第{object_id}号{action.obj.zh}"
    en = (
        f"{who(ask.session, ask.actor)} may not {action.en} ({action.obj.en} {object_id}): "
        f"only {row.en(ask)} may"
    )
    name = who(ask.session, ask.actor, "zh")
    zh = f"{name}无权就{thing}办理{action.zh}：只有{row.zh(ask)}可以办理。"
    return actors.NotAllowed(en, zh=zh)


def POLICY() -> Mapping[tuple[str, str], Rule]:
    """The one table, read-only."""
    return MappingProxyType(TABLE)


def may(session: Session, actor: str, action: Action | str, obj: Any, params: Any = None) -> bool:
    """`authorize` as a question (a page deciding which buttons to show)."""
    try:
        authorize(session, actor, action, obj, params)
    except actors.NotAllowed:
        return False
    return True


def require(
    session: Session,
    actor: str,
    rule: Rule,
    obj: Any = None,
    *,
    en: str,
    zh: str,
    params: Any = None,
) -> None:
    """Refuse ``actor`` unless ``rule`` lets them take a step that is not an action on one
    object: start a process (register an incoming document, submit an information item, publish
    a duty roster). The rule is declared beside the process's actions; the refusal is the same
    `NotAllowed` (``en``/``zh`` say what is refused: "register an incoming document",
    「登记收文」). ``system`` passes through the system door only, as in `authorize`."""
    ask = _refused(session, actor, rule, obj, params)
    if ask is None:
        return
    raise actors.NotAllowed(
        f"{who(session, actor)} may not {en}: only {rule.en(ask)} may",
        zh=f"{who(session, actor, 'zh')}无权{zh}：只有{rule.zh(ask)}可以办理。",
    )


__all__ = [
    "ANYONE",
    "Rule",
    "authorize",
    "department",
    "may",
    "office",
    "person",
    "require",
    "role",
    "rule",
]


class _Placeholder:
    """Stands for an object in the policy table's words: ``owner_id`` reads as ``<owner_id>``."""

    def __init__(self, path: str = "") -> None:
        self._path = path

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if name == "id":  # a rule that looks rows up by the object's id finds none
            return 0
        return _Placeholder(f"{self._path}.{name}" if self._path else name)

    def __str__(self) -> str:
        return f"<{self._path}>"

    def __getitem__(self, index: int) -> str:
        return str(self)[index]


class _NoLedger:
    """A session with nothing in it: a rule's words that look something up find nothing."""

    def get(self, *_args: Any, **_kw: Any) -> None:
        return None

    def scalar(self, *_args: Any, **_kw: Any) -> None:
        return None

    def scalars(self, *_args: Any, **_kw: Any) -> list[Any]:
        return []

    def execute(self, *_args: Any, **_kw: Any) -> list[Any]:
        return []


def who_may(action: Action | str, lang: str = "en") -> str:
    """Who may take ``action``, in words, with the object's fields as ``<field>`` (the table in
    docs/permissions.md and `officeflow actions list`)."""
    action = _declared(action)
    ask = Ask(_NoLedger(), "", None, _Placeholder(), _Placeholder())  # type: ignore[arg-type]
    row = TABLE[(action.obj.name, action.verb)]
    try:
        return row.zh(ask) if lang == "zh" else row.en(ask)
    except Exception:  # a rule whose words need a real row
        return "（见声明）" if lang == "zh" else "(see the declaration)"
