"""Bad input, fuzzed: every flow parameter model, the action flows' plain parameters, the org
file loader and a sample of CLI commands get near-valid and junk input from Hypothesis.

The only outcome allowed for bad input is a validation error whose text names a field
(``InputError``, ``pydantic.ValidationError``, or Prefect's own parameter check, which wraps
Pydantic's), with every ledger table's row count unchanged. Valid input may be accepted, and
each test asserts that both outcomes really occurred, so the row-count check is meaningful.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prefect.exceptions import ParameterTypeError, SignatureMismatchError
from pydantic import ValidationError
from sqlalchemy import MetaData, text

from models.documents_input import IncomingDocumentSpec, OutgoingDocumentSpec
from models.duty_input import RosterSpec
from models.emergency_input import IncidentReport
from models.information_input import InfoItemSpec, RequestSpec
from models.meeting import Meeting, MeetingMinutes, MeetingStatus
from models.meeting_input import ApproveAgendaInput, MeetingSpec, MinutesSpec, SubmitTopicInput
from models.org_input import OrgFile
from models.supervision_input import DecisionSpec
from officeflow import clock, db, documents, duty, emergency, information, supervision
from officeflow import meeting as meetings
from officeflow.actors import NotAllowed
from officeflow.inputs import InputError, validate_model
from officeflow.org import load_org, parse_org_file
from tests.cli_helpers import run_cli
from tests.conftest import org_data
from tests.emergency_support import incident_data
from tests.meeting_helpers import EXAMPLE_MEETING, EXAMPLE_MINUTES

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Each CLI example is a real process (~2–3 s): 8 commands × 4 examples = 32 in all.
CLI_FUZZ = settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

T0 = "2026-09-21T10:00:00+08:00"  # a Monday
PEOPLE = [
    "zhou.guoqiang",
    "wang.haitao",
    "sun.li",
    "liu.yang",
    "lin.tao",
    "zheng.hui",
    "zhang.wei",
    "wu.qiang",
    "tang.jun",
    "han.xue",
]
DEPARTMENTS = ["finance", "health", "general-office", "development-reform", "leadership"]

# --- the ledger's row counts -------------------------------------------------------------


@functools.cache
def _count_sql(url: str) -> Any:
    meta = MetaData()
    meta.reflect(db.engine_for(url))
    names = sorted(meta.tables)
    assert len(names) > 20, names  # the whole ledger, not a few tables
    parts = ", ".join(f'(SELECT count(*) FROM "{n}") AS "{n}"' for n in names)
    return text(f"SELECT {parts}")


def table_counts() -> dict[str, int]:
    """Rows of every ledger table, in one query."""
    engine = db.get_engine()
    with engine.connect() as conn:
        row = conn.execute(_count_sql(str(engine.url))).mappings().one()
    return dict(row)


# --- what a refusal must look like ---------------------------------------------------------

# NotAllowed: the actor may not take the action (officeflow.policy), said in a sentence
# that names who, what, and who may.
REFUSALS = (InputError, ValidationError, ParameterTypeError, SignatureMismatchError, NotAllowed)
# Service-level problems name the object a parameter points at ("assignment: no assignment 7").
SERVICE_NAMES = {
    "actor",  # the acting person, checked first at the door (officeflow.policy)
    "assignment",
    "decision",
    "meeting",
    "incident",
    "person",
    "request",
    "topic",
    "org",
    "response plan",
    "shift",
    "their_shift",
    "swap",
}


def assert_names_a_field(exc: Exception, fields: Iterable[str]) -> None:
    """The error text names a field of the input (or says the whole input is not a mapping)."""
    allowed = set(fields) | SERVICE_NAMES
    message = str(exc)
    assert message.strip(), f"empty message from {type(exc).__name__}"
    assert "Traceback" not in message
    if isinstance(exc, NotAllowed):
        assert " may not " in message and " may" in message.rsplit(":", 1)[-1], message
        return
    if isinstance(exc, InputError):
        assert exc.problems
        for problem in exc.problems:
            if not problem.loc:
                assert re.search(r"not valid YAML|valid dictionary|cannot read", problem.message), (
                    f"a top-level problem that names no field: {problem.render()!r}"
                )
                continue
            if problem.message.startswith("unknown field"):  # names the key that is no field
                continue
            assert str(problem.loc[0]) in allowed, f"{problem.loc} is not a field: {message!r}"
    elif isinstance(exc, ValidationError):
        for err in exc.errors():
            if err["type"] == "extra_forbidden":
                continue
            if err["loc"]:
                assert str(err["loc"][0]) in allowed, f"{err['loc']} names no field: {message!r}"
            else:
                assert err["type"] in ("model_type", "dict_type"), message
    else:  # Prefect's parameter check: "Flow run received invalid parameters:\n - progress: …"
        assert any(re.search(rf"\b{re.escape(f)}\b", message) for f in allowed), message


class Outcomes(Counter[str]):
    def check(
        self, minimum_refused: int = 20, minimum_accepted: int = 1, examples: int = 200
    ) -> None:
        print(f"outcomes: {dict(self)}")
        assert sum(self.values()) >= examples, dict(self)  # every example really ran
        assert self["refused"] >= minimum_refused, dict(self)
        assert self["accepted"] >= minimum_accepted, dict(self)


def attempt(
    outcomes: Outcomes,
    fields: Iterable[str],
    action: Callable[[], Any],
    after_accept: Callable[[], None] | None = None,
) -> None:
    """Run ``action``; a refusal must name a field and leave every table as it was."""
    before = table_counts()
    try:
        action()
    except REFUSALS as exc:
        assert_names_a_field(exc, fields)
        assert table_counts() == before, "refused, yet the ledger changed"
        outcomes["refused"] += 1
        return
    outcomes["accepted"] += 1
    if after_accept is not None:
        after_accept()


# --- strategies ----------------------------------------------------------------------------

_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    _text,
)
junk = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=12,
)
odd_values = st.one_of(
    junk,
    st.sampled_from(
        [
            "",
            "   ",
            "nobody",
            "no-such-dept",
            "2026-02-30",
            "0001-01-01",
            "9999-12-31",
            "9999-12-31T23:59:59+08:00",
            "1970-01-01T00:00:00Z",
            "2026-09-21T25:00",
            "NaN",
            "inf",
            "1e309",
            -1,
            0,
            2**31,
            2**63,
            10**30,
            float("inf"),
            float("nan"),
            [],
            {},
            "x" * 5000,
        ]
    ),
    st.dates().map(str),
    st.datetimes().map(lambda d: d.isoformat()),
    st.text(min_size=200, max_size=600),
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key and index path inside a dict/list tree (the containers included)."""
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            out += paths(child, (*prefix, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            out += paths(child, (*prefix, i))
    return out


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, Any], specials: list[tuple[tuple[Any, ...], Any]]):
    """A valid dict with one thing wrong: a field of the wrong type, out of range, empty,
    dropped, unknown; a reference to nothing; dates out of order. Sometimes left valid."""
    data = copy.deepcopy(base)
    kind = draw(st.sampled_from(["valid", "replace", "replace", "drop", "extra", "special"]))
    if kind == "valid":
        return data
    if kind == "special" and specials:
        path, strategy = draw(st.sampled_from(specials))
        value = draw(strategy) if isinstance(strategy, st.SearchStrategy) else strategy
        _parent(data, path)[path[-1]] = value
        return data
    path = draw(st.sampled_from(paths(data)))
    parent = _parent(data, path)
    if kind == "drop":
        if isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent.pop(path[-1])
    elif kind == "extra":
        target = parent if isinstance(parent, dict) else data
        target[draw(st.sampled_from(["colour", "id_", "Title", "due"]))] = draw(junk)
    else:
        parent[path[-1]] = draw(odd_values)
    return data


