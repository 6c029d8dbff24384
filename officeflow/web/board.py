"""``/board``: the office's board (督办看板) for the general office and the leaders (signed in),
with its charts inline as SVG; ``/board/ledger.xlsx``: the supervision ledger (督办台账).
Not signed in: to ``/signin``; anyone else: refused (403), nothing shown."""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from officeflow import actors, board, db
from officeflow.board.export import export_filename
from officeflow.org import active_person
from officeflow.settings import get_settings
from officeflow.web import (
    i18n,
    messages2,  # noqa: F401  (the pages' words)
    session,
)
from officeflow.web.render import refusal, render

router = APIRouter()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _allowed(request: Request, path: str) -> str | Response:
    person = session.claimed_person(request)
    try:
        with db.read_scope() as s:
            if person is None or active_person(s, person) is None:
                return RedirectResponse(f"/signin?next={path}", status_code=303)
            board.check_board_access(s, person)
    except actors.NotAllowed as exc:
        return refusal(request, "error.not_allowed", 403, detail=str(exc))
    return person


@router.get("/board", response_class=HTMLResponse)
async def show(request: Request) -> Response:
    return await run_in_threadpool(_show, request)


def _show(request: Request) -> Response:
    who = _allowed(request, "/board")
    if isinstance(who, Response):
        return who
    data = board.cached_board()
    locale = i18n.locale_of(request, get_settings().locale)
    with _pages_lock:
        if _pages.get("data") is data and locale in _pages:
            return HTMLResponse(_pages[locale])
    response = render(
        request,
        "board.html",
        b=data,
        # the SVG escapes its labels
        on_time_svg=Markup(board.on_time_chart(data["on_time"], locale=locale)),
        lights_svg=Markup(board.lights_chart(data["lights_over_time"], locale=locale)),
    )
    with _pages_lock:
        if _pages.get("data") is not data:
            _pages.clear()
            _pages["data"] = data
        _pages[locale] = bytes(response.body)
    return response


# The rendered board per locale, for as long as the cached board it shows (the page is the same
# for everyone allowed to see it and carries no form), so many readers cost one rendering.
_pages_lock = threading.Lock()
_pages: dict[str, Any] = {}


@router.get("/board/ledger.xlsx")
async def ledger(request: Request) -> Response:
    return await run_in_threadpool(_ledger, request)


def _ledger(request: Request) -> Response:
    who = _allowed(request, "/board")
    if isinstance(who, Response):
        return who
    locale = i18n.locale_of(request, get_settings().locale)
    with db.read_scope() as s:
        data = board.ledger_workbook(s, locale=locale)
    return Response(
        data,
        media_type=XLSX,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(export_filename())}"},
    )
