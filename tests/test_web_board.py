"""The office's board: its data on a known ledger, its SVG charts, the .xlsx export of the
supervision ledger (compared with the ledger row for row), who may see it, and "my work"."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from models.supervision import Assignment
from officeflow import actors, board, db
from officeflow.board.export import COLUMNS
from tests import board_helpers


@pytest.fixture
def known(make_org: Any) -> dict[str, Any]:
    return board_helpers.build(make_org)


def test_board_data(known: dict[str, Any]) -> None:
    with db.read_scope() as s:
        b = board.board(s)
    by_dept = {r["department"]: r for r in b["departments"]}
    assert by_dept["dept-1"] | {} == {
        "department": "dept-1",
        "name": "Department 1",
        "total": 2,
        "red": 1,
        "yellow": 0,
        "blue": 0,
        "green": 1,
        "overdue": 1,
    }
    assert (by_dept["dept-0"]["total"], by_dept["dept-0"]["blue"]) == (1, 1)  # closed ones not
    assert b["departments"][0]["department"] == "dept-1"  # red first
    assert [o["id"] for o in b["overdue"]] == [known["overdue"]]
    assert b["overdue"][0]["owner"] == "Person 1-0"
    [incident] = b["incidents"]
    assert incident["ack_due"] == "2026-11-18 07:55" and incident["ack_late"]
    assert (incident["report"], incident["report_due"]) == ("初报", "2026-11-18 09:40")
    assert not incident["report_late"]
    [meeting] = b["meetings"]
    assert (meeting["invited"], meeting["agenda"]) == (3, "open")
    # Due in W46 in dept-0: one closed on time, one late → 50 %; nothing else due yet.
    weeks = b["on_time"]["weeks"]
    assert weeks[-1] == "2026-W47" and len(weeks) == 8
    assert b["on_time"]["series"]["Department 0"][-2:] == [50, None]
    assert b["on_time"]["series"]["Department 1"][-1] == 0  # overdue and open: not on time
    assert [d["day"] for d in b["lights_over_time"]] == ["2026-11-16", "2026-11-17", "2026-11-18"]
    assert b["lights_over_time"][1] == {
        "day": "2026-11-17",
        "red": 1,
        "yellow": 0,
        "blue": 1,
        "green": 1,
    }


def test_charts_are_svg(known: dict[str, Any]) -> None:
    with db.read_scope() as s:
        b = board.board(s)
    on_time = board.on_time_chart(b["on_time"])
    lights = board.lights_chart(b["lights_over_time"])
    for svg in (on_time, lights):
        assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "Department 0: 50%" in on_time and "<polyline" not in on_time.split("Department 1")[0]
    assert lights.count("<rect") >= 7  # 3 days' stacks + 4 legend keys
    assert "2026-11-17 红: 1" in lights
    # Labels are escaped: a department named like markup stays text.
    evil = board.on_time_chart({"weeks": ["2026-W47"], "series": {"<script>x</script>": [10]}})
    assert "<script>" not in evil and "&lt;script&gt;" in evil
    assert board.lights_chart([]).count("督查尚未运行") == 1
    assert board.lights_chart([], locale="en").count("no sweep has run yet") == 1


def test_ledger_export_matches_the_ledger(known: dict[str, Any]) -> None:
    with db.read_scope() as s:
        data = board.ledger_workbook(s)
        expected = [[("" if v is None else v) for v in r] for r in board.ledger_rows(s)]
        total = s.scalar(select(func.count()).select_from(Assignment))
        ids = list(s.scalars(select(Assignment.id).order_by(Assignment.id)))
    ws = load_workbook(io.BytesIO(data), read_only=True)["督办台账"]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    assert rows[0] == [name for name, _ in COLUMNS]
    body = [[("" if v is None else v) for v in r] for r in rows[1:]]
    assert len(body) == total == 5
    assert [r[0] for r in body] == ids
    assert body == expected
    green = next(r for r in body if r[0] == known["green"])
    assert green[4] == " =cmd|' /C calc'!A0"  # the control character became a space
    assert green[13] == "2026-11-17 60% 排查完成过半"  # the last report, not the first
    assert green[11] == "绿" and green[8] == dt.datetime(2026, 11, 30, 18, 0)
    on_time = next(r for r in body if r[0] == known["on_time"])
    assert (on_time[10], on_time[15]) == ("已销号", dt.datetime(2026, 11, 12, 15, 0))
    assert body[0][1] == "关于冬季安全=生产的批示"  # not formula-like: kept as typed


def test_only_the_office_and_leaders_see_the_board(known: dict[str, Any]) -> None:
    with db.read_scope() as s:
        assert board.may_see_board(s, "boss") and board.may_see_board(s, "duty")
        assert not board.may_see_board(s, "ghost")
        with pytest.raises(actors.NotAllowed, match="for the general office and the leaders"):
            board.check_board_access(s, "p0-1")


def test_my_work(known: dict[str, Any]) -> None:
    with db.read_scope() as s:
        head = board.my_work(s, "p1-0")
        boss = board.my_work(s, "boss")
        duty = board.my_work(s, "duty")
        p00 = board.my_work(s, "p0-0")
    # A department head sees their department's open assignments.
    assert [a["id"] for a in head["assignments"]] == [known["overdue"], known["green"]]
    assert head["assignments"][0]["overdue"]
    assert [t["meeting"] for t in head["topics"]] == [known["meeting"]]
    assert [m["answer"] for m in head["meetings"]] == ["none"]
    # The issuing leader decides the extension (and, being in the office here, verifies); the
    # chair may approve the agenda.
    assert [(d["kind"], d["assignment"]) for d in boss["decisions"]] == [
        ("extension", known["overdue"]),
        ("verification", known["verifying"]),
    ]
    assert boss["meetings"][0]["approve_agenda"]
    assert boss["incidents"] == []  # rung 1 has not fired
    # The office verifies (the requester's own request is not theirs to verify).
    assert [(d["kind"], d["assignment"]) for d in duty["decisions"]] == [
        ("verification", known["verifying"])
    ]
    assert [i["id"] for i in duty["incidents"]] == [known["incident"]]
    assert [i["id"] for i in p00["incidents"]] == [known["incident"]]


# --- the pages ------------------------------------------------------------------------------


def test_the_board_page_needs_the_office_or_a_leader(known: dict[str, Any]) -> None:
    from tests.web2_helpers import client, sign_in_as

    c = client()
    assert c.get("/board").headers["location"] == "/signin?next=/board"
    assert c.get("/board/ledger.xlsx").status_code == 303
    sign_in_as(c, "p0-1")  # staff of a department
    for path in ("/board", "/board/ledger.xlsx"):
        refused = c.get(path)
        assert refused.status_code == 403
        assert "may not see the office&#39;s board: it is for the general office" in refused.text
        assert "<svg" not in refused.text
    assert "board-link" not in c.get("/me").text


def test_the_board_page_renders_its_charts_and_exports_the_ledger(known: dict[str, Any]) -> None:
    from officeflow.board import data
    from tests.web2_helpers import client, sign_in_as

    data.forget()
    c = client()
    sign_in_as(c, "duty")  # the general office
    page = c.get("/board")
    assert page.status_code == 200
    assert (
        page.text.count("<svg") == 2 and "按期办结率" in page.text and "督办灯色变化" in page.text
    )
    assert (
        "Department 1" in page.text
        and "化工厂泄漏" in page.text
        and "冬季安全生产调度会" in page.text
    )
    assert "2026-11-18 07:55" in page.text  # the incident's acknowledgement clock
    assert 'href="/board/ledger.xlsx"' in page.text
    # The page's title is its title: the delivery-problems table once sat inside the title
    # block too (a merge slip), so browsers showed the table's text as the tab's title and the
    # table came twice.
    title = page.text.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "<table" not in title and title.strip()
    assert page.text.count('id="deliveries"') == 1
    assert "board-link" in c.get("/me").text

    export = c.get("/board/ledger.xlsx")
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "supervision-ledger-20261118-0900.xlsx" in export.headers["content-disposition"]
    ws = load_workbook(io.BytesIO(export.content), read_only=True)["督办台账"]
    rows = [[("" if v is None else v) for v in r] for r in ws.iter_rows(values_only=True)][1:]
    with db.read_scope() as s:
        assert rows == [[("" if v is None else v) for v in r] for r in board.ledger_rows(s)]
        statuses = dict(s.execute(select(Assignment.id, Assignment.status)).all())
    assert {r[0]: r[10] for r in rows} == {
        i: {"open": "在办", "completion_requested": "申请办结", "closed": "已销号"}[str(st)]
        for i, st in statuses.items()
    }
    sign_in_as(c, "boss")  # a leader
    assert c.get("/board").status_code == 200


def test_the_board_lists_what_did_not_go_out(known: dict[str, Any], office_env: Any) -> None:
    """Failed and undeliverable rows show on the board, as on `officeflow deliveries problems`;
    the notices about them point there instead of to a command."""
    from sqlalchemy import update

    from models.ledger import Delivery, DeliveryStatus
    from officeflow import delivery
    from officeflow.board import data
    from tests.web2_helpers import client, sign_in_as

    office_env.set(smtp_host="127.0.0.1", smtp_port=9)  # email is configured
    with db.session_scope() as s:
        delivery.plan_notice(
            s,
            key="board-test:1",
            template="notice",
            object_type="assignment",
            object_id=known["overdue"],
            recipients=["p1-0"],
            context={"title": "催办", "message": "请尽快办理"},
        )
    with db.session_scope() as s:
        assert s.scalar(select(func.count()).where(Delivery.notice_key == "board-test:1")) == 1
        s.execute(
            update(Delivery)
            .where(Delivery.notice_key == "board-test:1")
            .values(
                status=DeliveryStatus.UNDELIVERABLE,
                attempts=1,
                last_error="email: 127.0.0.1:25 refused the recipient: 550 5.1.1 no such mailbox",
            )
        )
    data.forget()
    c = client()
    sign_in_as(c, "duty")
    page = c.get("/board").text
    table = page[page.index('id="deliveries"') :]
    assert "board-test:1" in table and "Person 1-0" in table and "无法送达" in table
    assert "550 5.1.1 no such mailbox" in table
