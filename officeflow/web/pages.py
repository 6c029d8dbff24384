"""The action pages a signed link can open, one per (object type, action).

Every declared action offered on the web (`officeflow.actions`) has a page: generated from its
declaration (`officeflow.web.declared`: the form from its input model), or, where a process
wants more than a form, written by hand (`officeflow.web.incidents`, `.assignments`,
`.meetings`) and calling the same door, `officeflow.actions.perform`. A page has

- ``load(session, claim)``: the context its template shows (the object, its timeline);
- ``already(session, claim)``: a sentence when there is nothing left for this person to do (an
  acknowledgement already given, a request already decided), shown instead of the form;
- ``perform(session, claim, form)``: calls the process's service (inside
  ``actors.acting(actors.WEB)``, as the link's person) and returns an `Outcome`;
- ``siblings``: the other actions the same link may open as their own pages (an owner's
  ``report`` link also opens ``complete`` and ``request-extension``); the services decide who
  may actually do each.

Permission rules are not here: `officeflow.actions.perform` asks the one policy and raises
`actors.NotAllowed` (or an input error), and the app shows it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from officeflow.web.tokens import Claim


@dataclass
class Outcome:
    """What an action did: the message key (and its values) the done page shows, the notices
    to send once the transaction committed, and any work to do after (resume a paused run)."""

    message: str
    values: dict[str, Any] = field(default_factory=dict)
    notice_keys: list[str] = field(default_factory=list)
    after: Callable[[], str | None] | None = None  # returns a message key to show, or None


@dataclass(frozen=True)
class ActionPage:
    object_type: str
    action: str
    template: str
    load: Callable[[Session, Claim], dict[str, Any]]
    perform: Callable[[Session, Claim, FormData], Outcome]
    already: Callable[[Session, Claim], str | None] = lambda _s, _c: None
    siblings: tuple[str, ...] = ()
    title: str = ""  # message key of the page's heading


REGISTRY: dict[tuple[str, str], ActionPage] = {}
ANY = "*"  # a page for every object type (the generic ``view``)


def register(page: ActionPage, aliases: tuple[str, ...] = ()) -> ActionPage:
    """Add ``page``; ``aliases``: older action names that links already sent may carry."""
    for name in (page.action, *aliases):
        REGISTRY[(page.object_type, name)] = page
    return page


def page_for(claim: Claim, action: str | None = None) -> ActionPage | None:
    """The page ``claim`` opens: its own action, or one of that action's siblings."""
    own = REGISTRY.get((claim.object_type, claim.action)) or REGISTRY.get((ANY, claim.action))
    if action is None or action == claim.action or (own is not None and action == own.action):
        return own
    if own is None or action not in own.siblings:
        return None
    return REGISTRY.get((claim.object_type, action))


def form_text(form: FormData, name: str, limit: int = 20_000) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""
