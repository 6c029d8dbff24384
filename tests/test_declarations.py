"""Tests generated from the action declarations (`officeflow.actions`), for every declared action
of every process:

- the declaration holds together: a known verb, a service taking exactly the object id, the
  input's fields and ``actor``, a flow taking ``(<id>, params, actor)``, a deployment and a CLI
  command and a page where it says so, an example in tests/declared_examples;
- a person the policy refuses is refused on every surface the action is offered on (the door
  itself, the CLI with exit 77, the web page with 403, the flow run failed), and no row of any
  table of the ledger changed;
- the person it allows takes it once; a replay is refused or changes nothing.

And a scratch process, declared in this file alone, gets its CLI command, its deployment, its
page and its policy row without any other file knowing it."""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prefect import flow
from pydantic import Field
from sqlalchemy import select

from models.base import Base
from models.common import StrictInput
from officeflow import actions, actors, clock, db, policy
from officeflow.actors import NotAllowed
from officeflow.cli import NOT_ALLOWED_EXIT
from officeflow.inputs import InputError
from tests.cli_helpers import run_cli
from tests.declared_examples import MONDAY, Example, all_examples

EXAMPLES = all_examples()
KEYS = [a.key for a in actions.all_actions()]


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of the ledger."""
    import models

    models.load_all()
    out: dict[str, list[tuple[Any, ...]]] = {}
    with db.read_scope() as s:
        for table in Base.metadata.sorted_tables:
            rows = s.execute(select(table)).all()
            out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out


def cli_args(action: actions.Action, ex: Example) -> list[str]:
    """The example's input as the generated command's options."""
    args: list[str] = []
    params = {**ex.params, **ex.cli}
    for name, info in action.input.model_fields.items():
        if name not in params:
            continue
        value = params[name]
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        option = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            flags = str(extra.get("flags") or f"{option}/--no-{name}")
            yes, no = flags.split("/", 1)
            args.append(yes if value else no)
        elif isinstance(value, list):
            for item in value:
                args += [option, item if isinstance(item, str) else json.dumps(item)]
        elif isinstance(value, dict):
            args += [option, json.dumps(value, ensure_ascii=False)]
        else:
            args += [option, str(value)]
    return args


def form_data(ex: Example) -> dict[str, str]:
    out = {}
    for name, value in ex.params.items():
        if isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif isinstance(value, list):
            out[name] = "\n".join(v if isinstance(v, str) else json.dumps(v) for v in value)
        elif isinstance(value, dict):
            out[name] = json.dumps(value, ensure_ascii=False)
        else:
            out[name] = str(value)
    return out


@pytest.fixture
def office(org: Any) -> Iterator[None]:
    clock.set_now(MONDAY)
    yield
    clock.set_now(None)


# --- the declarations hold together ------------------------------------------------------------


def test_every_process_is_declared_and_each_declaration_holds() -> None:
    from deployments.definitions import DEPLOYMENTS

    names = {p.name for p in actions.processes()}
    assert {"supervision", "emergency", "meeting", "duty", "information", "documents"} <= names
    deployments = {d.name: d for d in DEPLOYMENTS}
    for action in actions.all_actions():
        actions.check_service(action)
        assert action.key in EXAMPLES, f"{action.key} has no example in tests/declared_examples"
        if action.offers(actions.DEPLOYMENT):
            d = deployments[action.deployment_name]
            assert f"{d.path.removesuffix('.py').replace('/', '.')}:{d.function}" == action.flow
            flow = actions.resolve(action.flow)
            assert flow.name == action.deployment_name  # the UI shows the deployment's name
            params = list(inspect.signature(flow.fn).parameters)
            assert params[:3] == [action.obj.id_param, "params", "actor"], (action.key, params)
    for f in actions.all_flows():
        if f.deployment:
            assert f.name in deployments
            assert actions.resolve(f.entrypoint).name == f.name
    # What `officeflow demo` runs: a declared deployment, with an example file that exists.
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    runs = actions.demo_runs()
    assert runs[0] == ("decision-implementation", "examples/decision.yaml")
    import yaml

    from officeflow.inputs import validate_model

    for name, example in runs:
        assert name in deployments and (root / example).is_file(), (name, example)
        # The example is the parameter of that deployment's flow (its one typed parameter).
        d = deployments[name]
        flow = actions.resolve(f"{d.path.removesuffix('.py').replace('/', '.')}:{d.function}")
        (model,) = [
            p.annotation
            for p in inspect.signature(flow.fn, eval_str=True).parameters.values()
            if p.default is inspect.Parameter.empty
        ]
        data = yaml.safe_load((root / example).read_text(encoding="utf-8"))
        validate_model(model, data, example)


def test_the_policy_table_has_one_row_per_action_and_nothing_else_checks() -> None:
    """One table keyed by (object type, verb); no `may_`/`check_` pair outside it."""
    import re
    from pathlib import Path

    table = policy.POLICY()
    assert sorted(table) == sorted((a.obj.name, a.verb) for a in actions.all_actions())
    root = Path(__file__).resolve().parent.parent
    pairs = []
    for path in [
        *root.glob("officeflow/**/*.py"),
        *root.glob("flows/*.py"),
        *root.glob("tasks/*.py"),
    ]:
        text = path.read_text(encoding="utf-8")
        mays = set(re.findall(r"def may_(\w+)\(", text))
        checks = set(re.findall(r"def check_(\w+)\(", text))
        if mays & checks:
            pairs.append((str(path.relative_to(root)), sorted(mays & checks)))
    assert not pairs, pairs
    assert not (root / "officeflow" / "permissions.py").exists()


def test_the_rules_in_the_docs_are_the_policy_table() -> None:
    """docs/permissions.md shows `officeflow actions list --markdown`, row for row."""
    from pathlib import Path

    from typer.testing import CliRunner

    from officeflow.cli import build_app

    out = CliRunner().invoke(build_app(), ["actions", "list", "--markdown"])
    assert out.exit_code == 0, out.output
    docs = (Path(__file__).resolve().parent.parent / "docs" / "permissions.md").read_text("utf-8")
    rows = [line for line in out.output.splitlines() if line.startswith("| ")]
    assert len(rows) == len(KEYS) + 1
    missing = [row for row in rows if row not in docs]
    assert not missing, "docs/permissions.md is stale; paste `officeflow actions list --markdown`"


def test_every_input_field_has_its_chinese_label_and_english_help() -> None:
    """The page's form and the CLI's help read them (Prefect's form reads the description)."""
    import re

    missing = [
        (a.key, name)
        for a in actions.all_actions()
        for name, f in a.input.model_fields.items()
        if not (f.title and re.search(r"[\u4e00-\u9fff]", f.title) and f.description)
    ]
    assert not missing, missing
    # A choice shows its options in words, never a raw value.
    from officeflow.web.declared import form_fields

    raw = [
        (a.key, f.name, value)
        for a in actions.all_actions()
        for f in form_fields(a.input)
        if f.kind == "select"
        for value, zh, _en in f.options
        if not re.search(r"[\u4e00-\u9fff]", zh)
    ]
    assert not raw, raw


def test_every_verb_is_one_word_of_the_vocabulary() -> None:
    used = {a.verb for a in actions.all_actions()}
    assert used <= set(actions.VOCABULARY)
    # One name per idea: no second spelling of acknowledge or of 签收 among the verbs.
    assert not used & {"ack", "confirm", "receipt", "sign-for"}


# --- a refused person changes nothing, on any surface --------------------------------------------


@pytest.mark.parametrize("key", KEYS)
def test_a_person_the_policy_refuses_is_refused_everywhere_and_nothing_changes(
    key: str, office: None, prefect_env: dict[str, str]
) -> None:
    action = actions.get(key)
    ex = EXAMPLES[key]()
    before = snapshot()

    # The door itself (what every surface calls), as an operator at the CLI.
    with actors.acting(actors.CLI), db.session_scope() as s, pytest.raises(NotAllowed) as refused:
        actions.perform(s, action, ex.object_id, ex.params, ex.refused)
    zh = refused.value.zh
    assert "无权" in zh and ex.refused not in zh, zh  # one Chinese sentence, names not ids
    assert snapshot() == before

    if action.offers(actions.CLI):
        result = run_cli(
            action.obj.cli_group,
            action.verb,
            str(ex.object_id),
            *cli_args(action, ex),
            "--as",
            ex.refused,
            env={**prefect_env, "OFFICEFLOW_NOW": MONDAY},
        )
        assert result.returncode == NOT_ALLOWED_EXIT, (result.stdout, result.stderr)
        assert "may not" in result.stderr
        assert snapshot() == before

    if action.offers(actions.PAGE):
        from officeflow.web import tokens
        from tests.web2_helpers import client, hidden

        token = tokens.sign(
            tokens.Claim(ex.refused, action.obj.name, str(ex.object_id), action.verb, "test")
        )
        c = client()
        page = c.get(f"/a/{token}")
        assert page.status_code in (200, 409), page.text
        answer = c.post(f"/a/{token}", data={**hidden(page.text), **form_data(ex)})
        assert answer.status_code == 403, answer.text[-2000:]
        assert "无权" in answer.text
        assert snapshot() == before

    if action.offers(actions.DEPLOYMENT):
        flow = actions.resolve(action.flow)
        state = flow(
            **{action.obj.id_param: ex.object_id},
            params=actions.parse(action, ex.params),
            actor=ex.refused,
            return_state=True,
        )
        assert state.is_failed()
        assert snapshot() == before


# --- the person it allows: once; a replay is refused or changes nothing ------------------------


@pytest.mark.parametrize("key", KEYS)
def test_the_person_it_allows_takes_it_once_and_a_replay_changes_nothing(
    key: str, office: None
) -> None:
    action = actions.get(key)
    ex = EXAMPLES[key]()
    before = snapshot()
    with actors.acting(actors.CLI), db.session_scope() as s:
        actions.perform(s, action, ex.object_id, ex.params, ex.allowed)
    after = snapshot()
    assert after != before  # it did something
    try:
        with actors.acting(actors.CLI), db.session_scope() as s:
            actions.perform(s, action, ex.object_id, ex.params, ex.allowed)
    except (InputError, NotAllowed):
        pass
    events = "events"
    replayed = snapshot()
    # A replay that is taken must change nothing but, at most, record that it was seen.
    assert {k: v for k, v in replayed.items() if k != events} == {
        k: v for k, v in after.items() if k != events
    }


# --- any input: taken, or refused with the field named; never anything else -------------------

JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 2**40),
    st.text(max_size=12),
    st.sampled_from(["x" * 5000, "a\x00b", "2026-02-30", "9999-01-01", "", " ", "<b>x</b>"]),
    st.lists(st.text(max_size=6), max_size=3),
    st.dates().map(str),
)


