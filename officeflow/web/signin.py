"""Sign-in pages: ``/signin`` asks for a one-time link (`officeflow.signin`); the link in the
message opens the ``sign-in`` action page, whose button POSTs to ``/signin/use``, which uses the
link once and sets the session cookie (`officeflow.web.session`); ``/signout`` ends every
session of the person. The OpenID Connect routes live in `officeflow.web.oidc`.

``POST /signin`` answers before it looks anyone up: the same page, status and time for a known
person, for nobody and over a limit. Finding the person, the limits and the mail happen after
the answer has left (a background task), through the delivery ledger as every notice.

A GET never uses the link up (mail gateways and chat apps open links to preview them)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from officeflow import actors, db
from officeflow import signin as service
from officeflow.delivery import send_pending
from officeflow.inputs import InputError, input_error
from officeflow.settings import get_settings
from officeflow.web import (
    messages2,  # noqa: F401  (the pages' words)
    oidc,
    security,
    session,
    tokens,
)
from officeflow.web.pages import ActionPage, Outcome, form_text, register
from officeflow.web.render import refusal, render
from officeflow.web.tokens import Claim
from officeflow.web.views import person_name

log = logging.getLogger("officeflow.web.signin")
router = APIRouter()


def _form_context(request: Request, **extra: Any) -> dict[str, Any]:
    return {
        "minutes": get_settings().signin_link_minutes,
        "next": security.safe_next(request.query_params.get("next"), "/me"),
        "oidc": oidc.configured(),
        **extra,
    }


@router.get("/signin", response_class=HTMLResponse)
def ask(request: Request) -> Response:
    return render(request, "signin.html", **_form_context(request))


@router.post("/signin", response_class=HTMLResponse)
async def send(request: Request) -> Response:
    form = await request.form()
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(_send, request, form)


def _send(request: Request, form: FormData) -> Response:
    """Answer at once, the same to everyone; find the person, count the limits and send the
    link after the answer has left (`_ask`)."""
    try:
        security.check_csrf(request, form)
    except security.CsrfRefused:
        return refusal(request, "error.csrf", 403)
    who = form_text(form, "who", 400)
    try:
        service.check_who(who)
    except InputError as exc:  # about the text alone: the same for everyone
        return render(
            request, "signin.html", status_code=400, error=str(exc), **_form_context(request)
        )
    client = request.client.host if request.client else None
    response = render(request, "signin.html", sent=True, **_form_context(request))
    response.background = BackgroundTask(_ask, who, client)
    return response


def _ask(who: str, client: str | None) -> None:
    """After the answer: plan the link (or nothing, over a limit or for nobody) and send it
    through the delivery ledger. Runs in a worker thread."""
    try:
        with actors.acting(actors.WEB), db.session_scope() as s:
            asked = service.request_link(s, who=who, client_ip=client)
        if asked.limited:
            log.info("sign-in link not sent: over the per-%s limit", asked.limited)
        if asked.notice_key:
            send_pending([asked.notice_key])
    except Exception:  # the asker has had their answer; the operator sees this
        log.exception("sign-in request failed after the answer")


@router.post("/signin/use")
async def use(request: Request) -> Response:
    form = await request.form()
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(_use, request, form)


def _use(request: Request, form: FormData) -> Response:
    try:
        security.check_csrf(request, form)
    except security.CsrfRefused:
        return refusal(request, "error.csrf", 403)
    try:
        claim = tokens.verify(form_text(form, "token", 4000))
    except tokens.BadToken as bad:
        return refusal(request, f"error.{bad.reason}", 410 if bad.reason == "expired" else 400)
    if (claim.object_type, claim.action) != (service.OBJECT, service.ACTION) or not (
        claim.object_id.isdigit()
    ):
        return refusal(request, "error.unknown_action", 400)
    try:
        with actors.acting(actors.WEB), db.session_scope() as s:
            person = service.consume(s, link_id=int(claim.object_id), person_id=claim.person_id)
    except service.SigninRefused as exc:
        return refusal(request, "signin.refused", exc.status, detail=str(exc))
    response = RedirectResponse(
        security.safe_next(form_text(form, "next", 400), "/me"), status_code=303
    )
    session.start(response, person, "link")
    return response


@router.post("/signout")
async def signout(request: Request) -> Response:
    form = await request.form()
    try:
        security.check_csrf(request, form)
    except security.CsrfRefused:
        return refusal(request, "error.csrf", 403)
    response = RedirectResponse("/signin?out=1", status_code=303)
    from starlette.concurrency import run_in_threadpool

    await run_in_threadpool(session.end, request, response)
    return response


# The ``sign-in`` action page: what the link in the message opens (GET shows a button only).


def _load(s: Session, claim: Claim) -> dict[str, Any]:
    problem = None
    if not claim.object_id.isdigit():
        raise input_error("object", "this sign-in link names no link")
    try:
        service.check_link(s, link_id=int(claim.object_id), person_id=claim.person_id)
    except service.SigninRefused as exc:
        problem = str(exc)
    return {"problem": problem, "person_name": person_name(s, claim.person_id)}


def _perform(s: Session, claim: Claim, form: FormData) -> Outcome:
    raise input_error("action", "use the sign-in button on this page")


register(
    ActionPage(
        object_type=service.OBJECT,
        action=service.ACTION,
        template="signin_use.html",
        load=_load,
        perform=_perform,
    )
)
