"""办文: 20 sign-offs at once number 1..20; bad input is refused naming the field, and a person
who may not act is refused (`NotAllowed`, exit 77), with nothing written (rows counted before
and after)."""

import threading
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from models.documents import Document, DocumentStep
from models.documents_input import IncomingDocumentSpec, OutgoingDocumentSpec
from models.ledger import Event, Notice, StoredFile
from officeflow import actions, clock, db, documents
from officeflow.actors import NotAllowed
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
            approve=True,
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

    def refused(
        key: str, doc_id: int, params: dict[str, Any], actor: str, field: str, text: str
    ) -> None:
        """Through the door every surface uses: a bad input names its field."""
        before = counts()
        with pytest.raises(InputError) as exc, db.session_scope() as s:
            actions.perform(s, key, doc_id, params, actor)
        assert exc.value.problems[0].loc[0] == field, str(exc.value)
        assert text in str(exc.value)
        assert counts() == before

    def not_allowed(key: str, doc_id: int, params: dict[str, Any], actor: str, text: str) -> None:
        """A person the declaration's policy refuses: `NotAllowed`, not an input error."""
        before = counts()
        with pytest.raises(NotAllowed) as exc, db.session_scope() as s:
            actions.perform(s, key, doc_id, params, actor)
        assert text in str(exc.value), str(exc.value)
        assert counts() == before

    not_allowed(
        "document.sign-off",
        awaiting,
        {},
        OFFICE,
        "'sun.li' (孙丽) may not sign off (document 2): only the leaders may",
    )
    # 卫健委 was not asked to co-sign, and its people may not co-sign for 财政局.
    for params in ({"department": "finance"}, {"department": "health"}, {}):
        not_allowed(
            "document.cosign",
            cosigning,
            params,
            "han.xue",
            "'han.xue' (韩雪) may not co-sign (document 1): only the people of the departments "
            "asked to co-sign (财政局) may",
        )
    not_allowed("document.issue", awaiting, {"recipients": ["health"]}, "nobody", "unknown person")
    refused(
        "document.issue",
        awaiting,
        {"recipients": ["health"]},
        OFFICE,
        "document",
        "only after its sign-off",
    )
    with db.session_scope() as s:
        documents.cosign(s, document_id=cosigning, actor="lin.tao")  # 财政局, its own by default
    refused(
        "document.cosign", cosigning, {}, "xie.peng", "department", "'finance' already co-signed"
    )
    refused("document.issue", awaiting, {"recipients": []}, OFFICE, "recipients", "at least 1")
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
    before = counts()
    with pytest.raises(InputError) as exc, db.session_scope() as s:
        documents.register_incoming(s, spec=spec)
    assert exc.value.problems[0].loc[0] == "files" and "the limit is 1000" in str(exc.value)
    assert counts() == before
    assert not (office_env.home / "files").exists()
    # Only the general office registers incoming documents.
    with pytest.raises(NotAllowed) as no, db.session_scope() as s:
        documents.register_incoming(s, spec=spec.model_copy(update={"registered_by": "han.xue"}))
    assert "may not register an incoming document (收文): only the general office" in str(no.value)
    assert counts() == before


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
