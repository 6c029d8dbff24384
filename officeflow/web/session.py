"""The signed-in person: a session cookie set after a one-time sign-in link (or OpenID
Connect), signed with the office's web key, HttpOnly, SameSite=Lax, Secure over https.

The cookie holds the person id, how they signed in, when (``t0``) and the person's session
generation (``g``, `models.signin.SessionGeneration`). It opens the person's pages only while:

- the generation is still the person's: signing out bumps it, which ends every session of that
  person at once, wherever a copy of the cookie is;
- it was used within ``OFFICEFLOW_SESSION_IDLE_MINUTES`` (default 2 hours): the cookie's
  signature carries the time of its last use, and a request re-signs it (at most once a
  minute), so an idle cookie expires;
- ``SESSION_HOURS`` (12) have not passed since sign-in, however active the session is;
- the person is still active in the org (`person_of`).

All times are on the office clock (`officeflow.clock`), so tests move them."""

from __future__ import annotations

import datetime as dt

from fastapi import Request
from itsdangerous import BadSignature
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.responses import Response

from models.signin import SessionGeneration
from officeflow import clock, db
from officeflow.org import active_person
from officeflow.settings import Settings, get_settings
from officeflow.web import security, tokens

COOKIE = "officeflow_session"
SALT = "officeflow.session"
SESSION_HOURS = 12
REFRESH_S = 60  # a cookie used after this long is re-signed (its idle time starts again)


def generation(s: Session, person_id: str) -> int:
    row = s.get(SessionGeneration, person_id)
    return row.generation if row is not None else 0


def cookie_value(
    person_id: str,
    how: str,
    *,
    started: int | None = None,
    gen: int | None = None,
    settings: Settings | None = None,
) -> str:
    """A session cookie's value for ``person_id`` (started now, at their current generation,
    unless given)."""
    if gen is None:
        with db.read_scope() as s:
            gen = generation(s, person_id)
    if started is None:
        started = int(clock.now().timestamp())
    data = {"p": person_id, "via": how, "t0": started, "g": gen}
    return str(tokens.serializer(SALT, settings).dumps(data))


def start(response: Response, person_id: str, how: str, settings: Settings | None = None) -> None:
    settings = settings or get_settings()
    value = cookie_value(person_id, how, settings=settings)
    security.set_cookie(response, settings, COOKIE, value, max_age=SESSION_HOURS * 3600)


def end(request: Request, response: Response) -> str | None:
    """Sign out: end every session of the cookie's person (their generation moves on) and
    drop the cookie. Returns the person, or None when the cookie opened nothing."""
    person = claimed_person(request)
    request.state.session_refresh = None
    response.delete_cookie(COOKIE, path="/")
    if person is None:
        return None
    for attempt in range(3):  # two sign-outs at once may both insert the first row
        try:
            with db.session_scope() as s:
                row = s.get(SessionGeneration, person)
                if row is None:
                    s.add(SessionGeneration(person_id=person, generation=1, changed_at=clock.now()))
                else:
                    row.generation += 1
                    row.changed_at = clock.now()
            break
        except IntegrityError:
            if attempt == 2:
                raise
    return person


def person_of(request: Request) -> str | None:
    """The signed-in person's id, or None (no cookie, tampered, expired, idle, signed out, or
    no longer active)."""
    with db.read_scope() as s:
        person = claimed_person(request, s)
        if person is None:
            return None
        return person if active_person(s, person) is not None else None


def claimed_person(request: Request, s: Session | None = None) -> str | None:
    """The person the session cookie names, if the session is still open (signature, idle
    time, 12 hours, generation); whether they are still active is for the caller to check
    (`person_of` does). Asks the ledger for the generation (in ``s``, or its own read)."""
    value = request.cookies.get(COOKIE)
    if not value:
        return None
    settings = get_settings()
    try:
        data, last = tokens.serializer(SALT, settings).loads(
            value, max_age=settings.session_idle_minutes * 60, return_timestamp=True
        )
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(data, dict):
        return None
    person, how, started, gen = data.get("p"), data.get("via"), data.get("t0"), data.get("g")
    if not (
        isinstance(person, str)
        and isinstance(how, str)
        and isinstance(started, int)
        and isinstance(gen, int)
    ):
        return None
    now = clock.now()
    if not 0 <= now.timestamp() - started <= SESSION_HOURS * 3600:
        return None
    if s is None:
        with db.read_scope() as own:
            current = generation(own, person)
    else:
        current = generation(s, person)
    if gen != current:
        return None
    if (now - last.astimezone(dt.UTC)).total_seconds() >= REFRESH_S:
        request.state.session_refresh = cookie_value(
            person, how, started=started, gen=gen, settings=settings
        )
    return person


def refresh(request: Request, response: Response, settings: Settings) -> None:
    """Re-set the cookie a request found due for re-signing (`claimed_person`), keeping its
    sign-in time: the idle time starts again, the 12 hours do not."""
    value = getattr(request.state, "session_refresh", None)
    if not value:
        return
    left = SESSION_HOURS * 3600  # the browser may keep it this long; the server decides
    security.set_cookie(response, settings, COOKIE, value, max_age=left)
