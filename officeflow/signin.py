"""One-time sign-in links (登录链接) to a person's own pages ("my work", the board).

A person asks for a link by their person id or email address. The office sends it through the
delivery ledger like any notice (template ``signin_link``, key ``signin:<person>:<link id>``),
to their email and chat. The message holds only an action-link marker (``sign-in``); the sender
mints the signed token just before sending (`officeflow.links`), so no token is ever stored.

The `SigninLink` row makes the link single-use and short-lived: `consume` marks it used with a
conditional UPDATE (two clicks race; one wins) and refuses it once used or after
``OFFICEFLOW_SIGNIN_LINK_MINUTES``. How many links are sent is limited per person
(``OFFICEFLOW_SIGNIN_PER_PERSON`` links per ``OFFICEFLOW_SIGNIN_WINDOW_MINUTES``) and per client
address (``OFFICEFLOW_SIGNIN_PER_CLIENT``), counted from the same rows. The limits are silent:
over one, nothing is sent, and the asker is told exactly what everyone is told (nothing tells a
stranger who works here, or that someone was asked for often). So nobody is locked out: a
stranger's asking only sends the person up to their limit of links, to the person, and every
link they received, and every session they have, still works. An address that belongs to nobody
still counts against the client's limit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models.org import Channel, ContactPoint, Person
from models.signin import SigninLink
from officeflow import clock, delivery, events
from officeflow.inputs import input_error
from officeflow.org import active_person
from officeflow.settings import Settings, get_settings

OBJECT = "signin"
ACTION = "sign-in"  # the action-link name in the template and the link's token
WHO_MAX = 320


class SigninRefused(ValueError):
    """A sign-in request or link is refused. ``str()`` is the sentence the person sees;
    ``status`` the HTTP status a page answers with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class SigninRequest:
    link_id: int | None  # None: over the client's limit (no row kept)
    person_id: str | None  # None: nobody has that id or address, or a limit held (nothing sent)
    notice_key: str | None
    expires_at: dt.datetime
    limited: str | None = None  # "client" or "person": a limit held; the answer never says so


def find_person(session: Session, who: str) -> Person | None:
    """The active person with this id, or with this email address (case-insensitive)."""
    who = who.strip()
    if not who or len(who) > WHO_MAX:
        return None
    person = active_person(session, who)
    if person is not None:
        return person
    if "@" in who:
        pid = session.scalar(
            select(ContactPoint.person_id)
            .where(
                ContactPoint.channel == Channel.EMAIL,
                func.lower(ContactPoint.address) == who.lower(),
            )
            .limit(1)
        )
        if pid is not None:
            return active_person(session, pid)
    return None


def _count_since(session: Session, column: object, value: str, since: dt.datetime) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(SigninLink)
            .where(column == value, SigninLink.requested_at > since)  # type: ignore[operator]
        )
        or 0
    )


def check_who(who: str) -> None:
    """Refuse (`InputError`) what can name nobody: empty, or longer than any id or address.
    Said the same to everyone: it depends on the text alone."""
    if not who.strip():
        raise input_error("who", "enter your person id or email address")
    if len(who) > WHO_MAX:
        raise input_error("who", f"at most {WHO_MAX} characters")


def request_link(
    session: Session,
    *,
    who: str,
    client_ip: str | None = None,
    settings: Settings | None = None,
) -> SigninRequest:
    """Plan a sign-in link for the person named by ``who`` (person id or email address).

    Over a limit nothing is planned and nothing says so (``limited`` names which limit, for
    the caller's log only): the asker's answer is the same as for anyone else. Over the
    per-client limit no row is kept; over the per-person limit a row without a person is kept,
    so it still counts against the client."""
    settings = settings or get_settings()
    check_who(who)
    now = clock.now()
    window = dt.timedelta(minutes=settings.signin_window_minutes)
    expires = now + dt.timedelta(minutes=settings.signin_link_minutes)
    ip = (client_ip or "")[:64] or None
    if ip is not None and (
        _count_since(session, SigninLink.client_ip, ip, now - window) >= settings.signin_per_client
    ):
        return SigninRequest(None, None, None, expires, limited="client")
    person = find_person(session, who)
    limited = None
    if person is not None and (
        _count_since(session, SigninLink.person_id, person.id, now - window)
        >= settings.signin_per_person
    ):
        person, limited = None, "person"
    row = SigninLink(
        person_id=person.id if person else None,
        requested_at=now,
        expires_at=expires,
        client_ip=ip,
    )
    session.add(row)
    session.flush()
    if person is None:
        return SigninRequest(row.id, None, None, expires, limited=limited)
    key = f"signin:{person.id}:{row.id}"
    row.notice_key = key
    delivery.plan_notice(
        session,
        key=key,
        template="signin_link",
        object_type=OBJECT,
        object_id=row.id,
        recipients=[person.id],
        context={"expires_at": expires, "minutes": settings.signin_link_minutes},
        settings=settings,
    )
    events.record(
        session,
        action="signin.requested",
        object_type=OBJECT,
        object_id=row.id,
        actor=person.id,
        data={"client": ip},
    )
    return SigninRequest(row.id, person.id, key, expires)


def check_link(session: Session, *, link_id: int, person_id: str) -> SigninLink:
    """The link, if ``person_id`` may still use it; otherwise `SigninRefused` with the reason."""
    row = session.get(SigninLink, link_id) if 0 < link_id < 2**62 else None
    if row is None or row.person_id != person_id:
        raise SigninRefused("this sign-in link is not valid", status=400)
    if row.used_at is not None:
        raise SigninRefused(
            "this sign-in link was already used; ask for a new one on the sign-in page",
            status=410,
        )
    if clock.now() > row.expires_at:
        raise SigninRefused(
            f"this sign-in link expired at {clock.format_local(row.expires_at)}; "
            "ask for a new one on the sign-in page",
            status=410,
        )
    if active_person(session, person_id) is None:
        raise SigninRefused(f"{person_id!r} is no longer a person of the organisation", 403)
    return row


def consume(session: Session, *, link_id: int, person_id: str) -> str:
    """Use the link once: returns the person now signed in. A second use is refused."""
    row = check_link(session, link_id=link_id, person_id=person_id)
    now = clock.now()
    won = session.execute(
        update(SigninLink)
        .where(SigninLink.id == row.id, SigninLink.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not won:
        raise SigninRefused(
            "this sign-in link was already used; ask for a new one on the sign-in page",
            status=410,
        )
    events.record(
        session,
        action="signin.used",
        object_type=OBJECT,
        object_id=row.id,
        actor=person_id,
    )
    return person_id
