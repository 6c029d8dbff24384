"""办文 done-means: an incoming 特急 document to a red reminder, and an outgoing document from
draft to receipt reminders, against a real SMTP server with every message counted; time
travels with `clock.set_now`."""

import datetime as dt
from collections import Counter
from typing import Any

from docx import Document as Docx
from sqlalchemy import func, select

from models.documents import Document, DocumentRevision
from models.documents_input import IncomingDocumentSpec, OutgoingDocumentSpec
from models.ledger import StoredFile
from models.supervision import Assignment, Decision, DecisionSource
from officeflow import actions, clock, db, documents, supervision
from officeflow.delivery import send_pending
from officeflow.layout import docx_text
from officeflow.mailcatcher import MailCatcher
from tests.cli_helpers import run_cli
from tests.conftest import both_backends

backend = both_backends

OFFICE, LEADER = "sun.li", "chen.zhiqiang"


def addr(person: str) -> str:
    return f"{person}@example.gov.cn"


def act(fn: Any, **kwargs: Any) -> Any:
    """A service call (registering, drafting), then its notices."""
    with db.session_scope() as s:
        result = fn(s, **kwargs)
    send_pending(result.notice_keys)
    return result


def take(key: str, document_id: int, params: dict[str, Any], actor: str) -> Any:
    """An action through the door every surface uses (the policy, then the service), then its
    notices."""
    with db.session_scope() as s:
        result = actions.perform(s, key, document_id, params, actor)
    send_pending(result.notice_keys)
    return result


def inbox(catcher: MailCatcher) -> Counter[str]:
    return Counter(m.rcpt_tos[0] for m in catcher.messages)


def test_incoming_extra_urgent_to_red_reminder(org: Any, mail_office: MailCatcher) -> None:
    clock.set_now("2026-11-10T16:00:00+08:00")  # a Tuesday
    spec = IncomingDocumentSpec(
        sender="某省人民政府",
        number="X政发〔2026〕12号",
        title="关于做好冬季安全生产工作的通知",
        urgency="特急",
        classification="秘密",
        registered_by="liu.yang",
    )
    reg = act(documents.register_incoming, spec=spec)
    assert reg.status == "registered"
    # 拟办 is due within the day; the office director is told.
    assert inbox(mail_office) == {addr(OFFICE): 1}
    body = mail_office.messages[0].text()
    assert "秘密" not in body and "冬季安全生产" not in body  # classified: no marking, no title
    assert "18:00" in body

    clock.set_now("2026-11-10T16:20:00+08:00")
    take(
        "document.propose",
        reg.document_id,
        {"proposal": "请陈副市长阅示", "leaders": [LEADER]},
        OFFICE,
    )
    assert inbox(mail_office)[addr(LEADER)] == 1

    clock.set_now("2026-11-10T16:40:00+08:00")
    result = take(
        "document.comment",
        reg.document_id,
        {
            "text": "请应急局、住建局抓紧落实",
            "tasks": [
                "emergency-management:开展冬季安全生产检查",
                "housing-construction:排查在建工地安全隐患",
            ],
        },
        LEADER,
    )
    assert result.status == "distributed" and result.decision_id is not None
    with db.session_scope() as s:
        decision = s.get(Decision, result.decision_id)
        assert decision.source is DecisionSource.DOCUMENT
        assert decision.source_ref == f"doc:{reg.document_id}"
        assignments = list(decision.assignments)
        assert len(assignments) == 2
        assert {a.source_ref for a in assignments} == {f"doc:{reg.document_id}"}
        em, hc = (a.id for a in assignments)
    # Both departments' heads (their owners) are notified.
    assert inbox(mail_office)[addr("wu.qiang")] == 1
    assert inbox(mail_office)[addr("deng.hua")] == 1
    assert sum(inbox(mail_office).values()) == 4

    # 应急局 finishes on time; 住建局 misses its deadline (1 working day: 11-11 18:00).
    clock.set_now("2026-11-11T10:00:00+08:00")
    with db.session_scope() as s:
        supervision.request_completion(
            s, assignment_id=em, evidence="检查报告已报送", actor="wu.qiang"
        )
        supervision.verify_completion(
            s, assignment_id=em, approve=True, comment="同意销号", actor=OFFICE
        )
    send_pending()
    before = sum(inbox(mail_office).values())
    clock.set_now("2026-11-12T09:00:00+08:00")
    sweep = supervision.plan_sweep()
    send_pending(sweep.notice_keys)
    assert sweep.tally("reminder") == {"red": 1}
    red = [m for m in mail_office.messages[before:]]
    assert Counter(m.rcpt_tos[0] for m in red) == {addr("deng.hua"): 1, addr(LEADER): 1}
    # The documents sweep has nothing to say: every route step was done in time.
    assert documents.plan_sweep().notice_keys == []

    with db.session_scope() as s:
        state = documents.document_state(s, reg.document_id)
        assert [a["light"] for a in state["assignments"]] == ["green", "red"]
        assert [a["status"] for a in state["assignments"]] == ["closed", "open"]
        assert s.get(Assignment, hc).red_count == 1
    out = run_cli("doc", "show", str(reg.document_id))
    assert out.returncode == 0, out.stderr
    for text in ("X政发〔2026〕12号", "特急", "拟办", "批示", "请应急局", "排查在建工地", "red"):
        assert text in out.stdout


