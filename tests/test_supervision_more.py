"""Concurrent sweeps, the bulletin, the paused extension approval, and the CLI over flows."""

import datetime as dt
import threading
import time
from collections import Counter
from typing import Any

from prefect.client.schemas.objects import StateType
from sqlalchemy import select

from flows.supervision import assignment_request_extension, supervision_bulletin
from models.ledger import Delivery
from models.supervision import Assignment, ExtensionRequest
from models.supervision_input import DecisionSpec, RequestExtensionInput
from officeflow import clock, db, supervision
from officeflow.delivery import send_pending
from officeflow.mailcatcher import MailCatcher
from officeflow.supervision import plan_sweep
from tests.cli_helpers import run_cli
from tests.conftest import ROOT, both_backends

backend = both_backends  # these tests run on SQLite and on PostgreSQL

DEPARTMENTS = ["finance", "health", "education", "development-reform", "housing-construction"]


def issue_many(n_per_department: int = 6) -> None:
    clock.set_now("2026-09-21T10:00:00+08:00")
    assignments = [
        {
            "lead_department": d,
            "task": f"任务{i}",
            "acceptance_standard": "报送材料",
            "due_in_workdays": 1 + (i * 3) % 12,
        }
        for d in DEPARTMENTS
        for i in range(n_per_department)
    ]
    spec = DecisionSpec.model_validate(
        {
            "title": "年度重点工作",
            "issued_by": "li.jianguo",
            "issued_on": "2026-09-21",
            "report_cycle": "weekly",
            "assignments": assignments,
        }
    )
    with db.session_scope() as s:
        supervision.check_decision(s, spec)
        supervision.record_decision(s, spec, actor="system")


