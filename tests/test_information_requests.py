"""约稿 and 信息考核: a commissioned report is a supervised assignment per department, which turns
red when overdue (the supervision sweep, unchanged) and costs points in the monthly scores;
the bulletin's chart is a real PNG sent to the leaders and the office."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from sqlalchemy import select

from flows.information import information_request, information_scores
from models.information import InfoIssue, Publication
from models.information_input import InfoItemSpec, RequestSpec
from models.supervision import Assignment, AssignmentStatus, Decision, DecisionSource, Light
from officeflow import clock, db, information
from officeflow.delivery import send_pending
from officeflow.mailcatcher import MailCatcher
from officeflow.settings import get_settings
from officeflow.supervision import plan_sweep
from tests.conftest import both_backends
from tests.information_helpers import latest_artifacts

backend = both_backends  # these tests run on SQLite and on PostgreSQL

OFFICE = "liu.yang"


def addr(person: str) -> str:
    return f"{person}@example.gov.cn"


def test_a_commissioned_report_turns_red_and_costs_points(
    prefect_api: None, org: Any, mail_office: MailCatcher
) -> None:
    clock.set_now("2026-11-02T10:00:00+08:00")  # Monday
    request = information_request(
        RequestSpec(
            topic="冬季安全生产形势",
            departments=["finance", "health"],
            due_in_workdays=2,
            requested_by=OFFICE,
        )
    )
    # 交办通知 to each department's head (the owner).
    assert sorted(m.rcpt_tos[0] for m in mail_office.messages) == [
        addr("han.xue"),
        addr("lin.tao"),
    ]
    with db.session_scope() as s:
        decision = s.get(Decision, request.decision_id)
        assert decision.source is DecisionSource.INFORMATION
        assert decision.source_ref == f"info-request:{request.request_id}"
        assert decision.issued_by == "li.jianguo"  # the general office's leader
        due = {a.lead_department_id: clock.to_local(a.due_at) for a in decision.assignments}
        assert {d: v.isoformat() for d, v in due.items()} == {
            "finance": "2026-11-04T18:00:00+08:00",
            "health": "2026-11-04T18:00:00+08:00",
        }

    # Finance answers on time: its assignment is done.
    clock.set_now("2026-11-03T15:00:00+08:00")
    with db.session_scope() as s:
        answer = information.submit_item(
            s,
            InfoItemSpec(
                title="财政系统冬季安全检查情况",
                body="已完成检查。",
                kind="news",
                department="finance",
                submitted_by="zheng.hui",
                request_id=request.request_id,
            ),
        )
        information.adopt_item(s, item_id=answer.item_id, actor=OFFICE)

    # Thursday: health is late; the supervision sweep lights it red and tells the leader.
    mail_office.clear()
    clock.set_now("2026-11-05T09:00:00+08:00")
    swept = plan_sweep()
    send_pending(swept.notice_keys)
    assert swept.tally("reminder") == {"red": 1}
    with db.session_scope() as s:
        states = {
            a.lead_department_id: (a.status, a.light)
            for a in s.scalars(
                select(Assignment).where(Assignment.decision_id == request.decision_id)
            )
        }
    assert states["finance"][0] is AssignmentStatus.CLOSED
    assert states["health"] == (AssignmentStatus.OPEN, Light.RED)
    assert sorted(m.rcpt_tos[0] for m in mail_office.messages) == [
        addr("han.xue"),
        addr("li.jianguo"),
    ]
    mail_office.clear()

    # December 1st: the bulletin for November counts the overdue report against health.
    clock.set_now("2026-12-01T09:00:00+08:00")
    scores = information_scores()
    assert scores.month == "2026-11"
    rows = {r.department: r for r in scores.rows}
    assert (rows["finance"].submitted, rows["finance"].adopted, rows["finance"].points) == (1, 1, 4)
    assert (rows["health"].overdue, rows["health"].points) == (1, -2)
    chart = get_settings().home / scores.chart
    assert chart.stat().st_size > 1000 and chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # Leaders and the general office, once each, with the chart attached.
    received = Counter(m.rcpt_tos[0] for m in mail_office.messages)
    assert set(received.values()) == {1} and len(received) == 5 + 5
    assert addr("zhou.guoqiang") in received and addr("sun.li") in received
    for m in mail_office.messages:
        names = [p.get_filename() for p in m.message.iter_attachments()]
        assert names == ["scores-2026-11.png"]
    assert information_scores().sent == 0  # once per month
    (artifact,) = latest_artifacts("info-scores")
    assert "信息考核通报 2026-11" in artifact.data
    assert "![信息考核 2026-11](data:image/png;base64," in artifact.data  # the chart, embedded


def test_issue_numbers_never_repeat_under_concurrency(org: Any) -> None:
    """Eight transactions open 专报 issues at once: eight different numbers, 1 to 8."""
    clock.set_now("2026-11-20T10:00:00+08:00")
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            barrier.wait()
            with db.session_scope() as s:
                information.open_issue(s, Publication.SPECIAL)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with db.session_scope() as s:
        numbers = sorted(s.scalars(select(InfoIssue.number)))
    assert numbers == list(range(1, 9))
