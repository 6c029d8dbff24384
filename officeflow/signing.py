"""Signing action links: the office's web key, the serializer, a link's claim and the public base
URL. The sender mints links with these (`officeflow.links`) and the web server checks them
(`officeflow.web.tokens`), so they sit below both: this module imports neither.

The key is ``OFFICEFLOW_WEB_SECRET_KEY``; when that is unset, a random key is generated once into
``<home>/web-secret.key`` (owner-only, 0600), which the sender and the web server then share.
Timestamps are taken on `officeflow.clock`, so a test can move time past a link's expiry.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from officeflow import clock
from officeflow.settings import Settings, get_settings
from officeflow.stackfile import DEFAULT_WEB_PORT, StackInfo

KEY_FILE = "web-secret.key"
ACTION_SALT = "officeflow.action-link"


class ClockSigner(TimestampSigner):
    """Timestamps from the office clock (tests and simulations move it)."""

    def get_timestamp(self) -> int:
        return int(clock.now().timestamp())


class BadToken(Exception):
    """A token that is not valid. ``reason`` is one of ``tampered``, ``expired``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Claim:
    """What an action link says: who may do which action on which object, from which notice."""

    person_id: str
    object_type: str
    object_id: str
    action: str
    notice_key: str

    def dump(self) -> dict[str, str]:
        return {
            "p": self.person_id,
            "t": self.object_type,
            "o": self.object_id,
            "a": self.action,
            "n": self.notice_key,
        }

    @classmethod
    def load(cls, data: Any) -> Claim:
        if not isinstance(data, dict) or not all(
            isinstance(data.get(k), str) for k in ("p", "t", "o", "a", "n")
        ):
            raise BadToken("tampered")
        return cls(data["p"], data["t"], data["o"], data["a"], data["n"])


def secret_key(settings: Settings | None = None) -> str:
    """The configured key, else the generated one under the home folder (created once, 0600)."""
    settings = settings or get_settings()
    if settings.web_secret_key is not None and settings.web_secret_key.get_secret_value():
        return settings.web_secret_key.get_secret_value()
    path = Path(settings.home) / KEY_FILE
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Written whole to a private file, then linked into place: the name appears with its
    # content or not at all, so a sender thread or process that loses the race reads the
    # winner's key, never a half-written (empty) one.
    tmp = path.with_name(f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(key + "\n")
    try:
        os.link(tmp, path)
    except FileExistsError:  # another thread or process made it first: use theirs
        return path.read_text(encoding="ascii").strip()
    finally:
        tmp.unlink(missing_ok=True)
    return key


def serializer(salt: str, settings: Settings | None = None) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key(settings), salt=salt, signer=ClockSigner)


def sign(claim: Claim, settings: Settings | None = None) -> str:
    return str(serializer(ACTION_SALT, settings).dumps(claim.dump()))


def public_url(settings: Settings | None = None) -> str:
    """The base of every link: ``OFFICEFLOW_PUBLIC_URL``, else the web server `officeflow up`
    runs (from ``<home>/stack.json``), else the default local address."""
    settings = settings or get_settings()
    if settings.public_url:
        return settings.public_url.rstrip("/")
    try:
        info = StackInfo.read(Path(settings.home))
        if info is not None and info.web_url:
            return info.web_url.rstrip("/")
    except (OSError, ValueError, TypeError):
        pass
    return f"http://127.0.0.1:{DEFAULT_WEB_PORT}"