def test_two_concurrent_sweeps_send_each_reminder_once(org: Any, mail_office: MailCatcher) -> None:
    issue_many()
    for day in ("2026-09-29", "2026-09-30", "2026-10-08"):
        clock.set_now(f"{day}T09:00:00+08:00")
        results: list[Any] = []
        barrier = threading.Barrier(2)

        def sweep(barrier: threading.Barrier = barrier, results: list[Any] = results) -> None:
            barrier.wait()
            result = plan_sweep()
            results.append(result)
            send_pending(result.notice_keys)

        threads = [threading.Thread(target=sweep) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # The unique notice key made the second sweep find nothing new.
        assert len(results) == 2
        assert sorted(bool(r.notice_keys) for r in results) == [False, True]
    with db.session_scope() as s:
        sent = s.scalars(select(Delivery).where(Delivery.channel == "email")).all()
        assert all(d.status.value == "sent" for d in sent)
    messages = Counter((m.rcpt_tos[0], m.notice) for m in mail_office.messages)
    assert len(mail_office.messages) == len(sent) > 30
    assert set(messages.values()) == {1}
    assert {(d.address, d.notice_key) for d in sent} == set(messages)


def test_bulletin_counts_per_department_and_is_sent_once(
    prefect_api: None, org: Any, mail_office: MailCatcher
) -> None:
    issue_many(n_per_department=2)
    clock.set_now("2026-09-23T15:00:00+08:00")
    with db.session_scope() as s:  # assignment 2 is due 09-25
        owner = s.get_one(Assignment, 2).owner_id
        supervision.request_completion(s, assignment_id=2, evidence="done", actor=owner)
    with db.session_scope() as s:
        supervision.verify_completion(s, assignment_id=2, approve=True, comment="", actor="sun.li")
    clock.set_now("2026-09-24T09:00:00+08:00")
    plan_sweep()
    # Friday 09-25 is the Mid-Autumn Festival: the scheduled bulletin skips the day off…
    clock.set_now("2026-09-25T16:00:00+08:00")
    assert supervision_bulletin().skipped
    assert mail_office.messages == []
    # …and an explicit period still sends (e.g. the office re-runs it the next working day).
    clock.set_now("2026-09-28T09:00:00+08:00")
    first = supervision_bulletin(week_containing=dt.date(2026, 9, 24))
    again = supervision_bulletin(week_containing=dt.date(2026, 9, 24))
    assert first.sent == 5 and again.sent == 0  # five leaders, once
    body = mail_office.to("zhou.guoqiang@example.gov.cn")[0].text()
    assert "财政局 | 1 | " in body  # finance: one still open
    assert "| 1 | 1 | 100% |" in body  # one closed, on time
    assert "统计区间：2026-09-21 至 2026-09-27" in body
    assert "| 单位 | 在办 |" in body and "Department" not in body  # one language


def wait_for_run_state(run_id: Any, wanted: StateType, timeout: float) -> StateType | None:
    """Poll the Prefect API until the flow run is in ``wanted``; the last state seen."""
    from prefect import get_client

    deadline = time.monotonic() + timeout
    seen = None
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            run = client.read_flow_run(run_id)
            seen = run.state.type if run.state else None
            if seen is wanted:
                break
            time.sleep(0.2)
    return seen


def test_extension_waits_in_a_paused_run_and_the_cli_decision_resumes_it(
    org: Any, mail_office: MailCatcher, prefect_env: dict[str, str], office_env: Any
) -> None:
    issue_many(n_per_department=1)
    clock.set_now("2026-09-22T10:00:00+08:00")
    outcome: list[Any] = []
    runner = threading.Thread(
        target=lambda: outcome.append(
            assignment_request_extension(
                assignment_id=1,
                params=RequestExtensionInput(
                    new_due_date=clock.parse_instant("2026-10-16").date(), reason="等待审计结果"
                ),
                actor="zheng.hui",
                wait_for_decision_hours=0.2,
            )
        )
    )
    runner.start()
    deadline = time.monotonic() + 60
    run_id = None
    while time.monotonic() < deadline and run_id is None:
        with db.session_scope() as s:
            run_id = s.scalar(select(ExtensionRequest.waiting_run_id))
        time.sleep(0.5)
    assert run_id, "the flow never recorded its request"
    # Wait until the run really is paused (the CLI's resume needs a paused run).
    state = wait_for_run_state(run_id, StateType.PAUSED, timeout=60)
    assert state is StateType.PAUSED, f"the run never paused (last state {state})"
    decided = run_cli(
        "assignment",
        "decide-extension",
        "1",
        "--approve",
        "--as",
        "li.jianguo",
        env={**prefect_env, "OFFICEFLOW_NOW": "2026-09-22T11:00:00+08:00"},
    )
    assert decided.returncode == 0, decided.stderr
    assert f"resumed the paused Prefect run {run_id}" in decided.stdout
    runner.join(timeout=90)
    [result] = outcome
    assert (result.action, result.request_id) == ("extension_approved", 1)
    assert result.notice_keys == []  # the CLI's decision already told the owner; no second notice
    with db.session_scope() as s:
        a = s.get(Assignment, 1)
        assert clock.to_local(a.due_at).date().isoformat() == "2026-10-16"
    approvals = [m for m in mail_office.messages if "延期申请已批准" in m.subject]
    # The owner is finance's head, lin.tao: told once; the resumed run re-decided nothing.
    assert [m.rcpt_tos[0] for m in approvals] == ["lin.tao@example.gov.cn"]


def test_cli_decision_create_runs_the_flow_and_is_idempotent(
    org: Any, mail_office: MailCatcher, prefect_env: dict[str, str]
) -> None:
    env = {**prefect_env, "OFFICEFLOW_NOW": "2026-09-21T10:00:00+08:00"}
    first = run_cli("decision", "create", str(ROOT / "examples" / "decision.yaml"), env=env)
    assert first.returncode == 0, first.stderr
    assert "decision recorded 1 with assignments 1, 2" in first.stdout
    second = run_cli("decision", "create", str(ROOT / "examples" / "decision.yaml"), env=env)
    assert "already recorded as 1" in second.stdout and "0 notices sent" in second.stdout
    # Assignment 1: owner wu.qiang (head) + heads of two co-departments; assignment 2: owner
    # cao.yan + her head deng.hua (also a co-department head of assignment 1).
    assert sorted(m.rcpt_tos[0].split("@")[0] for m in mail_office.messages) == [
        "cao.yan",
        "deng.hua",
        "deng.hua",
        "jiang.tao",
        "wu.qiang",
    ]
    shown = run_cli("decision", "show", "1")
    assert "emergency-management" in shown.stdout and "领导批示〔2026〕12号" in shown.stdout
