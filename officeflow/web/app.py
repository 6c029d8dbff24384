"""The office's web application: `create_app(settings)`.

Routes:

- ``GET /a/<token>`` (and ``/a/<token>/<action>`` for a sibling action): the page of the action a
  notice's signed link names. A GET never changes anything (mail gateways and chat apps fetch
  links to preview them).
- ``POST`` to the same address: the action, from that page's form only (CSRF token, and the
  page's signed ``state``, so a replayed or stale form is refused and changes nothing).
- ``GET /healthz``: ``ok`` (for a reverse proxy or `officeflow up`).

Every request's body is limited (`security.BodyLimit`, 413 while it streams, before any
parsing), and a session cookie due for re-signing is re-set on the way out
(`officeflow.web.session`).

Every action runs inside ``actors.acting(actors.WEB)`` as the link's person, so its events say
``via = web``; the services decide who may do what (`actors.NotAllowed` becomes a refusal page).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from importlib import import_module
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from itsdangerous import BadSignature
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from models.ledger import Event
from officeflow import actors, db
from officeflow.inputs import InputError
from officeflow.settings import Settings, get_settings
from officeflow.web import i18n, security, tokens
from officeflow.web import session as web_session
from officeflow.web.pages import ActionPage, Outcome, page_for
from officeflow.web.render import TEMPLATES, refusal, render

log = logging.getLogger("officeflow.web")

# The modules that register action pages (`officeflow.web.pages.register`).
PAGE_MODULES = [
    "officeflow.web.incidents",
    "officeflow.web.assignments",
    "officeflow.web.generic",
    "officeflow.web.meetings",
    "officeflow.web.signin",
]
# Modules with their own routes: each has ``router`` (an APIRouter), added to the app, and may
# have ``setup(app)`` (middleware it needs).
ROUTER_MODULES: list[str] = [
    "officeflow.web.signin",
    "officeflow.web.oidc",
    "officeflow.web.me",
    "officeflow.web.board",
    "officeflow.web.flowruns",
]

STATE_SALT = "officeflow.form-state"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    for name in PAGE_MODULES:
        import_module(name)
    # Then a page for every declared action that has no hand-made one.
    from officeflow.web.declared import register_declared

    register_declared()
    app = FastAPI(
        title="officeflow",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings

    @app.middleware("http")
    async def _finish(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        lang = request.query_params.get("lang")
        if lang in i18n.LOCALES:
            security.set_cookie(response, settings, i18n.LANG_COOKIE, lang, max_age=365 * 86400)
        web_session.refresh(request, response, settings)
        security.keep_access_log()
        return security.finish(request, response, settings)

    # Outermost: a body over the limit is refused before anything reads it.
    app.add_middleware(security.BodyLimit, max_bytes=security.request_max_bytes(settings))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return refusal(request, "error.notfound", 404)
        return PlainTextResponse(str(exc.detail), status_code=exc.status_code)

    static = TEMPLATES.parent / "static"
    if static.is_dir():
        app.mount("/static", StaticFiles(directory=str(static)), name="static")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> PlainTextResponse:
        return PlainTextResponse("ok")

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request) -> Response:
        return render(request, "home.html")

    @app.get("/a/{token}", response_class=HTMLResponse)
    def show(request: Request, token: str) -> Response:
        return _show(request, token, None)

    @app.get("/a/{token}/{action}", response_class=HTMLResponse)
    def show_sibling(request: Request, token: str, action: str) -> Response:
        return _show(request, token, action)

    @app.get("/a/{token}/files/{file_id}")
    def download(request: Request, token: str, file_id: int) -> Response:
        return _download(request, token, file_id)

    @app.post("/a/{token}", response_class=HTMLResponse)
    async def act(request: Request, token: str) -> Response:
        form = await request.form()
        return await _in_thread(_act, request, token, None, form)

    @app.post("/a/{token}/{action}", response_class=HTMLResponse)
    async def act_sibling(request: Request, token: str, action: str) -> Response:
        form = await request.form()
        return await _in_thread(_act, request, token, action, form)

    for name in ROUTER_MODULES:
        module = import_module(name)
        app.include_router(module.router)
        if hasattr(module, "setup"):
            module.setup(app)
    return app


async def _in_thread(fn: Callable[..., Response], *args: Any) -> Response:
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(fn, *args)


def _claim(request: Request, token: str) -> tokens.Claim | Response:
    try:
        return tokens.verify(token)
    except tokens.BadToken as bad:
        status = 410 if bad.reason == "expired" else 400
        return refusal(request, f"error.{bad.reason}", status)


def _event_count(session: Session, claim: tokens.Claim) -> int:
    return int(
        session.scalar(
            select(func.count(Event.id)).where(
                Event.object_type == claim.object_type, Event.object_id == claim.object_id
            )
        )
        or 0
    )


def _state(session: Session, claim: tokens.Claim, action: str) -> str:
    """The form's signed ``state``: this link's notice, the action and how many events the object
    had when the page was shown. A POST is taken only while that still holds."""
    data = {
        "n": claim.notice_key,
        "a": action,
        "p": claim.person_id,
        "c": _event_count(session, claim),
    }
    return str(tokens.serializer(STATE_SALT).dumps(data))


def _state_holds(session: Session, claim: tokens.Claim, action: str, form: FormData) -> bool:
    value = form.get("state")
    if not isinstance(value, str):
        return False
    try:
        data = tokens.serializer(STATE_SALT).loads(value)
    except (BadSignature, ValueError):
        return False
    return data == {
        "n": claim.notice_key,
        "a": action,
        "p": claim.person_id,
        "c": _event_count(session, claim),
    }


def _page_context(
    session: Session, page: ActionPage, claim: tokens.Claim, token: str
) -> dict[str, Any]:
    context = page.load(session, claim)
    return {
        **context,
        "page": page,
        "claim": claim,
        "action_url": f"/a/{token}" + ("" if page.action == claim.action else f"/{page.action}"),
        "token_base": f"/a/{token}",
        "state": _state(session, claim, page.action),
        "already": page.already(session, claim),
    }


def _show(request: Request, token: str, action: str | None) -> Response:
    claim = _claim(request, token)
    if isinstance(claim, Response):
        return claim
    page = page_for(claim, action)
    if page is None:
        return refusal(request, "error.unknown_action", 404)
    try:
        with db.read_scope() as session:
            context = _page_context(session, page, claim, token)
    except InputError as exc:  # the object is gone, or the link names none
        return refusal(request, "error.title", 404, detail=str(exc))
    return render(request, page.template, **context)


def _act(request: Request, token: str, action: str | None, form: FormData) -> Response:
    claim = _claim(request, token)
    if isinstance(claim, Response):
        return claim
    try:
        security.check_csrf(request, form)
    except security.CsrfRefused:
        return refusal(request, "error.csrf", 403)
    page = page_for(claim, action)
    if page is None:
        return refusal(request, "error.unknown_action", 404)
    outcome: Outcome | None = None
    try:
        with actors.acting(actors.WEB), db.session_scope() as session:
            already = page.already(session, claim)
            if already:
                return render(
                    request,
                    page.template,
                    status_code=409,
                    **_page_context(session, page, claim, token),
                )
            if not _state_holds(session, claim, page.action, form):
                return render(
                    request,
                    page.template,
                    status_code=409,
                    stale=True,
                    **_page_context(session, page, claim, token),
                )
            outcome = page.perform(session, claim, form)
    except actors.NotAllowed as exc:  # one sentence, in the page's language, with names
        zh = i18n.locale_of(request, get_settings().locale) == "zh-CN"
        return refusal(request, "error.not_allowed", 403, detail=exc.zh if zh else str(exc))
    except InputError as exc:  # each problem a sentence in the page's language, naming the
        # field by its label; the form shown again with what was typed
        from officeflow.inputs import say_all
        from officeflow.web.declared import field_labels, typed_values

        lang = i18n.locale_of(request, get_settings().locale)
        labels = field_labels(page.object_type, page.action)
        with db.read_scope() as session:
            context = _page_context(session, page, claim, token)
        return render(
            request,
            page.template,
            status_code=400,
            error=" ".join(say_all(exc, lang, labels)),
            form_values=typed_values(form),
            **context,
        )
    assert outcome is not None
    extra = []
    delivery = ""
    if outcome.notice_keys:
        from officeflow import delivered
        from officeflow.delivery import send_pending

        send_pending(outcome.notice_keys)
        # What became of the notices the action sent, said on the page that sent them.
        with db.read_scope() as session:
            reached = delivered.outcome(session, outcome.notice_keys)
        zh = i18n.locale_of(request, get_settings().locale) == "zh-CN"
        delivery = reached.summary("zh" if zh else "en") if reached.total else ""
    if outcome.after is not None:
        note = outcome.after()
        if note:
            extra.append(note)
    with db.read_scope() as session:
        context = _page_context(session, page, claim, token)
    return render(
        request,
        page.template,
        done=(outcome.message, outcome.values),
        notes=extra,
        delivery=delivery,
        **context,
    )


def _download(request: Request, token: str, file_id: int) -> Response:
    """A file kept for the link's object (evidence attached to an assignment), checksum
    checked; a file of any other object is not found."""
    from models.ledger import StoredFile
    from officeflow import files

    claim = _claim(request, token)
    if isinstance(claim, Response):
        return claim
    with db.read_scope() as session:
        row = session.get(StoredFile, file_id)
        if row is None or (row.object_type, row.object_id) != (claim.object_type, claim.object_id):
            return refusal(request, "error.notfound", 404)
        try:
            data = files.read(row)
        except (OSError, ValueError):
            return refusal(request, "error.notfound", 404)
        filename, content_type = row.filename, row.content_type
    from urllib.parse import quote

    return Response(
        data,
        media_type=content_type,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


def redirect(path: str) -> RedirectResponse:
    """A 303 to a same-site path only (`security.safe_next`)."""
    return RedirectResponse(security.safe_next(path), status_code=303)
