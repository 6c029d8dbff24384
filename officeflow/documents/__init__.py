"""办文: incoming (收文) and outgoing (发文) official documents.

Every function takes an explicit session (except the sweep, which owns its transaction). The
modules:

- `declarations`: the document's actions, who may take them, the process's flows
- `common`: lookups, the refusal of who may not, step deadlines, opening and finishing steps
- `incoming`: 收文 registration, 拟办, 批示, 分办 (tasks become supervision assignments), 归档
- `outgoing`: 发文 drafts and revisions, 核稿, 会签, 签发, 印发, 签收
- `numbering`: the number series (发文字号), gap-free per year
- `files`: a document's files in the file store, and the text of its .docx files
- `search`: by number, title, sender, dates and text
- `sweep`: reminders of overdue route steps (`plan_sweep`)
- `notices`: what people are told (never the classification marking)
- `views`: a document's state and page (CLI, Prefect artifact)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from officeflow._lazy import exports

if TYPE_CHECKING:
    from officeflow.documents.common import get_document
    from officeflow.documents.incoming import (
        check_incoming,
        comment,
        distribute,
        file_document,
        propose,
        register_incoming,
    )
    from officeflow.documents.numbering import allocate
    from officeflow.documents.outgoing import (
        DOCUMENT_TYPES,
        check_outgoing,
        confirm_receipt,
        cosign,
        draft,
        issue,
        redraft,
        review,
        sign_off,
    )
    from officeflow.documents.search import search
    from officeflow.documents.sweep import plan_sweep
    from officeflow.documents.views import document_markdown, document_state

__getattr__, __dir__ = exports(__name__, __file__)

__all__ = [
    "DOCUMENT_TYPES",
    "allocate",
    "check_incoming",
    "check_outgoing",
    "comment",
    "confirm_receipt",
    "cosign",
    "distribute",
    "document_markdown",
    "document_state",
    "draft",
    "file_document",
    "get_document",
    "issue",
    "propose",
    "redraft",
    "register_incoming",
    "review",
    "plan_sweep",
    "search",
    "sign_off",
]
