"""Signed action links in notices.

A template writes ``{{ action_link("acknowledge") }}``. The rendered body, which is stored in the
ledger, keeps only a marker (`rules.templates.LINK_MARKER`); the sender calls `expand` just before
a message leaves, and each marker becomes the recipient's own link: the public base URL
(``OFFICEFLOW_PUBLIC_URL``) and a token that names the person, the object, the action and the
notice, carries an expiry, and is signed with ``OFFICEFLOW_WEB_SECRET_KEY``. No token is ever
written to the ledger, a log or an artifact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from officeflow.settings import Settings, get_settings
from officeflow.signing import ACTION_SALT, Claim, public_url, serializer

MARKER = re.compile(r"\[\[officeflow-link:([a-z][a-z0-9_-]{0,39})\]\]")


@dataclass(frozen=True)
class LinkTarget:
    """Whom a delivered message is for, and about what."""

    person_id: str
    notice_key: str
    object_type: str
    object_id: str


def has_links(text: str) -> bool:
    return "[[officeflow-link:" in text


def expand(text: str, target: LinkTarget, settings: Settings | None = None) -> str:
    """Replace every action-link marker in ``text`` with ``target``'s signed URL."""
    if not has_links(text):
        return text
    return Linker(settings or get_settings()).expand(text, target)


def url_for(target: LinkTarget, action: str, settings: Settings) -> str:
    """The signed URL of ``action`` on ``target`` for ``target.person_id``
    (`officeflow.signing`: ``<public url>/a/<token>``)."""
    return Linker(settings).url(target, action)


class Linker:
    """The links of one send run: the public base URL and the signer are read once (the key
    file and ``stack.json``), at the first link, then every message's links are minted from
    them."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._made: tuple[str, Any] | None = None

    def _base_and_signer(self) -> tuple[str, Any]:
        if self._made is None:
            self._made = (public_url(self.settings), serializer(ACTION_SALT, self.settings))
        return self._made

    def url(self, target: LinkTarget, action: str) -> str:
        claim = Claim(
            target.person_id,
            target.object_type,
            str(target.object_id),
            action,
            target.notice_key,
        )
        base, signer = self._base_and_signer()
        return f"{base}/a/{signer.dumps(claim.dump())}"

    def urls(self, text: str, target: LinkTarget) -> list[str]:
        """The signed URL of each marker in ``text``, in order: what a chat card may make a
        button or a link of (`officeflow.direct_messages`), rather than any URL in the text."""
        if not has_links(text):
            return []
        return list(dict.fromkeys(self.url(target, m.group(1)) for m in MARKER.finditer(text)))

    def expand(self, text: str, target: LinkTarget) -> str:
        if not has_links(text):
            return text
        return MARKER.sub(lambda m: self.url(target, m.group(1)), text)
