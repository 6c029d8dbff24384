"""Bad input to 信息报送 gets a clear error naming the field; a person who may not act is refused
(`NotAllowed`: exit 77, web 403), not given an input error; nothing is written either way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from models.information import InfoComment, InfoIssue, InfoItem, InfoRequest, ItemStatus
from models.information_input import InfoItemSpec, RequestSpec
from models.ledger import Event, Notice
from models.supervision import Decision
from officeflow import actions, clock, db, information
from officeflow.actors import NotAllowed
from officeflow.inputs import InputError
from tests.cli_helpers import run_cli
from tests.conftest import ROOT, both_backends

backend = both_backends  # these tests run on SQLite and on PostgreSQL

EXAMPLE = ROOT / "examples" / "info_item.yaml"
OFFICE = "liu.yang"


def spec(**changes: Any) -> InfoItemSpec:
    data = {
        "title": "道路改造进展",
        "body": "进展顺利。",
        "kind": "news",
        "department": "finance",
        "submitted_by": "zheng.hui",
    }
    return InfoItemSpec.model_validate({**data, **changes})


def counts() -> tuple[int, ...]:
    with db.session_scope() as s:
        return tuple(
            s.scalar(select(func.count()).select_from(t))
            for t in (InfoItem, InfoIssue, InfoComment, InfoRequest, Decision, Notice, Event)
        )


def refused(action: Any) -> tuple[str, str]:
    with pytest.raises(InputError) as exc, db.session_scope() as s:
        action(s)
    problem = exc.value.problems[0]
    return ".".join(map(str, problem.loc)), problem.message


def not_allowed(action: Any) -> str:
    with pytest.raises(NotAllowed) as exc, db.session_scope() as s:
        action(s)
    return str(exc.value)


@pytest.fixture
def adopted(org: Any) -> int:
    """An item adopted into 每日要情 第1期, which is then published."""
    clock.set_now("2026-11-20T10:00:00+08:00")
    with db.session_scope() as s:
        result = information.submit_item(s, spec())
        information.adopt_item(s, item_id=result.item_id, actor=OFFICE)
    clock.set_now("2026-11-23T08:30:00+08:00")
    with db.session_scope() as s:
        information.publish_issue(s)
    return result.item_id


def test_submissions_refused(org: Any) -> None:
    before = counts()
    cases = [
        (spec(department="nowhere"), ("department", "unknown department 'nowhere'")),
        (spec(request_id=99), ("request_id", "no commissioned report (约稿) 99")),
    ]
    for bad, (field, message) in cases:
        where, text = refused(lambda s, bad=bad: information.submit_item(s, bad))
        assert where == field and message in text
    # Who submits for a department is the policy's (declarations.SUBMITTERS), not the input's.
    people = [
        (spec(submitted_by="nobody"), "unknown person 'nobody' may not submit"),
        (
            spec(submitted_by="yang.fan"),
            "'yang.fan' (杨帆) may not submit an information item: only the people of the "
            "submitting department 财政局 or the general office (办公室) may",
        ),
    ]
    for bad, message in people:
        assert message in not_allowed(lambda s, bad=bad: information.submit_item(s, bad))
    assert counts() == before
    # An office member may submit for a department.
    with db.session_scope() as s:
        assert information.submit_item(s, spec(submitted_by=OFFICE)).created


def test_office_actions_refused(adopted: int) -> None:
    with db.session_scope() as s:
        fresh = information.submit_item(s, spec(title="新的信息")).item_id
    before = counts()

    def act(key: str, item_id: int, params: dict[str, Any], actor: str) -> Any:
        """The action through the door every surface uses (the input, the policy, the service)."""
        return lambda s: actions.perform(s, key, item_id, params, actor)

    cases = [
        (
            act("info_item.adopt", fresh, {"issue": 1}, OFFICE),
            ("issue", "每日要情 第1期 is already published (closed)"),
        ),
        (
            act("info_item.adopt", fresh, {"issue": 7}, OFFICE),
            ("issue", "每日要情 has no issue 第7期"),
        ),
        (act("info_item.adopt", 12345, {}, OFFICE), ("item", "no information item 12345")),
        (
            act("info_item.adopt", adopted, {}, OFFICE),
            ("item", f"item {adopted} is already adopted"),
        ),
        (
            act("info_item.reject", fresh, {"reason": "  "}, OFFICE),
            ("reason", "at least 1 character"),
        ),
        (
            lambda s: information.reject_item(s, item_id=fresh, reason="  ", actor=OFFICE),
            ("reason", "a rejection needs a reason"),
        ),
        (act("info_item.edit", adopted, {"title": "改"}, OFFICE), ("item", "already published")),
        (act("info_item.edit", fresh, {"note": "无改动"}, OFFICE), ("title", "give a new title")),
        (act("info_item.comment", fresh, {"text": "阅"}, "zhou.guoqiang"), ("item", "not adopted")),
        (
            act(
                "info_item.comment",
                adopted,
                {"text": "办", "tasks": ["nowhere:查"]},
                "zhou.guoqiang",
            ),
            ("tasks.0", "unknown department 'nowhere'"),
        ),
        (
            act(
                "info_item.comment",
                adopted,
                {"text": "办", "tasks": ["nowhere-查"]},
                "zhou.guoqiang",
            ),
            ("tasks.0", "write DEPARTMENT:TASK"),
        ),
        (
            lambda s: information.record_request(
                s,
                RequestSpec(
                    topic="约稿",
                    departments=["finance", "nowhere"],
                    due_in_workdays=3,
                    requested_by=OFFICE,
                ),
            ),
            ("departments.1", "unknown department 'nowhere'"),
        ),
    ]
    for action, (field, message) in cases:
        where, text = refused(action)
        assert (where, message in text) == (field, True), text
    # People the policy refuses: the same NotAllowed as every action's, naming who may.
    people = [
        (
            act("info_item.adopt", fresh, {}, "zheng.hui"),
            "'zheng.hui' (郑慧) may not adopt (information item 2): only the general office",
        ),
        (
            act("info_item.comment", adopted, {"text": "阅"}, OFFICE),
            "'liu.yang' (刘洋) may not comment (information item 1): only the leaders may",
        ),
        (
            lambda s: information.record_request(
                s,
                RequestSpec(
                    topic="约稿",
                    departments=["finance"],
                    due_in_workdays=3,
                    requested_by="zheng.hui",
                ),
            ),
            "'zheng.hui' (郑慧) may not commission a report (约稿): only the general office",
        ),
    ]
    for action, message in people:
        assert message in not_allowed(action)
    assert counts() == before
    with db.session_scope() as s:
        assert s.get(InfoItem, fresh).status is ItemStatus.SUBMITTED


def test_weights_file_refused(org: Any, office_env: Any, tmp_path: Path) -> None:
    bad = tmp_path / "weights.yaml"
    bad.write_text("adopted: 3\nbonus: 10\n", encoding="utf-8")
    office_env.set(info_weights=bad)
    with pytest.raises(InputError) as exc:
        information.load_weights()
    assert "unknown weight 'bonus'" in str(exc.value)
    office_env.set(info_weights=ROOT / "examples" / "info_weights.yaml")
    assert information.load_weights({"adopted": 4})["adopted"] == 4


def test_cli_refuses_an_unknown_department_and_a_closed_issue(adopted: int) -> None:
    before = counts()
    out = run_cli("info", "submit", str(EXAMPLE), "--department", "nowhere", "--as", "zheng.hui")
    assert out.returncode == 2
    assert "department: unknown department 'nowhere'" in out.stderr
    assert "Traceback" not in out.stderr
    with db.session_scope() as s:
        fresh = information.submit_item(s, spec(title="周末值守情况")).item_id
    out = run_cli("info", "adopt", str(fresh), "--issue", "1", "--as", OFFICE)
    assert out.returncode == 2
    assert "error: issue: 每日要情 第1期 is already published (closed)" in out.stderr
    # A person who may not: exit 77 (not 2), the sentence names who may.
    out = run_cli("info", "adopt", str(fresh), "--as", "zheng.hui")
    assert out.returncode == 77, out.stderr
    assert "may not adopt" in out.stderr and "only the general office" in out.stderr
    out = run_cli("info", "submit", str(EXAMPLE), "--as", "yang.fan")  # health, for finance
    assert out.returncode == 77 and "may not submit an information item" in out.stderr
    assert counts()[0] == before[0] + 1
    with db.session_scope() as s:
        assert s.get(InfoItem, fresh).status is ItemStatus.SUBMITTED
