"""Bad input to 信息报送 gets a clear error naming the field, and nothing is written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from models.information import InfoComment, InfoIssue, InfoItem, InfoRequest, ItemStatus
from models.information_input import CommentSpec, InfoItemSpec, ItemEdit, RequestSpec
from models.ledger import Event, Notice
from models.supervision import Decision
from officeflow import clock, db, information
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
        (spec(submitted_by="nobody"), ("submitted_by", "unknown person 'nobody'")),
        (spec(submitted_by="yang.fan"), ("submitted_by", "'yang.fan' is not in department")),
        (spec(request_id=99), ("request_id", "no commissioned report (约稿) 99")),
    ]
    for bad, (field, message) in cases:
        where, text = refused(lambda s, bad=bad: information.submit_item(s, bad))
        assert where == field and message in text
    assert counts() == before
    # An office member may submit for a department.
    with db.session_scope() as s:
        assert information.submit_item(s, spec(submitted_by=OFFICE)).created


def test_office_actions_refused(adopted: int) -> None:
    with db.session_scope() as s:
        fresh = information.submit_item(s, spec(title="新的信息")).item_id
    before = counts()
    cases = [
        (
            lambda s: information.adopt_item(s, item_id=fresh, actor=OFFICE, issue_number=1),
            ("issue", "每日要情 第1期 is already published (closed)"),
        ),
        (
            lambda s: information.adopt_item(s, item_id=fresh, actor=OFFICE, issue_number=7),
            ("issue", "每日要情 has no issue 第7期"),
        ),
        (
            lambda s: information.adopt_item(s, item_id=fresh, actor="zheng.hui"),
            ("actor", "'zheng.hui' is not in the general office"),
        ),
        (
            lambda s: information.adopt_item(s, item_id=12345, actor=OFFICE),
            ("item", "no information item 12345"),
        ),
        (
            lambda s: information.adopt_item(s, item_id=adopted, actor=OFFICE),
            ("item", f"item {adopted} is already adopted"),
        ),
        (
            lambda s: information.reject_item(s, item_id=fresh, reason="  ", actor=OFFICE),
            ("reason", "a rejection needs a reason"),
        ),
        (
            lambda s: information.edit_item(
                s, item_id=adopted, edit=ItemEdit(title="改"), actor=OFFICE
            ),
            ("item", "already published"),
        ),
        (
            lambda s: information.comment_item(
                s, item_id=fresh, spec=CommentSpec(text="阅"), actor="zhou.guoqiang"
            ),
            ("item", "not adopted"),
        ),
        (
            lambda s: information.comment_item(
                s, item_id=adopted, spec=CommentSpec(text="阅"), actor=OFFICE
            ),
            ("actor", "'liu.yang' is not a leader"),
        ),
        (
            lambda s: information.comment_item(
                s,
                item_id=adopted,
                spec=CommentSpec(
                    text="办",
                    assignments=[{"lead_department": "nowhere", "task": "查"}],
                ),
                actor="zhou.guoqiang",
            ),
            ("assignments.0.lead_department", "unknown department 'nowhere'"),
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
            ("requested_by", "'zheng.hui' is not in the general office"),
        ),
    ]
    for action, (field, message) in cases:
        where, text = refused(action)
        assert (where, message in text) == (field, True), text
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
    assert counts()[0] == before[0] + 1
    with db.session_scope() as s:
        assert s.get(InfoItem, fresh).status is ItemStatus.SUBMITTED
