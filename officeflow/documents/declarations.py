"""办文, declared: the document's actions and who may take them, who may start a document, and
the process's flows. Everything people use (the CLI commands, the deployments, the pages, the
policy table) is derived from this module (`officeflow.actions`)."""

from __future__ import annotations

from typing import Any

from models.documents_input import (
    CommentInput,
    ConfirmReceiptInput,
    CosignInput,
    DistributeInput,
    FileInput,
    IssueInput,
    ProposeInput,
    RedraftInput,
    ReviewInput,
    SignOffInput,
)
from officeflow import policy
from officeflow.actions import Action, OfficeObject, Process, ProcessFlow


def _label(doc: Any) -> str:
    """A classified document is named by its number, never its title (as in its messages)."""
    if doc.classification:
        return doc.number or "涉密文件"
    return doc.title[:40]


DOCUMENT = OfficeObject(
    name="document",
    zh="公文",
    en="document",
    load="officeflow.documents.common:get_document",
    id_param="document_id",
    label=_label,
    group="doc",
)

# 收文登记, 拟办, 分办, 核稿, 印发, 归档: the general office.
OFFICE = policy.office()


def _asked_to_comment(ask: policy.Ask) -> bool:
    return ask.actor in _route_leaders(ask)


def _route_leaders(ask: policy.Ask) -> list[str]:
    from sqlalchemy import select

    from models.documents import DocumentStep, StepKind

    return list(
        ask.session.scalars(
            select(DocumentStep.person_id)
            .where(
                DocumentStep.document_id == ask.obj.id,
                DocumentStep.kind == StepKind.COMMENT,
                DocumentStep.person_id.is_not(None),
            )
            .order_by(DocumentStep.position, DocumentStep.id)
        )
    )


def _names(ask: policy.Ask) -> str:
    from models.org import Person

    people = [ask.session.get(Person, p) for p in _route_leaders(ask)]
    return "、".join(p.name for p in people if p is not None)


# 批示: the leaders the 拟办 named for this document (whose turn it is, the service says).
ROUTE_LEADERS = policy.rule(
    _asked_to_comment,
    zh=lambda a: f"拟办时呈批的领导（{_names(a) or '尚未指定'}）",
    en=lambda a: f"the leaders the proposal (拟办) named ({_names(a) or 'none yet'})",
)

# 修改稿: the author of the draft.
AUTHOR = policy.person("author_id", zh="起草人{name}", en="the author {name}")


def _asked(kind: str) -> policy.Rule:
    """会签, 签收: the people of a department this document asked (to co-sign, as a recipient),
    acting for their own department (the input's ``department``, or theirs when it names none)."""

    def departments(ask: policy.Ask) -> list[str]:
        from sqlalchemy import select

        from models.documents import DocumentStep, StepKind

        return list(
            dict.fromkeys(
                ask.session.scalars(
                    select(DocumentStep.department_id)
                    .where(
                        DocumentStep.document_id == ask.obj.id,
                        DocumentStep.kind == StepKind(kind),
                        DocumentStep.department_id.is_not(None),
                    )
                    .order_by(DocumentStep.id)
                )
            )
        )

    def test(ask: policy.Ask) -> bool:
        assert ask.person is not None
        own = ask.person.department_id
        named = getattr(ask.params, "department", None) or own
        return named == own and own in departments(ask)

    def names(ask: policy.Ask) -> str:
        from models.org import Department

        found = [ask.session.get(Department, d) for d in departments(ask)]
        return "、".join(d.name for d in found if d is not None) or "—"

    zh, en = {
        "cosign": ("会签单位", "the departments asked to co-sign"),
        "receipt": ("收文单位", "the recipient departments"),
    }[kind]
    return policy.rule(
        test,
        zh=lambda a: f"{zh}（{names(a)}）的人员",
        en=lambda a: f"the people of {en} ({names(a)})",
    )


# 会签: the people of a department asked to co-sign; 签收: of a recipient department.
COSIGNERS = _asked("cosign")
RECIPIENTS = _asked("receipt")

# 签发: a leader.
LEADERS = policy.role("leader")

# 发文拟稿 (document-outgoing): the people of the drafting department.
DRAFTERS = policy.department(
    "department",
    zh="拟稿单位{department}的人员",
    en="the people of the drafting department {department}",
)


def _action(
    verb: str, model: type, service: str, rule: policy.Rule, summary: str, **more: Any
) -> Action:
    return Action(
        obj=DOCUMENT,
        verb=verb,
        input=model,
        service=f"officeflow.documents.{service}",
        policy=rule,
        summary=summary,
        flow=f"flows.documents:document_{verb.replace('-', '_')}",
        **more,
    )


