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

from officeflow.settings import Settings, get_settings

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
    settings = settings or get_settings()
    return MARKER.sub(lambda m: url_for(target, m.group(1), settings), text)


def url_for(target: LinkTarget, action: str, settings: Settings) -> str:
    """The signed URL of ``action`` on ``target`` for ``target.person_id``
    (`officeflow.web.tokens`: ``<public url>/a/<token>``)."""
    from officeflow.web.tokens import Claim, action_url

    claim = Claim(
        target.person_id,
        target.object_type,
        str(target.object_id),
        action,
        target.notice_key,
    )
    return action_url(claim, settings)