def inputs(base: dict[str, Any], specials: list[tuple[tuple[Any, ...], Any]]) -> Any:
    """Mostly near-valid; a fifth arbitrary JSON-ish junk."""
    return st.one_of(mutated(base, specials), mutated(base, specials), junk)


people = st.sampled_from([*PEOPLE, "nobody", "Wang.Haitao", ""])
departments = st.sampled_from([*DEPARTMENTS, "ministry-of-magic"])
near_dates = st.dates(dt.date(2026, 9, 1), dt.date(2026, 12, 31)).map(str)


def fields_of(*models: Any) -> set[str]:
    names: set[str] = set()
    for model in models:
        names |= set(model.model_fields)
    return names


# --- flow parameter models, through the services their flows call ----------------------------


def decision_base() -> dict[str, Any]:
    return yaml.safe_load((Path(__file__).parent.parent / "examples/decision.yaml").read_text())


def _record_decision(data: Any) -> None:
    """What `decision-implementation` does first (the record-decision task)."""
    spec = validate_model(DecisionSpec, data)
    with db.session_scope() as s:
        supervision.check_decision(s, spec)
        record = supervision.record_decision(s, spec, actor="system")
        supervision.plan_issue_notices(s, record)


def test_decision_spec_fuzzed(org: Any) -> None:
    clock.set_now(T0)
    base = decision_base()
    base["issued_on"] = "2026-09-21"
    specials = [
        (("issued_by",), people),
        (("issued_on",), near_dates),
        (("assignments", 0, "lead_department"), departments),
        (("assignments", 0, "co_departments"), st.lists(departments, max_size=3)),
        (("assignments", 1, "owner"), people),
        (("assignments", 1, "due_date"), near_dates),  # before the issue date, on holidays
        (("assignments", 0, "due_in_workdays"), st.integers(-5, 300)),
        (("assignments",), st.lists(st.just(base["assignments"][0]), max_size=3)),
        (("assignments", 1, "due_date"), st.dates().map(str)),
    ]
    outcomes = Outcomes()
    fields = fields_of(DecisionSpec)

    @FUZZ
    @given(inputs(base, specials))
    def check(data: Any) -> None:
        attempt(outcomes, fields, lambda: _record_decision(data))

    check()
    outcomes.check()


