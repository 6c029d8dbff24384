"""``/me``: my work (我的工作), for the signed-in person: their open assignments, unacknowledged
incidents, pending decisions and meetings (`officeflow.board.mywork`). Each item opens its
action page through a signed link minted for this person now (the same pages a notice's link
opens; the services decide what they may do there). Not signed in: to ``/signin``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from officeflow import board, db
from officeflow.web import (
    messages2,  # noqa: F401  (the pages' words)
    session,
    tokens,
)
from officeflow.web.render import render

router = APIRouter()


def link(person: str, object_type: str, object_id: int | str, action: str) -> str:
    """A relative action link for ``person`` (its notice key says it came from "my work")."""
    claim = tokens.Claim(person, object_type, str(object_id), action, f"me:{person}")
    return f"/a/{tokens.sign(claim)}"


@router.get("/me", response_class=HTMLResponse)
async def me(request: Request) -> Response:
    return await run_in_threadpool(_me, request)


def _me(request: Request) -> Response:
    person = session.person_of(request)
    if person is None:
        return RedirectResponse("/signin?next=/me", status_code=303)
    with db.read_scope() as s:
        work = board.my_work(s, person)
        sees_board = board.may_see_board(s, person)
    for a in work["assignments"]:
        a["link"] = link(person, "assignment", a["id"], a["action"] or "view")
    for i in work["incidents"]:
        i["link"] = link(person, "incident", i["id"], i["action"])
    for d in work["decisions"]:
        d["link"] = link(person, "assignment", d["assignment"], d["action"])
    for m in work["meetings"]:
        m["link"] = link(person, "meeting", m["id"], m["action"])
        if m["approve_agenda"]:
            m["approve_link"] = link(person, "meeting", m["id"], "approve-agenda")
    for t in work["topics"]:
        t["link"] = link(person, "meeting", t["meeting"], "submit-topic")
    return render(request, "me.html", work=work, sees_board=sees_board)
