"""Time travel through 信息报送 against a real SMTP server and a real Prefect API, on SQLite and
PostgreSQL: three departments submit (the urgent item alerts the duty officers), the office
adopts two and rejects one, the next working morning's 每日要情 is a .docx that python-docx
reads back, and a leader's 批示 becomes a supervised decision naming the item."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docx.oxml.ns import qn
from sqlalchemy import func, select

from flows.information import information_digest, information_submission
from models.information import InfoIssue, InfoItem, InfoRevision, IssueStatus, ItemStatus
from models.information_input import InfoItemSpec
from models.ledger import Notice
from models.org import Channel, ContactPoint
from models.supervision import Assignment, Decision, DecisionSource
from officeflow import actions, clock, db, duty, information
from officeflow.delivery import send_pending
from officeflow.inputs import InputError
from officeflow.mailcatcher import MailCatcher
from officeflow.settings import get_settings
from tests.conftest import WebhookServer, both_backends
from tests.information_helpers import latest_artifacts

backend = both_backends  # these tests run on SQLite and on PostgreSQL

OFFICE = "liu.yang"
LEADERS = ["chen.zhiqiang", "li.jianguo", "wang.haitao", "zhao.min", "zhou.guoqiang"]
DUTY = ["he.fang", "xu.lei"]  # the general office's duty officers (no roster loaded)


def addr(person: str) -> str:
    return f"{person}@example.gov.cn"


def item(title: str, department: str, by: str, kind: str = "news", **more: Any) -> InfoItemSpec:
    return InfoItemSpec.model_validate(
        {
            "title": title,
            "body": f"{title}的详细情况。",
            "kind": kind,
            "department": department,
            "submitted_by": by,
            **more,
        }
    )


def attachments(message: Any) -> list[str]:
    return [p.get_filename() for p in message.message.iter_attachments()]


def test_items_to_the_leaders_digest(
    prefect_api: None,
    org: Any,
    mail_office: MailCatcher,
    office_env: Any,
    webhook_server: WebhookServer,
) -> None:
    # The leaders also have a chat channel (the generic webhook standing in for it).
    office_env.set(webhook_url=webhook_server.url)
    with db.session_scope() as s:
        for leader in LEADERS:
            s.add(ContactPoint(person_id=leader, channel=Channel.WEBHOOK, address=leader))
    clock.set_now("2026-11-20T10:00:00+08:00")  # a Friday
    finance = information_submission(item("全市一般公共预算收入同比增长", "finance", "zheng.hui"))
    urgent = information_submission(
        item(
            "某小区发生燃气泄漏",
            "health",
            "yang.fan",
            "urgent",
            places=["东城区幸福小区"],
            people=["王某"],
        )
    )
    education = information_submission(
        item("中小学课后服务全覆盖", "education", "tian.mei", "practice")
    )
    # The urgent item alerted the duty officers at once, and nobody else.
    assert urgent.notices_sent == 2 and finance.notices_sent == education.notices_sent == 0
    assert sorted(m.rcpt_tos[0] for m in mail_office.messages) == [addr(p) for p in DUTY]
    assert all("【紧急信息】某小区发生燃气泄漏" in m.subject for m in mail_office.messages)
    assert "东城区幸福小区" in mail_office.messages[0].text()
    # The same submission again finds the item and sends nothing.
    again = information_submission(
        item("中小学课后服务全覆盖", "education", "tian.mei", "practice")
    )
    assert (again.item_id, again.created) == (education.item_id, False)
    mail_office.clear()

    # The office's actions, through the door every surface uses (the policy, then the service).
    with db.session_scope() as s:
        edit = {"title": "前十月全市一般公共预算收入同比增长5.2%", "note": "补充数据"}
        actions.perform(s, "info_item.edit", finance.item_id, edit, OFFICE)
        adopted_a = actions.perform(s, "info_item.adopt", finance.item_id, {}, OFFICE)
        adopted_b = actions.perform(s, "info_item.adopt", urgent.item_id, {}, OFFICE)
        rejected = actions.perform(
            s, "info_item.reject", education.item_id, {"reason": "已在上周编发，内容重复"}, OFFICE
        )
    assert adopted_a.issue == adopted_b.issue == "每日要情 第1期"
    send_pending(adopted_a.notice_keys + adopted_b.notice_keys + rejected.notice_keys)
    with db.session_scope() as s:
        revisions = s.scalars(
            select(InfoRevision.title)
            .where(InfoRevision.item_id == finance.item_id)
            .order_by(InfoRevision.revision)
        ).all()
        assert revisions == [
            "全市一般公共预算收入同比增长",
            "前十月全市一般公共预算收入同比增长5.2%",
        ]
    (told,) = mail_office.to(addr("tian.mei"))
    assert "信息未采用" in told.subject and "已在上周编发，内容重复" in told.text()
    assert Counter(m.rcpt_tos[0] for m in mail_office.messages) == {
        addr("tian.mei"): 1,
        addr("zheng.hui"): 1,
        addr("yang.fan"): 1,
    }
    mail_office.clear()

    # Saturday: the scheduled digest skips the day off.
    clock.set_now("2026-11-21T08:30:00+08:00")
    assert information_digest().reason == "not a working day"
    assert mail_office.messages == []

    # Sunday night the duty officer logs a call (值班日志); it goes into Monday's issue.
    clock.set_now("2026-11-22T22:10:00+08:00")
    with db.session_scope() as s:
        duty.add_entry(
            s, officer="he.fang", kind="call", text="接群众来电反映道路积水", open_item=True
        )

    # Monday morning: 每日要情 第1期 with both adopted items.
    clock.set_now("2026-11-23T08:30:00+08:00")
    digest = information_digest()
    assert not digest.skipped
    assert (digest.number, digest.items) == (1, [urgent.item_id, finance.item_id])  # 紧急 first
    assert digest.sent == 2 * len(LEADERS)  # email and chat
    path = get_settings().home / digest.document
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest.sha256
    doc = Document(str(path))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "每日要情" in text and "第1期" in text and "2026年11月23日" in text
    assert "前十月全市一般公共预算收入同比增长5.2%" in text and "某小区发生燃气泄漏" in text
    assert "中小学课后服务全覆盖" not in text  # rejected
    assert "值班情况" in text
    assert "何芳：接群众来电反映道路积水（未办结）" in text  # the duty log, with the officer's name
    # The urgent item comes first (紧急信息 before 工作动态).
    assert text.index("某小区发生燃气泄漏") < text.index("前十月全市一般公共预算收入")
    section = doc.sections[0]
    # Word stores lengths in twips: compare to the tenth of a millimetre.
    page = [round(section.page_width.mm, 1), round(section.page_height.mm, 1)]
    assert page == [210.0, 297.0]  # A4
    margins = [section.top_margin, section.bottom_margin, section.left_margin, section.right_margin]
    assert [round(m.mm, 1) for m in margins] == [37.0, 35.0, 28.0, 26.0]
    body_run = next(p for p in doc.paragraphs if "的详细情况" in p.text).runs[0]
    assert body_run.font.size.pt == 16
    assert body_run._element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    title_run = next(p for p in doc.paragraphs if p.text.endswith("某小区发生燃气泄漏")).runs[0]
    assert title_run.font.size.pt == 22
    masthead = doc.paragraphs[0].runs[0]
    assert (doc.paragraphs[0].text, masthead.font.size.pt) == ("每日要情", 22)
    assert masthead._element.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"  # 小标宋

    # Each leader got the issue once, by email, with the .docx attached and the run's link.
    assert sorted(m.rcpt_tos[0] for m in mail_office.messages) == [addr(p) for p in LEADERS]
    for m in mail_office.messages:
        assert m.subject.startswith("【每日要情 第1期】")
        assert attachments(m) == [path.name]
        assert "/runs/flow-run/" in m.text()
    # The Prefect artifact of the run holds the issue.
    (artifact,) = latest_artifacts("info-daily-issue")
    assert "# 每日要情 第1期" in artifact.data and "某小区发生燃气泄漏" in artifact.data
    assert digest.sha256 in artifact.data

    # By chat: the summary with the link to the Prefect run that published the issue.
    chats = [b for b in webhook_server.bodies() if "每日要情 第1期" in b["title"]]
    assert len(chats) == len(LEADERS)
    for body in chats:
        assert "某小区发生燃气泄漏" in body["message"] and "/runs/flow-run/" in body["message"]
    with db.session_scope() as s:
        issue = s.get(InfoIssue, digest.issue_id)
        assert issue.status is IssueStatus.PUBLISHED and issue.document_sha256 == digest.sha256

    # Again the same morning: nothing is published or sent twice.
    assert "already published" in information_digest().reason
    assert len(mail_office.messages) == len(LEADERS)
    mail_office.clear()

    # Adopting into the published (closed) issue is refused; nothing changes.
    late = information_submission(item("冬季供暖准备情况", "finance", "zheng.hui"))
    with db.session_scope() as s, pytest.raises(InputError) as refused:
        information.adopt_item(s, item_id=late.item_id, actor=OFFICE, issue=1)
    assert str(refused.value.problems[0].loc) == "('issue',)"
    assert "每日要情 第1期 is already published" in refused.value.problems[0].message
    with db.session_scope() as s:
        assert s.get(InfoItem, late.item_id).status is ItemStatus.SUBMITTED
        assert s.scalar(select(func.count()).select_from(InfoIssue)) == 1
        # The next adoption opens 第2期: numbers never repeat.
        assert information.adopt_item(s, item_id=late.item_id, actor=OFFICE).issue == (
            "每日要情 第2期"
        )

    # A leader's 批示 on the urgent item becomes a decision whose assignments name the item.
    with db.session_scope() as s:
        commented = actions.perform(
            s,
            "info_item.comment",
            urgent.item_id,
            {
                "text": "请应急管理局牵头，彻查燃气安全隐患。",
                "tasks": ["emergency-management:5:开展燃气安全隐患排查"],
            },
            "chen.zhiqiang",
        )
    send_pending(commented.notice_keys)
    with db.session_scope() as s:
        decision = s.get(Decision, commented.decision_id)
        assert decision.source is DecisionSource.INFORMATION
        assert decision.source_ref == f"info:{urgent.item_id}"
        refs = [a.source_ref for a in decision.assignments]
        assert refs == [f"info:{urgent.item_id}"]
        assert s.scalar(select(func.count()).select_from(Assignment)) == 1
    # 交办通知 to the owner (the head), and the 批示 to the submitter and the health head.
    assert Counter(m.rcpt_tos[0] for m in mail_office.messages) == {
        addr("wu.qiang"): 1,
        addr("yang.fan"): 1,
        addr("han.xue"): 1,
    }
    assert "彻查燃气安全隐患" in mail_office.to(addr("yang.fan"))[0].text()


def test_the_issue_travels_from_the_file_store_and_a_lost_file_is_a_failed_send(
    org: Any, mail_office: MailCatcher
) -> None:
    """The notice carries the issue's .docx as a file of the store (its checksum kept); a file
    missing when the email is sent is a failed delivery, never a mail without it."""
    from models.ledger import StoredFile
    from officeflow import files

    clock.set_now("2026-11-20T10:00:00+08:00")
    with db.session_scope() as s:
        result = information.submit_item(s, item("道路改造进展", "finance", "zheng.hui"))
        information.adopt_item(s, item_id=result.item_id, actor=OFFICE)
    clock.set_now("2026-11-23T08:30:00+08:00")
    with db.session_scope() as s:
        published, _ = information.publish_issue(s)
        notice = s.scalar(select(Notice).where(Notice.key == published.notice_keys[0]))
        stored = s.get(StoredFile, notice.attachment_id)
        assert stored is not None and stored.sha256 == published.sha256
        assert (stored.object_type, stored.filename) == (
            "info_issue",
            Path(published.document).name,
        )
        assert published.document.startswith("information/issues/")
        kept = files.path_of(stored.sha256)
    kept.unlink()
    report = send_pending(published.notice_keys)
    assert (report.sent, report.failed) == (0, len(LEADERS))
    assert mail_office.messages == []
