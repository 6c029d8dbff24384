"""Bad input gets a clear error and writes nothing."""

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from models.ledger import Delivery, Event, Notice
from models.supervision import (
    Assignment,
    CompletionRequest,
    Decision,
    ExtensionRequest,
    ProgressReport,
)
from models.supervision_input import DecisionSpec
from officeflow import actions, clock, db, supervision
from officeflow.actors import NotAllowed
from officeflow.inputs import InputError, validate_model
from tests.cli_helpers import run_cli
from tests.conftest import both_backends, write_yaml

backend = both_backends  # these tests run on SQLite and on PostgreSQL


def spec(**assignment: Any) -> dict[str, Any]:
    a = {
        "lead_department": "finance",
        "task": "编制预算调整方案",
        "acceptance_standard": "报送方案",
        "due_in_workdays": 5,
    }
    a.update(assignment)
    return {
        "title": "预算调整",
        "issued_by": "wang.haitao",
        "issued_on": "2026-09-21",
        "assignments": [a],
    }


def counts() -> tuple[int, ...]:
    with db.session_scope() as s:
        return tuple(
            s.scalar(select(func.count()).select_from(t)) or 0
            for t in (Decision, Assignment, Notice, Delivery, ProgressReport, ExtensionRequest)
        )


def ledger_rows() -> dict[str, list[str]]:
    """Every row of the supervision and notice tables and the event log, for "nothing written"
    checks on a ledger that already holds a decision."""
    tables = (
        Decision,
        Assignment,
        Notice,
        Delivery,
        ProgressReport,
        CompletionRequest,
        ExtensionRequest,
        Event,
    )
    with db.session_scope() as s:
        return {
            t.__tablename__: sorted(repr(tuple(row)) for row in s.execute(select(t.__table__)))
            for t in tables
        }


def record_one_decision() -> dict[str, list[str]]:
    """A valid decision recorded first (its assignment, a progress report, their events): the
    rows a refused input must leave exactly as they are."""
    clock.set_now("2026-09-21T10:00:00+08:00")
    create({**spec(owner="zheng.hui"), "title": "已有的决策"})
    with db.session_scope() as s:
        supervision.report_progress(
            s, assignment_id=1, progress=30, note="已启动", actor="zheng.hui"
        )
    before = ledger_rows()
    assert len(before["decisions"]) == 1 and len(before["assignments"]) == 1
    assert len(before["progress_reports"]) == 1 and before["events"]
    return before


def create(data: dict[str, Any]) -> None:
    parsed = validate_model(DecisionSpec, data)
    with db.session_scope() as s:
        supervision.check_decision(s, parsed)
        supervision.record_decision(s, parsed, actor="system")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            spec(lead_department="ministry-of-magic"),
            "assignments[0].lead_department: unknown department 'ministry-of-magic'",
        ),
        (
            spec(due_in_workdays=None, due_date="2026-09-18"),
            "assignments[0].due_date: deadline 2026-09-18 is not after the issue date 2026-09-21",
        ),
        (spec(task="   "), "assignments[0].task: String should have at least 1 character"),
        (
            spec(due_date="2026-10-20"),
            "assignments[0]: Value error, give exactly one of due_date or due_in_workdays",
        ),
        (spec(owner="zhang.wei"), "assignments[0].owner: 'zhang.wei' is not in 'finance'"),
        ({**spec(), "issued_by": "lin.tao"}, "issued_by: 'lin.tao' is not a leader"),
        ({**spec(), "assignments": []}, "assignments: List should have at least 1 item"),
    ],
)
def test_bad_decision_is_refused_before_anything_is_written(
    org: Any, data: dict[str, Any], message: str
) -> None:
    before = record_one_decision()
    with pytest.raises(InputError) as info:
        create(data)
    assert message in str(info.value)
    assert ledger_rows() == before


@pytest.fixture
def assignment(org: Any) -> int:
    clock.set_now("2026-09-21T10:00:00+08:00")
    create(spec(owner="zheng.hui"))
    return 1


def test_progress_above_100_is_refused(assignment: int) -> None:
    refused = pytest.raises(InputError, match="progress must be between 0 and 100, not 101")
    with refused, db.session_scope() as s:
        supervision.report_progress(
            s, assignment_id=assignment, progress=101, note="", actor="zheng.hui"
        )
    assert counts()[4] == 0


def test_feedback_on_a_closed_assignment_is_refused(assignment: int) -> None:
    with db.session_scope() as s:
        supervision.request_completion(
            s, assignment_id=assignment, evidence="方案.docx", actor="zheng.hui"
        )
    with db.session_scope() as s:
        supervision.verify_completion(
            s, assignment_id=assignment, approve=True, comment="", actor="sun.li"
        )
    with pytest.raises(InputError, match="assignment 1 is closed"), db.session_scope() as s:
        supervision.report_progress(
            s, assignment_id=assignment, progress=50, note="late", actor="zheng.hui"
        )
    assert counts()[4] == 0


def test_extension_for_another_departments_assignment_is_refused(assignment: int) -> None:
    with (
        pytest.raises(
            NotAllowed,
            match=r"'zhang.wei' .* may not request an extension \(assignment 1\): only the owner "
            "郑慧 or the people of the lead department 财政局 may",
        ),
        db.session_scope() as s,
    ):
        actions.perform(
            s,
            "assignment.request-extension",
            assignment,
            {"new_due_date": "2026-10-16", "reason": "忙"},
            "zhang.wei",
        )
    assert counts()[5] == 0


