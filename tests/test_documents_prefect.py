"""办文 on a real Prefect API: the two direction flows and the action flows send the step
notices and publish the document's page; the CLI refuses bad input with the field named (exit
2) and a person who may not act (exit 77), writing nothing."""

from pathlib import Path
from typing import Any

import yaml
from prefect import get_client

from flows.documents import (
    document_comment,
    document_incoming,
    document_outgoing,
    document_propose,
    documents_sweep,
)
from models.documents_input import (
    CommentInput,
    IncomingDocumentSpec,
    OutgoingDocumentSpec,
    ProposeInput,
)
from officeflow import clock, db, documents
from officeflow.mailcatcher import MailCatcher
from tests.cli_helpers import run_cli
from tests.conftest import ROOT


def example(name: str) -> Any:
    return yaml.safe_load((ROOT / "examples" / name).read_text(encoding="utf-8"))


def test_flows_send_notices_and_publish_the_page(
    prefect_api: None, org: Any, mail_office: MailCatcher
) -> None:
    clock.set_now("2026-11-10T09:30:00+08:00")
    incoming = document_incoming(
        IncomingDocumentSpec.model_validate(example("incoming_document.yaml"))
    )
    assert incoming.notices_sent == 1  # the office director, asked to propose
    proposed = document_propose(
        incoming.document_id,
        ProposeInput(proposal="请赵副市长、王副市长阅示", leaders=["zhao.min", "wang.haitao"]),
        "sun.li",
    )
    assert proposed.notices_sent == 1  # in sequence: only the first leader is asked
    first = document_comment(incoming.document_id, CommentInput(text="同意"), "zhao.min")
    assert (first.status, first.notices_sent) == ("proposed", 1)  # now the second leader
    second = document_comment(
        incoming.document_id,
        CommentInput(text="请卫健委落实", tasks=["health:落实冬季防疫"]),
        "wang.haitao",
    )
    assert second.status == "distributed" and second.notices_sent == 1  # 卫健委 head
    outgoing = document_outgoing(
        OutgoingDocumentSpec.model_validate(example("outgoing_document.yaml"))
    )
    assert outgoing.notices_sent == 1
    with get_client(sync_client=True) as client:
        page = client.read_artifacts()
    versions = [a for a in page if a.key == f"document-{incoming.document_id}"]
    assert len(versions) == 4  # one per flow run on the document
    latest = max(versions, key=lambda a: a.created).data
    assert "落实冬季防疫" in latest and "X政发〔2026〕12号" in latest and "批示" in latest
    # Nothing is overdue yet; on a Saturday the sweep skips.
    assert documents_sweep().notice_keys == []
    clock.set_now("2026-11-14T09:00:00+08:00")
    assert documents_sweep().skipped


def test_cli_refuses_with_the_field_named(org: Any, tmp_path: Path) -> None:
    data = example("incoming_document.yaml") | {"urgency": "十万火急"}
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    out = run_cli("doc", "receive", str(bad))
    assert out.returncode == 2
    assert "urgency" in out.stderr and "unknown urgency" in out.stderr
    assert "Traceback" not in out.stderr
    out = run_cli("doc", "sign-off", "1", "--as", "sun.li")
    assert out.returncode == 2 and "no document 1" in out.stderr
    out = run_cli("doc", "search", "--title", "通知")
    assert out.returncode == 0 and "Documents (0)" in out.stdout
    # A person the policy refuses: exit 77, the refusal names who may; nothing is written.
    clock.set_now("2026-11-10T09:30:00+08:00")
    with db.session_scope() as s:
        spec = IncomingDocumentSpec.model_validate(example("incoming_document.yaml"))
        doc_id = documents.register_incoming(s, spec).document_id
    out = run_cli("doc", "propose", str(doc_id), "--proposal", "请阅", "--as", "zheng.hui")
    assert out.returncode == 77, out.stderr
    assert "may not propose" in out.stderr and "only the general office" in out.stderr
    out = run_cli("doc", "confirm", str(doc_id), "--department", "health", "--as", "lin.tao")
    assert out.returncode == 77, out.stderr  # the old name still runs 签收, and says the new one
    assert "doc confirm-receipt" in out.stderr
    with db.session_scope() as s:
        assert documents.document_state(s, doc_id)["document"].status.value == "registered"
    # The generated commands, from 核稿 to 签发.
    with db.session_scope() as s:
        spec = OutgoingDocumentSpec.model_validate(example("outgoing_document.yaml"))
        draft_id = documents.draft(s, spec).document_id
    out = run_cli(
        "doc", "review", str(draft_id), "--approve", "--signer", "chen.zhiqiang", "--as", "sun.li"
    )
    assert out.returncode == 0 and "now awaiting_signoff" in out.stdout, out.stderr
    out = run_cli("doc", "sign-off", str(draft_id), "--as", "chen.zhiqiang")
    assert out.returncode == 0 and "签发 (sign off) done, now signed" in out.stdout, out.stderr
    with db.session_scope() as s:
        number = documents.document_state(s, draft_id)["document"].number
    assert number and f"now signed, number {number}" in out.stdout  # the number allocated
