"""Signed action links: the token names the person, the object, the action and the notice, carries
its time of signing (so it expires) and is signed with the office's web key.

Minting a link (the key, the serializer, the claim, the public URL) is `officeflow.signing`,
below the sender and the web server alike; it is re-exported here. This module checks a token:
its signature, and its age against the object's expiry. Ages are measured on `officeflow.clock`,
so a test can move time past the expiry.

A token never goes into the ledger, a log or an artifact: the sender mints it just before a
message leaves (`officeflow.links.expand`), and the web server's access log redacts it
(`officeflow.web.security.RedactTokens`).
"""

from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from officeflow.settings import Settings, get_settings
from officeflow.signing import (
    ACTION_SALT,
    KEY_FILE,
    BadToken,
    Claim,
    ClockSigner,
    public_url,
    secret_key,
    serializer,
    sign,
)
from officeflow.stackfile import DEFAULT_WEB_PORT

__all__ = [
    "ACTION_SALT",
    "DEFAULT_WEB_PORT",
    "KEY_FILE",
    "BadToken",
    "Claim",
    "ClockSigner",
    "URLSafeTimedSerializer",
    "max_age_s",
    "public_url",
    "secret_key",
    "serializer",
    "sign",
    "verify",
]


def max_age_s(object_type: str, settings: Settings | None = None) -> int:
    settings = settings or get_settings()
    days = settings.web_incident_link_days if object_type == "incident" else settings.web_link_days
    return int(days * 86400)


def verify(token: str, settings: Settings | None = None) -> Claim:
    """The claim of a valid token; `BadToken` (``tampered`` or ``expired``) otherwise."""
    s = serializer(ACTION_SALT, settings)
    try:
        _, data = s.loads_unsafe(token)  # read the object type first: it sets the expiry
        claim = Claim.load(data)
        Claim.load(s.loads(token, max_age=max_age_s(claim.object_type, settings)))
    except SignatureExpired:
        raise BadToken("expired") from None
    except (BadSignature, ValueError, TypeError):
        raise BadToken("tampered") from None
    return claim
