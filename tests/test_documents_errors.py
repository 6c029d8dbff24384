"""办文: 20 sign-offs at once number 1..20, and bad input is refused naming the field with
nothing written (rows counted before and after)."""

import threading
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from models.documents import Document, DocumentStep
from models.documents_input import IncomingDocumentSpec, OutgoingDocumentSpec
from models.ledger import Event, Notice, StoredFile
from officeflow import clock, db, documents
from officeflow.inputs import InputError
from tests.conftest import both_backends

backend = both_backends

OFFICE, LEADER = "sun.li", "chen.zhiqiang"


def _spec(title: str = "关于开展安全生产大检查的通知") -> OutgoingDocumentSpec:
    return OutgoingDocumentSpec(
        title=title,
        doc_type="通知",
        series="X府办发",
        department="emergency-management",
        author="tang.jun",
        main_recipients="各区人民政府",
        body="正文。",
    )


def _to_signoff(title: str, cosigners: list[str] | None = None) -> int:
    with db.session_scope() as s:
        doc_id = documents.draft(s, _spec(title)).document_id
        documents.review(
            s,
            document_id=doc_id,
            accept=True,
            actor=OFFICE,
            cosigners=cosigners or [],
            signer=LEADER,
        )
    return doc_id


def counts() -> dict[str, int]:
    with db.session_scope() as s:
        return {
            m.__name__: s.scalar(select(func.count()).select_from(m)) or 0
            for m in (Document, DocumentStep, StoredFile, Event, Notice)
        }


def test_twenty_sign_offs_at_once_number_one_to_twenty(org: Any) -> None:
    clock.set_now("2026-11-09T10:00:00+08:00")
    ids = [_to_signoff(f"文件{n}") for n in range(20)]
    numbers: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(20)

    def sign(doc_id: int) -> None:
        try:
            barrier.wait()
            with db.session_scope() as s:
                numbers.append(documents.sign_off(s, document_id=doc_id, actor=LEADER).number)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=sign, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(numbers) == sorted(f"X府办发〔2026〕{n}号" for n in range(1, 21))
    with db.session_scope() as s:
        seqs = sorted(s.scalars(select(Document.seq).where(Document.seq.is_not(None))))
    assert seqs == list(range(1, 21))
    # A new year starts again at 1.
    clock.set_now("2027-01-04T10:00:00+08:00")
    doc_id = _to_signoff("新年第一号")
    with db.session_scope() as s:
        assert (
            documents.sign_off(s, document_id=doc_id, actor=LEADER).number == "X府办发〔2027〕1号"
        )


def test_unknown_urgency_names_the_field(org: Any) -> None:
    before = counts()
    with pytest.raises(ValidationError) as exc:
        IncomingDocumentSpec(
            sender="某省政府",
            number="X政发〔2026〕12号",
            title="t",
            urgency="十万火急",
            registered_by="liu.yang",
        )
    (error,) = exc.value.errors()
    assert error["loc"] == ("urgency",) and "unknown urgency '十万火急'" in error["msg"]
    assert counts() == before


def test_refusals_write_nothing(org: Any, office_env: Any, tmp_path: Any) -> None:
    clock.set_now("2026-11-09T10:00:00+08:00")
    cosigning = _to_signoff("会签件", cosigners=["finance"])
    awaiting = _to_signoff("待签发")

    def refused(fn: Any, field: str, text: str, **kwargs: Any) -> None:
        before = counts()
        with pytest.raises(InputError) as exc, db.session_scope() as s:
            fn(s, **kwargs)
        assert exc.value.problems[0].loc[0] == field, str(exc.value)
        assert text in str(exc.value)
        assert counts() == before

    refused(
        documents.sign_off, "as", "'sun.li' is not a leader", document_id=awaiting, actor=OFFICE
    )
    refused(
        documents.issue,
        "document",
        "only after its sign-off",
        document_id=awaiting,
        recipients=["health"],
        actor=OFFICE,
    )
    refused(
        documents.cosign,
        "department",
        "'health' was not asked to co-sign",
        document_id=cosigning,
        department="health",
        actor="han.xue",
    )
    office_env.set(file_max_bytes=1000)
    big = tmp_path / "来文.pdf"
    big.write_bytes(b"x" * 1001)
    spec = IncomingDocumentSpec(
        sender="某省政府",
        number="X政发〔2026〕12号",
        title="附件过大",
        urgency="加急",
        files=[str(big)],
        registered_by="liu.yang",
    )
    refused(documents.register_incoming, "files", "the limit is 1000", spec=spec)
    assert not (office_env.home / "files").exists()


def test_classification_marking_is_never_sent_by_chat(
    org: Any, office_env: Any, webhook_server: Any
) -> None:
    from models.org import Channel, ContactPoint
    from officeflow.delivery import send_pending

    office_env.set(webhook_url=webhook_server.url)
    with db.session_scope() as s:
        s.add(ContactPoint(person_id=OFFICE, channel=Channel.WEBHOOK, address=OFFICE))
    clock.set_now("2026-11-10T16:00:00+08:00")
    spec = IncomingDocumentSpec(
        sender="某省人民政府",
        number="X政发〔2026〕13号",
        title="关于某项涉密工作的通知",
        urgency="特急",
        classification="机密★1年",
        registered_by="liu.yang",
    )
    with db.session_scope() as s:
        keys = documents.register_incoming(s, spec=spec).notice_keys
    assert send_pending(keys).sent == 1
    (post,) = webhook_server.bodies()
    assert post["recipient"] == OFFICE and "X政发〔2026〕13号" in post["message"]
    assert "机密" not in post["message"] and "涉密工作" not in post["message"]
    assert "机密" not in str(post) and "涉密工作" not in str(post)
    with db.session_scope() as s:
        assert documents.document_state(s, 1)["document"].classification == "机密★1年"
