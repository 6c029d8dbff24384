"""The file store: files kept under the officeflow home folder by their SHA-256, each recorded
as a `StoredFile` row owned by one office object. Any process may use it.

- `check_file(path or bytes)` refuses, naming the field, a file that is missing, larger than
  ``OFFICEFLOW_FILE_MAX_BYTES`` or not of an allowed type (``OFFICEFLOW_FILE_TYPES``), before
  anything is written;
- `store(session, …)` writes the content once (content-addressed, so the same bytes are kept
  once) and records the row;
- `read(file)` returns the bytes, checking the checksum.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.ledger import StoredFile
from officeflow import clock
from officeflow.inputs import input_error
from officeflow.settings import Settings, get_settings

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class FileContent:
    filename: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def allowed_types(settings: Settings | None = None) -> list[str]:
    settings = settings or get_settings()
    return [t.strip().lower() for t in settings.file_types.split(",") if t.strip()]


def check_file(
    source: Path | str | FileContent,
    *,
    field: str | tuple[str | int, ...] = "files",
    settings: Settings | None = None,
) -> FileContent:
    """The file's content, or an `InputError` naming ``field``: missing, too large, or a type
    the office does not accept."""
    settings = settings or get_settings()
    if isinstance(source, FileContent):
        name, size = source.filename, len(source.data)
    else:
        path = Path(source)
        if not path.is_file():
            raise input_error(field, f"no such file: {str(path)!r}")
        name, size = path.name, path.stat().st_size
    limit = settings.file_max_bytes
    if size > limit:
        raise input_error(
            field, f"{name!r} is {size} bytes; the limit is {limit} (OFFICEFLOW_FILE_MAX_BYTES)"
        )
    types = allowed_types(settings)
    if types and not any(name.lower().endswith(t) for t in types):
        raise input_error(
            field, f"{name!r} is not an accepted type ({', '.join(types)}; OFFICEFLOW_FILE_TYPES)"
        )
    if isinstance(source, FileContent):
        return source
    return FileContent(name, Path(source).read_bytes())


def root(settings: Settings | None = None) -> Path:
    return (settings or get_settings()).home / "files"


def path_of(sha256: str, settings: Settings | None = None) -> Path:
    return root(settings) / sha256[:2] / sha256


def store(
    session: Session,
    content: FileContent,
    *,
    object_type: str,
    object_id: str | int,
    actor: str,
    purpose: str = "attachment",
    field: str | tuple[str | int, ...] = "files",
) -> StoredFile:
    """Keep ``content`` (checked again) and record it for the object. The same file for the
    same object and purpose is recorded once."""
    content = check_file(content, field=field)
    digest = content.sha256
    existing = session.scalar(
        select(StoredFile).where(
            StoredFile.object_type == object_type,
            StoredFile.object_id == str(object_id),
            StoredFile.sha256 == digest,
            StoredFile.purpose == purpose,
        )
    )
    if existing is not None:
        return existing
    target = path_of(digest)
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(content.data)
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    row = StoredFile(
        sha256=digest,
        size=len(content.data),
        filename=content.filename[:255],
        content_type=mimetypes.guess_type(content.filename)[0]
        or (DOCX_TYPE if content.filename.endswith(".docx") else "application/octet-stream"),
        object_type=object_type,
        object_id=str(object_id),
        purpose=purpose,
        created_at=clock.now(),
        created_by=actor,
    )
    session.add(row)
    session.flush()
    return row


def read(file: StoredFile) -> bytes:
    """The stored bytes; ValueError when they no longer match the checksum."""
    data = path_of(file.sha256).read_bytes()
    if hashlib.sha256(data).hexdigest() != file.sha256:
        raise ValueError(f"stored file {file.id} ({file.filename}) fails its checksum")
    return data


def files_of(session: Session, object_type: str, object_id: str | int) -> list[StoredFile]:
    return list(
        session.scalars(
            select(StoredFile)
            .where(StoredFile.object_type == object_type, StoredFile.object_id == str(object_id))
            .order_by(StoredFile.id)
        )
    )