@pytest.mark.parametrize("key", KEYS)
def test_any_input_is_taken_or_refused_naming_a_field(key: str, office: None) -> None:
    """Each declared action's input, mutated at random (a field dropped, replaced by junk, an
    unknown field added), through the door as the person it allows: it is taken, or refused as
    bad input naming a field, or refused by the policy; no other error, and nothing committed."""
    from sqlalchemy.orm import sessionmaker

    action = actions.get(key)
    ex = EXAMPLES[key]()
    fields = [*action.input.model_fields, "unknown_field"]
    factory = sessionmaker(db.get_engine(), expire_on_commit=False)

    @settings(
        max_examples=25,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        st.dictionaries(st.sampled_from(fields), JUNK, max_size=3),
        st.sets(st.sampled_from(list(ex.params) or ["-"]), max_size=1),
    )
    def check(changes: dict[str, Any], dropped: set[str]) -> None:
        params = {k: v for k, v in ex.params.items() if k not in dropped} | changes
        with factory() as session, actors.acting(actors.CLI):
            session.begin()
            try:
                actions.perform(session, action, ex.object_id, params, ex.allowed)
            except InputError as exc:
                assert exc.problems and all(p.loc for p in exc.problems), str(exc)
            except NotAllowed:
                pass  # a field that names someone else's department, say
            finally:
                session.rollback()

    before = snapshot()
    check()
    assert snapshot() == before