def _example(name: str) -> dict[str, Any]:
    return yaml.safe_load((Path(__file__).parent.parent / "examples" / name).read_text())


def _register_document(data: Any) -> None:
    """What `document-incoming` does (the register-incoming-document task)."""
    spec = validate_model(IncomingDocumentSpec, data)
    with db.session_scope() as s:
        documents.register_incoming(s, spec)


def _draft_document(data: Any) -> None:
    """What `document-outgoing` does (the record-draft task)."""
    spec = validate_model(OutgoingDocumentSpec, data)
    with db.session_scope() as s:
        documents.draft(s, spec)


def test_document_specs_fuzzed(org: Any) -> None:
    clock.set_now(T0)
    incoming = _example("incoming_document.yaml")
    outgoing = _example("outgoing_document.yaml")
    numbers = st.sampled_from(["X政发〔2026〕12号", "X政发[2026]12号", "〔2026〕1号", "", "号"])
    urgencies = st.sampled_from(["特急", "加急", "平件", "urgent", "十万火急", "", "normal "])
    specials_in = [
        (("registered_by",), people),
        (("received_on",), near_dates),
        (("number",), numbers),
        (("urgency",), urgencies),
        (("files",), st.lists(st.sampled_from(["/no/such.pdf", "", "/etc/hostname"]), max_size=2)),
    ]
    specials_out = [
        (("author",), people),
        (("department",), departments),
        (("series",), st.sampled_from(["X府办发", "X府办发〔2026〕", "x", "", "某政发"])),
        (("urgency",), urgencies),
        (("copy_to",), st.lists(st.sampled_from(["市委办公室", "", " "]), max_size=3)),
    ]
    _fuzz_spec(incoming, specials_in, _register_document, IncomingDocumentSpec)
    _fuzz_spec(outgoing, specials_out, _draft_document, OutgoingDocumentSpec)


def _fuzz_spec(base: dict[str, Any], specials: Any, service: Any, model: Any) -> None:
    outcomes = Outcomes()
    fields = fields_of(model)

    @FUZZ
    @given(inputs(base, specials))
    def check(data: Any) -> None:
        attempt(outcomes, fields, lambda: service(data))

    check()
    outcomes.check()


def test_incident_report_fuzzed(org: Any) -> None:
    clock.set_now(T0)
    matrix, plan = emergency.load_grading_matrix(), emergency.load_response_plan()
    base = incident_data(
        department="emergency-management", affected_departments=["public-security", "health"]
    )
    base["occurred_at"] = "2026-09-21T09:40:00+08:00"
    specials = [
        (("department",), departments),
        (("affected_departments",), st.lists(departments, max_size=3)),
        (("occurred_at",), st.datetimes().map(lambda d: d.isoformat())),
        (("occurred_at",), "2026-09-22T10:00:00+08:00"),  # in the future
        (("deaths",), st.integers(-5, 2**64)),
        (("direct_loss_cny",), st.decimals(allow_nan=True).map(str)),
        (("manual_grade",), st.sampled_from(["I", "II", "V", None])),
        (("jurisdiction",), st.sampled_from(["national", "provincial", "mars", None])),
    ]
    outcomes = Outcomes()
    fields = fields_of(IncidentReport)

    def record(data: Any) -> None:
        report = validate_model(IncidentReport, data)
        assessment = emergency.assess(report, matrix)
        with db.session_scope() as s:
            emergency.record_incident(s, report=report, assessment=assessment, plan=plan)

    @FUZZ
    @given(inputs(base, specials))
    def check(data: Any) -> None:
        attempt(outcomes, fields, lambda: record(data))

    check()
    outcomes.check()


def meeting_base() -> dict[str, Any]:
    return yaml.safe_load(EXAMPLE_MEETING.read_text(encoding="utf-8"))


def _create_meeting(data: Any) -> int:
    spec = validate_model(MeetingSpec, data)
    with db.session_scope() as s:
        return meetings.create_meeting(s, spec, actor="system").meeting_id


def test_meeting_spec_fuzzed(org: Any) -> None:
    clock.set_now("2026-09-25T10:00:00+08:00")
    base = meeting_base()
    when = st.datetimes(dt.datetime(2026, 9, 20), dt.datetime(2026, 10, 20)).map(
        lambda d: d.isoformat()
    )
    specials = [
        (("chair",), people),
        (("created_by",), people),
        (("people",), st.lists(people, max_size=3)),
        (("departments",), st.lists(departments, max_size=3)),
        (("start",), when),  # in the past, before its deadlines
        (("topic_deadline",), when),
        (("materials_deadline",), when),
        (("duration_minutes",), st.integers(-10, 3000)),
        (("reminders", 0, "before"), st.integers(-1, 50000)),
        (("reminders", 1), {"before": 1, "unit": "working_days"}),  # the same reminder twice
        (("reminders",), st.lists(st.just({"before": 2, "unit": "hours"}), max_size=12)),
    ]
    outcomes = Outcomes()
    fields = fields_of(MeetingSpec)

    @FUZZ
    @given(inputs(base, specials))
    def check(data: Any) -> None:
        attempt(outcomes, fields, lambda: _create_meeting(data))

    check()
    outcomes.check()


