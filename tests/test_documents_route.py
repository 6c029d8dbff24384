"""收文 route variants: leaders in parallel, distribution by the office, filing, and the
documents sweep reminding an overdue 拟办 once per red period."""

from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select

from models.documents import DocumentStep, StepKind, StepStatus
from models.documents_input import IncomingDocumentSpec
from models.supervision import Assignment, Decision
from officeflow import actions, clock, db, documents
from officeflow.delivery import send_pending
from officeflow.inputs import InputError
from officeflow.mailcatcher import MailCatcher
from tests.conftest import both_backends

backend = both_backends

OFFICE = "sun.li"


def register(urgency: str = "加急", number: str = "X政发〔2026〕20号") -> int:
    spec = IncomingDocumentSpec(
        sender="某省发展改革委",
        number=number,
        title="关于报送重点项目进展的函",
        urgency=urgency,
        registered_by="liu.yang",
    )
    with db.session_scope() as s:
        result = documents.register_incoming(s, spec=spec)
    send_pending(result.notice_keys)
    return result.document_id


def test_parallel_comments_then_distribution_and_filing(org: Any, mail_office: MailCatcher) -> None:
    clock.set_now("2026-11-10T10:00:00+08:00")
    doc_id = register()
    route = {
        "proposal": "请王副市长、赵副市长阅示",
        "leaders": ["wang.haitao", "zhao.min"],
        "parallel": True,
    }
    with db.session_scope() as s:
        result = actions.perform(s, "document.propose", doc_id, route, OFFICE)
    send_pending(result.notice_keys)
    assert len(result.notice_keys) == 2  # both leaders asked at once
    for minute, leader in ((10, "zhao.min"), (20, "wang.haitao")):
        clock.set_now(f"2026-11-10T11:{minute}:00+08:00")
        with db.session_scope() as s:
            last = actions.perform(s, "document.comment", doc_id, {"text": "阅"}, leader)
        send_pending(last.notice_keys)
    assert last.status == "commented"  # no tasks: the office distributes
    with (
        pytest.raises(InputError, match="not possible while the document is commented"),
        db.session_scope() as s,
    ):
        actions.perform(s, "document.comment", doc_id, {"text": "再阅"}, "zhao.min")
    with db.session_scope() as s:
        dist = actions.perform(
            s,
            "document.distribute",
            doc_id,
            {"tasks": ["development-reform:汇总报送重点项目进展"]},
            "liu.yang",
        )
    send_pending(dist.notice_keys)
    with db.session_scope() as s:
        decision = s.get(Decision, dist.decision_id)
        assert decision.issued_by == "wang.haitao"  # the leader who commented last
        (a,) = s.scalars(select(Assignment).where(Assignment.decision_id == decision.id))
        assert a.lead_department_id == "development-reform"
        assert a.due_on.isoformat() == "2026-11-12"  # 加急: 2 working days
        filed = actions.perform(s, "document.file", doc_id, {}, OFFICE)
    assert filed.status == "filed"
    got = Counter(m.rcpt_tos[0] for m in mail_office.messages)
    assert got == {
        "sun.li@example.gov.cn": 2,  # 拟办, then 分办
        "wang.haitao@example.gov.cn": 1,
        "zhao.min@example.gov.cn": 1,
        "zhang.wei@example.gov.cn": 1,  # 交办通知 to 发改委's head
    }


def test_documents_sweep_reminds_an_overdue_proposal_once_per_period(
    org: Any, mail_office: MailCatcher
) -> None:
    clock.set_now("2026-11-10T16:00:00+08:00")
    doc_id = register("特急", "X政发〔2026〕21号")
    assert len(mail_office.messages) == 1
    clock.set_now("2026-11-10T17:59:00+08:00")
    assert documents.plan_sweep().notice_keys == []
    clock.set_now("2026-11-11T09:00:00+08:00")
    first = documents.plan_sweep()
    assert first.tally("reminder") == {"propose": 1}
    send_pending(first.notice_keys)
    assert documents.plan_sweep().notice_keys == []
    reminder = mail_office.messages[-1]
    assert list(reminder.rcpt_tos) == ["sun.li@example.gov.cn"] and "拟办" in reminder.subject
    clock.set_now("2026-11-12T09:00:00+08:00")  # the next red period
    second = documents.plan_sweep()
    assert second.tally("reminder") == {"propose": 1} and second.notice_keys != first.notice_keys
    clock.set_now("2026-11-14T09:00:00+08:00")  # Saturday
    assert documents.plan_sweep().skipped
    with db.session_scope() as s:
        (step,) = s.scalars(select(DocumentStep).where(DocumentStep.kind == StepKind.PROPOSE))
        assert step.status is StepStatus.PENDING and step.document_id == doc_id


def test_a_registered_docx_is_kept_with_its_checksum_and_searchable(
    org: Any, office_env: Any, tmp_path: Any
) -> None:
    import hashlib

    from docx import Document as Docx

    from models.ledger import StoredFile
    from officeflow import files

    path = tmp_path / "来文.docx"
    page = Docx()
    page.add_paragraph("各市人民政府：现将冬季供暖保障方案印发给你们，请认真贯彻执行。")
    page.save(path)
    clock.set_now("2026-11-10T10:00:00+08:00")
    spec = IncomingDocumentSpec(
        sender="某省住房和城乡建设厅",
        number="X建发〔2026〕7号",
        title="关于印发方案的通知",
        urgency="平件",
        files=[str(path)],
        registered_by="liu.yang",
    )
    with db.session_scope() as s:
        doc_id = documents.register_incoming(s, spec=spec).document_id
        again = documents.register_incoming(s, spec=spec).document_id
    assert again == doc_id  # registered once
    with db.session_scope() as s:
        (stored,) = s.scalars(select(StoredFile))
        assert stored.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        assert stored.filename == "来文.docx" and stored.size == path.stat().st_size
        assert files.read(stored) == path.read_bytes()
        # A word that is only in the .docx, in the middle of a run of Chinese characters.
        assert [d.id for d in documents.search(s, text="供暖保障")] == [doc_id]
        assert documents.search(s, text="供暖保障", sender="公安") == []
