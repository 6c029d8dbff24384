"""The web pages' security basics, in one place:

- CSRF: a double-submit token. Every page gets a random ``csrf`` cookie (HttpOnly, SameSite=Strict,
  Secure when the public URL is https) and every form carries the same value in a hidden field
  ``csrf_token``; a POST whose field is missing or differs is refused with 403 before anything
  runs (`check_csrf`).
- Cookies: `set_cookie` sets every cookie the app sets with the same flags.
- Redirects: `safe_next` keeps only a relative, same-site path.
- Logs: `RedactTokens` rewrites the access log's path, so a signed token never lands in a log.
- Headers: no referrer (a token in the address must not leak to another site), no framing.
"""

from __future__ import annotations

import logging
import re
import secrets
from typing import Any

from fastapi import Request
from starlette.datastructures import FormData
from starlette.responses import Response

from officeflow.settings import Settings

CSRF_COOKIE = "officeflow_csrf"
CSRF_FIELD = "csrf_token"

HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
}


class CsrfRefused(Exception):
    """A POST without the page's CSRF token."""


def is_https(settings: Settings) -> bool:
    from officeflow.web.tokens import public_url

    return public_url(settings).lower().startswith("https://")


def set_cookie(
    response: Response,
    settings: Settings,
    name: str,
    value: str,
    *,
    max_age: int | None = None,
    samesite: str = "lax",
    path: str = "/",
) -> None:
    """Every cookie of the app: HttpOnly, SameSite, Secure when served over https."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite=samesite,  # type: ignore[arg-type]
        secure=is_https(settings),
        path=path,
    )


def csrf_token(request: Request) -> str:
    """The page's CSRF token: the browser's cookie, or a new one the response will set."""
    token = getattr(request.state, "csrf_token", None)
    if token:
        return str(token)
    token = request.cookies.get(CSRF_COOKIE) or ""
    if not re.fullmatch(r"[A-Za-z0-9_-]{32,64}", token):
        token = secrets.token_urlsafe(32)
        request.state.new_csrf = True
    request.state.csrf_token = token
    return token


def check_csrf(request: Request, form: FormData) -> None:
    """Refuse (`CsrfRefused`, shown as 403) a POST whose form token is missing or not the
    cookie's."""
    cookie = request.cookies.get(CSRF_COOKIE) or ""
    field = form.get(CSRF_FIELD)
    if not cookie or not isinstance(field, str) or not secrets.compare_digest(cookie, field):
        raise CsrfRefused()


def finish(request: Request, response: Response, settings: Settings) -> Response:
    """The security headers, and the CSRF cookie when this request minted one."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if getattr(request.state, "new_csrf", False):
        set_cookie(response, settings, CSRF_COOKIE, request.state.csrf_token, samesite="strict")
    return response


def safe_next(value: str | None, default: str = "/") -> str:
    """A redirect target from user input: only a relative path on this site (``/x``), never
    ``//host``, ``/\\host``, a scheme or a control character."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return default
    if any(ord(c) < 32 or c == "\\" for c in value) or ":" in value.split("?", 1)[0]:
        return default
    return value


# Paths whose last segment is a bearer token: action links and sign-in links.
_TOKEN_PATH = re.compile(r"(/(?:a|s|signin|login)/)[^/?#\s\"]+")
# Query values that are tokens: a token, an OpenID Connect callback's code and state.
_TOKEN_QUERY = re.compile(r"((?<![\w-])(?:token|t|code|state)=)[^&#\s\"]+")


def redact(text: str) -> str:
    return _TOKEN_QUERY.sub(r"\1[token]", _TOKEN_PATH.sub(r"\1[token]", text))


class RedactTokens(logging.Filter):
    """Rewrites uvicorn's access-log line so that a token in a path never reaches a log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        record.msg = redact(str(record.msg))
        return True


# The uvicorn loggers as `officeflow web` configured them (`remember_access_log`).
_UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")
_kept: dict[str, tuple[list[logging.Handler], int, bool]] = {}


def remember_access_log() -> None:
    """Note how the uvicorn loggers are set up now (right after uvicorn configured logging), so
    `keep_access_log` can put them back."""
    _kept.clear()
    for name in _UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        _kept[name] = (list(logger.handlers), logger.level, logger.propagate)


def keep_access_log() -> None:
    """Put the uvicorn loggers back as they were noted, if something changed them. Loading
    Prefect configures logging: it raises the ``uvicorn`` logger to WARNING and resets its
    children (the access log lost every line). Cheap when nothing changed: called on every
    request, and once Prefect has been loaded."""
    for name, (handlers, level, propagate) in _kept.items():
        logger = logging.getLogger(name)
        if logger.handlers != handlers or logger.level != level or logger.disabled:
            logger.handlers = list(handlers)
            logger.setLevel(level)
            logger.propagate = propagate
            logger.disabled = False


def log_config() -> dict[str, Any]:
    """uvicorn's logging configuration with the access log's tokens redacted."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = {
        **LOGGING_CONFIG,
        "filters": {"redact": {"()": "officeflow.web.security.RedactTokens"}},
    }
    config["handlers"] = {
        name: {**handler, "filters": ["redact"]}
        for name, handler in LOGGING_CONFIG["handlers"].items()
    }
    return config


# --- the size of a request's body ---------------------------------------------------------

FIELDS_ROOM = 1024 * 1024  # room for a form's text fields beside its files
UPLOAD_FILES = 5  # files of the largest size one request has room for


def request_max_bytes(settings: Settings) -> int:
    """The largest request body read: ``OFFICEFLOW_WEB_REQUEST_MAX_BYTES``, else room for
    `UPLOAD_FILES` files at the file store's limit and `FIELDS_ROOM` of fields."""
    if settings.web_request_max_bytes is not None:
        return settings.web_request_max_bytes
    return UPLOAD_FILES * settings.file_max_bytes + FIELDS_ROOM


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware: a request whose body is larger than ``max_bytes`` is answered 413
    before the application reads any of it (its Content-Length says so), or, without one
    (chunked), as soon as the bytes received pass the limit: the application's read fails,
    whatever it was parsing stops, and the answer is 413 (the connection is then closed)."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0 or declared > self.max_bytes:
                    await self._refuse(send)
                    return
        received = 0
        started = False

        async def counted() -> Any:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge()
            return message

        async def watched(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except* BodyTooLarge:  # (inside a group when a middleware's task group carried it)
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Any) -> None:
        body = b"413: the request is larger than this server accepts\n"
        headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
            *((k.lower().encode(), v.encode()) for k, v in HEADERS.items()),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