@pytest.fixture
def meeting(org: Any) -> int:
    """The example meeting (start 2026-10-09 09:30), registered on 2026-09-25."""
    clock.set_now("2026-09-25T10:00:00+08:00")
    return _create_meeting(meeting_base())


def _meeting_action(key: str, meeting_id: int, data: Any, actor: str) -> Any:
    """A meeting action through its one door, as every surface takes it (`actions.perform`:
    the input, who may, then the service)."""
    from officeflow import actions

    with db.session_scope() as s:
        return actions.perform(s, key, meeting_id, data, actor)


def test_topic_submission_fuzzed(meeting: int) -> None:
    base = {
        "input": {"department": "finance", "title": "预算", "presenter": "lin.tao"},
        "meeting_id": meeting,
        "actor": "lin.tao",
    }
    specials = [
        (("meeting_id",), st.integers(-2, 2**64)),
        (("actor",), people),  # the office accepts a late topic; who may submit at all
        (("input", "department"), departments),
        (("input", "presenter"), people),
        (("input", "accept_late"), st.booleans()),
        (("input", "title"), st.text(max_size=400)),
    ]
    outcomes = Outcomes()
    fields = fields_of(SubmitTopicInput) | {"meeting_id"}

    def submit(data: Any) -> None:
        if not isinstance(data, dict):
            data = {"input": data}
        _meeting_action(
            "meeting.submit-topic",
            data.get("meeting_id", meeting),
            data.get("input"),
            data.get("actor", "lin.tao"),
        )

    @FUZZ
    @given(
        st.sampled_from(["2026-09-25T10:00:00+08:00", "2026-10-06T10:00:00+08:00"]),
        inputs(base, specials),
    )
    def check(now: str, data: Any) -> None:
        clock.set_now(now)  # before and after the topic deadline
        attempt(outcomes, fields, lambda: submit(data))

    check()
    outcomes.check()


def test_agenda_approval_fuzzed(meeting: int) -> None:
    base = {"input": {"comment": "同意"}, "meeting_id": meeting, "actor": "zhou.guoqiang"}
    specials = [
        (("meeting_id",), st.integers(-2, 2**64)),
        (("actor",), people),
        (("input", "comment"), st.text(min_size=1900, max_size=2100)),
    ]
    outcomes = Outcomes()
    fields = fields_of(ApproveAgendaInput) | {"meeting_id"}

    def approve(data: Any) -> None:
        if not isinstance(data, dict):
            data = {"input": data}
        _meeting_action(
            "meeting.approve-agenda",
            data.get("meeting_id", meeting),
            data.get("input"),
            data.get("actor", "zhou.guoqiang"),
        )

    @FUZZ
    @given(inputs(base, specials))
    def check(data: Any) -> None:
        attempt(outcomes, fields, lambda: approve(data))

    check()
    outcomes.check()


def test_minutes_spec_fuzzed(meeting: int) -> None:
    clock.set_now("2026-10-09T12:00:00+08:00")  # the meeting has been held
    base = yaml.safe_load(EXAMPLE_MINUTES.read_text(encoding="utf-8"))
    specials = [
        (("recorded_by",), people),
        (("issued_by",), people),
        (("action_items", 0, "lead_department"), departments),
        (("action_items", 0, "owner"), people),
        (("action_items", 1, "due_date"), near_dates),
        (("action_items", 1, "co_departments"), st.lists(departments, max_size=3)),
        (("action_items",), st.lists(st.just(base["action_items"][0]), max_size=3)),
        (("decisions",), st.lists(st.text(max_size=30), max_size=3)),
    ]
    outcomes = Outcomes()
    fields = fields_of(MinutesSpec)

    def record(data: Any) -> None:
        """What `meeting-record-minutes` does: the minutes (their recorder is the actor, who
        may be refused), then their decision."""
        minutes = validate_model(MinutesSpec, data)
        recorded = _meeting_action(
            "meeting.record-minutes", meeting, minutes.input(), minutes.recorded_by
        )
        if recorded.decision is not None:
            _record_decision(recorded.decision.model_dump(mode="json"))

    def reopen() -> None:
        """Accepted minutes close the meeting; open it again for the next example."""
        with db.session_scope() as s:
            minuted = s.get(MeetingMinutes, meeting)
            assert minuted is not None
            s.delete(minuted)
            s.get_one(Meeting, meeting).status = MeetingStatus.SCHEDULED

    @FUZZ
    @given(inputs(base, specials))
    def check(data: Any) -> None:
        attempt(outcomes, fields, lambda: record(data), after_accept=reopen)

    check()
    outcomes.check()


def info_item_base() -> dict[str, Any]:
    data = yaml.safe_load((Path(__file__).parent.parent / "examples/info_item.yaml").read_text())
    return {**data, "submitted_by": "zheng.hui", "people": ["王某"]}


