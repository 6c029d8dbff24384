"""Sign-in through the organisation's identity provider (OpenID Connect, authlib's Starlette
client), an alternative to one-time links. Configured by ``OFFICEFLOW_OIDC_ISSUER``,
``OFFICEFLOW_OIDC_CLIENT_ID`` and ``OFFICEFLOW_OIDC_CLIENT_SECRET`` (a secret like the others);
without all three the routes answer 404 and the sign-in page does not offer it.

- ``GET /login/oidc`` redirects to the provider (authorization code flow, with ``state`` and
  ``nonce`` kept in a short-lived signed cookie);
- ``GET /login/oidc/callback`` takes the code, checks the ID token (issuer, audience, nonce,
  signature against the provider's keys), and maps its ``email`` claim (or the userinfo's) to
  the person with that email address; then the session cookie is set as after a one-time link.

The redirect URI registered at the provider is ``<OFFICEFLOW_PUBLIC_URL>/login/oidc/callback``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from starlette.responses import RedirectResponse, Response

from officeflow import actors, db, events
from officeflow.settings import Settings, get_settings

router = APIRouter()
NAME = "office"
STATE_COOKIE = "officeflow_oidc"


def configured(settings: Settings | None = None) -> bool:
    settings = settings or get_settings()
    return bool(
        settings.oidc_issuer
        and settings.oidc_client_id
        and settings.oidc_client_secret is not None
        and settings.oidc_client_secret.get_secret_value()
    )


def metadata_url(settings: Settings) -> str:
    return str(settings.oidc_issuer).rstrip("/") + "/.well-known/openid-configuration"


def callback_url(settings: Settings) -> str:
    from officeflow.web.tokens import public_url

    return public_url(settings) + "/login/oidc/callback"


@lru_cache(maxsize=4)
def _client(issuer: str, client_id: str, secret: str) -> Any:
    from authlib.integrations.starlette_client import OAuth

    oauth = OAuth()
    oauth.register(
        NAME,
        client_id=client_id,
        client_secret=secret,
        server_metadata_url=issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={"scope": "openid email profile"},
    )
    return oauth.create_client(NAME)


def client(settings: Settings | None = None) -> Any:
    settings = settings or get_settings()
    assert settings.oidc_client_secret is not None
    return _client(
        str(settings.oidc_issuer),
        str(settings.oidc_client_id),
        settings.oidc_client_secret.get_secret_value(),
    )


def setup(app: FastAPI) -> None:
    """authlib keeps ``state`` and ``nonce`` in the Starlette session: a signed cookie of its
    own, only when OIDC is configured."""
    settings = app.state.settings
    if not configured(settings):
        return
    from starlette.middleware.sessions import SessionMiddleware

    from officeflow.web import security, tokens

    app.add_middleware(
        SessionMiddleware,
        secret_key=tokens.secret_key(settings),
        session_cookie=STATE_COOKIE,
        max_age=600,
        same_site="lax",
        https_only=security.is_https(settings),
    )


@router.get("/login/oidc")
async def login(request: Request) -> Response:
    from officeflow.web.render import refusal

    settings = get_settings()
    if not configured(settings):
        return refusal(request, "error.notfound", 404)
    return await client(settings).authorize_redirect(request, callback_url(settings))


@router.get("/login/oidc/callback")
async def callback(request: Request) -> Response:
    from authlib.integrations.base_client import OAuthError
    from starlette.concurrency import run_in_threadpool

    from officeflow.web import session
    from officeflow.web.render import refusal

    settings = get_settings()
    if not configured(settings):
        return refusal(request, "error.notfound", 404)
    c = client(settings)
    try:
        token = await c.authorize_access_token(request)
        info = token.get("userinfo") or await c.userinfo(token=token)
    except (OAuthError, ValueError, KeyError) as exc:
        return refusal(request, "signin.refused", 400, detail=f"{type(exc).__name__}: {exc}")
    email = info.get("email") if isinstance(info, dict) else None
    if not isinstance(email, str) or "@" not in email or info.get("email_verified") is False:
        return refusal(request, "signin.unknown_idp_user", 403)
    person = await run_in_threadpool(_person_for, email)
    if person is None:
        return refusal(request, "signin.unknown_idp_user", 403)
    response = RedirectResponse("/me", status_code=303)
    session.start(response, person, "oidc")
    return response


def _person_for(email: str) -> str | None:
    from officeflow.signin import find_person

    with actors.acting(actors.WEB), db.session_scope() as s:
        person = find_person(s, email)
        if person is None:
            return None
        events.record(s, action="signin.oidc", object_type="signin", object_id=0, actor=person.id)
        return person.id
