"""The signed-in person: a session cookie set after a one-time sign-in link (or OpenID
Connect), signed with the office's web key, HttpOnly, SameSite=Lax, Secure over https, valid for
``SESSION_HOURS`` on the office clock. It holds the person id and how they signed in; the person
must still be active in the org on every request."""

from __future__ import annotations

from fastapi import Request
from itsdangerous import BadSignature
from starlette.responses import Response

from officeflow import db
from officeflow.org import active_person
from officeflow.settings import Settings, get_settings
from officeflow.web import security, tokens

COOKIE = "officeflow_session"
SALT = "officeflow.session"
SESSION_HOURS = 12


def start(response: Response, person_id: str, how: str, settings: Settings | None = None) -> None:
    settings = settings or get_settings()
    value = tokens.serializer(SALT, settings).dumps({"p": person_id, "via": how})
    security.set_cookie(response, settings, COOKIE, str(value), max_age=SESSION_HOURS * 3600)


def end(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/")


def person_of(request: Request) -> str | None:
    """The signed-in person's id, or None (no cookie, tampered, expired, or no longer active)."""
    person = claimed_person(request)
    if person is None:
        return None
    with db.read_scope() as session:
        return person if active_person(session, person) is not None else None


def claimed_person(request: Request) -> str | None:
    """The person the session cookie names, if it is valid; whether they are still active is
    for the caller to check (`person_of` does)."""
    value = request.cookies.get(COOKIE)
    if not value:
        return None
    try:
        data = tokens.serializer(SALT).loads(value, max_age=SESSION_HOURS * 3600)
    except (BadSignature, ValueError, TypeError):
        return None
    person = data.get("p") if isinstance(data, dict) else None
    return person if isinstance(person, str) else None
