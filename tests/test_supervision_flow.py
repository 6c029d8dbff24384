"""Time travel: one decision from issue on 2026-09-21 to verified closure, against a real SMTP
server and a real Prefect API, with every message counted."""

from collections import Counter
from typing import Any

from sqlalchemy import select

from flows.supervision import decision_implementation, supervision_sweep
from models.ledger import Event
from models.supervision import Assignment, AssignmentStatus, ExtensionRequest
from models.supervision_input import DecisionSpec
from officeflow import clock, db, supervision
from officeflow.delivery import send_pending
from officeflow.mailcatcher import MailCatcher
from officeflow.supervision import plan_sweep
from tests.cli_helpers import run_cli
from tests.conftest import both_backends

backend = both_backends  # these tests run on SQLite and on PostgreSQL

OWNER, HEAD, LEADER, DIRECTOR = "tang.jun", "wu.qiang", "chen.zhiqiang", "sun.li"


def addr(person: str) -> str:
    return f"{person}@example.gov.cn"


SPEC = {
    "title": "国庆假期安全生产检查",
    "source": "leader_instruction",
    "issued_by": LEADER,
    "issued_on": "2026-09-21",
    "priority": "important",
    "assignments": [
        {
            "lead_department": "emergency-management",
            "owner": OWNER,
            "task": "开展节前安全生产大检查",
            "acceptance_standard": "报送检查报告，隐患全部整改",
            "due_in_workdays": 5,
        }
    ],
}


def sweep_on(day: str, *, via_flow: bool = False) -> dict[str, int]:
    clock.set_now(f"{day}T09:00:00+08:00")
    if via_flow:
        return supervision_sweep().tally("reminder")
    result = plan_sweep()
    send_pending(result.notice_keys)
    return result.tally("reminder")


def mail(catcher: MailCatcher) -> Counter[tuple[str, str]]:
    return Counter((m.rcpt_tos[0], m.subject.split("】")[0] + "】") for m in catcher.messages)


