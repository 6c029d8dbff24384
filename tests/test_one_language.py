"""One language per export, chart, bulletin, 交办单 and mail (issue 26, item 6): rendered in
zh-CN from a realistic ledger (the example org, a decision from a registered incoming document,
progress reported, a meeting), each shows no English word, no raw enum value or event key and no
id where a name exists; the .xlsx has real dates and an autofilter; in en the same exports'
labels are English."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
import warnings
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from models.documents import Direction, Document, DocumentStatus, Urgency
from models.supervision import Assignment, ProgressReport
from models.supervision_input import DecisionSpec
from officeflow import board, clock, db, supervision
from officeflow import meeting as meetings
from officeflow.delivery import send_pending
from officeflow.mailcatcher import MailCatcher
from officeflow.meeting.steps import notice as meeting_notice
from officeflow.supervision.bulletin import week_markdown, week_of
from tests.meeting_helpers import example_meeting
from tests.web_support import issue_assignment

# What may stay ASCII in a Chinese text: links and addresses, file names, numbers with units,
# and a few names that have no Chinese form.
ALLOWED = [
    r"https?://\S+",
    r"\[\[officeflow-link:[\w-]+\]\]",  # becomes the recipient's signed link when sent
    r"[\w.+-]+@[\w.-]+",
    r"\b[\w-]+\.(?:xlsx|docx|pdf|ics|png|svg)\b",
    r"\b(?:PDF|Excel|Word|SVG)\b",
    r"\d+(?:\.\d+)?\s*(?:km|kg|m²|MB|KB|GB|%)",
]
ASCII_WORD = re.compile(r"[A-Za-z]{2,}")
CJK = re.compile(r"[\u3400-\u9fff]")


def english_words(text: str) -> list[str]:
    for pattern in ALLOWED:
        text = re.sub(pattern, " ", text)
    return ASCII_WORD.findall(text)


def raw_keys(text: str, org: Any) -> list[str]:
    ids = {p.id for p in org.people} | {d.id for d in org.departments}
    found = [i for i in ids if re.search(rf"(?<![\w.@/-]){re.escape(i)}(?![\w@-])", text)]
    plain = re.sub(
        r"\[\[officeflow-link:[\w-]+\]\]|\S+@\S+|https?://\S+|\b[\w-]+\.(?:xlsx|docx|pdf|ics|png|svg)\b",
        " ",
        text,
    )
    found += re.findall(r"\b[a-z_]+\.[a-z_]+\b", plain)
    found += re.findall(r"\b(?:doc|meeting|incident|info|info-request):\d+", text)
    return found


def assert_chinese(what: str, text: str, org: Any) -> None:
    assert (english_words(text), raw_keys(text, org)) == ([], []), f"{what}:\n{text}"


def svg_text(svg: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", svg))


@pytest.fixture
def office(org: Any, mail_office: MailCatcher) -> dict[str, Any]:
    """The example org with: a decision from an incoming document (its issue notices sent), the
    helper's finance assignment with a progress report, and an office meeting."""
    first = issue_assignment()
    with db.session_scope() as s:
        doc = Document(
            direction=Direction.INCOMING,
            status=DocumentStatus.DISTRIBUTED,
            number="省政办发〔2026〕12号",
            title="关于做好汛期安全防范工作的通知",
            sender="省政府办公厅",
            urgency=Urgency.URGENT,
            received_on=dt.date(2026, 9, 21),
            created_by="sun.li",
            created_at=clock.now(),
            created_on=dt.date(2026, 9, 21),
        )
        s.add(doc)
        s.flush()
        spec = DecisionSpec.model_validate(
            {
                "title": "落实汛期安全防范",
                "issued_by": "li.jianguo",
                "issued_on": "2026-09-21",
                "source": "document",
                "source_ref": f"doc:{doc.id}",
                "assignments": [
                    {
                        "lead_department": "emergency-management",
                        "co_departments": ["housing-construction"],
                        "task": "组织汛期隐患排查",
                        "acceptance_standard": "报送排查报告",
                        "due_in_workdays": 5,
                    }
                ],
            }
        )
        supervision.check_decision(s, spec)
        record = supervision.record_decision(s, spec, actor="system")
        keys = supervision.plan_issue_notices(s, record)
        a = s.get(Assignment, first)
        a.progress = 40
        s.add(
            ProgressReport(
                assignment_id=first,
                at=clock.now(),
                reporter_id=a.owner_id,
                progress=40,
                note="方案初稿已完成",
            )
        )
        m = meetings.create_meeting(s, example_meeting(), actor="sun.li")
    send_pending(keys)
    clock.set_now("2026-09-28T10:00:00+08:00")
    with db.session_scope() as s:
        meeting = meetings.get_meeting(s, m.meeting_id)
        outcome = meeting_notice(s, meeting, "notice")
    send_pending([outcome["key"]])
    return {"decisions": [record.decision_id], "first": first}


def test_mails_are_chinese_throughout(office: dict[str, Any], org: Any, mail_office) -> None:
    subjects = {m.subject for m in mail_office.messages}
    assert any("交办通知" in s for s in subjects) and any("会议通知" in s for s in subjects)
    for message in mail_office.messages:
        assert_chinese(message.subject, f"{message.subject}\n{message.text()}", org)