# --- a new process costs one declaration ---------------------------------------------------------


class NoteInput(StrictInput):
    text: str = Field(min_length=1, max_length=200, title="备注内容", description="The note")


class Noted(StrictInput):
    notice_keys: list[str] = []


def _note(session: Any, *, decision_id: int, text: str, actor: str) -> Noted:
    from officeflow import events

    events.record(
        session,
        action="decision.noted",
        object_type="scratchnote",
        object_id=decision_id,
        actor=actor,
        data={"text": text},
    )
    return Noted()


@flow(name="scratchnote-note")
def scratchnote_note(decision_id: int, params: NoteInput, actor: str) -> Noted:
    """备注: the scratch process's action flow (what flows/<p>.py would hold)."""
    from tasks.actions import take_action

    return take_action("scratchnote.note", decision_id, params, actor)


@pytest.fixture
def scratch() -> Iterator[actions.Process]:
    """A process declared here alone: a note the office adds to a decision."""
    decision = actions.OfficeObject(
        name="scratchnote",
        zh="决策事项",
        en="decision",
        load="officeflow.supervision.views:get_decision",
        id_param="decision_id",
        label=lambda d: d.title,
    )
    process = actions.Process(
        name="scratch",
        zh="试验",
        objects=(decision,),
        actions=(
            actions.Action(
                obj=decision,
                verb="note",
                input=NoteInput,
                service=f"{__name__}:_note",
                policy=policy.office(),
                summary="备注: the office notes something about a decision.",
                flow=f"{__name__}:scratchnote_note",
            ),
        ),
    )
    actions.register(process)
    try:
        yield process
    finally:
        actions.unregister("scratch")


