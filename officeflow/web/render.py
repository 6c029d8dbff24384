"""Rendering a page: Jinja2 templates under ``officeflow/web/templates`` (autoescaped), with the
request's locale (`t`), its CSRF token and the office's time format."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from officeflow import clock
from officeflow.settings import get_settings
from officeflow.web import i18n, security

TEMPLATES = Path(__file__).resolve().parent / "templates"

templates = Jinja2Templates(directory=str(TEMPLATES))
templates.env.autoescape = True


def _localtime(value: dt.datetime | None, fmt: str = clock.MINUTE) -> str:
    return clock.format_local(value, fmt) if value is not None else ""


templates.env.filters["localtime"] = _localtime


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """``template`` with ``context``, the locale's ``t(key, **values)``, ``lang``, ``other_lang``
    (for the switch) and ``csrf_token`` (put it in every POST form as ``csrf_token``)."""
    locale = i18n.locale_of(request, get_settings().locale)

    def t(key: str, **values: object) -> str:
        return i18n.translate(locale, key, **values)

    return templates.TemplateResponse(
        request,
        template,
        {
            "t": t,
            "event_label": lambda action: i18n.event_label(locale, action),
            "event_detail": lambda detail: i18n.event_detail(locale, detail),
            "lang": locale,
            "other_lang": "en" if locale == "zh-CN" else "zh-CN",
            "csrf_field": security.CSRF_FIELD,
            "csrf_token": security.csrf_token(request),
            **context,
        },
        status_code=status_code,
    )


def refusal(request: Request, message_key: str, status_code: int, detail: str = "") -> HTMLResponse:
    """The clear page for a link or a form that cannot be acted on; nothing was changed."""
    return render(
        request, "refused.html", status_code=status_code, message_key=message_key, detail=detail
    )
