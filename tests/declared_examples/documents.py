"""办文's actions, as examples for tests/test_declarations.py."""

from __future__ import annotations

from models.documents_input import IncomingDocumentSpec, OutgoingDocumentSpec
from officeflow import db, documents
from tests.declared_examples import Example

OFFICE, LEADER = "sun.li", "chen.zhiqiang"


def _incoming() -> int:
    """An incoming document registered by 刘洋 (liu.yang) of the general office."""
    spec = IncomingDocumentSpec(
        sender="某省人民政府",
        number="X政发〔2026〕12号",
        title="关于做好冬季安全生产工作的通知",
        urgency="加急",
        registered_by="liu.yang",
    )
    with db.session_scope() as s:
        return documents.register_incoming(s, spec).document_id


def _proposed(leaders: list[str]) -> int:
    """拟办 done: to ``leaders`` for 批示, or (none) straight to 分办."""
    doc = _incoming()
    with db.session_scope() as s:
        documents.propose(
            s, document_id=doc, proposal="请陈副市长阅示", leaders=leaders, actor=OFFICE
        )
    return doc


def _drafted() -> int:
    """An outgoing draft of 唐军 (tang.jun) of emergency-management, awaiting 核稿."""
    spec = OutgoingDocumentSpec(
        title="关于开展安全生产大检查的通知",
        doc_type="通知",
        series="X府办发",
        department="emergency-management",
        author="tang.jun",
        main_recipients="各区人民政府",
        body="为切实做好安全生产工作，现就有关事项通知如下。",
    )
    with db.session_scope() as s:
        return documents.draft(s, spec).document_id


def _reviewed(approve: bool, cosigners: list[str] | None = None) -> int:
    doc = _drafted()
    with db.session_scope() as s:
        documents.review(
            s,
            document_id=doc,
            approve=approve,
            comment="" if approve else "请补充检查时间安排",
            cosigners=cosigners or [],
            signer=LEADER if approve else None,
            actor=OFFICE,
        )
    return doc


def _signed() -> int:
    doc = _reviewed(True)
    with db.session_scope() as s:
        documents.sign_off(s, document_id=doc, actor=LEADER)
    return doc


def _issued() -> int:
    doc = _signed()
    with db.session_scope() as s:
        documents.issue(s, document_id=doc, recipients=["health"], actor="liu.yang")
    return doc


EXAMPLES = {
    "document.propose": lambda: Example(
        _incoming(), {"proposal": "请陈副市长阅示", "leaders": [LEADER]}, OFFICE, "zheng.hui"
    ),
    # zhao.min is a leader, but the 拟办 did not name her.
    "document.comment": lambda: Example(
        _proposed([LEADER]),
        {"text": "请应急局抓紧落实", "tasks": ["emergency-management:开展冬季安全生产检查"]},
        LEADER,
        "zhao.min",
    ),
    "document.distribute": lambda: Example(
        _proposed([]),
        {"tasks": ["finance:汇总报送有关情况"], "leader": "wang.haitao"},
        OFFICE,
        "zheng.hui",
    ),
    "document.file": lambda: Example(_proposed([]), {"note": "阅件归档"}, "liu.yang", LEADER),
    "document.review": lambda: Example(
        _drafted(), {"approve": True, "signer": LEADER}, OFFICE, "tang.jun"
    ),
    # feng.yu is of the drafting department, but not the author.
    "document.redraft": lambda: Example(
        _reviewed(False), {"body": "修改稿：检查时间为11月至12月。"}, "tang.jun", "feng.yu"
    ),
    "document.cosign": lambda: Example(
        _reviewed(True, ["finance"]), {"department": "finance"}, "lin.tao", "tang.jun"
    ),
    "document.sign-off": lambda: Example(_reviewed(True), {}, LEADER, OFFICE),
    "document.issue": lambda: Example(_signed(), {"recipients": ["health"]}, "liu.yang", LEADER),
    # The department defaults to the person's own.
    "document.confirm-receipt": lambda: Example(_issued(), {}, "han.xue", "lin.tao"),
}