def test_info_item_spec_fuzzed(org: Any) -> None:
    """What `information-submission` does (the record-info-item task)."""
    clock.set_now(T0)
    with db.session_scope() as s:  # a 约稿 to answer, so request_id can be right or wrong
        request_id = information.record_request(
            s,
            RequestSpec(
                topic="约稿", departments=["finance"], due_in_workdays=3, requested_by="liu.yang"
            ),
        ).request_id
    base = info_item_base()
    specials = [
        (("department",), departments),
        (("submitted_by",), people),
        (("kind",), st.sampled_from(["news", "urgent", "紧急", "gossip", ""])),
        (("request_id",), st.sampled_from([request_id, request_id + 1, 0, -1, 2**63, None])),
        (("people",), st.lists(_text, max_size=60)),
        (("places",), st.lists(st.text(max_size=120), max_size=3)),
    ]
    outcomes = Outcomes()
    fields = fields_of(InfoItemSpec)

    def submit(data: Any) -> None:
        spec = validate_model(InfoItemSpec, data)
        with db.session_scope() as s:
            information.submit_item(s, spec)

    @FUZZ
    @given(inputs(base, specials))
    def check(data: Any) -> None:
        attempt(outcomes, fields, lambda: submit(data))

    check()
    outcomes.check()


def test_info_request_spec_fuzzed(org: Any) -> None:
    """What `information-request` does (the record-info-request task)."""
    clock.set_now(T0)
    base = {
        "topic": "冬季安全生产形势",
        "detail": "请报送本单位情况",
        "departments": ["finance", "health"],
        "due_in_workdays": 3,
        "requested_by": "liu.yang",
    }
    specials = [
        (("requested_by",), people),
        (("departments",), st.lists(departments, max_size=4)),
        (("departments", 0), departments),
        (("due_in_workdays",), st.integers(-5, 300)),
    ]
    outcomes = Outcomes()
    fields = fields_of(RequestSpec)

    def request(data: Any) -> None:
        spec = validate_model(RequestSpec, data)
        with db.session_scope() as s:
            information.record_request(s, spec)

    @FUZZ
    @given(inputs(base, specials))
    def check(data: Any) -> None:
        attempt(outcomes, fields, lambda: request(data))

    check()
    outcomes.check()


# --- the action flows' plain parameters: Prefect's own check, then the service ---------------


def roster_base() -> dict[str, Any]:
    path = Path(__file__).parent.parent / "examples/duty_roster_national_day.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _publish_roster(data: Any) -> None:
    """What `duty-roster` does first (the publish-roster task)."""
    spec = validate_model(RosterSpec, data)
    with db.session_scope() as s:
        duty.publish_roster(s, spec, actor="sun.li")


def test_roster_spec_fuzzed(org: Any) -> None:
    clock.set_now(T0)
    base = roster_base()
    specials = [
        (("slots", 3, "officer"), people),
        (("slots", 5, "leader"), people),
        (("slots", 2, "shift"), st.sampled_from(["day", "night", "evening", "", None])),
        (("slots", 4, "date"), near_dates),
        (("start",), near_dates),
        (("end",), near_dates),
        (("shifts", 0, "end"), st.sampled_from(["17:30", "18:00", "24:00", "8:30", "08:30"])),
        (("pattern",), st.sampled_from(["daily", "weekly", "explicit", "monthly"])),
        (("officers",), st.lists(people, max_size=3)),
        (("leaders",), st.lists(people, max_size=3)),
        (("kind",), st.sampled_from(["regular", "holiday", "festival"])),
        (("slots",), st.lists(st.just(base["slots"][0]), max_size=3)),
        (("remind_before_minutes",), st.integers(-5, 5000)),
    ]
    outcomes = Outcomes()
    fields = fields_of(RosterSpec)

    @FUZZ
    @given(inputs(base, specials))
    def check(data: Any) -> None:
        attempt(outcomes, fields, lambda: _publish_roster(data))

    check()
    outcomes.check()


@pytest.fixture
def office(org: Any) -> dict[str, int]:
    """A decision with two assignments (one awaiting verification, one with an extension
    request), an open incident and a scheduled meeting."""
    clock.set_now(T0)
    base = decision_base()
    base["issued_on"] = "2026-09-21"
    _record_decision(base)
    with db.session_scope() as s:  # assignment 1 is wu.qiang's, assignment 2 cao.yan's
        supervision.request_completion(s, assignment_id=1, evidence="检查报告", actor="wu.qiang")
        request_id = supervision.request_extension(
            s,
            assignment_id=2,
            new_due_date=dt.date(2026, 10, 23),
            reason="工地多",
            actor="cao.yan",
        ).request_id
        report = validate_model(IncidentReport, incident_data(department="emergency-management"))
        recorded = emergency.record_incident(
            s,
            report=report,
            assessment=emergency.assess(report, emergency.load_grading_matrix()),
            plan=emergency.load_response_plan(),
        )
    with db.session_scope() as s:
        meeting_id = meetings.create_meeting(
            s,
            validate_model(MeetingSpec, meeting_base()),
            actor="system",
        ).meeting_id
    with db.session_scope() as s:  # the 国庆 roster: shift 1 is xu.lei's, shift 2 he.fang's
        duty.publish_roster(s, validate_model(RosterSpec, roster_base()), actor="sun.li")
        swap_id = duty.request_swap(
            s, shift_id=2, with_person="huang.jing", actor="he.fang"
        ).swap_id
    return {
        "request": request_id,
        "incident": recorded.incident_id,
        "meeting": meeting_id,
        "swap": swap_id,
    }