ACTIONS = (
    _action(
        "propose",
        ProposeInput,
        "incoming:propose",
        OFFICE,
        "拟办: the office proposes how to handle it and names the leaders who comment.",
    ),
    _action(
        "comment",
        CommentInput,
        "incoming:comment",
        ROUTE_LEADERS,
        "批示: a leader comments; each task becomes a supervised assignment.",
    ),
    _action(
        "distribute",
        DistributeInput,
        "incoming:distribute",
        OFFICE,
        "分办: hand the document to the handling departments as supervised assignments.",
    ),
    _action(
        "file", FileInput, "incoming:file_document", OFFICE, "归档: the office files the document."
    ),
    _action(
        "review",
        ReviewInput,
        "outgoing:review",
        OFFICE,
        "核稿: approve passes the draft on to co-signing and sign-off; refuse returns it to its "
        "author with the comment.",
    ),
    _action(
        "redraft",
        RedraftInput,
        "outgoing:redraft",
        AUTHOR,
        "修改稿: the author answers a returned draft with a new revision.",
    ),
    _action(
        "cosign",
        CosignInput,
        "outgoing:cosign",
        COSIGNERS,
        "会签: a department that was asked co-signs.",
    ),
    _action(
        "sign-off",
        SignOffInput,
        "outgoing:sign_off",
        LEADERS,
        "签发: a leader signs off; the series' next number is allocated.",
    ),
    _action(
        "issue",
        IssueInput,
        "outgoing:issue",
        OFFICE,
        "印发: lay out the .docx, keep it, email it to the recipients and await their 签收.",
    ),
    _action(
        "confirm-receipt",
        ConfirmReceiptInput,
        "outgoing:confirm_receipt",
        RECIPIENTS,
        "签收: a recipient department confirms receipt.",
        aliases=("confirm",),
    ),
)


PROCESS = Process(
    name="documents",
    zh="办文",
    objects=(DOCUMENT,),
    actions=ACTIONS,
    words={
        "zh-CN": {
            "ev.document.receipt_confirmed": "签收",
            "ev.document.registered": "收文登记",
            "ev.document.proposed": "拟办",
            "ev.document.commented": "批示",
            "ev.document.distributed": "分办",
            "ev.document.filed": "归档",
            "ev.document.drafted": "拟稿",
            "ev.document.redrafted": "修改稿",
            "ev.document.reviewed": "核稿",
            "ev.document.returned": "核稿退回",
            "ev.document.cosigned": "会签",
            "ev.document.signed": "签发",
            "ev.document.issued": "印发",
        },
        "en": {
            "ev.document.receipt_confirmed": "receipt confirmed",
            "ev.document.registered": "registered",
            "ev.document.proposed": "proposal made",
            "ev.document.commented": "leader's comment",
            "ev.document.distributed": "distributed",
            "ev.document.filed": "filed",
            "ev.document.drafted": "drafted",
            "ev.document.redrafted": "redrafted",
            "ev.document.reviewed": "reviewed",
            "ev.document.returned": "returned for redrafting",
            "ev.document.cosigned": "co-signed",
            "ev.document.signed": "signed off",
            "ev.document.issued": "issued",
        },
    },
    flows=(
        ProcessFlow(
            name="document-incoming",
            entrypoint="flows.documents:document_incoming",
            description=(
                "办文 收文: register an incoming document and its files (checksums), ask the "
                "office to propose (拟办) within the urgency's deadline; later steps are "
                "document-* actions."
            ),
            tags=("documents",),
        ),
        ProcessFlow(
            name="document-outgoing",
            entrypoint="flows.documents:document_outgoing",
            description=(
                "办文 发文: record a department's draft and ask the office to check it (核稿); "
                "later steps (会签, 签发, 印发, 签收) are document-* actions."
            ),
            tags=("documents",),
        ),
        ProcessFlow(
            name="documents-sweep",
            entrypoint="flows.documents:documents_sweep",
            description=(
                "办文 sweep: every morning at 09:00, remind whoever holds an overdue route step "
                "(拟办, 批示, 核稿, 会签, 签发, 签收); skips days off itself."
            ),
            schedules=("0 9 * * *",),
            tags=("documents", "scheduled"),
            concurrency_limit=1,
        ),
    ),
    demo=(
        ("document-incoming", "examples/incoming_document.yaml"),
        ("document-outgoing", "examples/outgoing_document.yaml"),
    ),
)