def test_only_the_issuing_leader_decides_and_only_office_verifies(assignment: int) -> None:
    with db.session_scope() as s:
        requested = supervision.request_extension(
            s,
            assignment_id=assignment,
            new_due_date=dt.date(2026, 10, 16),
            reason="数据未齐",
            actor="zheng.hui",
        )
        request_id = requested.request_id
    with (
        pytest.raises(NotAllowed, match="only the issuing leader 王海涛 may"),
        db.session_scope() as s,
    ):
        actions.perform(
            s,
            "assignment.decide-extension",
            assignment,
            {"approve": True, "request_id": request_id},
            "zhou.guoqiang",
        )
    with db.session_scope() as s:
        supervision.request_completion(s, assignment_id=assignment, evidence="x", actor="zheng.hui")
    with (
        pytest.raises(NotAllowed, match="'lin.tao' .* may not verify .*only the general office"),
        db.session_scope() as s,
    ):
        actions.perform(s, "assignment.verify", assignment, {"approve": True}, "lin.tao")
    with db.session_scope() as s:
        assert s.get(ExtensionRequest, request_id).status.value == "pending"
        assert s.get(Assignment, assignment).status.value == "completion_requested"


def test_extension_must_move_the_deadline_to_a_later_working_day(assignment: int) -> None:
    for day, message in [
        (dt.date(2026, 9, 25), "is not after the current deadline"),
        (dt.date(2026, 10, 3), "2026-10-03 is not a working day"),
    ]:
        with pytest.raises(InputError, match=message), db.session_scope() as s:
            supervision.request_extension(
                s, assignment_id=assignment, new_due_date=day, reason="r", actor="zheng.hui"
            )


def test_cli_reports_field_errors_without_traceback(org: Any, tmp_path: Path) -> None:
    before = record_one_decision()
    bad = write_yaml(tmp_path / "decision.yaml", spec(lead_department="nowhere"))
    result = run_cli("decision", "create", str(bad))
    assert result.returncode == 2
    assert "assignments[0].lead_department: unknown department 'nowhere'" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    bad_type = write_yaml(tmp_path / "typo.yaml", {**spec(), "priority": "asap"})
    result = run_cli("decision", "create", str(bad_type))
    assert result.returncode == 2
    assert "line 9: priority: Input should be 'normal', 'important' or 'urgent'" in result.stderr
    result = run_cli("assignment", "report-progress", "2", "--progress", "50", "--as", "zheng.hui")
    assert result.returncode == 2 and "assignment: no assignment 2" in result.stderr
    assert ledger_rows() == before  # no decision, assignment, notice, report or event written


def test_old_cli_spellings_still_work_and_name_the_new_ones(assignment: int) -> None:
    """`report` and `complete` are hidden old names of `report-progress` and
    `request-completion`: each still acts, and says the new name."""
    reported = run_cli("assignment", "report", "1", "--progress", "40", "--as", "zheng.hui")
    assert reported.returncode == 0, reported.stderr
    assert "`assignment report` is now `assignment report-progress`" in reported.stderr
    assert "assignment 1: 进展反馈 (report progress) done, now open" in reported.stdout
    completed = run_cli(
        "assignment", "complete", "1", "--evidence", "方案.docx", "--as", "zheng.hui"
    )
    assert completed.returncode == 0, completed.stderr
    assert "`assignment complete` is now `assignment request-completion`" in completed.stderr
    with db.session_scope() as s:
        a = s.get_one(Assignment, assignment)
        assert (a.status.value, a.progress) == ("completion_requested", 40)
        assert [r.reporter_id for r in s.scalars(select(ProgressReport))] == ["zheng.hui"]
        assert [r.requested_by for r in s.scalars(select(CompletionRequest))] == ["zheng.hui"]


def test_the_old_accept_reject_flags_still_verify(assignment: int) -> None:
    """`--accept/--reject` is the old spelling of `verify --approve/--refuse`: it still acts and
    says the new spelling."""
    with db.session_scope() as s:
        supervision.request_completion(s, assignment_id=1, evidence="方案.docx", actor="zheng.hui")
    refused = run_cli(
        "assignment", "verify", "1", "--reject", "--comment", "缺附件", "--as", "sun.li"
    )
    assert refused.returncode == 0, refused.stderr
    assert "the option is now --approve/--refuse" in refused.stderr
    with db.session_scope() as s:
        supervision.request_completion(s, assignment_id=1, evidence="附件已补", actor="zheng.hui")
    verified = run_cli("assignment", "verify", "1", "--accept", "--as", "sun.li")
    assert verified.returncode == 0, verified.stderr
    assert "the option is now --approve/--refuse" in verified.stderr
    with db.session_scope() as s:
        a = s.get_one(Assignment, assignment)
        assert (a.status.value, a.progress) == ("closed", 100)
        requests = s.scalars(select(CompletionRequest).order_by(CompletionRequest.id))
        assert [(r.status.value, r.decided_by) for r in requests] == [
            ("refused", "sun.li"),
            ("approved", "sun.li"),
        ]


def test_cli_refuses_a_person_outside_the_lead_department_with_exit_77(assignment: int) -> None:
    before = ledger_rows()
    refused = run_cli("assignment", "report-progress", "1", "--progress", "40", "--as", "xu.lei")
    assert refused.returncode == 77, refused.stderr
    assert "may not report progress (assignment 1)" in refused.stderr
    assert "Traceback" not in refused.stderr + refused.stdout
    missing = run_cli("assignment", "report-progress", "1", "--progress", "40")
    assert missing.returncode == 2 and "--as" in missing.stderr
    assert ledger_rows() == before