def _action_flows(ids: dict[str, int]) -> dict[str, tuple[Any, dict[str, Any], Callable[..., Any]]]:
    """flow → (a valid parameter set, the service call its first task makes)."""
    from flows import duty as df
    from flows import emergency as ef
    from flows import meeting as mf
    from flows import supervision as sf
    from officeflow.supervision import plan_sweep

    def action(service: Callable[..., Any]) -> Callable[..., Any]:
        def run(**params: Any) -> Any:
            with db.session_scope() as s:
                return service(s, **params)

        return run

    def declared(key: str) -> Callable[..., Any]:
        """What an action flow's one task does (`tasks.actions.take_action`); the object's id
        comes as its flow parameter (``meeting_id``, ``assignment_id``)."""

        def run(params: Any, actor: str, **object_id: int) -> Any:
            from officeflow import actions

            ((_, oid),) = object_id.items()
            with db.session_scope() as s:
                return actions.perform(s, key, oid, params, actor)

        return run

    def extension(**params: Any) -> Any:
        params.pop("wait_for_decision_hours")  # 0 in the base: no pause, the request alone
        return declared("assignment.request-extension")(**params)

    def sweep(**params: Any) -> Any:
        return plan_sweep(**params)

    def bulletin(week_containing: dt.date | None, recipients: list[str] | None) -> Any:
        now = clock.now()
        if week_containing is not None:
            now = clock.parse_instant(f"{week_containing.isoformat()}T12:00:00")
        start, end = supervision.week_of(now)
        # plan-bulletin's ledger part (its artifact needs a flow run's API)
        with db.session_scope() as s:
            supervision.plan_bulletin(s, start, end, recipients or [])

    def respond(report: IncidentReport, watch_minutes: float, poll_seconds: float) -> None:
        # Prefect has checked the report; the run would watch for watch_minutes, polling.
        assert 0 <= watch_minutes <= 24 * 60, watch_minutes
        assert 0.1 <= poll_seconds <= 3600, poll_seconds

    return {
        "assignment-report-progress": (
            sf.assignment_report_progress,
            {"assignment_id": 2, "params": {"progress": 40, "note": "进行中"}, "actor": "cao.yan"},
            declared("assignment.report-progress"),
        ),
        "assignment-request-completion": (
            sf.assignment_request_completion,
            {"assignment_id": 2, "params": {"evidence": "台账"}, "actor": "cao.yan"},
            declared("assignment.request-completion"),
        ),
        "assignment-verify": (
            sf.assignment_verify,
            {
                "assignment_id": 1,
                "params": {"approve": False, "comment": "补充"},
                "actor": "sun.li",
            },
            declared("assignment.verify"),
        ),
        "assignment-request-extension": (
            sf.assignment_request_extension,
            {
                "assignment_id": 1,
                "params": {"new_due_date": "2026-10-30", "reason": "节假日"},
                "actor": "wu.qiang",
                "wait_for_decision_hours": 0,
            },
            extension,
        ),
        "assignment-decide-extension": (
            sf.assignment_decide_extension,
            {
                "assignment_id": 2,
                "params": {"approve": False, "request_id": ids["request"]},
                "actor": "chen.zhiqiang",
            },
            declared("assignment.decide-extension"),
        ),
        "supervision-sweep": (
            sf.supervision_sweep,
            {"now": "2026-09-25T10:00:00+08:00", "remind_before_workdays": 3},
            sweep,
        ),
        "supervision-bulletin": (
            sf.supervision_bulletin,
            {"week_containing": "2026-09-21", "recipients": ["wang.haitao"]},
            bulletin,
        ),
        "incident-acknowledge": (
            ef.incident_acknowledge,
            {"incident_id": ids["incident"], "params": {}, "actor": "xu.lei"},
            declared("incident.acknowledge"),
        ),
        "incident-file-report": (
            ef.incident_file_report,
            {
                "incident_id": ids["incident"],
                "params": {"kind": "phone", "summary": "已电话报告市应急局"},
                "actor": "xu.lei",
            },
            declared("incident.file-report"),
        ),
        "incident-close": (
            ef.incident_close,
            {"incident_id": ids["incident"], "params": {"summary": "火已扑灭"}, "actor": "sun.li"},
            declared("incident.close"),
        ),
        "emergency-response": (
            ef.emergency_response,
            {
                "report": incident_data(department="emergency-management"),
                "watch_minutes": 10,
                "poll_seconds": 5,
            },
            respond,
        ),
        "meeting-reschedule": (
            mf.meeting_reschedule,
            {
                "meeting_id": ids["meeting"],
                "params": {"to": "2026-10-12T09:30:00+08:00"},
                "actor": "sun.li",
            },
            declared("meeting.reschedule"),
        ),
        "meeting-cancel": (
            mf.meeting_cancel,
            {"meeting_id": ids["meeting"], "params": {"reason": "冲突"}, "actor": "sun.li"},
            declared("meeting.cancel"),
        ),
        "shift-request-swap": (
            df.shift_request_swap,
            {
                "shift_id": 1,
                "params": {"with_person": "liu.yang", "reason": "家事"},
                "actor": "xu.lei",
            },
            declared("shift.request-swap"),
        ),
        "shift-decide-swap": (
            df.shift_decide_swap,
            {
                "shift_id": 2,
                "params": {"approve": False, "comment": "无人", "swap_id": ids["swap"]},
                "actor": "sun.li",
            },
            declared("shift.decide-swap"),
        ),
    }