def test_decision_to_closure(prefect_api: None, org: Any, mail_office: MailCatcher) -> None:
    clock.set_now("2026-09-21T10:00:00+08:00")
    result = decision_implementation(DecisionSpec.model_validate(SPEC))
    assert result.newly_recorded and result.notices_sent == 2
    (aid,) = result.assignment_ids
    with db.session_scope() as s:
        a = s.get(Assignment, aid)
        # 5 working days from 09-21: 09-25 is the Mid-Autumn Festival.
        assert clock.to_local(a.due_at).isoformat() == "2026-09-29T18:00:00+08:00"
    assert sorted(m.rcpt_tos[0] for m in mail_office.messages) == [addr(OWNER), addr(HEAD)]
    assert "办理时限：2026-09-29 18:00" in mail_office.to(addr(OWNER))[0].text()

    # Issuing the same decision again records and sends nothing.
    again = decision_implementation(DecisionSpec.model_validate(SPEC))
    assert (again.decision_id, again.newly_recorded, again.notices_sent) == (
        result.decision_id,
        False,
        0,
    )

    assert sweep_on("2026-09-22") == {}
    with db.session_scope() as s:
        supervision.report_progress(s, assignment_id=aid, progress=20, note="已部署", actor=OWNER)
    # Blue on 09-23: due within 3 working days (09-24, 09-28, 09-29).
    assert sweep_on("2026-09-23", via_flow=True) == {"blue": 1}
    assert sweep_on("2026-09-23") == {}  # a second sweep the same day sends nothing
    blue = [m for m in mail_office.messages if "临期提醒" in m.subject]
    assert [m.rcpt_tos[0] for m in blue] == [addr(OWNER)]

    # 09-24: planned pace 40 %, reported 20 % → yellow to the owner and the head.
    assert sweep_on("2026-09-24") == {"yellow": 1}
    # 09-25 is a holiday and 09-26/27 a weekend: the sweep records that it skipped.
    for day in ("2026-09-25", "2026-09-26", "2026-09-27"):
        assert sweep_on(day) == {}
    with db.session_scope() as s:
        skipped = s.scalars(select(Event.object_id).where(Event.action == "sweep.skipped"))
        assert list(skipped) == ["2026-09-25", "2026-09-26", "2026-09-27"]

    with db.session_scope() as s:
        supervision.report_progress(
            s, assignment_id=aid, progress=80, note="检查大部完成", actor=OWNER
        )
    assert sweep_on("2026-09-28") == {}  # back on pace: blue again, already reminded
    assert sweep_on("2026-09-29") == {}

    # Overdue: red the next working day, to owner, head and the issuing leader, then again
    # on the next working day, which is after the National Day holiday.
    assert sweep_on("2026-09-30", via_flow=True) == {"red": 1}
    for day in ("2026-10-01", "2026-10-05", "2026-10-07"):
        assert sweep_on(day) == {}
    assert sweep_on("2026-10-08") == {"red": 1}
    assert sweep_on("2026-10-08") == {}
    with db.session_scope() as s:
        assert s.get(Assignment, aid).red_count == 2
    red = [m.rcpt_tos[0] for m in mail_office.messages if "逾期督办" in m.subject]
    assert Counter(red) == {addr(OWNER): 2, addr(HEAD): 2, addr(LEADER): 2}
    assert "第2次" in [m for m in mail_office.messages if "逾期督办" in m.subject][-1].text()

    # Extension: requested by the department, approved by the issuing leader.
    clock.set_now("2026-10-08T11:00:00+08:00")
    import datetime as dt

    with db.session_scope() as s:
        requested = supervision.request_extension(
            s,
            assignment_id=aid,
            new_due_date=dt.date(2026, 10, 16),
            reason="隐患整改需复查",
            actor=OWNER,
        )
    send_pending(requested.notice_keys)
    approved = run_cli(
        "assignment",
        "decide-extension",
        str(aid),  # the assignment; its request awaiting a decision is found
        "--approve",
        "--as",
        LEADER,
        "--comment",
        "同意",
    )
    assert approved.returncode == 0, approved.stderr
    assert f"assignment {aid}: 延期审批 (decide an extension) done" in approved.stdout
    with db.session_scope() as s:
        a = s.get(Assignment, aid)
        assert clock.to_local(a.due_at).date() == dt.date(2026, 10, 16)
        assert clock.to_local(a.original_due_at).date() == dt.date(2026, 9, 29)
        history = s.scalars(select(ExtensionRequest)).all()
        assert [(h.status.value, h.decided_by) for h in history] == [("approved", LEADER)]
    assert sweep_on("2026-10-09") == {}  # green again: no reminder

    # Completion: rejected once, then accepted and closed (销号).
    clock.set_now("2026-10-12T15:00:00+08:00")
    with db.session_scope() as s:
        requested = supervision.request_completion(
            s, assignment_id=aid, evidence="检查报告.pdf", actor=OWNER
        )
    send_pending(requested.notice_keys)
    rejected = run_cli(
        "assignment", "verify", str(aid), "--refuse", "--as", DIRECTOR, "--comment", "缺少整改台账"
    )
    assert rejected.returncode == 0, rejected.stderr
    clock.set_now("2026-10-13T10:00:00+08:00")
    with db.session_scope() as s:
        requested = supervision.request_completion(
            s, assignment_id=aid, evidence="检查报告.pdf；整改台账.xlsx", actor=OWNER
        )
    send_pending(requested.notice_keys)
    with db.session_scope() as s:
        verified = supervision.verify_completion(
            s, assignment_id=aid, approve=True, comment="通过", actor=DIRECTOR
        )
    assert (verified.action, verified.status) == ("closed", "closed")
    send_pending(verified.notice_keys)
    with db.session_scope() as s:
        a = s.get(Assignment, aid)
        assert a.status is AssignmentStatus.CLOSED and a.progress == 100
    assert sweep_on("2026-10-14") == {}

    counts = mail(mail_office)
    assert counts == Counter(
        {
            (addr(OWNER), "【交办通知】"): 1,
            (addr(HEAD), "【交办通知】"): 1,
            (addr(OWNER), "【临期提醒】"): 1,
            (addr(OWNER), "【进度预警】"): 1,
            (addr(HEAD), "【进度预警】"): 1,
            (addr(OWNER), "【逾期督办】"): 2,
            (addr(HEAD), "【逾期督办】"): 2,
            (addr(LEADER), "【逾期督办】"): 2,
            (addr(LEADER), "【督办】"): 1,  # the extension request
            (addr(OWNER), "【督办】"): 3,
            (addr(HEAD), "【督办】"): 3,  # approved, rejected, closed
            (addr(DIRECTOR), "【督办】"): 2,  # two completion requests
        }
    )
    # No message was ever duplicated.
    assert (
        max(Counter((m.rcpt_tos[0], m.subject, m.text()) for m in mail_office.messages).values())
        == 1
    )
    with db.session_scope() as s:
        actions = [
            e.action
            for e in s.scalars(
                select(Event).where(Event.object_type == "assignment").order_by(Event.id)
            )
        ]
    assert actions == [
        "assignment.issued",
        "assignment.progress",
        "assignment.progress",
        "assignment.extension_requested",
        "assignment.extension_approved",
        "assignment.completion_requested",
        "assignment.completion_rejected",
        "assignment.completion_requested",
        "assignment.closed",
    ]
    shown = run_cli("decision", "show", str(result.decision_id))
    assert shown.returncode == 0
    assert "closed" in shown.stdout and "emergency-management" in shown.stdout