def test_assignment_sheet_and_bulletin_are_chinese(office: dict[str, Any], org: Any) -> None:
    with db.read_scope() as s:
        sheet = supervision.assignment_sheet(s, office["decisions"][0])
        start, end = week_of(clock.now())
        bulletin = week_markdown(s, start, end)
    assert "关于做好汛期安全防范工作的通知" in sheet and "省政办发〔2026〕12号" in sheet
    assert "来源：公文" in sheet and "住房和城乡建设局" in sheet
    assert_chinese("交办单", sheet, org)
    assert "应急管理局" in bulletin
    assert_chinese("督办通报", bulletin, org)


def test_ledger_workbook_is_chinese_with_dates_and_a_filter(office: dict[str, Any], org) -> None:
    with db.read_scope() as s:
        data = board.ledger_workbook(s)
    ws = load_workbook(io.BytesIO(data)).active
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    text = "\n".join(" ".join("" if v is None else str(v) for v in row) for row in rows)
    assert_chinese("督办台账", re.sub(r"\d{4}-\d\d-\d\d[ T][\d:]+", " ", text), org)
    assert rows[0][0] == "编号" and "在办" in {r[10] for r in rows[1:]}
    assert ws.auto_filter.ref is not None and ws.auto_filter.ref.startswith("A1:")
    issued, due = ws.cell(row=2, column=8), ws.cell(row=2, column=9)
    assert isinstance(issued.value, dt.date) and issued.number_format == "yyyy-mm-dd"
    assert isinstance(due.value, dt.datetime) and "hh:mm" in due.number_format
    with db.read_scope() as s:
        local_due = clock.to_local(s.get(Assignment, office["first"]).due_at)
    assert due.value == local_due.naive()  # local time, as the office reads it
    assert "省政办发〔2026〕12号" in text and "doc:" not in text


def test_charts_are_chinese(office: dict[str, Any], org: Any, tmp_path: Path) -> None:
    clock.set_now("2026-10-20T10:00:00+08:00")
    with db.read_scope() as s:
        data = board.board(s)
    for svg in (
        board.on_time_chart(data["on_time"]),
        board.lights_chart(data["lights_over_time"]),
        board.on_time_chart({"weeks": [], "series": {}}),
        board.lights_chart([]),
    ):
        assert_chinese("chart", svg_text(svg), org)
    from officeflow.information import scores

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with db.read_scope() as s:
            rows = scores.score_rows(s, "2026-09", scores.load_weights())
            by_month = scores.trend(s, "2026-09", scores.load_weights())
        scores.render_chart("2026-09", rows, by_month, tmp_path / "chart.png")
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    if scores.cjk_font() is not None:  # a CJK font is installed (scripts/system-deps.sh)
        assert missing == []
    assert scores.chart_labels("2026-09") == ("2026-09 信息考核得分", "近六个月得分趋势")


def test_en_exports_are_english(office: dict[str, Any], org: Any, ledger: Any) -> None:
    with db.read_scope() as s:
        data = board.ledger_workbook(s, locale="en")
        sheet = supervision.assignment_sheet(s, office["decisions"][0], locale="en")
        start, end = week_of(clock.now())
        bulletin = week_markdown(s, start, end, locale="en")
    ws = load_workbook(io.BytesIO(data)).active
    header = [c.value for c in next(ws.iter_rows())]
    assert header[0] == "No." and not any(CJK.search(h) for h in header)
    assert {c.value for c in ws["K"][1:]} <= {"open", "completion requested", "closed"}
    labels = [line.split(":")[0] for line in sheet.splitlines() if line.startswith("- ")]
    assert labels and not any(CJK.search(label) for label in labels)
    assert "Source: document" in sheet and "doc:" not in sheet
    head = [line for line in bulletin.splitlines() if line.startswith("| Department")]
    assert head and not CJK.search(head[0])
    svg = board.on_time_chart({"weeks": [], "series": {}}, locale="en")
    assert "On-time rate by week" in svg and not CJK.search(svg_text(svg))
    from officeflow.information import scores

    assert scores.chart_labels("2026-09", locale="en") == (
        "2026-09 information points",
        "Points over six months",
    )


def test_handover_mail_names_the_kind_of_each_open_item(org: Any) -> None:
    from rules.templates import render

    at = dt.datetime(2026, 10, 1, 2, 0, tzinfo=dt.UTC)
    rendered = render(
        "duty_handover",
        {
            "recipient": {"name": "何芳"},
            "office": "市政府办公室",
            "tz": "Asia/Shanghai",
            "outgoing": "孙丽",
            "day": "2026-10-01",
            "shift": "夜班",
            "starts_at": at,
            "ends_at": at,
            "note": "",
            "items": [{"id": 7, "at": at, "kind": "call", "text": "群众来电反映道路积水"}],
        },
    )
    assert "来电：群众来电反映道路积水" in rendered.body
    assert_chinese("交接班", f"{rendered.subject}\n{rendered.body}", org)