ACTION_FLOWS = [
    "assignment-report-progress",
    "assignment-request-completion",
    "assignment-verify",
    "assignment-request-extension",
    "assignment-decide-extension",
    "supervision-sweep",
    "supervision-bulletin",
    "incident-acknowledge",
    "incident-file-report",
    "incident-close",
    "emergency-response",
    "meeting-reschedule",
    "meeting-cancel",
    "shift-request-swap",
    "shift-decide-swap",
]


@pytest.fixture
def quiet_parameter_errors() -> Any:
    """Prefect logs every refused parameter set at ERROR; thousands of lines say nothing here."""
    logger = logging.getLogger("prefect.flows")
    logger.disabled = True
    yield
    logger.disabled = False


@pytest.mark.parametrize("name", ACTION_FLOWS)
def test_action_flow_parameters_fuzzed(
    office: dict[str, int], name: str, quiet_parameter_errors: None
) -> None:
    clock.set_now(T0)
    flow, base, service = _action_flows(office)[name]
    fields = set(base) | set(flow.parameters.properties) | _input_fields(name)
    specials = [((key,), st.one_of(st.integers(-3, 2**64), people, near_dates)) for key in base]
    outcomes = Outcomes()

    def run(data: Any) -> None:
        if not isinstance(data, dict):
            raise ParameterTypeError(f"parameters must be a mapping of {sorted(fields)}")
        params = flow.validate_parameters(data)  # exactly what a flow run does first
        params = {**{k: v for k, v in _defaults(flow).items() if k not in params}, **params}
        service(**params)

    @FUZZ
    @given(inputs(base, specials))
    def check(data: Any) -> None:
        attempt(outcomes, fields, lambda: run(data))

    check()
    outcomes.check(minimum_refused=20, minimum_accepted=0 if name == "incident-close" else 1)


def _input_fields(deployment: str) -> set[str]:
    """The fields of a declared action's input (its flow's ``params``): the service names them
    in its own refusals ("comment: a rejection needs a comment")."""
    from officeflow import actions

    return {
        field
        for action in actions.all_actions()
        if action.deployment_name == deployment
        for field in action.input_fields()
    }


def _defaults(flow: Any) -> dict[str, Any]:
    import inspect

    return {
        name: p.default
        for name, p in inspect.signature(flow.fn).parameters.items()
        if p.default is not inspect.Parameter.empty
    }


# --- the org file ------------------------------------------------------------------------


def _org_specials(base: dict[str, Any]) -> list[tuple[tuple[Any, ...], Any]]:
    ids = st.sampled_from(["boss", "duty", "p0-0", "p1-1", "ghost", "Bad Id", "", "x" * 70])
    return [
        (("people", 2, "id"), ids),  # duplicates, bad patterns
        (("departments", 1, "id"), st.sampled_from(["office", "dept-1", "DEPT", "-x"])),
        (("people", 2, "department"), st.sampled_from(["office", "dept-9", "", "DEPT-0"])),
        (("people", 3, "email"), st.sampled_from(["not-an-email", "a@b", "@x.org", "p@x.org", ""])),
        (("people", 3, "mobile"), st.sampled_from(["123", "+86 138 0000 0000", "phone", "1" * 30])),
        (("people", 3, "roles"), st.lists(st.sampled_from(["leader", "staff", "king"]))),
        (("people", 3, "chat"), st.dictionaries(st.sampled_from(["dingtalk", "icq"]), _text)),
        (("people", 3, "title"), st.text(min_size=150, max_size=300)),
        (("people", 3, "chat", "webhook"), st.text(min_size=300, max_size=400)),
        (("organisation",), st.text(max_size=300)),
        (("office_name",), st.text(max_size=300)),
        (("departments", 1, "leader"), ids),
        (("departments", 1, "general_office"), st.booleans()),
        (("departments",), st.lists(st.just(base["departments"][1]), max_size=3)),
    ]


