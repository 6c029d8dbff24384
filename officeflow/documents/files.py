"""A document's files: kept in the file store (`officeflow.files`) with their checksums, and
the text of each .docx added to what search reads."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.orm import Session

from models.documents import Document
from models.ledger import StoredFile
from officeflow import files
from officeflow.documents.common import OBJECT
from officeflow.files import FileContent


def check_files(
    paths: Sequence[str | Path | FileContent], field: str = "files"
) -> list[FileContent]:
    """Every file read and checked (size, type) before anything is written."""
    return [files.check_file(p, field=(field, i)) for i, p in enumerate(paths)]


def docx_text_of(content: FileContent) -> str:
    """The text of a .docx (empty for other files or a .docx that does not open)."""
    if not content.filename.lower().endswith(".docx"):
        return ""
    from officeflow.layout import docx_text

    try:
        return docx_text(content.data)
    except ValueError:
        return ""


def keep(
    session: Session,
    doc: Document,
    contents: Sequence[FileContent],
    *,
    actor: str,
    purpose: str = "attachment",
) -> list[StoredFile]:
    """Store the files for the document and add their text to its search text."""
    stored = []
    for content in contents:
        stored.append(
            files.store(
                session, content, object_type=OBJECT, object_id=doc.id, actor=actor, purpose=purpose
            )
        )
        text = docx_text_of(content)
        if text:
            doc.search_text = f"{doc.search_text}\n{text}"
    return stored