def test_a_scratch_process_declared_alone_gets_every_surface(
    scratch: actions.Process, office: None, prefect_api: None
) -> None:
    from typer.testing import CliRunner

    from deployments.definitions import declared
    from officeflow.cli import build_app
    from officeflow.web import tokens
    from tests.declared_examples.supervision import _assignment
    from tests.web2_helpers import client, hidden

    _assignment()  # decision 1
    runner = CliRunner()
    # Its CLI command, in a group of its own, with an option from the model and --as.
    app = build_app()
    out = runner.invoke(app, ["scratchnote", "note", "--help"], env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    assert "--text" in out.output and "--as" in out.output and "备注内容" in out.output
    refused = runner.invoke(app, ["scratchnote", "note", "1", "--text", "x", "--as", "zheng.hui"])
    assert isinstance(refused.exception, NotAllowed)  # `officeflow.cli.main` exits 77 for it
    taken = runner.invoke(app, ["scratchnote", "note", "1", "--text", "核实", "--as", "xu.lei"])
    assert taken.exit_code == 0, taken.output
    assert "decision 1: 备注 (note) done" in taken.output
    # Its policy row.
    assert ("scratchnote", "note") in policy.POLICY()
    # Its page, with the form from the model; the policy refuses with 403 and a Chinese sentence.
    c = client()
    token = tokens.sign(tokens.Claim("zheng.hui", "scratchnote", "1", "note", "test"))
    page = c.get(f"/a/{token}")
    assert page.status_code == 200 and "备注内容" in page.text, page.text
    answer = c.post(f"/a/{token}", data={**hidden(page.text), "text": "x"})
    assert answer.status_code == 403 and "郑慧无权就决策事项" in answer.text
    # Its deployment, and its flow run refused for a person the policy refuses.
    (deployment,) = [d for d in declared() if d.name == "scratchnote-note"]
    assert deployment.entrypoint.endswith("test_declarations.py:scratchnote_note")
    state = scratchnote_note(1, NoteInput(text="x"), "zheng.hui", return_state=True)
    assert state.is_failed() and "may not note" in str(state.message)
    with db.read_scope() as s:
        from models.ledger import Event

        notes = s.scalars(select(Event.actor).where(Event.action == "decision.noted")).all()
    assert notes == ["xu.lei"]