@st.composite
def org_texts(draw: st.DrawFn) -> bytes:
    base = org_data(departments=2)
    kind = draw(st.sampled_from(["dict", "dict", "dict", "broken", "text", "bytes"]))
    if kind == "dict":
        data = draw(inputs(base, _org_specials(base)))
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode()
    if kind == "broken":  # valid YAML cut short or with a stray character
        good = yaml.safe_dump(base, allow_unicode=True, sort_keys=False)
        cut = draw(st.integers(0, len(good)))
        stray = draw(st.sampled_from(["", ":", "- ", "\t", "{", "'", "&a *b", "\x00", "\ufeff"]))
        return (good[:cut] + stray + good[cut:]).encode()
    if kind == "text":
        return draw(st.text(st.characters(blacklist_categories=("Cs",)))).encode()
    text_ = yaml.safe_dump(base, allow_unicode=True, sort_keys=False)
    encoding = draw(st.sampled_from(["gbk", "utf-16", "latin-1"]))
    data = text_.replace("Test City", "某市").encode(encoding, errors="replace")
    return data + draw(st.binary(max_size=8))


def test_org_file_fuzzed(ledger: Any, tmp_path: Path) -> None:
    clock.set_now(T0)
    path = tmp_path / "org.yaml"
    outcomes = Outcomes()
    fields = fields_of(OrgFile)

    def load(raw: bytes) -> None:
        path.write_bytes(raw)
        parsed = parse_org_file(path)
        with db.session_scope() as s:
            load_org(s, parsed)

    @FUZZ
    @given(org_texts())
    def check(raw: bytes) -> None:
        attempt(outcomes, fields, lambda: load(raw))

    check()
    outcomes.check()


# --- the CLI: the real console script, a modest sample ------------------------------------


def cli_args(draw: Any) -> str:
    return draw(
        st.one_of(
            st.sampled_from(["", "-1", "0", "1", "2", "99999999999999999999", "abc", "1.5", "--"]),
            st.sampled_from(["2026-02-30", "2026-10-10", "10/10/2026", "nobody", "sun.li"]),
            st.text(st.characters(min_codepoint=32, max_codepoint=0x9FFF), max_size=12).filter(
                lambda s: not s.startswith("-")
            ),
        )
    )


def _yaml_file(tmp: Path, name: str, data: Any) -> str:
    path = tmp / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return str(path)


_CLI: dict[str, Callable[..., list[str]]] = {
    "calendar": lambda a, b, draw, tmp: ["calendar", "add-workdays", a, b],
    "report": lambda a, b, draw, tmp: [
        "assignment",
        "report-progress",
        a,
        "--progress",
        b,
        "--as",
        "wu.qiang",
    ],
    "extension": lambda a, b, draw, tmp: [
        "assignment",
        "request-extension",
        "1",
        "--new-due-date",
        a,
        "--reason",
        b,
        "--as",
        "wu.qiang",  # the owner of assignment 1
    ],
    "topic": lambda a, b, draw, tmp: [
        "meeting",
        "submit-topic",
        "1",
        "--department",
        a,
        "--title",
        draw(st.sampled_from(["", "  ", "预算", "x" * 301])),
        "--presenter",
        b,
        "--as",
        "lin.tao",
    ],
    "acknowledge": lambda a, b, draw, tmp: ["incident", "acknowledge", a, "--as", b],
    "file-report": lambda a, b, draw, tmp: [
        "incident",
        "file-report",
        "1",
        "--kind",
        a,
        "--as",
        b,
        "--summary",
        "x",
    ],
    "decision": lambda a, b, draw, tmp: [
        "decision",
        "create",
        _yaml_file(tmp, "decision.yaml", draw(inputs(decision_base(), []))),
    ],
    "org": lambda a, b, draw, tmp: [
        "org",
        "load",
        _write(tmp / "org.yaml", draw(org_texts())),
    ],
}


def _write(path: Path, raw: bytes) -> str:
    path.write_bytes(raw)
    return str(path)


# 32 CLI processes of 2–3 s each; on a busy two-core machine that can pass 300 s.
@pytest.mark.timeout(900)
def test_cli_fuzzed(office: dict[str, int], prefect_env: dict[str, str], tmp_path: Path) -> None:
    """Each command gets a handful of fuzzed argument sets (32 processes in all)."""
    outcomes = Outcomes()
    env = {**prefect_env, "OFFICEFLOW_NOW": T0}

    @CLI_FUZZ
    @given(st.data())
    def check(data: st.DataObject) -> None:
        for name in sorted(_CLI):
            args = _CLI[name](cli_args(data.draw), cli_args(data.draw), data.draw, tmp_path)
            before = table_counts()
            result = run_cli(*args, env=env)
            out = result.stdout + result.stderr
            assert "Traceback" not in out, (args, out)
            # 2: bad input; 77: the actor may not (officeflow.policy)
            assert result.returncode in (0, 2, 77), (args, result.returncode, out)
            if result.returncode in (2, 77):
                assert result.stderr.strip(), (args, out)
                assert table_counts() == before, (args, "refused, yet the ledger changed")
            outcomes["refused" if result.returncode else "accepted"] += 1
            db.dispose_engines()

    check()
    outcomes.check(minimum_refused=15, minimum_accepted=1, examples=32)