def _draft(title: str = "关于开展安全生产大检查的通知") -> OutgoingDocumentSpec:
    return OutgoingDocumentSpec(
        title=title,
        doc_type="通知",
        series="X府办发",
        department="emergency-management",
        author="tang.jun",
        urgency="平件",
        main_recipients="各区人民政府，市政府各部门",
        copy_to=["市委办公室", "市人大常委会办公室"],
        body="为切实做好安全生产工作，现就有关事项通知如下。",
    )


def test_outgoing_from_draft_to_receipt_reminder(org: Any, mail_office: MailCatcher) -> None:
    clock.set_now("2026-11-09T10:00:00+08:00")  # a Monday
    drafted = act(documents.draft, spec=_draft())
    doc_id = drafted.document_id
    assert inbox(mail_office) == {addr(OFFICE): 1}

    returned = take(
        "document.review", doc_id, {"approve": False, "comment": "请补充检查时间安排"}, OFFICE
    )
    assert returned.status == "returned"
    to_author = mail_office.to(addr("tang.jun"))
    assert len(to_author) == 1 and "请补充检查时间安排" in to_author[0].text()

    take(
        "document.redraft",
        doc_id,
        {"body": "为切实做好安全生产工作，现就有关事项通知如下。检查时间为11月至12月。"},
        "tang.jun",
    )
    reviewed = take(
        "document.review",
        doc_id,
        {"approve": True, "cosigners": ["finance", "public-security"], "signer": LEADER},
        OFFICE,
    )
    assert reviewed.status == "cosigning"
    take("document.cosign", doc_id, {"department": "finance"}, "lin.tao")
    last = take("document.cosign", doc_id, {"department": "public-security"}, "jiang.tao")
    assert last.status == "awaiting_signoff"
    signed = take("document.sign-off", doc_id, {}, LEADER)
    assert signed.number == "X府办发〔2026〕1号"
    before = len(mail_office.messages)

    issued = take(
        "document.issue", doc_id, {"recipients": ["health", "education", "finance"]}, "liu.yang"
    )
    assert issued.status == "issued"
    new = mail_office.messages[before:]
    assert Counter(m.rcpt_tos[0] for m in new) == {
        addr("han.xue"): 1,
        addr("song.jie"): 1,
        addr("lin.tao"): 1,
    }
    # The .docx arrives as an attachment and is the stored file, checksum and all.
    message = new[0].message
    (part,) = [p for p in message.iter_attachments()]
    assert part.get_filename() == "X府办发〔2026〕1号.docx"
    data = part.get_payload(decode=True)
    assert "检查时间为11月至12月" in docx_text(data)
    import hashlib
    import io

    with db.session_scope() as s:
        stored = s.scalar(select(StoredFile).where(StoredFile.purpose == "issued"))
        assert stored.sha256 == hashlib.sha256(data).hexdigest()
        revisions = s.scalar(select(func.count()).where(DocumentRevision.document_id == doc_id))
        assert revisions == 2
    assert Docx(io.BytesIO(data)).sections[0].page_height is not None

    clock.set_now("2026-11-09T15:00:00+08:00")
    take("document.confirm-receipt", doc_id, {"department": "health"}, "han.xue")
    take("document.confirm-receipt", doc_id, {"department": "education"}, "tian.mei")
    assert documents.plan_sweep().notice_keys == []  # the day is not over
    before = len(mail_office.messages)
    clock.set_now("2026-11-10T09:00:00+08:00")
    sweep = documents.plan_sweep()
    send_pending(sweep.notice_keys)
    assert sweep.tally("reminder") == {"receipt": 1}
    assert [m.rcpt_tos[0] for m in mail_office.messages[before:]] == [addr("lin.tao")]
    again = documents.plan_sweep()
    assert again.notice_keys == []  # once per period

    # Search finds it by number, by title word and by a Chinese word of the issued text.
    with db.session_scope() as s:
        assert [d.id for d in documents.search(s, number="X府办发〔2026〕1号")] == [doc_id]
        assert [d.id for d in documents.search(s, text="12月")] == [doc_id]
        assert [d.id for d in documents.search(s, text="检查时间")] == [doc_id]
        assert documents.search(s, text="不存在的词") == []
        assert [d.id for d in documents.search(s, sender="应急管理", title="大检查")] == [doc_id]
        day = dt.date(2026, 11, 9)
        assert [d.id for d in documents.search(s, since=day, until=day)] == [doc_id]
        assert documents.search(s, since=day + dt.timedelta(days=1)) == []
        assert s.get(Document, doc_id).seq == 1
    out = run_cli("doc", "search", "--text", "检查时间")
    assert out.returncode == 0 and "X府办发〔2026〕1号" in out.stdout, out.stderr
