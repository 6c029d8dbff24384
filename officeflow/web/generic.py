"""The ``view`` page any notice may link to: the object's record (its events, newest last), for
notices whose action is not (yet) done on these pages (duty, documents, information)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from officeflow.inputs import input_error
from officeflow.web.pages import ANY, ActionPage, Outcome, register
from officeflow.web.tokens import Claim
from officeflow.web.views import person_name, timeline


def _load(session: Session, claim: Claim) -> dict[str, Any]:
    return {
        "object_type": claim.object_type,
        "object_id": claim.object_id,
        "timeline": timeline(session, claim.object_type, claim.object_id),
        "person_name": person_name(session, claim.person_id),
    }


def _nothing(session: Session, claim: Claim, form: FormData) -> Outcome:
    raise input_error("action", "this page only shows the record; there is nothing to submit")


register(
    ActionPage(object_type=ANY, action="view", template="view.html", load=_load, perform=_nothing)
)
